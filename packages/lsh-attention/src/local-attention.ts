import * as tf from '@tensorflow/tfjs-core';
import {chunkedAttend} from './chunked-attend.js';
import {cutAxis, padAxis, paddedLength, validTokens} from './chunking.js';
import {checkProjected, fullAttend} from './full-attention.js';
import {canFuseChunkedAttention, fusedChunkedAttention} from './fused.js';
import {scaledKeys} from './key-scaling.js';
import {checkCallKeys, normaliseMask, resolveDropout, type AttentionCall} from './options/call.js';
import {resolveLocalOptions, type LocalAttentionCoreOptions} from './options/options.js';

/**
 * HF's local attention over already projected heads: keys divided by sqrt(headSize); queries in chunks of
 * `chunkLength` attend to their own chunk and `numChunksBefore` / `numChunksAfter` neighbours (with HF's
 * wrap-around: without a causal mask the first chunk also sees the last); causal and padding masks, no self
 * mask. A sequence no longer than one chunk gets full attention, as in HF. Any other length is padded up to a
 * multiple of `chunkLength` (the padding masked out as keys) and the output cut back.
 *
 * query, key, value [batch, heads, length, headSize] -> output [batch, heads, length, headSize]
 */
export function localAttentionCore(
  query: tf.Tensor4D,
  key: tf.Tensor4D,
  value: tf.Tensor4D,
  options: LocalAttentionCoreOptions = {},
  call: AttentionCall = {},
): {output: tf.Tensor4D} {
  const o = resolveLocalOptions(options);
  checkCallKeys(call);
  checkProjected('query', query);
  checkProjected('key', key, query);
  checkProjected('value', value, query);
  const dropout = resolveDropout(o.dropout, call);
  return tf.tidy(() => {
    const [batch, , length] = query.shape;
    const mask = normaliseMask(call.attentionMask, batch, length);
    const keys = scaledKeys(key) as tf.Tensor4D;
    if (length <= o.chunkLength) {
      return {output: fullAttend({query, key: keys, value, mask, causal: o.causal, selfMask: false, dropout}).output};
    }
    const padded = paddedLength(length, o.chunkLength);
    const valid = validTokens(mask, batch, length, padded); // int32 [batch, padded]
    const [, , , headSize] = query.shape;
    const window = {chunkLength: o.chunkLength, numChunksBefore: o.numChunksBefore, numChunksAfter: o.numChunksAfter};
    if (canFuseChunkedAttention({headSize, chunkLength: o.chunkLength, referenceOnly: dropout !== undefined})) {
      const output = fusedChunkedAttention(
        {query: padAxis(query, 2, padded), key: padAxis(keys, 2, padded), value: padAxis(value, 2, padded), valid},
        {numRounds: 1, ...window, causal: o.causal, selfMask: false},
      ); // [batch, heads, padded, headSize]
      return {output: cutAxis(output, 2, length)}; // [batch, heads, length, headSize]
    }
    const {output} = chunkedAttend({
      query: padAxis(query, 2, padded), // [batch, heads, padded, headSize]
      key: padAxis(keys, 2, padded), // [batch, heads, padded, headSize]
      value: padAxis(value, 2, padded), // [batch, heads, padded, headSize]
      chunkLength: o.chunkLength,
      numChunksBefore: o.numChunksBefore,
      numChunksAfter: o.numChunksAfter,
      positions: tf.reshape(tf.range(0, padded, 1, 'int32'), [1, 1, padded]) as tf.Tensor3D, // [1, 1, padded]
      valid: valid ? (tf.reshape(valid, [batch, 1, padded]) as tf.Tensor3D) : undefined, // [batch, 1, padded]
      causal: o.causal,
      selfMask: false,
      dropout,
    });
    return {output: cutAxis(output, 2, length)}; // [batch, heads, length, headSize]
  });
}
