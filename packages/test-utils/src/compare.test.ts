import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {expectRelativeClose, expectTensorEqual, relativeError} from './index.js';

describe('relativeError', () => {
  it('is ‖a−b‖/‖b‖ for tensors and arrays', () => {
    const a = tf.tensor([3, 4.5]);
    expect(relativeError(a, [3, 4])).toBeCloseTo(0.1, 12);
    expect(relativeError([3, 4], [3, 4])).toBe(0);
    expect(relativeError(a, tf.tensor([3, 4]))).toBeCloseTo(0.1, 7);
    tf.dispose(a);
  });
  it('is ‖a‖ when the reference is zero, NaN when a value is NaN', () => {
    expect(relativeError([3, 4], [0, 0])).toBe(5);
    expect(relativeError([NaN, 1], [1, 1])).toBeNaN();
  });
  it('accumulates in float64', () => {
    const n = 1 << 16;
    const b = new Float32Array(n).fill(1);
    const a = b.map((v, i) => (i === 0 ? v + 1 : v));
    expect(relativeError(a, b)).toBeCloseTo(1 / Math.sqrt(n), 12);
  });
  it('throws naming both shapes when they differ', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 2]);
    expect(() => relativeError(a, b)).toThrow(/actual has shape \[2, 3\] but expected has shape \[3, 2\]/);
    expect(() => relativeError(a, [1, 2])).toThrow(/\[2, 3\].*\[2\]/);
    tf.dispose([a, b]);
  });
});

describe('expectRelativeClose', () => {
  it('passes within tol and fails naming label, error and tol', () => {
    expectRelativeClose([1, 2], [1, 2.00001], 1e-4);
    expect(() => expectRelativeClose([1, 3], [1, 2], 1e-3, 'logits')).toThrow(/logits: relative error 4\.472e-1 exceeds tol 0\.001/);
    expect(() => expectRelativeClose([NaN], [1], 1)).toThrow(/relative error NaN/);
  });
});

describe('expectTensorEqual', () => {
  it('passes on identical shape and values, NaN included', () => {
    const a = tf.tensor([[1, NaN], [3, 4]]);
    expectTensorEqual(a, tf.tensor([[1, NaN], [3, 4]]));
    expectTensorEqual(tf.tensor([1, 2], [2], 'int32'), [1, 2]);
    tf.dispose(a);
  });
  it('reports the first mismatch and shape differences', () => {
    const a = tf.tensor([1, 2, 3, 4]);
    expect(() => expectTensorEqual(a, [1, 2, 3.5, 5], 'buckets')).toThrow(/buckets: first mismatch at flat index 2 \(of 4\): actual 3, expected 3.5/);
    expect(() => expectTensorEqual(a, tf.tensor([[1, 2], [3, 4]]))).toThrow(/shape \[4\] but expected has shape \[2, 2\]/);
    tf.dispose(a);
  });
});
