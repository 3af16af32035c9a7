import * as tf from '@tensorflow/tfjs-core';

/**
 * Combines hash rounds as HF and trax do: each round's output weighted by
 * `exp(lse_r - logsumexp_r(lse))`, i.e. by the share of the attention mass that round's softmax saw. With
 * disjoint windows this equals one softmax over the union of every round's keys.
 *
 * outputs [batch, heads, rounds * length, headSize], logsumexp [batch, heads, rounds * length]
 * -> [batch, heads, length, headSize]
 */
export function combineRounds(outputs: tf.Tensor4D, logsumexp: tf.Tensor3D, rounds: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, heads, n, headSize] = outputs.shape;
    const length = n / rounds;
    const perRound = tf.reshape(outputs, [batch, heads, rounds, length, headSize]); // [batch, heads, rounds, length, headSize]
    if (rounds === 1) return tf.reshape(perRound, [batch, heads, length, headSize]) as tf.Tensor4D; // [batch, heads, length, headSize]
    const lse = tf.reshape(logsumexp, [batch, heads, rounds, length, 1]); // [batch, heads, rounds, length, 1]
    // exp(lse - logsumexp(lse)) computed as a normalised softmax over rounds: the same weights, but summing to
    // 1 to rounding even when every lse is near a mask value (see chunkedAttend).
    const shifted = tf.exp(tf.sub(lse, tf.max(lse, 2, true))); // [batch, heads, rounds, length, 1]
    const weights = tf.div(shifted, tf.sum(shifted, 2, true)); // [batch, heads, rounds, length, 1]
    return tf.sum(tf.mul(perRound, weights), 2) as tf.Tensor4D; // [batch, heads, length, headSize]
  });
}
