import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {checkGradients, expectNoLeaks} from './index.js';

const seeded = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('checkGradients', () => {
  it('accepts correct gradients of a smooth function of two inputs', async () => {
    const x = seeded([3, 4], 1);
    const w = seeded([4, 2], 2);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.tanh(tf.matMul(a, b))) as tf.Scalar;
    await expectNoLeaks(() => checkGradients(f, [x, w]));
    tf.dispose([x, w]);
  });

  it('samples large inputs and holds int32 inputs constant', () => {
    const x = seeded([50, 8], 3);
    const idx = tf.tensor1d([0, 3, 7], 'int32');
    // Columns picked by int32 indices, through a one-hot mask (gather's gradient is missing on wasm).
    const f = (a: tf.Tensor, i: tf.Tensor): tf.Scalar =>
      tf.mean(tf.mul(tf.square(a), tf.sum(tf.oneHot(i, 8), 0))) as tf.Scalar;
    checkGradients(f, [x, idx], {samples: 8, tol: 1e-2, seed: 5, eps: 1e-2});
    tf.dispose([x, idx]);
  });

  it('fails for a custom gradient that is twice the true one, naming the input', () => {
    const x = seeded([6], 4);
    const wrongSquareSum = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [a, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([a]);
      return {value: tf.sum(tf.square(a)), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(4, saved[0]!))};
    });
    expect(() => checkGradients((a) => wrongSquareSum(a) as tf.Scalar, [x])).toThrow(
      /checkGradients: input 0 \(shape \[6\]\): relative error 5\.000e-1 exceeds tol 0\.01/,
    );
    tf.dispose(x);
  });

  it('fails when only one of several inputs has a wrong gradient', () => {
    const x = seeded([4], 6);
    const y = seeded([4], 7);
    const wrongProduct = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([a, b]);
      return {
        value: tf.sum(tf.mul(a, b)),
        gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [tf.mul(dy, sb!), tf.mul(dy, tf.neg(sa!))],
      };
    });
    expect(() => checkGradients((a, b) => wrongProduct(a, b) as tf.Scalar, [x, y])).toThrow(/input 1 \(shape \[4\]\)/);
    tf.dispose([x, y]);
  });

  it('rejects a non-scalar f and a wrt index that is not a float input', () => {
    const x = seeded([3], 8);
    const i = tf.tensor1d([1], 'int32');
    expect(() => checkGradients((a) => tf.square(a) as unknown as tf.Scalar, [x])).toThrow(/must return a scalar/);
    expect(() => checkGradients((a) => tf.sum(a), [x, i], {wrt: [1]})).toThrow(/wrt index 1 must name a float32 input/);
    tf.dispose([x, i]);
  });
});
