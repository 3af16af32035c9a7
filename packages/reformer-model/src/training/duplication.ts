/**
 * The duplication task of the Reformer paper (section 2.1): sequences `0 w 0 w` where w is a word of
 * `wordLength` symbols drawn uniformly from 1..N. A causal language model can predict the second w only
 * by attending back to the first, so the task probes whether (LSH) attention finds the matching position.
 * The paper uses N = 127 and |w| = 511 (length 1024); those are the defaults.
 *
 * Layout of one sequence, with W = wordLength and L = 2W + 2:
 *
 *   position   0   1 .. W     W+1   W+2 .. 2W+1
 *   token      0   w₁ .. w_W  0     w₁ .. w_W
 *
 * Loss weights are aligned with the labels (the project's convention, as `chunkedLmLoss`'s
 * `positionWeights` with `shift: true`): lossWeights[b, j] = 1 exactly for j in [W+2, 2W+1], the tokens of
 * the second w, and 0 elsewhere. With the causal shift, the prediction made at position t (from tokens
 * 0..t) is scored against token t + 1 with weight lossWeights[b, t + 1]: the scored predictions are those
 * made at t = W+1 .. 2W, from the second 0 up to the last-but-one token. For logits already aligned with
 * their targets, use lossWeights[:, 1:].
 *
 * The symbols are drawn in JavaScript from a counter-based generator, so batch `index` of `seed` is the
 * same on every backend and in a resumed run, without replaying earlier batches. All arithmetic is on
 * unsigned 32-bit words (products modulo 2^32):
 *
 *   h(x)         = Wellons' "lowbias32": x ^= x >>> 16; x *= 0x7FEB352D; x ^= x >>> 15;
 *                  x *= 0x846CA68B; x ^= x >>> 16    (a bijection on 32-bit words)
 *   absorb(k, x) = h(h(k XOR x) + 0x9E3779B9)
 *   key          = absorb(absorb(absorb(absorb(absorb(0x4455504C, lo(seed)), hi(seed)), lo(index)), hi(index)), row)
 *   word(j)      = h(h(key + (j + 1) · 0x9E3779B9))       j = 0 .. W − 1
 *   w_{j+1}      = 1 + floor(word(j) · N / 2^32)
 *
 * where lo(n) = n mod 2^32 and hi(n) = floor(n / 2^32) mod 2^32 (two's complement for negative seeds) and
 * row is the sequence's index in the batch. A row depends only on (seed, index, row), and a prefix of w
 * does not depend on W. The symbol map's bias is below N / 2^32.
 */
import * as tf from '@tensorflow/tfjs-core';

import {checkInteger, checkObject, checkTensor, fail, formatShape, rejectUnknownKeys} from './validate.js';

export interface DuplicationOptions {
  /** Sequences per batch. */
  batch: number;
  /** |w|, the symbols per word; the sequence length is 2 · wordLength + 2. Default 511 (length 1024). */
  wordLength?: number;
  /**
   * N, the number of symbols: words use 1..N and 0 is the separator, so the model's vocabulary must hold
   * N + 1 tokens. Default 127.
   */
  vocabSize?: number;
  /** Any safe integer; selects the stream of batches. */
  seed: number;
  /** The batch number (≥ 0): batch `index` of `seed` is always the same sequences. */
  index: number;
}

export interface DuplicationBatch {
  /** [batch, 2 · wordLength + 2] int32: `0 w 0 w` per row. */
  inputIds: tf.Tensor2D;
  /** [batch, 2 · wordLength + 2] float32: 1 on the second w's tokens (the labels to score), else 0. */
  lossWeights: tf.Tensor2D;
}

const OPTION_NAMES = ['batch', 'wordLength', 'vocabSize', 'seed', 'index'] as const;
const TWO_POW_32 = 4294967296;
const GOLDEN = 0x9e3779b9;
const DOMAIN = 0x4455504c; // "DUPL": keeps these streams apart from other users of the same hash

function h(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function absorb(key: number, x: number): number {
  return h((h((key ^ x) >>> 0) + GOLDEN) >>> 0);
}

const lo32 = (n: number): number => n >>> 0;
const hi32 = (n: number): number => Math.floor(n / TWO_POW_32) >>> 0;

interface ResolvedOptions {
  batch: number;
  wordLength: number;
  vocabSize: number;
  seed: number;
  index: number;
}

function resolveOptions(options: unknown): ResolvedOptions {
  const opts = checkObject('options', options);
  rejectUnknownKeys('options', opts, OPTION_NAMES);
  const batch = checkInteger('options.batch', opts['batch'], undefined, 1);
  const wordLength = checkInteger('options.wordLength', opts['wordLength'], 511, 1);
  // N · 2^32 must stay exact in float64, and N + 1 tokens must fit int32.
  const vocabSize = checkInteger('options.vocabSize', opts['vocabSize'], 127, 1, 2 ** 21);
  const seed = opts['seed'];
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) fail('options.seed', 'a safe integer', seed);
  const index = checkInteger('options.index', opts['index'], undefined, 0);
  if (batch * (2 * wordLength + 2) > 2 ** 31 - 1) {
    fail('options.batch × (2 · options.wordLength + 2)', 'at most 2^31 − 1 tokens', batch * (2 * wordLength + 2));
  }
  return {batch, wordLength, vocabSize, seed, index};
}

/**
 * The token ids of batch `index` as a row-major [batch, 2 · wordLength + 2] Int32Array, without tensors:
 * the numbers `duplicationBatch` puts in `inputIds`.
 */
