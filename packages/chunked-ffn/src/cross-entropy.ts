import * as tf from '@tensorflow/tfjs-core';
import {CROSS_ENTROPY_GRAD_KERNEL, CROSS_ENTROPY_KERNEL, fusedKernelAvailable} from './kernels.js';

/** Whether the fused kernels take these inputs (float32 logits [rows, vocab], int32 targets). */
function fusedApplies(kernelName: string, logits: tf.Tensor, targets: tf.Tensor): boolean {
  return logits.rank === 2 && logits.dtype === 'float32' && targets.dtype === 'int32' && logits.size > 0 && fusedKernelAvailable(kernelName);
}

/**
 * A float32 one-hot, [rows, depth]. Built as int32 and cast: the wasm backend's OneHot kernel
 * ignores the dtype attribute and writes int32 bits into a float32 output (tfjs 4.22).
 */
export function oneHotFloat(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), 'float32'));
}

/**
 * Each row's weighted cross-entropy, `weights · (logsumexp(logits) − logits[target])`, [rows]: logits [rows, vocab]
 * float32, targets [rows] int32 (a target outside [0, vocab) picks 0), weights [rows] float32. One kernel call where
 * the backend registered CROSS_ENTROPY_KERNEL (about a dozen ops otherwise).
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Tensor1D {
  if (fusedApplies(CROSS_ENTROPY_KERNEL, logits, targets) && weights.dtype === 'float32') {
    return tf.engine().runKernel(CROSS_ENTROPY_KERNEL, {logits, targets, weights}, {}) as tf.Tensor1D;
  }
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(logits, oneHotFloat(targets, logits.shape[1])), 1); // [rows]
    return tf.mul(tf.sub(tf.logSumExp(logits, 1), picked), weights) as tf.Tensor1D;
  });
}

/**
 * The gradient of Σ weightedCrossEntropy · scale with respect to the logits: `(softmax(logits) − oneHot(target)) ·
 * (weights · scale)`, [rows, vocab]; scale a float32 scalar. One kernel call where the backend registered
 * CROSS_ENTROPY_GRAD_KERNEL.
 */
export function crossEntropyLogitsGrad(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, scale: tf.Scalar): tf.Tensor2D {
  if (fusedApplies(CROSS_ENTROPY_GRAD_KERNEL, logits, targets) && weights.dtype === 'float32' && scale.dtype === 'float32' && scale.rank === 0) {
    return tf.engine().runKernel(CROSS_ENTROPY_GRAD_KERNEL, {logits, targets, weights, scale}, {}) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const rowScale = tf.reshape(tf.mul(weights, scale), [-1, 1]); // [rows, 1]
    return tf.mul(tf.sub(tf.softmax(logits), oneHotFloat(targets, logits.shape[1])), rowScale) as tf.Tensor2D;
  });
}
