// Layers that own their weights.
export {LSHSelfAttention, LocalSelfAttention, FullSelfAttention} from './layers.js';
export type {
  LayerOptions,
  LayerResult,
  LSHSelfAttentionLayerOptions,
  LocalSelfAttentionLayerOptions,
  FullSelfAttentionLayerOptions,
} from './layers.js';

// Functional layers: weights as explicit tensors (e.g. customGrad inputs of a reversible stack).
export {lshSelfAttention, localSelfAttention, fullSelfAttention} from './self-attention.js';
export type {SharedQKWeights, QKVWeights} from './self-attention.js';

// Attention cores over already projected [batch, heads, length, headSize] tensors.
export {lshAttentionCore, resolveNumBuckets} from './lsh-attention.js';
export type {LSHAttentionResult} from './lsh-attention.js';
export {localAttentionCore} from './local-attention.js';
export {fullAttentionCore} from './full-attention.js';

// Building blocks.
export {lookAdjacent, splitChunks, mergeChunks, paddedLength} from './chunking.js';
export {combineRounds} from './combine-rounds.js';
export {applyMasks, MASK_VALUE, SELF_MASK_VALUE} from './masks.js';
export type {MaskSpec} from './masks.js';
export {sharedQKKeys, scaledKeys, LENGTH_NORM_EPSILON, SHARED_QK_KEYS_KERNEL, SHARED_QK_KEYS_GRAD_KERNEL} from './key-scaling.js';
export {duplicateLogitOffset} from './duplicates.js';
export {deriveSeed} from './seeds.js';

// Options.
export type {
  HeadOptions,
  MaskOptions,
  ChunkOptions,
  LSHAttentionCoreOptions,
  LocalAttentionCoreOptions,
  FullAttentionCoreOptions,
  LSHSelfAttentionOptions,
  LocalSelfAttentionOptions,
  FullSelfAttentionOptions,
} from './options/options.js';
export {DEFAULT_CHUNK_LENGTH, DEFAULT_NUM_CHUNKS_BEFORE, DEFAULT_NUM_CHUNKS_AFTER} from './options/options.js';
export type {AttentionCall, LSHAttentionCall} from './options/call.js';
export type {NumBuckets} from '@reformerjs/lsh-hash';

// Cached single-step attention for autoregressive decoding.
export {LSHDecodingState, LocalDecodingState} from './decoding.js';
export type {DecodingShape, DecodingStepCall, LSHDecodingOptions, LocalDecodingOptions} from './decoding.js';

// The fused chunked-attention kernel's contract, for backends that implement it (@reformerjs/webgpu-kernels).
export {
  FUSED_CHUNKED_ATTENTION,
  FUSED_CHUNKED_ATTENTION_GRAD,
  FUSED_MAX_HEAD_SIZE,
  FUSED_MAX_CHUNK_LENGTH,
  canFuseChunkedAttention,
  fusedChunkedAttention,
} from './fused.js';
export type {FusedChunkedAttentionAttrs, FusedChunkedAttentionInputs} from './fused.js';
