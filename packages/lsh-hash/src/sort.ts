/**
 * Sorting hashed positions by bucket, exactly, at any length and on any backend.
 *
 * tfjs has no argsort; `tf.topk(key, n)` sorts descending. Keys are read as float32 by the GPU
 * kernels, so a composite key such as `bucket * length + position` stops being exact past 2^24.
 * Here the key is the bucket id alone (a small integer, exact everywhere) and each round is
 * sorted on its own; positions with equal buckets stay in position order because every tfjs 4.22
 * TopK kernel breaks ties by the lower index (an explicit comparison, not sort stability):
 * - cpu (and webgl, whose TopK hands off to the same CPU code whenever k > 128 or the last axis
 *   has fewer than 100000 entries, i.e. always when k = n): the comparator is
 *   `b.value - a.value || a.index - b.index` over the whole row (tfjs-backend-cpu TopK_impl);
 * - wasm: `std::sort` with `a.value == b.value ? a.index < b.index : a.value > b.value`
 *   (tfjs-backend-wasm src/cc/kernels/TopK.cc);
 * - webgpu: a bitonic network whose compare-exchange is `x0 > x1 || (x0 == x1 && i1 > i0)`
 *   (tfjs-backend-webgpu top_k_webgpu.ts); with k = n no merge step runs.
 * Each of these is a total order on (value, index), so the result is the unique stable order.
 * One limit remains: webgpu carries indices through f32, so one round must be shorter than 2^24.
 */
import * as tf from '@tensorflow/tfjs-core';

import {BUCKET_SORT_KERNEL, fusedKernelAvailable} from './kernels.js';
import {assertDtype, assertTensorRank} from './validate.js';

// A type alias, not an interface, so that `tf.dispose(sort)` and `tf.tidy(() => sort)` type-check
// (an interface has no implicit index signature and is not a TensorContainer).
export type BucketSort = {
  /**
   * int32 `[batch, heads, numHashes * length]`: the flat index `r * length + t` (round r,
   * position t) that sits in each slot of the sorted order.
   */
  sortedIndices: tf.Tensor3D;
  /** int32 `[batch, heads, numHashes * length]`: the inverse permutation (slot of each flat index). */
  undoSortedIndices: tf.Tensor3D;
};

/**
 * Orders every (round, position) of `buckets` `[batch, heads, numHashes, length]` by
 * (round, bucket, position): the order of Hugging Face's `_stable_argsort` over offset buckets.
 * Dispose the result with `tf.dispose(sort)`.
 *
 * Where the active backend registers the fused kernel `ReformerBucketSort` (see kernels.ts), that kernel computes
 * the same two permutations in one call instead.
 */
export function sortByBuckets(buckets: tf.Tensor4D): BucketSort {
  assertTensorRank(buckets, 4, 'buckets', '[batch, heads, numHashes, length]');
  assertDtype(buckets, ['int32'], 'buckets');
  const [batch, heads, numHashes, length] = buckets.shape;
  if (fusedKernelAvailable(BUCKET_SORT_KERNEL)) {
    const [sortedIndices, undoSortedIndices] = tf.engine().runKernel(BUCKET_SORT_KERNEL, {buckets}, {}) as tf.Tensor3D[];
    return {sortedIndices: sortedIndices!, undoSortedIndices: undoSortedIndices!}; // both [batch, heads, numHashes*length]
  }
  return tf.tidy(() => {
    // topk sorts descending, so negate: ascending buckets, ties to the lower position.
    const positions = tf.topk(tf.neg(buckets), length, true).indices; // int32 [batch, heads, numHashes, length]
    // The inverse of a permutation of 0..length-1 is its argsort; the values are distinct, no ties.
    const slots = tf.topk(tf.neg(positions), length, true).indices; // int32 [batch, heads, numHashes, length]
    const roundStart = tf.reshape(tf.range(0, numHashes * length, length, 'int32'), [1, 1, numHashes, 1]); // [1, 1, numHashes, 1]
    const flat: [number, number, number] = [batch, heads, numHashes * length];
    return {
      sortedIndices: tf.reshape(tf.add(positions, roundStart), flat) as tf.Tensor3D, // [batch, heads, numHashes*length]
      undoSortedIndices: tf.reshape(tf.add(slots, roundStart), flat) as tf.Tensor3D, // [batch, heads, numHashes*length]
    };
  });
}
