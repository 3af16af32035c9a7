import * as tf from '@tensorflow/tfjs-core';
import {lookAdjacent, splitChunks} from './chunking.js';
import {gatherRows, int} from './gather-rows.js';

export interface DuplicateCountInput {
  /** Sequence position of the token in each sorted slot (`sortedIndices % length`), int32 [batch, heads, rounds * length]. */
  slotPositions: tf.Tensor3D;
  /** Sorted slot of each flat index `round * length + position`, int32 [batch, heads, rounds * length]. */
  undoSortedIndices: tf.Tensor3D;
  /** Buckets with round offsets, int32 [batch, heads, rounds, length]: given only when attention is restricted to the same bucket. */
  buckets?: tf.Tensor4D;
  rounds: number;
  length: number;
  chunkLength: number;
  numChunksBefore: number;
  numChunksAfter: number;
}

/**
 * Per-token rows [batch, heads, length, rounds] in sorted-slot order: row p of the result is the row of the
 * token in slot p. -> [batch, heads, slots, rounds]
 */
function rowsOfSlots(perToken: tf.Tensor, slotTokens: tf.Tensor3D): tf.Tensor {
  const [batch, heads, length, rounds] = perToken.shape;
  const slots = slotTokens.shape[2];
  const table = tf.reshape(perToken, [batch! * heads!, length!, rounds!]); // [batch*heads, length, rounds]
  const indices = tf.reshape(slotTokens, [batch! * heads!, slots]) as tf.Tensor2D; // [batch*heads, slots]
  return tf.reshape(gatherRows(table, indices), [batch!, heads!, slots, rounds!]); // [batch, heads, slots, rounds]
}

/**
 * The paper's correction for duplicate attention (appendix of Kitaev et al. 2020), counted as trax's
 * LSH attention counts it: for a query token i and a key token j in i's window, the number of rounds r in
 * which j's round-r chunk lies within i's round-r window (and, when attention is restricted to the same bucket,
 * j shares i's round-r bucket). Chunks are numbered over all rounds together with wrap-around, as the window is.
 *
 * Returns `log(max(count, 1))`, to subtract from the logits, [batch, heads, chunks, chunkLength, window].
 * The floor of 1 covers a key that a query sees only through the wrap from one round's chunks into the next
 * (trax's count is 0 there, which would add log(1e9) to the logit).
 */
export function duplicateLogitOffset(input: DuplicateCountInput): tf.Tensor {
  return tf.tidy(() => {
    const {slotPositions: slotTokens, undoSortedIndices, rounds, length, chunkLength} = input;
    const before = input.numChunksBefore;
    const after = input.numChunksAfter;
    const [batch, heads, slots] = slotTokens.shape;
    const totalChunks = slots / chunkLength;

    const chunkOfEntry = tf.floorDiv(undoSortedIndices, int(chunkLength)); // [batch, heads, rounds * length]
    const chunkOfToken = tf.transpose(tf.reshape(chunkOfEntry, [batch, heads, rounds, length]), [0, 1, 3, 2]); // [batch, heads, length, rounds]
    const slotRoundChunks = splitChunks(rowsOfSlots(chunkOfToken, slotTokens), chunkLength); // [batch, heads, chunks, chunkLength, rounds]
    const keyRoundChunks = lookAdjacent(slotRoundChunks, before, after); // [batch, heads, chunks, window, rounds]

    let slotRoundBuckets: tf.Tensor | null = null;
    let keyRoundBuckets: tf.Tensor | null = null;
    if (input.buckets) {
      const bucketOfToken = tf.transpose(input.buckets, [0, 1, 3, 2]); // [batch, heads, length, rounds]
      slotRoundBuckets = splitChunks(rowsOfSlots(bucketOfToken, slotTokens), chunkLength); // [batch, heads, chunks, chunkLength, rounds]
      keyRoundBuckets = lookAdjacent(slotRoundBuckets, before, after); // [batch, heads, chunks, window, rounds]
    }

    const roundSlice = (t: tf.Tensor, r: number) => {
      const [d0, d1, d2, d3] = t.shape;
      return tf.slice(t, [0, 0, 0, 0, r], [d0!, d1!, d2!, d3!, 1]); // [batch, heads, chunks, slotsPerChunk, 1]
    };
    const asQuery = (t: tf.Tensor, r: number) => roundSlice(t, r); // [batch, heads, chunks, chunkLength, 1]
    const asKey = (t: tf.Tensor, r: number) => tf.transpose(roundSlice(t, r), [0, 1, 2, 4, 3]); // [batch, heads, chunks, 1, window]

    let count: tf.Tensor = tf.zeros([batch, heads, totalChunks, chunkLength, keyRoundChunks.shape[3]!]);
    for (let r = 0; r < rounds; r++) {
      // Chunks from the key's back to the query's, modulo the number of chunks: 0..before is the query's own
      // chunk or one it looks back to; totalChunks-after..totalChunks-1 one it looks ahead to.
      const distance = tf.mod(
        tf.add(tf.sub(asQuery(slotRoundChunks, r), asKey(keyRoundChunks, r)), int(totalChunks)),
        int(totalChunks),
      ); // [batch, heads, chunks, chunkLength, window]
      let inWindow = tf.lessEqual(distance, int(before));
      if (after > 0) inWindow = tf.logicalOr(inWindow, tf.greaterEqual(distance, int(totalChunks - after)));
      if (slotRoundBuckets && keyRoundBuckets) {
        inWindow = tf.logicalAnd(inWindow, tf.equal(asQuery(slotRoundBuckets, r), asKey(keyRoundBuckets, r)));
      }
      count = tf.add(count, tf.cast(inWindow, 'float32'));
    }
    return tf.log(tf.maximum(count, 1));
  });
}
