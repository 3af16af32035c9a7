import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` with tfjs's gradient tape off and returns its tensor cut from the tape, as PyTorch's `.detach()`.
 *
 * Hashing is a function of the queries, but through ops that have no gradient (argmax, topk, comparisons);
 * if the buckets stayed connected to the queries on the tape, `tf.grads` would walk back through those ops and
 * fail ("gradient function not found"). tfjs has no stop-gradient op, but the forward function of `tf.customGrad`
 * runs with the tape off, and its one recorded node here hangs off a constant, not off the queries.
 */
export function detached<T extends tf.Tensor>(fn: () => T): T {
  return tf.tidy(() => {
    const anchor = tf.scalar(0);
    const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
      value: fn(),
      gradFunc: () => tf.zerosLike(args[0] as tf.Tensor),
    }));
    return run(anchor) as T;
  });
}
