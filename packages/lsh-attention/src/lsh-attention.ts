import * as tf from '@tensorflow/tfjs-core';
import {
  autoNumBuckets,
  gatherSorted,
  hashVectors,
  rotationSize,
  sortByBuckets,
  unsortByBuckets,
  type NumBuckets,
} from '@reformerjs/lsh-hash';
import {chunkedAttend} from './chunked-attend.js';
import {cutAxis, padAxis, paddedLength, validTokens} from './chunking.js';
import {detached} from './detached.js';
import {combineRounds} from './combine-rounds.js';
import {duplicateLogitOffset} from './duplicates.js';
import {canFuseChunkedAttention, fusedChunkedAttention} from './fused.js';
import {checkProjected, fullAttend} from './full-attention.js';
import {gatherRows, int} from './gather-rows.js';
import {sharedQKKeys} from './key-scaling.js';
import {checkCallKeys, LSH_CALL_KEYS, normaliseMask, resolveDropout, type LSHAttentionCall} from './options/call.js';
import {resolveLSHOptions, type LSHAttentionCoreOptions, type ResolvedLSHOptions} from './options/options.js';
import {checkBoolean, checkSeed, checkShape, fail} from './options/validate.js';

export type LSHAttentionResult<T extends tf.Tensor> = {
  output: T;
  /**
   * int32 [batch, numHeads, numHashes, length], round offsets included: the buckets this call attended with,
   * present when `returnBuckets` was set and the sequence was hashed (longer than one chunk) or buckets were
   * given. The caller disposes them.
   */
  buckets?: tf.Tensor4D;
};

/** The bucket count a call uses: the configured one, or HF's automatic choice for the padded length. */
export function resolveNumBuckets(o: ResolvedLSHOptions, paddedSequenceLength: number): NumBuckets {
  return (
    o.numBuckets ??
    autoNumBuckets({
      sequenceLength: paddedSequenceLength,
      chunkLength: o.chunkLength,
      maxPositionEmbeddings: o.maxPositionEmbeddings,
    })
  );
}

/**
 * Extends buckets [batch, heads, rounds, length] to the padded length. Each padding position gets the largest
 * bucket of its round (per batch entry and head), so it sorts after every real token of the round (ties go to
 * the lower position) and the sorted order of real tokens is the one their own buckets give; hashing the padding
 * itself, and given buckets, thus lead to the same attention. -> [batch, heads, rounds, padded]
 */
function padBuckets(buckets: tf.Tensor4D, padded: number): tf.Tensor4D {
  const [batch, heads, rounds, length] = buckets.shape;
  if (padded === length) return buckets;
  const roundMax = tf.max(buckets, 3, true); // [batch, heads, rounds, 1]
  const fill = tf.tile(roundMax, [1, 1, 1, padded - length]); // [batch, heads, rounds, padded - length]
  return tf.concat([buckets, fill], 3) as tf.Tensor4D; // [batch, heads, rounds, padded]
}

/**
 * LSH attention over already projected heads (the Reformer's shared-QK attention, with Hugging Face's numerics):
 *
 * 1. hash `queryKey` into `numHashes` rounds of buckets (or take the given `buckets`);
 * 2. sort each round's positions by bucket, and split the sorted order of all rounds into chunks of
 *    `chunkLength`; each chunk attends to itself and `numChunksBefore` / `numChunksAfter` neighbours, with the
 *    wrap-around HF and trax have (the first chunk of a round sees the last chunk of the previous one);
 * 3. keys are the queries times `rsqrt(mean(q²) + 1e-6) / sqrt(headSize)`; causal, padding (and optionally
 *    other-bucket) pairs get -1e9, then a token's own position gets -1e5, so a token with no other target
 *    attends to itself;
 * 4. the rounds are combined with weights `exp(lse_r - logsumexp_r(lse))`.
 *
 * A sequence no longer than `chunkLength` gets full shared-QK attention, as in HF. Any other length is padded to
 * a multiple of `chunkLength` (padding masked out as keys, sorted to the end of each round) and the output cut
 * back. Memory is O(numHashes · length · window) per head, never [length, length].
 *
 * queryKey, value [batch, heads, length, headSize] -> output [batch, heads, length, headSize]
 */
