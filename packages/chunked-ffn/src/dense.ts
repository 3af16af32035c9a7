import * as tf from '@tensorflow/tfjs-core';

/**
 * x · kernel + bias, x [rows, in], kernel [in, out], bias [out] → [rows, out]: tfjs's fused matMul, which adds the
 * bias as it writes the product (one kernel call instead of two on the backends that fuse it; differentiable).
 */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({a: x, b: kernel as tf.Tensor2D, bias}) as tf.Tensor2D;
}
