import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's `nn.LayerNorm` over the last axis: (x − mean) / √(var + eps) · gamma + beta with the
 * biased variance and eps inside the square root. Hugging Face's Reformer uses
 * `eps = config.layer_norm_eps` (1e-12 by default).
 */

export interface LayerNormParts {
  /** (x − mean) / √(var + eps), same shape as x. */
  normalized: tf.Tensor;
  /** 1 / √(var + eps), x's shape with the last axis kept as 1. */
  invStd: tf.Tensor;
}

/** The normalisation without the affine part; what the hand-written backward needs from the forward. */
export function layerNormParts(x: tf.Tensor, eps: number): LayerNormParts {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // [..., 1]
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true); // [..., 1]
    const invStd = tf.rsqrt(tf.add(variance, eps));
    return {normalized: tf.mul(centered, invStd), invStd};
  });
}

/** Layer norm over the last axis; differentiable by tfjs's autodiff. gamma, beta: [hidden]. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(layerNormParts(x, eps).normalized, gamma), beta));
}

export interface LayerNormGrads {
  dx: tf.Tensor2D;
  dGamma: tf.Tensor1D;
  dBeta: tf.Tensor1D;
}

/**
 * Exact backward of `layerNorm` for rows x: [rows, hidden], from the forward's `normalized`
 * ([rows, hidden]) and `invStd` ([rows, 1]) and the upstream gradient dy: [rows, hidden]:
 *   dx = invStd · (g − mean(g) − x̂ · mean(g · x̂)),  g = dy · gamma
 * (the mean and variance depend on every element of the row, hence the two row means).
 */
export function layerNormBackward(
  dy: tf.Tensor2D,
  normalized: tf.Tensor2D,
  invStd: tf.Tensor2D,
  gamma: tf.Tensor1D,
): LayerNormGrads {
  return tf.tidy(() => {
    const g = tf.mul(dy, gamma); // [rows, hidden]
    const meanG = tf.mean(g, -1, true); // [rows, 1]
    const meanGx = tf.mean(tf.mul(g, normalized), -1, true); // [rows, 1]
    const dx = tf.mul(invStd, tf.sub(tf.sub(g, meanG), tf.mul(normalized, meanGx))) as tf.Tensor2D;
    const dGamma = tf.sum(tf.mul(dy, normalized), 0) as tf.Tensor1D; // [hidden]
    const dBeta = tf.sum(dy, 0) as tf.Tensor1D; // [hidden]
    return {dx, dGamma, dBeta};
  });
}
