import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {vjp} from './index.js';
import {customOp} from './testing/fixtures.js';

// x^3 whose backward differentiates its own forward with vjp: a custom gradient that nests.
const cubeByVjp = customOp((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.pow(x, 3),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => vjp(() => tf.pow(saved, 3), [saved], dy).grads[0],
  };
});

describe('vjp', () => {
  it('works inside a customGrad gradient function, and the outer backward carries on', () => {
    const x = tf.tensor1d([1, -2, 0.5]);
    const w = tf.tensor1d([2, 3, 4]);
    const before = tf.memory().numTensors;
    // The outer graph has ops before and after the custom op, so the outer tape must survive.
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(cubeByVjp(tf.mul(a, b)), b)))([x, w]);
    // d/dx sum((x w)^3 w) = 3 (x w)^2 w^2; d/dw = 3 (x w)^2 x w + (x w)^3 = 4 x^3 w^3.
    const xs = [1, -2, 0.5];
    const ws = [2, 3, 4];
    const expectDx = xs.map((a, i) => 3 * (a * ws[i]) ** 2 * ws[i] ** 2);
    const expectDw = xs.map((a, i) => 4 * a ** 3 * ws[i] ** 3);
    Array.from(dx.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expectDx[i], 3));
    Array.from(dw.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expectDw[i], 3));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, w, dx, dw]);
  });

  it('returns zeros for inputs fn does not use, and separate tensors for an identity fn', () => {
    const x = tf.tensor1d([1, 2]);
    const unused = tf.tensor2d([[1, 2]], [1, 2]);
    const dy = tf.tensor1d([3, 4]);
    const {value, grads} = vjp(() => x, [x, unused, x], dy);
    expect(value).toBe(x);
    expect(Array.from(grads[0].dataSync())).toEqual([3, 4]);
    expect(Array.from(grads[2].dataSync())).toEqual([3, 4]);
    expect(grads[1].shape).toEqual([1, 2]);
    expect(Array.from(grads[1].dataSync())).toEqual([0, 0]);
    const ids = new Set([dy.id, ...grads.map((g) => g.id)]);
    expect(ids.size).toBe(4);
    tf.dispose([x, unused, dy, ...grads]);
  });

  it('leaves no tape behind at top level', () => {
    const x = tf.tensor1d([1, 2]);
    const dy = tf.tensor1d([1, 1]);
    const before = tf.memory().numTensors;
    const {value, grads} = vjp(() => tf.exp(tf.mul(x, x)), [x], dy);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([value, ...grads]);
    // An ordinary tf.grads afterwards still works.
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(x);
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
    tf.dispose([x, dy, g]);
  });
});
