import * as tf from '@tensorflow/tfjs-core';
import {assertTensor, checkChunkSize, describe, formatShape} from './validate.js';

/** A chunk [start, end) of positions along an axis. */
export interface ChunkRange {
  start: number;
  end: number;
}

/**
 * Cuts [0, length) into consecutive chunks of `chunkSize` (the last one shorter when chunkSize does
 * not divide length). chunkSize 0 (Hugging Face's "no chunking") or ≥ length gives one chunk.
 * length 0 gives no chunks.
 */
export function chunkRanges(length: number, chunkSize: number): ChunkRange[] {
  checkChunkSize(chunkSize);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new Error(`length: expected a non-negative integer, got ${describe(length)}`);
  }
  const step = chunkSize === 0 ? Math.max(length, 1) : chunkSize;
  const ranges: ChunkRange[] = [];
  for (let start = 0; start < length; start += step) {
    ranges.push({start, end: Math.min(start + step, length)});
  }
  return ranges;
}

/**
 * Splits x along `axis` into chunks of `chunkSize`, applies `fn` to each and concatenates the results
 * along the same axis: the generic form of Hugging Face's chunking of the feed-forward and LM head.
 * fn must treat positions along `axis` independently (a position-wise layer), or the result differs
 * from fn(x).
 *
 * Memory: each chunk runs in its own `tf.tidy`, so without a gradient tape (inference) only one
 * chunk's intermediates exist at a time, plus the outputs. It is differentiable by plain autodiff
 * through fn (slice and concat have gradients), but then the tape keeps every chunk's saved
 * intermediates, so training memory is the same as unchunked: for training use the custom-gradient
 * functions of this package (`chunkedFeedForward`, `chunkedLmLoss`), which recompute in the backward.
 *
 * @param fn position-wise function; its output keeps `axis` with the chunk's length.
 * @param chunkSize positions per chunk; 0 = no chunking (fn(x) directly).
 * @param axis axis to split, negative counts from the end; default 1 (the sequence axis of
 *   [batch, length, hidden]).
 */
export function applyChunked(fn: (chunk: tf.Tensor) => tf.Tensor, x: tf.Tensor, chunkSize: number, axis = 1): tf.Tensor {
  if (typeof fn !== 'function') {
    throw new Error(`fn: expected a function of one tensor, got ${describe(fn)}`);
  }
  assertTensor('x', x);
  checkChunkSize(chunkSize);
  if (!Number.isInteger(axis) || axis < -x.rank || axis >= x.rank) {
    throw new Error(`axis: expected an integer in [${-x.rank}, ${x.rank - 1}] for x of shape ${formatShape(x.shape)}, got ${describe(axis)}`);
  }
  const ax = axis < 0 ? axis + x.rank : axis;
  const length = x.shape[ax];
  const ranges = chunkRanges(length, chunkSize);
  if (ranges.length <= 1) {
    return tf.tidy(() => checkedOutput(fn(x), x, ax, length));
  }
  const parts = ranges.map(({start, end}) =>
    tf.tidy(() => {
      const begin = x.shape.map((_, i) => (i === ax ? start : 0));
      const size = x.shape.map((d, i) => (i === ax ? end - start : d));
      const chunk = tf.slice(x, begin, size); // x's shape with `axis` cut to [start, end)
      return checkedOutput(fn(chunk), chunk, ax, end - start);
    }),
  );
  const out = tf.concat(parts, ax); // chunks joined back along `axis`
  parts.forEach((p) => p.dispose());
  return out;
}

function checkedOutput(out: tf.Tensor, input: tf.Tensor, axis: number, length: number): tf.Tensor {
  assertTensor('fn(chunk)', out);
  if (out.rank <= axis || out.shape[axis] !== length) {
    throw new Error(
      `fn(chunk): expected an output with ${length} positions on axis ${axis} (as its input ${formatShape(input.shape)}), got shape ${formatShape(out.shape)}`,
    );
  }
  return out;
}
