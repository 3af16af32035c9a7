import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {applyChunked, chunkRanges} from './apply-chunked.js';
import {expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';
import {randn} from './testing/fixtures.js';

// A position-wise function along axis 1 of [batch, length, dim].
const positionWise = (w: tf.Tensor) => (chunk: tf.Tensor) =>
  tf.tidy(() => {
    const [b, n, d] = chunk.shape;
    const rows = tf.reshape(chunk, [b * n, d]); // [rows, dim]
    return tf.reshape(tf.tanh(tf.matMul(rows as tf.Tensor2D, w as tf.Tensor2D)), [b, n, -1]); // [batch, chunkLen, out]
  });

describe('chunkRanges', () => {
  it('cuts into chunks with a shorter last one; 0 or a large size gives one chunk', () => {
    expect(chunkRanges(10, 4)).toEqual([{start: 0, end: 4}, {start: 4, end: 8}, {start: 8, end: 10}]);
    expect(chunkRanges(10, 0)).toEqual([{start: 0, end: 10}]);
    expect(chunkRanges(10, 25)).toEqual([{start: 0, end: 10}]);
    expect(chunkRanges(0, 3)).toEqual([]);
  });
});

describe('applyChunked', () => {
  it.each([0, 1, 3, 4, 7, 12, 100])('equals fn(x) with chunk size %i (12 positions)', (chunkSize) => {
    tf.tidy(() => {
      const x = randn([2, 12, 5], 1);
      const fn = positionWise(randn([5, 3], 2));
      const got = applyChunked(fn, x, chunkSize);
      expect(got.shape).toEqual([2, 12, 3]);
      expectRelativeClose(got, fn(x), 1e-6, `chunk ${chunkSize}`);
    });
  });

  it('splits along any axis, negative ones included', () => {
    tf.tidy(() => {
      const x = randn([7, 3, 4], 3);
      const fn = (c: tf.Tensor) => tf.mul(tf.square(c), 2);
      for (const axis of [0, 1, 2, -1, -3]) {
        expectRelativeClose(applyChunked(fn, x, 2, axis), fn(x), 0, `axis ${axis}`);
      }
    });
  });

  it('is differentiable by plain autodiff through fn', () => {
    tf.tidy(() => {
      const x = randn([2, 9, 5], 4);
      const w = randn([5, 3], 5);
      const loss = (chunk: number) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(applyChunked(positionWise(b), a, chunk)));
      const [gx, gw] = tf.grads(loss(4))([x, w]);
      const [ex, ew] = tf.grads(loss(0))([x, w]);
      expectRelativeClose(gx, ex, 1e-6, 'dx');
      expectRelativeClose(gw, ew, 1e-6, 'dw');
    });
  });

  it('does not leak', async () => {
    const x = randn([2, 9, 5], 6);
    const w = randn([5, 3], 7);
    await expectNoLeaks(() => {
      applyChunked(positionWise(w), x, 4).dispose();
      tf.grads((a: tf.Tensor) => tf.sum(applyChunked(positionWise(w), a, 4)))([x]).forEach((g) => g.dispose());
    });
    x.dispose();
    w.dispose();
  });

  it('rejects bad arguments, naming them', () => {
    const x = tf.zeros([2, 4, 3]);
    const id = (c: tf.Tensor) => c;
    expect(() => applyChunked(id, x, -1)).toThrow('chunkSize: expected a non-negative integer (0 = no chunking), got -1');
    expect(() => applyChunked(id, x, 1.5)).toThrow('chunkSize: expected a non-negative integer (0 = no chunking), got 1.5');
    expect(() => applyChunked(id, x, 2, 3)).toThrow('axis: expected an integer in [-3, 2] for x of shape [2, 4, 3], got 3');
    expect(() => applyChunked(id, [1, 2] as unknown as tf.Tensor, 2)).toThrow('x: expected a tf.Tensor, got an array of length 2');
    expect(() => applyChunked((c) => tf.sum(c, 1), x, 2)).toThrow(
      'fn(chunk): expected an output with 2 positions on axis 1 (as its input [2, 2, 3]), got shape [2, 3]',
    );
    x.dispose();
  });
});
