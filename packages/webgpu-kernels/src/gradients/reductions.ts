/**
 * Gradients of Sum and Mean that broadcast the incoming gradient on the device. tfjs's own multiply it by
 * `ones(x.shape)`, which tfjs-core builds as a JavaScript array and uploads: for a [65536, 256] input that is a
 * 64 MiB allocation and copy on every backward pass, measured as most of an LSH layer's backward on the H200.
 * Same values (dy repeated over the reduced axes, divided by their size for Mean), so they are safe for every
 * backend; registerWebGPUKernels installs them.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * dy [reduced shape] broadcast back to x's shape. Runs of consecutive axes that are all reduced or all kept are
 * merged first: the same broadcast at a lower rank, because tfjs's webgpu Tile reads its input back to the CPU above
 * rank 4 (impossible in Node). A pattern that stays above rank 4 keeps tfjs's own formula.
 */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const runs: Array<{size: number; reduced: boolean}> = [];
  x.shape.forEach((size, i) => {
    const reduced = axes.includes(i);
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else runs.push({size, reduced});
  });
  const kept = runs.map((r) => (r.reduced ? 1 : r.size)); // the runs, 1 where reduced
  if (runs.length > 4) return tf.mul(tf.reshape(dy, x.shape.map((size, i) => (axes.includes(i) ? 1 : size))), tf.ones(x.shape));
  const full = runs.map((r) => r.size); // the runs
  return tf.reshape(tf.broadcastTo(tf.reshape(dy, kept), full), x.shape); // x's shape
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
