// Scoring a causal LM's logits against labels: cross-entropy, correct argmaxes and the number of scored tokens,
// summed over a batch, from which accuracy and bits per character follow.

import * as tf from '@tensorflow/tfjs';

export const IGNORE_LABEL = -100;

export interface Score {
  /** Σ −log p(label) over the scored tokens, in nats. */
  nats: number;
  /** Scored tokens whose argmax is the label (ties go to the lower id). */
  hits: number;
  /** Scored tokens. */
  count: number;
}

export const emptyScore = (): Score => ({nats: 0, hits: 0, count: 0});

export function addScores(a: Score, b: Score): Score {
  return {nats: a.nats + b.nats, hits: a.hits + b.hits, count: a.count + b.count};
}

/** Bits per character (or per token): the mean cross-entropy in nats divided by ln 2. */
export function bitsPerCharacter(nats: number, count: number): number {
  return count === 0 ? NaN : nats / count / Math.LN2;
}

/**
 * Scores logits [batch, length, vocab] against labels [batch, length] as a causal LM is trained: the logits at
 * t predict labels[t + 1]; labels equal to -100 are not scored. Reads three numbers back (asynchronously, so it
 * works on every backend).
 */
export async function scoreLogits(logits: tf.Tensor3D, labels: tf.Tensor2D): Promise<Score> {
  const [batch, length, vocab] = logits.shape;
  if (length < 2) return emptyScore();
  const sums = tf.tidy(() => {
    const predictions = tf.slice(logits, [0, 0, 0], [batch, length - 1, vocab]); // [batch, length-1, vocab]
    const targets = tf.slice(labels, [0, 1], [batch, length - 1]); // [batch, length-1]
    const scored = tf.notEqual(targets, tf.scalar(IGNORE_LABEL, 'int32')); // [batch, length-1]
    const weights = tf.cast(scored, 'float32');
    const safeTargets = tf.where(scored, targets, tf.zerosLike(targets)) as tf.Tensor2D; // [batch, length-1]
    // One-hot built as int32 and cast: the wasm backend's OneHot ignores a float32 dtype.
    const oneHot = tf.cast(tf.oneHot(tf.reshape(safeTargets, [-1]) as tf.Tensor1D, vocab), 'float32'); // [batch*(length-1), vocab]
    const logProbs = tf.reshape(tf.logSoftmax(predictions), [-1, vocab]); // [batch*(length-1), vocab]
    const picked = tf.reshape(tf.sum(tf.mul(logProbs, oneHot), 1), [batch, length - 1]); // [batch, length-1]
    const argmax = tf.argMax(predictions, 2); // [batch, length-1]
    const hits = tf.cast(tf.equal(argmax, safeTargets), 'float32'); // [batch, length-1]
    return tf.stack([tf.neg(tf.sum(tf.mul(picked, weights))), tf.sum(tf.mul(hits, weights)), tf.sum(weights)]); // [3]
  });
  const [nats, hits, count] = Array.from(await sums.data());
  sums.dispose();
  return {nats: nats!, hits: hits!, count: count!};
}
