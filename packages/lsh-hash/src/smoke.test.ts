import * as tf from '@tensorflow/tfjs-core';
import {expect, it} from 'vitest';
it('runs on the selected backend', () => {
  expect(tf.getBackend()).toBe(process.env.TFJS_BACKEND);
  expect(tf.sum(tf.tensor([1, 2, 3])).dataSync()[0]).toBe(6);
});
