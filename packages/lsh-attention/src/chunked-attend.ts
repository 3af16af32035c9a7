import * as tf from '@tensorflow/tfjs-core';
import {lookAdjacent, splitChunks} from './chunking.js';
import {applyMasks} from './masks.js';

/** Attention-probability dropout, drawn from a seed so a recompute drops the same entries. */
export interface DropoutSpec {
  rate: number;
  seed: number;
}

export interface ChunkedAttendInput {
  /** [batch, heads, n, headSize], n a multiple of chunkLength. */
  query: tf.Tensor4D;
  /** [batch, heads, n, headSize], already scaled. */
  key: tf.Tensor4D;
  /** [batch, heads, n, headSize]. */
  value: tf.Tensor4D;
  chunkLength: number;
  numChunksBefore: number;
  numChunksAfter: number;
  /** Sequence position of each slot, int32 [batch or 1, heads or 1, n]. */
  positions: tf.Tensor3D;
  /** Whether each slot holds a real token, [batch or 1, heads or 1, n]; omitted: all real. */
  valid?: tf.Tensor3D;
  /** Bucket of each slot, int32 [batch, heads, n]: when given, keys in another bucket are masked. */
  buckets?: tf.Tensor3D;
  causal: boolean;
  selfMask: boolean;
  /** Subtracted from the logits before masking, [batch, heads, chunks, chunkLength, window * chunkLength]. */
  logitOffset?: tf.Tensor;
  dropout?: DropoutSpec;
}

export type AttendOutput = {
  /** [batch, heads, n, headSize] */
  output: tf.Tensor4D;
  /** The softmax normaliser of each query, [batch, heads, n]: what combines hash rounds. */
  logsumexp: tf.Tensor3D;
};

/**
 * The row maxima of the logits, [..., 1], as the softmax's shift, with a zero gradient. The probabilities and the
 * log-normaliser do not depend on the shift, so their exact gradient through it is zero; tfjs's own gradient of
 * max computes it anyway with a broadcasting Equal of the whole logits against the maxima, which the wasm backend
 * runs element by element in JavaScript (measured: 70 ms for [8, 2, 16, 32, 64]).
 */
const shiftOf = (dots: tf.Tensor): tf.Tensor => {
  const shape = dots.shape;
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.max(x as tf.Tensor, -1, true),
    gradFunc: () => tf.zeros(shape),
  }));
  return op(dots);
};

/**
 * Dot-product attention of each chunk of queries with its own and neighbouring chunks of keys and values.
 * Memory is [n, window * chunkLength] per head, never [n, n].
 */
export function chunkedAttend(input: ChunkedAttendInput): AttendOutput {
  return tf.tidy(() => {
    const {query, key, value, chunkLength, numChunksBefore: before, numChunksAfter: after} = input;
    const [batch, heads, n, headSize] = query.shape;
    const chunks = n / chunkLength;
    const windowLength = (before + 1 + after) * chunkLength;
    const groups = batch * heads * chunks;

    const q = tf.reshape(query, [groups, chunkLength, headSize]); // [batch*heads*chunks, chunkLength, headSize]
    const k = tf.reshape(
      lookAdjacent(splitChunks(key, chunkLength), before, after), // [batch, heads, chunks, window, headSize]
      [groups, windowLength, headSize],
    ); // [batch*heads*chunks, window, headSize]
    const v = tf.reshape(
      lookAdjacent(splitChunks(value, chunkLength), before, after), // [batch, heads, chunks, window, headSize]
      [groups, windowLength, headSize],
    ); // [batch*heads*chunks, window, headSize]

    let dots: tf.Tensor = tf.reshape(
      tf.matMul(q, k, false, true), // [batch*heads*chunks, chunkLength, window]
      [batch, heads, chunks, chunkLength, windowLength],
    ); // [batch, heads, chunks, chunkLength, window]
    if (input.logitOffset) dots = tf.sub(dots, input.logitOffset);

    const slotChunks = (t: tf.Tensor) => splitChunks(t, chunkLength); // [b|1, h|1, chunks, chunkLength]
    const asQueries = (t: tf.Tensor) => tf.expandDims(slotChunks(t), 4); // [b|1, h|1, chunks, chunkLength, 1]
    const asKeys = (t: tf.Tensor) => tf.expandDims(lookAdjacent(slotChunks(t), before, after), 3); // [b|1, h|1, chunks, 1, window]
    dots = applyMasks(dots, {
      queryPositions: asQueries(input.positions),
      keyPositions: asKeys(input.positions),
      causal: input.causal,
      keyValid: input.valid ? asKeys(input.valid) : undefined,
      queryBuckets: input.buckets ? asQueries(input.buckets) : undefined,
      keyBuckets: input.buckets ? asKeys(input.buckets) : undefined,
      selfMask: input.selfMask,
    });

    // Normalised by the sum rather than as exp(dots - lse): the same function, but with masked logits of
    // -1e5 or -1e9 an lse is only known to float32's spacing there (about 0.008 at -1e5), and exp(dots - lse)
    // would then sum to 1 ± 0.4 %. Computed this way the probabilities sum to 1 to rounding.
    const rowMax = shiftOf(dots); // [batch, heads, chunks, chunkLength, 1]
    const unnormalised = tf.exp(tf.sub(dots, rowMax)); // [batch, heads, chunks, chunkLength, window]
    const rowSum = tf.sum(unnormalised, -1, true); // [batch, heads, chunks, chunkLength, 1]
    const logsumexp = tf.add(rowMax, tf.log(rowSum)); // [batch, heads, chunks, chunkLength, 1]
    let probs = tf.div(unnormalised, rowSum); // [batch, heads, chunks, chunkLength, window]
    if (input.dropout && input.dropout.rate > 0) {
      probs = tf.dropout(probs, input.dropout.rate, undefined, input.dropout.seed);
    }
    const out = tf.matMul(tf.reshape(probs, [groups, chunkLength, windowLength]), v); // [batch*heads*chunks, chunkLength, headSize]
    return {
      output: tf.reshape(out, [batch, heads, n, headSize]) as tf.Tensor4D, // [batch, heads, n, headSize]
      logsumexp: tf.reshape(logsumexp, [batch, heads, n]) as tf.Tensor3D, // [batch, heads, n]
    };
  });
}
