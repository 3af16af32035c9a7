import * as tf from '@tensorflow/tfjs-core';
import {checkGradients, expectNoLeaks} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';

import {hashVectors} from './buckets.js';
import {gatherByPermutation, gatherSorted, unsortByBuckets} from './permute.js';
import {sortByBuckets} from './sort.js';
import type {BucketSort} from './sort.js';

const [batch, heads, numHashes, length, dim] = [2, 2, 3, 5, 3];
const n = numHashes * length;

/** A sort from real hashing of random vectors, plus its indices as JS arrays. */
async function makeSort(seed: number): Promise<{sort: BucketSort; sorted: Int32Array; undo: Int32Array}> {
  const qk = tf.randomNormal([batch, heads, length, 4], 0, 1, 'float32', seed) as tf.Tensor4D;
  const {buckets} = hashVectors(qk, {numBuckets: 4, numHashes, seed});
  const sort = sortByBuckets(buckets);
  tf.dispose([qk, buckets]);
  return {
    sort,
    sorted: (await sort.sortedIndices.data()) as Int32Array,
    undo: (await sort.undoSortedIndices.data()) as Int32Array,
  };
}

/** Small integers: sums of a few of them are exact in float32, so gradients compare exactly. */
function intTensor(shape: number[], seed: number): {values: Float32Array; tensor: tf.Tensor} {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = (s >>> 25) - 64;
  }
  return {values, tensor: tf.tensor(values, shape)};
}

describe('gatherSorted', () => {
  it('puts x at position sortedIndices % length in every slot', async () => {
    const {sort, sorted} = await makeSort(1);
    const x = intTensor([batch, heads, length, dim], 2);
    const out = gatherSorted(x.tensor as tf.Tensor4D, sort);
    expect(out.shape).toEqual([batch, heads, n, dim]);
    const expected: number[] = [];
    for (let bh = 0; bh < batch * heads; bh++)
      for (let s = 0; s < n; s++) {
        const t = sorted[bh * n + s] % length;
        for (let d = 0; d < dim; d++) expected.push(x.values[(bh * length + t) * dim + d]);
      }
    expect(Array.from(await out.data())).toEqual(expected);
    tf.dispose([sort, x.tensor, out]);
  });

  it('has the exact permutation gradient: dy gathered back per round, summed over rounds', async () => {
    const {sort, undo} = await makeSort(3);
    const x = intTensor([batch, heads, length, dim], 4);
    const w = intTensor([batch, heads, n, dim], 5);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gatherSorted(v as tf.Tensor4D, sort), w.tensor)))(x.tensor);
    const expected = new Float32Array(x.values.length);
    for (let bh = 0; bh < batch * heads; bh++)
      for (let r = 0; r < numHashes; r++)
        for (let t = 0; t < length; t++) {
          const slot = undo[bh * n + r * length + t];
          for (let d = 0; d < dim; d++) expected[(bh * length + t) * dim + d] += w.values[(bh * n + slot) * dim + d];
        }
    expect(Array.from(await dx.data())).toEqual(Array.from(expected));
    tf.dispose([sort, x.tensor, w.tensor, dx]);
  });

  it('passes a finite-difference gradient check', async () => {
    const {sort} = await makeSort(6);
    const shape = [batch, heads, length, dim];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 7);
    const w = tf.randomNormal([batch, heads, n, dim], 0, 1, 'float32', 8);
    const f = (v: tf.Tensor) => tf.sum(tf.mul(tf.sin(gatherSorted(v as tf.Tensor4D, sort)), w)) as tf.Scalar;
    checkGradients(f, [x], {samples: 60});
    tf.dispose([sort, x, w]);
  });

  it('rejects x that does not fit the sort', async () => {
    const {sort} = await makeSort(1);
    const bad = [tf.zeros([batch, heads, 4, dim]), tf.zeros([batch, 1, length, dim]), tf.zeros([batch, heads, length])];
    expect(() => gatherSorted(bad[0] as tf.Tensor4D, sort)).toThrow(
      /x: expected shape \[2, 2, length, dim\] with numHashes \* length = 15 \(from sort\.sortedIndices \[2, 2, 15\]\), got \[2, 2, 4, 3\]/,
    );
    expect(() => gatherSorted(bad[1] as tf.Tensor4D, sort)).toThrow(/x: expected shape \[2, 2, length, dim\] .*got \[2, 1, 5, 3\]/);
    expect(() => gatherSorted(bad[2] as never, sort)).toThrow(/x: expected a rank-4 tensor \[batch, heads, length, dim\], got shape \[2, 2, 5\]/);
    expect(() => gatherSorted(bad[2] as never, null as never)).toThrow(/x: expected a rank-4 tensor/);
    const x = tf.zeros([batch, heads, length, dim]) as tf.Tensor4D;
    expect(() => gatherSorted(x, null as never)).toThrow(/sort: expected a BucketSort \{sortedIndices, undoSortedIndices\}, got null/);
    expect(() => gatherSorted(x, {sortedIndices: sort.sortedIndices} as never)).toThrow(
      /sort\.undoSortedIndices: expected a rank-3 tensor \[batch, heads, numHashes \* length\], got undefined/,
    );
    tf.dispose([sort, bad, x]);
  });
});