export function duplicationTokens(options: DuplicationOptions): Int32Array {
  const {batch, wordLength, vocabSize, seed, index} = resolveOptions(options);
  const length = 2 * wordLength + 2;
  const out = new Int32Array(batch * length);
  const streamKey = absorb(absorb(absorb(absorb(DOMAIN, lo32(seed)), hi32(seed)), lo32(index)), hi32(index));
  for (let row = 0; row < batch; row++) {
    const key = absorb(streamKey, row);
    const base = row * length;
    // out[base] and out[base + wordLength + 1] stay 0: the separators.
    for (let j = 0; j < wordLength; j++) {
      const word = h(h((key + Math.imul(j + 1, GOLDEN)) >>> 0));
      const symbol = 1 + Math.floor((word * vocabSize) / TWO_POW_32);
      out[base + 1 + j] = symbol;
      out[base + wordLength + 2 + j] = symbol;
    }
  }
  return out;
}

/**
 * Batch `index` of the duplication task for `seed`: `inputIds` `0 w 0 w` and `lossWeights` marking the
 * second w (see the module comment for exact positions). Train with
 * `chunkedLmLoss(hidden, head, inputIds, {shift: true, positionWeights: lossWeights})`.
 */
export function duplicationBatch(options: DuplicationOptions): DuplicationBatch {
  const {batch, wordLength} = resolveOptions(options);
  const length = 2 * wordLength + 2;
  const ids = duplicationTokens(options);
  const weights = new Float32Array(batch * length);
  for (let row = 0; row < batch; row++) weights.fill(1, row * length + wordLength + 2, (row + 1) * length);
  return {
    inputIds: tf.tensor2d(ids, [batch, length], 'int32'),
    lossWeights: tf.tensor2d(weights, [batch, length], 'float32'),
  };
}

/** Checks predictions against the batch and returns [batch, length]. */
function checkAccuracyInputs(predictions: unknown, batch: unknown): {inputIds: tf.Tensor2D; lossWeights: tf.Tensor2D; shape: [number, number]} {
  const b = checkObject('batch', batch);
  const inputIds = checkTensor('batch.inputIds', b['inputIds'], 'an int32 tensor [batch, length]') as tf.Tensor2D;
  const lossWeights = checkTensor('batch.lossWeights', b['lossWeights'], 'a float32 tensor [batch, length]') as tf.Tensor2D;
  if (inputIds.rank !== 2 || inputIds.shape[1] < 2) fail('batch.inputIds', 'a tensor [batch, length] with length >= 2', inputIds);
  if (!tf.util.arraysEqual(lossWeights.shape, inputIds.shape)) {
    fail('batch.lossWeights', `a tensor of shape ${formatShape(inputIds.shape)} (inputIds' shape)`, lossWeights);
  }
  const p = checkTensor('predictions', predictions, `a tensor of shape ${formatShape(inputIds.shape)}`);
  if (!tf.util.arraysEqual(p.shape, inputIds.shape) || (p.dtype !== 'int32' && p.dtype !== 'float32')) {
    fail('predictions', `an int32 (or float32) tensor of shape ${formatShape(inputIds.shape)} (the batch's shape): the argmax at each position`, p);
  }
  return {inputIds, lossWeights, shape: [inputIds.shape[0], inputIds.shape[1]]};
}

/**
 * Per-position hits of a causal LM on the scored tokens: [batch, length − 1] float32, hit[b, t] = 1 when
 * predictions[b, t] equals inputIds[b, t + 1], and the weights lossWeights[b, t + 1].
 */
function shiftedHits(predictions: tf.Tensor, inputIds: tf.Tensor2D, lossWeights: tf.Tensor2D, [batch, length]: [number, number]) {
  const predicted = tf.cast(tf.slice(predictions, [0, 0], [batch, length - 1]), 'int32'); // [batch, length-1]
  const targets = tf.slice(inputIds, [0, 1], [batch, length - 1]); // [batch, length-1]
  const weights = tf.slice(lossWeights, [0, 1], [batch, length - 1]); // [batch, length-1]
  const hits = tf.cast(tf.equal(predicted, targets), 'float32'); // [batch, length-1]
  return {hits, weights};
}

/**
 * Token accuracy on the copied half: the weighted fraction of scored tokens predicted right, where
 * `predictions` [batch, length] holds the model's argmax at each position (the prediction of the next
 * token, e.g. `chunkedArgmax`): predictions[b, t] is compared with inputIds[b, t + 1] for the t whose
 * target is in the second w. Returns a float32 scalar (read it with `await acc.data()`); 0 when nothing is
 * scored.
 */
export function duplicationAccuracy(predictions: tf.Tensor, batch: DuplicationBatch): tf.Scalar {
  const {inputIds, lossWeights, shape} = checkAccuracyInputs(predictions, batch);
  return tf.tidy(() => {
    const {hits, weights} = shiftedHits(predictions, inputIds, lossWeights, shape);
    const total = tf.sum(weights);
    return tf.div(tf.sum(tf.mul(hits, weights)), tf.maximum(total, 1e-30)) as tf.Scalar;
  });
}

/**
 * The fraction of sequences whose whole second w is predicted right (every scored token). Same inputs as
 * `duplicationAccuracy`; a float32 scalar.
 */
export function duplicationSequenceAccuracy(predictions: tf.Tensor, batch: DuplicationBatch): tf.Scalar {
  const {inputIds, lossWeights, shape} = checkAccuracyInputs(predictions, batch);
  return tf.tidy(() => {
    const {hits, weights} = shiftedHits(predictions, inputIds, lossWeights, shape);
    const misses = tf.sum(tf.mul(tf.sub(1, hits), weights), 1); // [batch]
    return tf.mean(tf.cast(tf.equal(misses, 0), 'float32')) as tf.Scalar;
  });
}
