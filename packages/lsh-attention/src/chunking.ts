import * as tf from '@tensorflow/tfjs-core';

/** The smallest multiple of `chunkLength` that holds `length` tokens. */
export function paddedLength(length: number, chunkLength: number): number {
  return Math.ceil(length / chunkLength) * chunkLength;
}

/**
 * Pads axis `axis` of `x` with zeros (or `value`) up to `length`. Differentiable: the gradient of a pad
 * is a slice.
 */
export function padAxis<T extends tf.Tensor>(x: T, axis: number, length: number, value = 0): T {
  const extra = length - x.shape[axis];
  if (extra === 0) return x;
  const paddings = x.shape.map((_, i): [number, number] => (i === axis ? [0, extra] : [0, 0]));
  return tf.pad(x, paddings, value); // x's shape with axis `axis` = length
}

/**
 * Which of `padded` positions hold real tokens, int32 [batch, padded]: the mask (1 = token), then 0 for the padding
 * up to `padded`; undefined when every position is a token (no mask and no padding).
 */
export function validTokens(mask: tf.Tensor2D | undefined, batch: number, length: number, padded: number): tf.Tensor2D | undefined {
  if (!mask && padded === length) return undefined;
  return padAxis(mask ?? tf.ones([batch, length], 'int32'), 1, padded) as tf.Tensor2D; // [batch, padded]
}

/** Cuts axis `axis` of `x` back to its first `length` entries. */
export function cutAxis<T extends tf.Tensor>(x: T, axis: number, length: number): T {
  if (x.shape[axis] === length) return x;
  const size = x.shape.map((s, i) => (i === axis ? length : s));
  return tf.slice(x, x.shape.map(() => 0), size); // x's shape with axis `axis` = length
}

/**
 * Splits axis 2 (the sequence) into chunks: [d0, d1, n, ...rest] -> [d0, d1, n / chunkLength, chunkLength, ...rest].
 */
export function splitChunks<T extends tf.Tensor>(x: T, chunkLength: number): tf.Tensor {
  const [d0, d1, n, ...rest] = x.shape;
  return tf.reshape(x, [d0!, d1!, n! / chunkLength, chunkLength, ...rest]); // [d0, d1, chunks, chunkLength, ...rest]
}

/** Inverse of `splitChunks`: [d0, d1, chunks, chunkLength, ...rest] -> [d0, d1, chunks * chunkLength, ...rest]. */
export function mergeChunks(x: tf.Tensor): tf.Tensor {
  const [d0, d1, chunks, chunkLength, ...rest] = x.shape;
  return tf.reshape(x, [d0!, d1!, chunks! * chunkLength!, ...rest]); // [d0, d1, n, ...rest]
}

/**
 * Axis 1 of a rank-3 tensor rotated left by `shift` with Python slice semantics, as HF and trax write it
 * (`cat([x[:, shift:], x[:, :shift]])`): a shift whose magnitude reaches the number of chunks leaves `x` as it
 * is, as the Python slices do.
 */
function rollChunks(x: tf.Tensor3D, shift: number): tf.Tensor3D {
  const [groups, chunks, block] = x.shape;
  const start = Math.min(Math.max(shift >= 0 ? shift : chunks + shift, 0), chunks);
  if (start === 0 || start === chunks) return x;
  const tail = tf.slice(x, [0, start, 0], [groups, chunks - start, block]); // [groups, chunks - start, block]: chunks start..chunks-1
  const head = tf.slice(x, [0, 0, 0], [groups, start, block]); // [groups, start, block]
  return tf.concat([tail, head], 1); // [groups, chunks, block], chunk c now holds chunk c + shift
}

/**
 * Each chunk together with `before` chunks before it and `after` chunks after it, with wrap-around (the first
 * chunk's previous chunk is the last one), in the order HF and trax use: the chunk `before` back first.
 * Built from slice and concat only, so its gradient works on every backend.
 *
 * The work is done on a rank-3 view [d0 * d1, chunks, chunkLength * rest]: the wasm backend slices (and splits,
 * in concat's gradient) tensors of rank 5 or more element by element in JavaScript, about a hundred times
 * slower than its rank <= 4 paths, and the windows are contiguous blocks in that view anyway.
 *
 * [d0, d1, chunks, chunkLength, ...rest] -> [d0, d1, chunks, (before + 1 + after) * chunkLength, ...rest]
 */
export function lookAdjacent(x: tf.Tensor, before: number, after: number): tf.Tensor {
  if (before === 0 && after === 0) return x;
  const [d0, d1, chunks, chunkLength, ...rest] = x.shape;
  const block = chunkLength! * rest.reduce((p, n) => p * n, 1);
  const flat = tf.reshape(x, [d0! * d1!, chunks!, block]) as tf.Tensor3D; // [d0*d1, chunks, chunkLength*rest]
  const windows: tf.Tensor3D[] = [];
  for (let i = -before; i <= after; i++) windows.push(i === 0 ? flat : rollChunks(flat, i));
  const joined = tf.concat(windows, 2); // [d0*d1, chunks, window*chunkLength*rest]
  const window = before + 1 + after;
  return tf.reshape(joined, [d0!, d1!, chunks!, window * chunkLength!, ...rest]); // [d0, d1, chunks, window * chunkLength, ...rest]
}
