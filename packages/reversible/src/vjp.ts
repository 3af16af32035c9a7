/**
 * Vector-Jacobian products that may run inside a `tf.customGrad` gradient function.
 *
 * tfjs keeps one tape per engine. When the outer `tf.grads` walks its tape and reaches a custom
 * gradient, the outer forward is over (the gradient depth is back to 0), so a nested
 * `engine.gradients` call starts a new tape in the same slot and, when it finishes, sets that slot to
 * `null`; the outer call then fails on `activeTape.forEach` (tfjs 4.22). Saving the slot and the
 * depth counters before the nested call and putting them back afterwards gives the nested call a
 * private tape and leaves the outer one as it was.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The result of {@link vjp}: `fn`'s output and one gradient per entry of `xs`. */
export interface VjpResult<T extends tf.Tensor> {
  /** What `fn` returned. It may be one of `xs` (when `fn` is the identity): do not dispose it blindly. */
  value: T;
  /**
   * `dy` pulled back through `fn` to each of `xs`, float32, in the shape of that entry; zeros where
   * `fn` does not depend on it. Every entry is a tensor of its own (never `dy`, never another entry).
   */
  grads: tf.Tensor[];
}

/**
 * Runs `fn` with a private gradient tape and returns its value and the gradients of
 * `sum(fn() * dy)` with respect to each of `xs`.
 *
 * Unlike `tf.grads`, it is safe inside a `tf.customGrad` gradient function: the outer backward
 * carries on afterwards. The gradients are not themselves recorded on any outer tape, so what is built
 * on `vjp` cannot be differentiated twice.
 */
export function vjp<T extends tf.Tensor>(fn: () => T, xs: tf.Tensor[], dy: T): VjpResult<T> {
  const engine = tf.engine();
  const {state} = engine;
  const outerTape = state.activeTape;
  const outerGradientDepth = state.gradientDepth;
  const outerKernelDepth = state.kernelDepth;
  // Depth 0 makes `gradients` start a fresh tape and clean it up itself; kernel depth 0 lets the
  // tape record even if we were called from inside a kernel (a customGrad forward).
  state.gradientDepth = 0;
  state.kernelDepth = 0;
  let result: {value: T; grads: tf.Tensor[]};
  try {
    result = engine.gradients(fn, xs, dy, true);
  } finally {
    state.activeTape = outerTape;
    state.gradientDepth = outerGradientDepth;
    state.kernelDepth = outerKernelDepth;
  }
  const seen = new Set<number>([dy.id]);
  const grads = xs.map((x, i) => {
    const grad = result.grads[i] as tf.Tensor | undefined;
    if (grad == null) {
      return tf.zeros(x.shape, 'float32');
    }
    // `gradients` hands back `dy` itself for an identity `fn`, and one tensor for repeated xs: copy
    // those (a cheap reference clone) so the caller can dispose each result independently.
    if (seen.has(grad.id)) {
      return tf.clone(grad);
    }
    seen.add(grad.id);
    return grad;
  });
  return {value: result.value, grads};
}
