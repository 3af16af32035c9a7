import * as tf from '@tensorflow/tfjs-core';
import {chunkedAttend, type DropoutSpec} from './chunked-attend.js';
import {cutAxis, padAxis, paddedLength, validTokens} from './chunking.js';
import {canFuseChunkedAttention, fusedChunkedAttention} from './fused.js';
import {sharedQKKeys, scaledKeys} from './key-scaling.js';
import {checkCallKeys, normaliseMask, resolveDropout, type AttentionCall} from './options/call.js';
import {resolveFullOptions, type FullAttentionCoreOptions} from './options/options.js';
import {checkShape} from './options/validate.js';

export interface FullAttendInput {
  /** [batch, heads, length, headSize] */
  query: tf.Tensor4D;
  /** Already scaled, [batch, heads, length, headSize]. */
  key: tf.Tensor4D;
  value: tf.Tensor4D;
  /** int32 0/1 [batch, length] */
  mask?: tf.Tensor2D;
  causal: boolean;
  selfMask: boolean;
  dropout?: DropoutSpec;
}

/** Queries per workgroup of the fused full attention: the sequence is cut into chunks that see every chunk. */
const FUSED_FULL_CHUNK = 64;

/**
 * Full attention through the fused chunked kernel: chunks of FUSED_FULL_CHUNK queries, each with a window of every
 * chunk, so nothing of size [length, length] exists. The padding up to a whole chunk is masked out as keys.
 */
function fusedFullAttend(input: FullAttendInput): tf.Tensor4D {
  const [batch, , length] = input.query.shape;
  const chunkLength = Math.min(FUSED_FULL_CHUNK, length);
  const padded = paddedLength(length, chunkLength);
  const pad = (t: tf.Tensor4D) => padAxis(t, 2, padded); // [batch, heads, padded, headSize]
  const output = fusedChunkedAttention(
    {
      query: pad(input.query),
      key: pad(input.key),
      value: pad(input.value),
      valid: validTokens(input.mask, batch, length, padded), // int32 [batch, padded]
    },
    {
      numRounds: 1,
      chunkLength,
      numChunksBefore: padded / chunkLength - 1,
      numChunksAfter: 0,
      causal: input.causal,
      selfMask: input.selfMask,
    },
  ); // [batch, heads, padded, headSize]
  return cutAxis(output, 2, length); // [batch, heads, length, headSize]
}

/**
 * Every query against every key: chunked attention with one chunk as long as the sequence, so the masks
 * and numerics are exactly those of the chunked paths. Materialises [length, length] per head, except where a
 * fused kernel is registered.
 */
export function fullAttend(input: FullAttendInput): {output: tf.Tensor4D} {
  if (canFuseChunkedAttention({headSize: input.query.shape[3], chunkLength: Math.min(FUSED_FULL_CHUNK, input.query.shape[2]), referenceOnly: input.dropout !== undefined})) {
    return {output: tf.tidy(() => fusedFullAttend(input))};
  }
  return tf.tidy(() => {
    const [batch, , length] = input.query.shape;
    const {output} = chunkedAttend({
      query: input.query,
      key: input.key,
      value: input.value,
      chunkLength: length,
      numChunksBefore: 0,
      numChunksAfter: 0,
      positions: tf.reshape(tf.range(0, length, 1, 'int32'), [1, 1, length]) as tf.Tensor3D, // [1, 1, length]
      valid: input.mask ? (tf.reshape(input.mask, [batch, 1, length]) as tf.Tensor3D) : undefined, // [batch, 1, length]
      causal: input.causal,
      selfMask: input.selfMask,
      dropout: input.dropout,
    });
    return {output};
  });
}

export function checkProjected(name: string, t: unknown, like?: tf.Tensor): tf.Tensor4D {
  const dims = ['batch', 'heads', 'length', 'headSize'];
  return checkShape(name, t, like ? like.shape : [null, null, null, null], dims) as tf.Tensor4D;
}

/**
 * Full attention over already projected heads: ordinary scaled dot-product attention (keys divided by
 * sqrt(headSize)), or with `sharedQK` LSH's formulation (keys are the normalised queries, `key` is ignored and
 * may be omitted, and the self mask applies). Causal and padding masks replace logits by -1e9.
 *
 * query, key, value [batch, heads, length, headSize] -> output [batch, heads, length, headSize]
 */
export function fullAttentionCore(
  query: tf.Tensor4D,
  key: tf.Tensor4D | undefined,
  value: tf.Tensor4D,
  options: FullAttentionCoreOptions = {},
  call: AttentionCall = {},
): {output: tf.Tensor4D} {
  const o = resolveFullOptions(options);
  checkCallKeys(call);
  checkProjected('query', query);
  if (!o.sharedQK) checkProjected('key', key, query);
  checkProjected('value', value, query);
  const dropout = resolveDropout(o.dropout, call);
  return tf.tidy(() => {
    const [batch, , length] = query.shape;
    const mask = normaliseMask(call.attentionMask, batch, length);
    const keys = (o.sharedQK ? sharedQKKeys(query) : scaledKeys(key!)) as tf.Tensor4D;
    const {output} = fullAttend({query, key: keys, value, mask, causal: o.causal, selfMask: o.sharedQK, dropout});
    return {output};
  });
}
