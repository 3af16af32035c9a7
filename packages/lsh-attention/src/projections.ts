import * as tf from '@tensorflow/tfjs-core';

/**
 * A bias-free linear layer applied to every token, as one 2-D matmul (a matMul whose batch dimensions
 * broadcast has a broken gradient in tfjs 4.22). weight is in tfjs orientation [in, out].
 *
 * x [batch, length, in] -> [batch, length, out]
 */
export function linear(x: tf.Tensor3D, weight: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, length, width] = x.shape;
    const rows = tf.reshape(x, [batch * length, width]); // [batch*length, in]
    return tf.reshape(tf.matMul(rows, weight), [batch, length, weight.shape[1]]) as tf.Tensor3D; // [batch, length, out]
  });
}

/** Projects and splits into heads: x [batch, length, hiddenSize] -> [batch, heads, length, headSize]. */
export function projectHeads(x: tf.Tensor3D, weight: tf.Tensor2D, heads: number, headSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, length] = x.shape;
    const perHead = tf.reshape(linear(x, weight), [batch, length, heads, headSize]); // [batch, length, heads, headSize]
    return tf.transpose(perHead, [0, 2, 1, 3]) as tf.Tensor4D; // [batch, heads, length, headSize]
  });
}

/** Merges heads and projects back: x [batch, heads, length, headSize] -> [batch, length, hiddenSize]. */
export function mergeHeads(x: tf.Tensor4D, weight: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, heads, length, headSize] = x.shape;
    const merged = tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, length, heads * headSize]); // [batch, length, heads*headSize]
    return linear(merged as tf.Tensor3D, weight); // [batch, length, hiddenSize]
  });
}
