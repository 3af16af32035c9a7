import * as tf from '@tensorflow/tfjs-core';
import {checkRate, checkSeed} from './validate.js';

/**
 * Dropout masks as a pure function of (seed, stream, position, feature), drawn in JavaScript.
 *
 * Why not `tf.dropout(x, rate, undefined, seed)`: that draws one sequential stream per call, so the
 * mask of a position would depend on how the sequence was cut into chunks. Here every element has
 * its own counter-based draw, so
 * - the forward and the recompute in the backward see the same mask (same seed, same positions),
 * - the result does not depend on the chunk size: chunked == unchunked, with dropout on,
 * - the numbers are the same on every backend.
 *
 * Element (b, t, f) of a [batch, length, width] activation keeps its value, scaled by 1 / (1 − rate),
 * when u ≥ rate, where u ∈ [0, 1) is the top 24 bits of hash(seed, stream, b·length + t, f)
 * (2⁻²⁴ resolution); otherwise it becomes 0. As in PyTorch, `rate` is the probability of dropping.
 */

export interface DropoutMaskSpec {
  /** Non-negative safe integer; one per layer and step (callers derive it, e.g. from a step counter). */
  seed: number;
  /** Separates the dropout sites that share a seed (see FEED_FORWARD_DROPOUT_STREAMS). */
  stream: number;
  /** Probability of dropping an element, in [0, 1). */
  rate: number;
  batch: number;
  /** Length of the whole sequence (positions are global, not per chunk). */
  length: number;
  /** First position of the chunk (inclusive). */
  start: number;
  /** End of the chunk (exclusive). */
  end: number;
  /** Size of the last axis. */
  width: number;
}

/**
 * The mask for positions [start, end) of every batch entry, as rows in (batch, position) order:
 * [batch · (end − start), width], values 0 or 1 / (1 − rate), float32.
 */
export function dropoutMask(spec: DropoutMaskSpec): tf.Tensor2D {
  const {stream, batch, length, start, end, width} = spec;
  const rate = checkRate(spec.rate, 'rate');
  const seed = checkSeed(spec.seed, true, 'for a dropout mask');
  for (const [name, v] of [['stream', stream], ['batch', batch], ['length', length], ['start', start], ['end', end], ['width', width]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new Error(`${name}: expected a non-negative integer, got ${String(v)}`);
    }
  }
  if (!(start <= end && end <= length)) {
    throw new Error(`start, end: expected 0 <= start <= end <= length = ${length}, got start ${start}, end ${end}`);
  }
  const rows = end - start;
  const values = new Float32Array(batch * rows * width);
  const scale = 1 / (1 - rate);
  // u ≥ rate  ⇔  (h >>> 8) ≥ ceil(rate · 2²⁴)
  const threshold = Math.ceil(rate * 16777216);
  const key = streamKey(seed, stream);
  let i = 0;
  for (let b = 0; b < batch; b++) {
    for (let t = start; t < end; t++) {
      const rk = rowKey(key, b * length + t);
      for (let f = 0; f < width; f++, i++) {
        values[i] = elementBits(rk, f) >>> 8 >= threshold ? scale : 0;
      }
    }
  }
  return tf.tensor2d(values, [batch * rows, width]); // [batch * chunkLen, width]
}

/** The uniform number u ∈ [0, 1) behind element (row = b·length + t, col = f); exported for tests. */
export function dropoutUniform(seed: number, stream: number, row: number, col: number): number {
  return (elementBits(rowKey(streamKey(seed, stream), row), col) >>> 8) / 16777216;
}

// A 32-bit integer finaliser with low bias (Chris Wellons' "lowbias32" constants).
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const GOLDEN = 0x9e3779b9;

function streamKey(seed: number, stream: number): number {
  const low = seed % 4294967296;
  const high = Math.floor(seed / 4294967296);
  let k = mix32(low ^ 0x5bd1e995);
  k = mix32(k ^ mix32(high + GOLDEN));
  return mix32(k + Math.imul(stream + 1, GOLDEN));
}

function rowKey(key: number, row: number): number {
  // row < 2⁵³; fold the high part so rows beyond 2³² do not repeat.
  const low = row % 4294967296;
  const high = Math.floor(row / 4294967296);
  return mix32(mix32(key ^ low) + Math.imul(high + 1, GOLDEN));
}

function elementBits(rk: number, col: number): number {
  return mix32(rk + Math.imul(col + 1, GOLDEN));
}
