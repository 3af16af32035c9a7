import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {expectNoLeaks} from './index.js';

describe('expectNoLeaks', () => {
  it('passes for tidy code and disposes what fn returns', async () => {
    await expectNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1)));
    await expectNoLeaks(() => ({a: tf.ones([2]), b: [tf.zeros([1]), new Map([['c', tf.scalar(1)]])]}));
    await expectNoLeaks(async () => {
      const t = tf.ones([3]);
      await t.data();
      return t;
    });
  });

  it('does not dispose a pre-existing tensor that fn returns', async () => {
    const kept = tf.ones([2]);
    await expectNoLeaks(() => kept);
    expect(kept.isDisposed).toBe(false);
    kept.dispose();
  });

  it('fails when fn leaks, saying how many', async () => {
    const leaked: tf.Tensor[] = [];
    await expect(
      expectNoLeaks(() => {
        leaked.push(tf.ones([2]));
        leaked.push(tf.sum(leaked[0]!));
      }),
    ).rejects.toThrow(/expectNoLeaks: 2 tensor\(s\) leaked/);
    tf.dispose(leaked);
  });
});
