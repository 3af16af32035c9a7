import * as tf from '@tensorflow/tfjs-core';
import {fusedKernelAvailable, LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL, type LayerNormAttrs} from './kernels.js';

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

/** The normalisation without the affine part: the reference path's building block, forward and backward. */
export function layerNormParts(x: tf.Tensor, eps: number): LayerNormParts {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // [..., 1]
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true); // [..., 1]
    const invStd = tf.rsqrt(tf.add(variance, eps));
    return {normalized: tf.mul(centered, invStd), invStd};
  });
}

/** Whether the fused kernels take these inputs: float32, not empty, a last axis that is a multiple of 4, gamma of that size. */
function fusedApplies(kernelName: string, x: tf.Tensor, gamma: tf.Tensor): boolean {
  const hidden = x.shape[x.rank - 1] ?? 0;
  return (
    x.size > 0 &&
    hidden % 4 === 0 &&
    x.dtype === 'float32' &&
    gamma.dtype === 'float32' &&
    gamma.rank === 1 &&
    gamma.shape[0] === hidden &&
    fusedKernelAvailable(kernelName)
  );
}

/**
 * Layer norm over the last axis; differentiable by tfjs's autodiff. gamma, beta: [hidden]. One kernel call where
 * the backend registered LAYER_NORM_KERNEL (nine element-wise ops and reductions otherwise, and their gradients).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  if (fusedApplies(LAYER_NORM_KERNEL, x, gamma) && beta.dtype === 'float32' && tf.util.arraysEqual(beta.shape, gamma.shape)) {
    const attrs: LayerNormAttrs = {eps};
    return tf.engine().runKernel(LAYER_NORM_KERNEL, {x, gamma, beta}, attrs) as tf.Tensor;
  }
  return tf.tidy(() => tf.add(tf.mul(layerNormParts(x, eps).normalized, gamma), beta));
}

export interface LayerNormGrads {
  /** x's shape. */
  dx: tf.Tensor;
  dGamma: tf.Tensor1D;
  dBeta: tf.Tensor1D;
}

/**
 * Exact backward of `layerNorm` over the last axis, from its input x ([..., hidden]), gamma ([hidden]) and eps and
 * the upstream gradient dy (x's shape):
 *   dx = invStd · (g − mean(g) − x̂ · mean(g · x̂)),  g = dy · gamma
 * (the mean and variance depend on every element of the vector, hence the two means), dGamma = Σ dy · x̂ and
 * dBeta = Σ dy over all vectors. Hand-written, so a custom gradient can call it without a nested tape; one kernel
 * call where the backend registered LAYER_NORM_GRAD_KERNEL.
 */
export function layerNormBackward(dy: tf.Tensor, x: tf.Tensor, gamma: tf.Tensor1D, eps: number): LayerNormGrads {
  if (fusedApplies(LAYER_NORM_GRAD_KERNEL, x, gamma) && dy.dtype === 'float32' && tf.util.arraysEqual(dy.shape, x.shape)) {
    const attrs: LayerNormAttrs = {eps};
    const [dx, dGamma, dBeta] = tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, {dy, x, gamma}, attrs) as tf.Tensor[];
    return {dx: dx!, dGamma: dGamma as tf.Tensor1D, dBeta: dBeta as tf.Tensor1D};
  }
  return tf.tidy(() => {
    const hidden = x.shape[x.rank - 1]!;
    const {normalized, invStd} = layerNormParts(x, eps);
    const g = tf.mul(dy, gamma); // x's shape
    const meanG = tf.mean(g, -1, true); // [..., 1]
    const meanGx = tf.mean(tf.mul(g, normalized), -1, true); // [..., 1]
    const dx = tf.mul(invStd, tf.sub(tf.sub(g, meanG), tf.mul(normalized, meanGx)));
    const dGamma = tf.sum(tf.reshape(tf.mul(dy, normalized), [-1, hidden]), 0) as tf.Tensor1D; // [hidden]
    const dBeta = tf.sum(tf.reshape(dy, [-1, hidden]), 0) as tf.Tensor1D; // [hidden]
    return {dx, dGamma, dBeta};
  });
}
