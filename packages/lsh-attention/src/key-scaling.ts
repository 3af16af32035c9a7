import * as tf from '@tensorflow/tfjs-core';
import {fusedKernelAvailable} from '@reformerjs/lsh-hash';

/** Added to the mean square before the reciprocal square root, as HF's `_len_norm` does. */
export const LENGTH_NORM_EPSILON = 1e-6;

/**
 * Kernel `ReformerSharedQKKeys`: {@link sharedQKKeys} in one kernel call, for backends that register it
 * (`@reformerjs/webgpu-kernels` does for `webgpu`).
 * - inputs: `{queryKey}`, float32 `[..., headSize]`, headSize a positive multiple of 4.
 * - attrs: none.
 * - output: float32 of the same shape, each vector `q` times `s = rsqrt(mean(q²) + LENGTH_NORM_EPSILON) / sqrt(headSize)`.
 * Its gradient is kernel {@link SHARED_QK_KEYS_GRAD_KERNEL}.
 */
export const SHARED_QK_KEYS_KERNEL = 'ReformerSharedQKKeys';

/**
 * Kernel `ReformerSharedQKKeysGrad`: the gradient of {@link SHARED_QK_KEYS_KERNEL}.
 * - inputs: `{dKeys, queryKey}`, both float32 `[..., headSize]`.
 * - output: `dQueryKey` of the same shape, per vector `s·dk − s³ (dk·q) q` (s as above: the keys are `s·q`, and
 *   ∂s/∂q = −s³ q).
 */
export const SHARED_QK_KEYS_GRAD_KERNEL = 'ReformerSharedQKKeysGrad';

/**
 * Keys of shared-QK attention (HF `_len_and_dim_norm`): each vector times `rsqrt(mean(x²) + 1e-6)`, then
 * divided by `sqrt(headSize)`. Hashing is angular, so keys are normalised for the dot products to measure
 * what the hash measured; the queries keep their length, a learned temperature. One kernel call where the backend
 * registered SHARED_QK_KEYS_KERNEL (six element-wise ops otherwise, and their gradients).
 *
 * [..., headSize] -> [..., headSize]
 */
export function sharedQKKeys(queryKey: tf.Tensor): tf.Tensor {
  const headSize = queryKey.shape[queryKey.rank - 1]!;
  if (headSize > 0 && headSize % 4 === 0 && queryKey.dtype === 'float32' && fusedKernelAvailable(SHARED_QK_KEYS_KERNEL)) {
    return tf.engine().runKernel(SHARED_QK_KEYS_KERNEL, {queryKey}, {}) as tf.Tensor;
  }
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(queryKey), -1, true); // [..., 1]
    const normalised = tf.mul(queryKey, tf.rsqrt(tf.add(meanSquare, LENGTH_NORM_EPSILON)));
    return tf.mul(normalised, 1 / Math.sqrt(headSize));
  });
}

/** Keys of ordinary scaled dot-product attention: divided by `sqrt(headSize)`, as HF's local attention does. */
export function scaledKeys(key: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(key, 1 / Math.sqrt(key.shape[key.rank - 1]!)));
}
