import * as tf from '@tensorflow/tfjs-core';

/** Added to the mean square before the reciprocal square root, as HF's `_len_norm` does. */
export const LENGTH_NORM_EPSILON = 1e-6;

/**
 * Keys of shared-QK attention (HF `_len_and_dim_norm`): each vector times `rsqrt(mean(x²) + 1e-6)`, then
 * divided by `sqrt(headSize)`. Hashing is angular, so keys are normalised for the dot products to measure
 * what the hash measured; the queries keep their length, a learned temperature.
 *
 * [..., headSize] -> [..., headSize]
 */
export function sharedQKKeys(queryKey: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const headSize = queryKey.shape[queryKey.rank - 1]!;
    const meanSquare = tf.mean(tf.square(queryKey), -1, true); // [..., 1]
    const normalised = tf.mul(queryKey, tf.rsqrt(tf.add(meanSquare, LENGTH_NORM_EPSILON)));
    return tf.mul(normalised, 1 / Math.sqrt(headSize));
  });
}

/** Keys of ordinary scaled dot-product attention: divided by `sqrt(headSize)`, as HF's local attention does. */
export function scaledKeys(key: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(key, 1 / Math.sqrt(key.shape[key.rank - 1]!)));
}
