/**
 * The default bucket count of the Reformer when none is configured: about 2 · length / chunkLength
 * (the paper's advice), rounded down to a power of two, and factorised into two factors when a
 * single hash would need too many rotation columns. This is the rule of Hugging Face's
 * `LSHSelfAttention._set_num_buckets` (and trax's), restated:
 *
 *   p     = bitLength(2 · floor(length / chunkLength)) − 1          2^p = largest power of two <= that
 *   limit = 2 · max(floor(sqrt(floor(maxPositionEmbeddings / chunkLength))), chunkLength)
 *   2^p <= limit ? 2^p : [2^floor(p/2), 2^(p − floor(p/2))]
 */
import {assertPositiveInteger, describe} from './validate.js';

/** Hugging Face's `ReformerConfig.max_position_embeddings` default. */
export const DEFAULT_MAX_POSITION_EMBEDDINGS = 4096;

export interface AutoNumBucketsOptions {
  /** Sequence length the model sees (after padding to a chunk multiple). */
  sequenceLength: number;
  /** LSH attention chunk length. */
  chunkLength: number;
  /** The model's maximum length; Hugging Face's default is 4096. */
  maxPositionEmbeddings?: number;
}

function bitLength(n: number): number {
  let bits = 0;
  while (n >= 1) {
    n = Math.floor(n / 2);
    bits++;
  }
  return bits;
}

/**
 * Hugging Face's automatic `num_buckets`. Pure. One deviation: when `sequenceLength < chunkLength`,
 * HF's formula gives 2^-1 (not a valid count); this returns 2, the smallest valid count.
 */
export function autoNumBuckets(opts: AutoNumBucketsOptions): number | [number, number] {
  if (typeof opts !== 'object' || opts === null) {
    throw new Error(`opts: expected {sequenceLength, chunkLength, maxPositionEmbeddings?}, got ${describe(opts)}`);
  }
  const {sequenceLength, chunkLength, maxPositionEmbeddings = DEFAULT_MAX_POSITION_EMBEDDINGS} = opts;
  assertPositiveInteger(sequenceLength, 'sequenceLength');
  assertPositiveInteger(chunkLength, 'chunkLength');
  assertPositiveInteger(maxPositionEmbeddings, 'maxPositionEmbeddings');

  const p = Math.max(1, bitLength(2 * Math.floor(sequenceLength / chunkLength)) - 1);
  const numBuckets = 2 ** p;
  const limit = 2 * Math.max(Math.floor(Math.sqrt(Math.floor(maxPositionEmbeddings / chunkLength))), chunkLength);
  if (numBuckets > limit) {
    // limit >= 2 · chunkLength >= 2, so p >= 2 here and both factors are even.
    const low = Math.floor(p / 2);
    return [2 ** low, 2 ** (p - low)];
  }
  return numBuckets;
}
