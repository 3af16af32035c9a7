/**
 * Gradients of Sum and Mean that broadcast the incoming gradient on the device. tfjs's own multiply it by
 * `ones(x.shape)`, which tfjs-core builds as a JavaScript array and uploads: for a [65536, 256] input that is a
 * 64 MiB allocation and copy on every backward pass, measured as most of an LSH layer's backward on the H200.
 * Same values (dy repeated over the reduced axes, divided by their size for Mean), so they are safe for every
 * backend; registerWebGPUKernels installs them.
 */
import * as tf from '@tensorflow/tfjs-core';

/** dy [reduced shape] broadcast back to x's shape. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const kept = x.shape.map((size, i) => (axes.includes(i) ? 1 : size)); // x's shape, 1 on reduced axes
  return tf.broadcastTo(tf.reshape(dy, kept), x.shape); // x's shape
}

const sumGradient: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    return {x: () => broadcastBack(dy as tf.Tensor, x, attrs.axis as number | number[])};
  },
};

const meanGradient: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const reduced = axes.reduce((size, a) => size * x.shape[a]!, 1);
    return {x: () => tf.div(broadcastBack(dy as tf.Tensor, x, axes), reduced)};
  },
};

/** Replace tfjs's registrations (registerGradient overwrites). */
export const reductionGradients: tf.GradConfig[] = [sumGradient, meanGradient];