export function lshAttentionCore(
  queryKey: tf.Tensor4D,
  value: tf.Tensor4D,
  options: LSHAttentionCoreOptions = {},
  call: LSHAttentionCall = {},
): LSHAttentionResult<tf.Tensor4D> {
  const o = resolveLSHOptions(options);
  return lshAttend(queryKey, value, o, call);
}

/** lshAttentionCore with resolved options (what the layers call). */
export function lshAttend(
  queryKey: tf.Tensor4D,
  value: tf.Tensor4D,
  o: ResolvedLSHOptions,
  call: LSHAttentionCall,
): LSHAttentionResult<tf.Tensor4D> {
  checkCallKeys(call, LSH_CALL_KEYS);
  checkProjected('queryKey', queryKey);
  checkProjected('value', value, queryKey);
  const [batch, heads, length, headSize] = queryKey.shape;
  const dropout = resolveDropout(o.dropout, call);
  const returnBuckets = call.returnBuckets === undefined ? false : checkBoolean('call.returnBuckets', call.returnBuckets);
  if (call.hasPadding !== undefined) checkBoolean('call.hasPadding', call.hasPadding);
  const chunked = length > o.chunkLength;
  const padded = paddedLength(length, o.chunkLength);
  const numBuckets = chunked ? resolveNumBuckets(o, padded) : undefined;

  if (call.buckets !== undefined) {
    checkShape('call.buckets', call.buckets, [batch, heads, o.numHashes, length], ['batch', 'numHeads', 'numHashes', 'length'], 'int32');
  } else if (call.rotations !== undefined) {
    const rotation = rotationSize(numBuckets ?? o.numBuckets ?? 2) / 2;
    checkShape(
      'call.rotations',
      call.rotations,
      [heads, headSize, o.numHashes, numBuckets === undefined && o.numBuckets === undefined ? null : rotation],
      ['numHeads', 'headSize', 'numHashes', 'rotationSize/2'],
    );
  } else if (call.seed !== undefined) {
    checkSeed('call.seed', call.seed);
  } else if (chunked) {
    fail('call.seed', 'an integer seed when neither call.rotations nor call.buckets is given', undefined);
  }

  return tf.tidy(() => {
    const mask = normaliseMask(call.attentionMask, batch, length);
    if (!chunked) {
      const {output} = fullAttend({
        query: queryKey,
        key: sharedQKKeys(queryKey) as tf.Tensor4D,
        value,
        mask,
        causal: o.causal,
        selfMask: true,
        dropout,
      });
      return {output, buckets: returnBuckets && call.buckets ? tf.clone(call.buckets) : undefined};
    }

    // Hashing needs no gradient (HF detaches the vectors first): cut it from the tape.
    const buckets: tf.Tensor4D =
      call.buckets ??
      detached(
        () =>
          hashVectors(queryKey, {
            numBuckets: numBuckets!,
            numHashes: o.numHashes,
            ...(call.rotations !== undefined ? {rotations: call.rotations} : {seed: call.seed!}),
            attentionMask: mask,
            ...(mask && call.hasPadding !== undefined ? {hasPadding: call.hasPadding} : {}),
          }).buckets,
      ); // int32 [batch, heads, numHashes, length]
    const paddedBuckets = padBuckets(buckets, padded); // int32 [batch, heads, numHashes, padded]
    const sort = sortByBuckets(paddedBuckets);
    const returned = returnBuckets ? (call.buckets ? tf.clone(call.buckets) : buckets) : undefined;
    const referenceOnly = dropout !== undefined || o.sameBucketOnly || (o.duplicateAttentionCorrection && o.numHashes > 1);
    if (canFuseChunkedAttention({headSize, chunkLength: o.chunkLength, referenceOnly})) {
      // One kernel reads queries, keys and values by position in the sorted order: no sorted copies.
      const paddedQuery = padAxis(queryKey, 2, padded); // [batch, heads, padded, headSize]
      const output = fusedChunkedAttention(
        {
          query: paddedQuery,
          key: sharedQKKeys(paddedQuery) as tf.Tensor4D,
          value: padAxis(value, 2, padded), // [batch, heads, padded, headSize]
          order: sort.sortedIndices,
          valid: validTokens(mask, batch, length, padded), // int32 [batch, padded]
        },
        {
          numRounds: o.numHashes,
          chunkLength: o.chunkLength,
          numChunksBefore: o.numChunksBefore,
          numChunksAfter: o.numChunksAfter,
          causal: o.causal,
          selfMask: true,
        },
      ); // [batch, heads, padded, headSize]
      return {output: cutAxis(output, 2, length), buckets: returned};
    }
    const slots = o.numHashes * padded;

    const sortedQuery = gatherSorted(padAxis(queryKey, 2, padded), sort); // [batch, heads, numHashes*padded, headSize]
    const sortedValue = gatherSorted(padAxis(value, 2, padded), sort); // [batch, heads, numHashes*padded, headSize]
    const positions = tf.mod(sort.sortedIndices, int(padded)) as tf.Tensor3D; // int32 [batch, heads, numHashes*padded]

    let valid: tf.Tensor3D | undefined;
    const tokens = validTokens(mask, batch, length, padded); // int32 [batch, padded]
    if (tokens) {
      const slotsOfBatch = tf.reshape(positions, [batch, heads * slots]) as tf.Tensor2D; // [batch, heads*numHashes*padded]
      valid = tf.reshape(gatherRows(tokens, slotsOfBatch), [batch, heads, slots]) as tf.Tensor3D; // [batch, heads, numHashes*padded]
    }
    let slotBuckets: tf.Tensor3D | undefined;
    if (o.sameBucketOnly) {
      const table = tf.reshape(paddedBuckets, [batch * heads, slots]); // [batch*heads, numHashes*padded]
      const order = tf.reshape(sort.sortedIndices, [batch * heads, slots]) as tf.Tensor2D; // [batch*heads, numHashes*padded]
      slotBuckets = tf.reshape(gatherRows(table, order), [batch, heads, slots]) as tf.Tensor3D; // [batch, heads, numHashes*padded]
    }
    const logitOffset =
      o.duplicateAttentionCorrection && o.numHashes > 1
        ? duplicateLogitOffset({
            slotPositions: positions,
            undoSortedIndices: sort.undoSortedIndices,
            buckets: o.sameBucketOnly ? paddedBuckets : undefined,
            rounds: o.numHashes,
            length: padded,
            chunkLength: o.chunkLength,
            numChunksBefore: o.numChunksBefore,
            numChunksAfter: o.numChunksAfter,
          })
        : undefined;

    const attended = chunkedAttend({
      query: sortedQuery,
      key: sharedQKKeys(sortedQuery) as tf.Tensor4D,
      value: sortedValue,
      chunkLength: o.chunkLength,
      numChunksBefore: o.numChunksBefore,
      numChunksAfter: o.numChunksAfter,
      positions,
      valid,
      buckets: slotBuckets,
      causal: o.causal,
      selfMask: true,
      logitOffset,
      dropout,
    });
    const output = unsortByBuckets(attended.output, sort); // [batch, heads, numHashes*padded, headSize]
    const logsumexp = unsortByBuckets(attended.logsumexp, sort); // [batch, heads, numHashes*padded]
    const combined = combineRounds(output, logsumexp, o.numHashes); // [batch, heads, padded, headSize]
    return {output: cutAxis(combined, 2, length), buckets: returned}; // output [batch, heads, length, headSize]
  });
}
