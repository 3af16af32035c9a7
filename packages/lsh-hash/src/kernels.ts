/**
 * Named kernels that a backend may provide as fused implementations of steps the packages otherwise compose
 * from tfjs ops (e.g. `@reformerjs/webgpu-kernels` registers them for `webgpu`). The packages dispatch to a
 * kernel only when one is registered for the active backend and the flag below is on, so every backend keeps
 * the reference path and the reference path stays testable everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs flag: use a registered fused kernel where one exists (default true). Tests turn it off to run the
 * reference path on the same backend: `tf.env().set(FUSED_KERNELS_FLAG, false)`.
 */
export const FUSED_KERNELS_FLAG = 'REFORMERJS_FUSED_KERNELS';

// Registering again (a second copy of this module, e.g. ESM and CJS builds in one process) keeps a value already set.
tf.env().registerFlag(FUSED_KERNELS_FLAG, () => true);

/** Whether the active backend has a fused kernel named `kernelName` and fused kernels are enabled. */
export function fusedKernelAvailable(kernelName: string): boolean {
  return tf.env().getBool(FUSED_KERNELS_FLAG) && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/**
 * Kernel `ReformerBucketSort`: what {@link sortByBuckets} returns, in one kernel call.
 * - inputs: `{buckets}`, int32 `[batch, heads, numHashes, length]` (any int32 values; round offsets included
 *   or not: each round is sorted on its own).
 * - attrs: none.
 * - outputs: `[sortedIndices, undoSortedIndices]`, both int32 `[batch, heads, numHashes * length]`.
 *   Within each (batch, head), slot `r * length + s` of `sortedIndices` holds the flat index `r * length + t` of
 *   the position `t` that comes s-th in round r when the positions are ordered by (bucket, position): a stable
 *   sort, ties to the lower position. `undoSortedIndices` is its inverse: `undo[sorted[s]] = s`.
 * Exact at any length (no float32 keys).
 */
export const BUCKET_SORT_KERNEL = 'ReformerBucketSort';

/**
 * Kernel `ReformerHashBuckets`: what {@link hashVectors} computes from its rotations, in one kernel call.
 * - inputs: `{vectors, rotations}` or, when `padded`, `{vectors, rotations, attentionMask}`:
 *   `vectors` float32 `[batch, heads, length, dim]`; `rotations` float32 `[heads, dim, numHashes, rotationSize / 2]`;
 *   `attentionMask` `[batch, length]` (float32, int32 or bool; 0 = padding).
 * - attrs: `{factors: number[], padded: boolean}`: the bucket spec as a list of even factors (`[numBuckets]` for a
 *   plain count; the rotation's columns are split into consecutive slices of `factor / 2`), and whether a padding
 *   bucket is added.
 * - output: int32 `[batch, heads, numHashes, length]`. With `count` = Π factors and `bucketsPerRound` =
 *   `count + (padded ? 1 : 0)`: bucket(b, h, r, t) = `r * bucketsPerRound` + (`count` if padded and
 *   `attentionMask[b, t] == 0`, else Σ_i argmax([slice_i, -slice_i]) · Π_{j<i} factor_j), where rotated =
 *   vectors[b, h, t, :] · rotations[h, :, r, :] and argmax takes the first maximum on ties.
 * A backend that registers it also registers a gradient of zeros for its inputs, as tfjs's ArgMax has on the
 * reference path, so that a tape through the buckets does not fail.
 */
export const HASH_BUCKETS_KERNEL = 'ReformerHashBuckets';

/** Attributes of {@link HASH_BUCKETS_KERNEL}. */
export type HashBucketsAttrs = {
  factors: number[];
  padded: boolean;
};