describe('unsortByBuckets', () => {
  it('undoes gatherSorted: every round gives x back', async () => {
    const {sort} = await makeSort(9);
    const x = intTensor([batch, heads, length, dim], 10);
    const back = tf.tidy(() => unsortByBuckets(gatherSorted(x.tensor as tf.Tensor4D, sort), sort));
    const perRound = tf.reshape(back, [batch, heads, numHashes, length, dim]); // [batch, heads, numHashes, length, dim]
    const expected = tf.tile(tf.reshape(x.tensor, [batch, heads, 1, length, dim]), [1, 1, numHashes, 1, 1]);
    expect(Array.from(await perRound.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([sort, x.tensor, back, perRound, expected]);
  });

  it.each([3, 4])('gathers a rank-%i tensor by undoSortedIndices along axis 2', async (rank) => {
    const {sort, undo} = await makeSort(11);
    const shape = rank === 3 ? [batch, heads, n] : [batch, heads, n, dim];
    const rowSize = rank === 3 ? 1 : dim;
    const y = intTensor(shape, 12);
    const out = unsortByBuckets(y.tensor, sort);
    expect(out.shape).toEqual(shape);
    const expected: number[] = [];
    for (let bh = 0; bh < batch * heads; bh++)
      for (let i = 0; i < n; i++)
        for (let d = 0; d < rowSize; d++) expected.push(y.values[(bh * n + undo[bh * n + i]) * rowSize + d]);
    expect(Array.from(await out.data())).toEqual(expected);
    tf.dispose([sort, y.tensor, out]);
  });

  it.each([3, 4])('has the exact gradient for rank %i: dy gathered by sortedIndices', async (rank) => {
    const {sort, sorted} = await makeSort(13);
    const shape = rank === 3 ? [batch, heads, n] : [batch, heads, n, dim];
    const rowSize = rank === 3 ? 1 : dim;
    const y = intTensor(shape, 14);
    const w = intTensor(shape, 15);
    const dy = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(unsortByBuckets(v, sort), w.tensor)))(y.tensor);
    const expected: number[] = [];
    for (let bh = 0; bh < batch * heads; bh++)
      for (let s = 0; s < n; s++)
        for (let d = 0; d < rowSize; d++) expected.push(w.values[(bh * n + sorted[bh * n + s]) * rowSize + d]);
    expect(Array.from(await dy.data())).toEqual(expected);
    tf.dispose([sort, y.tensor, w.tensor, dy]);
  });

  it('passes a finite-difference gradient check', async () => {
    const {sort} = await makeSort(16);
    const shape = [batch, heads, n, 2];
    const y = tf.randomNormal(shape, 0, 1, 'float32', 17);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 18);
    const f = (v: tf.Tensor) => tf.sum(tf.mul(tf.square(unsortByBuckets(v, sort)), w)) as tf.Scalar;
    checkGradients(f, [y], {samples: 60});
    tf.dispose([sort, y, w]);
  });

  it('rejects y of the wrong rank or length', async () => {
    const {sort} = await makeSort(1);
    const bad = [tf.zeros([batch, heads]), tf.zeros([batch, heads, n, 2, 2]), tf.zeros([batch, heads, n - 1])];
    expect(() => unsortByBuckets(bad[0], sort)).toThrow(/y: expected a rank-3 or rank-4 tensor \[batch, heads, numHashes \* length, \.\.\.\], got a float32 tensor of shape \[2, 2\]/);
    expect(() => unsortByBuckets(bad[1], sort)).toThrow(/y: expected a rank-3 or rank-4 tensor .*shape \[2, 2, 15, 2, 2\]/);
    expect(() => unsortByBuckets(bad[2], sort)).toThrow(/y: expected shape \[2, 2, 15, \.\.\.\] to match the permutation \[2, 2, 15\], got \[2, 2, 14\]/);
    tf.dispose([sort, bad]);
  });
});

