/**
 * Gathers along the sequence axis by a bucket sort, with gradients that are gathers too.
 *
 * tf.gather's own gradient is avoided: it needs UnsortedSegmentSum (missing on wasm) and throws for
 * batchDims >= 2. Each op here flattens to rows `[batch * heads * n, ...]`, gathers by global row
 * indices, and carries a custom gradient: the gradient of gathering by a permutation is gathering
 * by its inverse.
 */
import * as tf from '@tensorflow/tfjs-core';

import type {BucketSort} from './sort.js';
import {assertDtype, assertTensorRank, describe, formatShape} from './validate.js';

/**
 * Row indices into a `[batch * heads * rowsPerHead, ...]` view: `indices[b, h, i]` plus the start
 * of the (b, h) block.
 */
function globalRows(indices: tf.Tensor3D, rowsPerHead: number): tf.Tensor1D {
  const [batch, heads, n] = indices.shape;
  const blockStart = tf.reshape(
    tf.range(0, batch * heads * rowsPerHead, rowsPerHead, 'int32'),
    [batch, heads, 1],
  ); // [batch, heads, 1]
  return tf.reshape(tf.add(indices, blockStart), [batch * heads * n]); // [batch*heads*n]
}

function checkSort(sort: BucketSort): void {
  if (typeof sort !== 'object' || sort === null) {
    throw new Error(`sort: expected a BucketSort {sortedIndices, undoSortedIndices}, got ${describe(sort)}`);
  }
  assertTensorRank(sort.sortedIndices, 3, 'sort.sortedIndices', '[batch, heads, numHashes * length]');
  assertTensorRank(sort.undoSortedIndices, 3, 'sort.undoSortedIndices', '[batch, heads, numHashes * length]');
  assertDtype(sort.sortedIndices, ['int32'], 'sort.sortedIndices');
  assertDtype(sort.undoSortedIndices, ['int32'], 'sort.undoSortedIndices');
  const a = sort.sortedIndices.shape;
  const b = sort.undoSortedIndices.shape;
  if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
    throw new Error(
      `sort.undoSortedIndices: expected the shape of sort.sortedIndices ${formatShape(a)}, got ${formatShape(b)}`,
    );
  }
}

/**
 * `x` `[batch, heads, length, dim]` in sorted order, once per round:
 * `out[b, h, s] = x[b, h, sortedIndices[b, h, s] % length]`, shape `[batch, heads, numHashes * length, dim]`.
 * Differentiable in `x`: per round, dy is gathered back by the inverse permutation, and the rounds
 * are summed.
 */
export function gatherSorted(x: tf.Tensor4D, sort: BucketSort): tf.Tensor4D {
  assertTensorRank(x, 4, 'x', '[batch, heads, length, dim]');
  checkSort(sort);
  const [batch, heads, length, dim] = x.shape;
  const [sb, sh, n] = sort.sortedIndices.shape;
  if (sb !== batch || sh !== heads || length === 0 || n % length !== 0) {
    throw new Error(
      `x: expected shape [${sb}, ${sh}, length, dim] with numHashes * length = ${n} ` +
        `(from sort.sortedIndices ${formatShape(sort.sortedIndices.shape)}), got ${formatShape(x.shape)}`,
    );
  }
  const numHashes = n / length;
  const {sortedIndices, undoSortedIndices} = sort;

  // The sort's tensors are usually intermediates of the function being differentiated, disposed
  // when its forward pass ends: the backward pass reads the saved copy, never the captured one.
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([undoSortedIndices]);
    const value = tf.tidy(() => {
      const rows = tf.reshape(input, [batch * heads * length, dim]); // [batch*heads*length, dim]
      const positions = tf.mod(sortedIndices, tf.scalar(length, 'int32')) as tf.Tensor3D; // [batch, heads, numHashes*length]
      const gathered = tf.gather(rows, globalRows(positions, length)); // [batch*heads*numHashes*length, dim]
      return tf.reshape(gathered, [batch, heads, n, dim]); // [batch, heads, numHashes*length, dim]
    });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const undo = saved[0] as tf.Tensor3D;
        const dyRows = tf.reshape(dy, [batch * heads * n, dim]); // [batch*heads*numHashes*length, dim]
        const unsorted = tf.gather(dyRows, globalRows(undo, n)); // [batch*heads*numHashes*length, dim]
        const perRound = tf.reshape(unsorted, [batch, heads, numHashes, length, dim]); // [batch, heads, numHashes, length, dim]
        return tf.sum(perRound, 2); // [batch, heads, length, dim]
      });
    return {value, gradFunc};
  });
  return op(x) as tf.Tensor4D;
}

/**
 * Gathers `y` `[batch, heads, n, ...]` along axis 2 by `permutation` `[batch, heads, n]`:
 * `out[b, h, i] = y[b, h, permutation[b, h, i]]`. `inverse` must be the inverse permutation; the
 * gradient gathers dy by it. Works for rank 3 and above.
 */
export function gatherByPermutation<T extends tf.Tensor>(
  y: T,
  permutation: tf.Tensor3D,
  inverse: tf.Tensor3D,
): T {
  if (typeof y !== 'object' || y === null || !Array.isArray((y as tf.Tensor).shape) || y.rank < 3) {
    throw new Error(`y: expected a tensor of rank >= 3 [batch, heads, n, ...], got ${describe(y)}`);
  }
  checkSort({sortedIndices: permutation, undoSortedIndices: inverse});
  const shape = y.shape;
  const [batch, heads, n] = shape;
  const p = permutation.shape;
  if (p[0] !== batch || p[1] !== heads || p[2] !== n) {
    throw new Error(
      `y: expected shape [${p[0]}, ${p[1]}, ${p[2]}, ...] to match the permutation ${formatShape(p)}, ` +
        `got ${formatShape(shape)}`,
    );
  }
  const rowSize = shape.slice(3).reduce((a, b) => a * b, 1);

  const permuteRows = (t: tf.Tensor, by: tf.Tensor3D): tf.Tensor => {
    const rows = tf.reshape(t, [batch * heads * n, rowSize]); // [batch*heads*n, rest]
    return tf.reshape(tf.gather(rows, globalRows(by, n)), shape); // [batch, heads, n, ...]
  };
  // As in gatherSorted: the backward pass reads a saved copy of `inverse`, which survives the
  // disposal of the forward pass's intermediates.
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    (args[1] as tf.GradSaveFunc)([inverse]);
    return {
      value: tf.tidy(() => permuteRows(args[0] as tf.Tensor, permutation)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => permuteRows(dy, saved[0] as tf.Tensor3D)),
    };
  });
  return op(y) as T;
}

/**
 * Puts `y` `[batch, heads, numHashes * length, ...]` (rank 3 or 4, in sorted order) back in the
 * original (round, position) order: `y` gathered along axis 2 by `undoSortedIndices`.
 * Differentiable: the gradient gathers dy by `sortedIndices`.
 */
export function unsortByBuckets<T extends tf.Tensor>(y: T, sort: BucketSort): T {
  if (typeof y !== 'object' || y === null || !Array.isArray((y as tf.Tensor).shape) || (y.rank !== 3 && y.rank !== 4)) {
    throw new Error(`y: expected a rank-3 or rank-4 tensor [batch, heads, numHashes * length, ...], got ${describe(y)}`);
  }
  checkSort(sort);
  return gatherByPermutation(y, sort.undoSortedIndices, sort.sortedIndices);
}
