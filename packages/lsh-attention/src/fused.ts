/**
 * The fused chunked-attention kernel: the contract between this package and a backend that implements chunked
 * attention as one kernel (`@reformerjs/webgpu-kernels` does for `webgpu`). LSH, local and full attention are all
 * chunked attention over some order of the positions, so one kernel serves the three:
 * - LSH: `order` is the bucket sort of every round, the rounds are combined by their logsumexp;
 * - local: no `order` (positions in sequence order), one round;
 * - full: no `order`, one round, a window of every chunk (`numChunksBefore` = chunks - 1).
 * The attention reads queries, keys and values by position: nothing is gathered into sorted copies, and nothing
 * of size [length, length] exists. The packages dispatch to it only when a backend registered it (see
 * `fusedKernelAvailable` in `@reformerjs/lsh-hash`); every other backend runs the composed reference path, which
 * defines the numbers this kernel must reproduce.
 */
import * as tf from '@tensorflow/tfjs-core';
import {fusedKernelAvailable} from '@reformerjs/lsh-hash';

/**
 * Inputs (P, the padded length, a multiple of chunkLength):
 * - `query`, `key`, `value`: float32 [batch, heads, P, headSize]; `key` already scaled (see key-scaling.ts);
 * - `order`: int32 [batch, heads, rounds * P], the flat index `r * P + t` in each slot of the sorted order
 *   (lsh-hash's `sortedIndices`); or empty (shape [0]): the identity, one round;
 * - `valid`: int32 [batch, P], 1 for a real token, 0 for padding, which no query may attend to; or empty (shape
 *   [0]): every token is real.
 * (Absent inputs are empty tensors rather than missing names because tfjs saves a gradient's inputs by name.)
 * Outputs: `output` float32 [batch, heads, P, headSize] (the rounds combined as `combineRounds` does) and
 * `normaliser` float32 [batch, heads, P, 2], each query's softmax normaliser over every round as (max logit, sum of
 * exp(logit − max)): its logsumexp is max + log(sum), but the pair stays exact when the max is a mask value, which
 * the gradient needs. The normaliser is saved for the gradient and is not itself differentiable.
 */
export const FUSED_CHUNKED_ATTENTION = 'ReformerChunkedAttention';

/**
 * The gradient kernel. Inputs: `dOutput` (the gradient of `output`), the forward's inputs and its two outputs
 * (`output`, `normaliser`). Outputs: [dQuery, dKey, dValue], each [batch, heads, P, headSize].
 */
export const FUSED_CHUNKED_ATTENTION_GRAD = 'ReformerChunkedAttentionGrad';

export type FusedChunkedAttentionAttrs = {
  numRounds: number;
  chunkLength: number;
  numChunksBefore: number;
  numChunksAfter: number;
  causal: boolean;
  /** A query's logit for its own position becomes SELF_MASK_VALUE (shared-QK attention). */
  selfMask: boolean;
};

export type FusedChunkedAttentionInputs = {
  query: tf.Tensor4D;
  key: tf.Tensor4D;
  value: tf.Tensor4D;
  order?: tf.Tensor3D;
  valid?: tf.Tensor2D;
};

/** The head sizes the fused kernels take (vectors are read four floats at a time, and held in registers). */
export const FUSED_MAX_HEAD_SIZE = 128;
/** The longest chunk: one GPU thread per query of a chunk, one workgroup per chunk. */
export const FUSED_MAX_CHUNK_LENGTH = 256;

/**
 * Whether a call can take the fused kernel: one is registered for the active backend, and the call has none of
 * what only the reference path implements (dropout, trax's duplicate correction and same-bucket-only mask, head
 * sizes that are not a multiple of 4 or above FUSED_MAX_HEAD_SIZE, chunks above FUSED_MAX_CHUNK_LENGTH).
 */
export function canFuseChunkedAttention(shape: {headSize: number; chunkLength: number; referenceOnly: boolean}): boolean {
  return (
    !shape.referenceOnly &&
    shape.headSize % 4 === 0 &&
    shape.headSize <= FUSED_MAX_HEAD_SIZE &&
    shape.chunkLength <= FUSED_MAX_CHUNK_LENGTH &&
    fusedKernelAvailable(FUSED_CHUNKED_ATTENTION)
  );
}

/** Runs the fused kernel: output [batch, heads, P, headSize]. Differentiable through FUSED_CHUNKED_ATTENTION_GRAD. */
export function fusedChunkedAttention(inputs: FusedChunkedAttentionInputs, attrs: FusedChunkedAttentionAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const none = () => tf.zeros([0], 'int32');
    const named: tf.NamedTensorMap = {
      query: inputs.query,
      key: inputs.key,
      value: inputs.value,
      order: inputs.order ?? none(),
      valid: inputs.valid ?? none(),
    };
    const [output] = tf.engine().runKernel(FUSED_CHUNKED_ATTENTION, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return output as tf.Tensor4D;
  });
}