describe('gatherByPermutation', () => {
  it('works at rank 5 and its gradient is the gather by the inverse', async () => {
    const {sort, sorted, undo} = await makeSort(19);
    const shape = [batch, heads, n, 2, 2];
    const y = intTensor(shape, 20);
    const w = intTensor(shape, 21);
    const out = gatherByPermutation(y.tensor, sort.sortedIndices, sort.undoSortedIndices);
    const dy = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gatherByPermutation(v, sort.sortedIndices, sort.undoSortedIndices), w.tensor)))(y.tensor);
    const expectedOut: number[] = [];
    const expectedGrad: number[] = [];
    for (let bh = 0; bh < batch * heads; bh++)
      for (let i = 0; i < n; i++)
        for (let d = 0; d < 4; d++) {
          expectedOut.push(y.values[(bh * n + sorted[bh * n + i]) * 4 + d]);
          expectedGrad.push(w.values[(bh * n + undo[bh * n + i]) * 4 + d]);
        }
    expect(Array.from(await out.data())).toEqual(expectedOut);
    expect(Array.from(await dy.data())).toEqual(expectedGrad);
    tf.dispose([sort, y.tensor, w.tensor, out, dy]);
  });
});

describe('memory', () => {
  it('hash + sort + gather + unsort, forward and backward, leaves no tensor behind', async () => {
    const qk = tf.randomNormal([batch, heads, length, dim], 0, 1, 'float32', 22) as tf.Tensor4D;
    const mask = tf.tensor2d([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], [batch, length], 'int32');
    const before = tf.memory().numTensors;
    const loss = (v: tf.Tensor) => {
      const {buckets} = hashVectors(v as tf.Tensor4D, {numBuckets: [2, 4], numHashes, seed: 3, attentionMask: mask});
      const sort = sortByBuckets(buckets);
      const sortedQk = gatherSorted(v as tf.Tensor4D, sort); // [batch, heads, n, dim]
      const logits = tf.sum(tf.square(sortedQk), -1); // [batch, heads, n]
      const out = tf.add(unsortByBuckets(sortedQk, sort), tf.expandDims(unsortByBuckets(logits, sort), -1));
      return tf.sum(out) as tf.Scalar;
    };
    const {value, grad} = tf.valueAndGrad(loss)(qk);
    expect(grad.shape).toEqual(qk.shape);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(before);
    // The same through the shared helper, with the sort made outside the differentiated function.
    await expectNoLeaks(() => {
      const {buckets} = hashVectors(qk, {numBuckets: 4, numHashes, seed: 4});
      const sort = sortByBuckets(buckets);
      const grads = tf.grads((v: tf.Tensor) => tf.sum(tf.square(unsortByBuckets(gatherSorted(v as tf.Tensor4D, sort), sort))))([qk]);
      tf.dispose([buckets, sort]);
      return grads;
    });
    tf.dispose([qk, mask]);
  });
});
