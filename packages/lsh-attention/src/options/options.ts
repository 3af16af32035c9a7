import {validateNumBuckets, type NumBuckets} from '@reformerjs/lsh-hash';
import {
  checkBoolean,
  checkNonNegativeInteger,
  checkObject,
  checkPositiveInteger,
  checkPositiveNumber,
  checkRate,
  checkSeed,
  fail,
} from './validate.js';

/** How the hidden size splits into heads. */
export interface HeadOptions {
  /** Width of the layer's input and output. Required. */
  hiddenSize: number;
  /** Number of attention heads. Required. */
  numHeads: number;
  /** Width of one head's queries, keys and values. Required. */
  headSize: number;
}

/** Options every attention here shares. */
export interface MaskOptions {
  /** Tokens attend only to themselves and earlier tokens (HF `is_decoder`). Default false. */
  causal?: boolean;
  /**
   * Dropout rate on the attention probabilities, applied only when a call passes `training: true`
   * (HF `lsh_attention_probs_dropout_prob` / `local_attention_probs_dropout_prob`). Default 0.
   */
  dropout?: number;
}

/** Chunked attention: queries in chunks of `chunkLength` attend to their own and neighbouring chunks. */
export interface ChunkOptions {
  /** Tokens per chunk (HF `lsh_attn_chunk_length` / `local_attn_chunk_length`). Default 64. */
  chunkLength?: number;
  /** Chunks before the query's own chunk that it also attends to. Default 1. */
  numChunksBefore?: number;
  /** Chunks after the query's own chunk that it also attends to. Default 0. */
  numChunksAfter?: number;
}

/** Options of LSH attention over already projected tensors. */
export interface LSHAttentionCoreOptions extends ChunkOptions, MaskOptions {
  /** Hashing rounds (HF `num_hashes`). Default 1. */
  numHashes?: number;
  /**
   * Buckets per round: an even integer, or a list of even factors for a factorised hash (HF
   * `num_buckets`). Default: chosen per call from the sequence length by lsh-hash's `autoNumBuckets`,
   * as HF does when `num_buckets` is None.
   */
  numBuckets?: NumBuckets;
  /** Only used to choose `numBuckets` when it is omitted (HF `max_position_embeddings`). Default 4096. */
  maxPositionEmbeddings?: number;
  /**
   * The paper's correction for a key seen by a query in several rounds: subtract the log of the number
   * of rounds in which the key shares the query's window, counted as trax counts it. Not in HF. Default false.
   */
  duplicateAttentionCorrection?: boolean;
  /** Mask keys whose bucket differs from the query's (trax `attend_across_buckets=False`). Not in HF. Default false. */
  sameBucketOnly?: boolean;
}

/** Options of local attention over already projected tensors. */
export type LocalAttentionCoreOptions = ChunkOptions & MaskOptions;

/** Options of full attention over already projected tensors. */
export interface FullAttentionCoreOptions extends MaskOptions {
  /**
   * Shared query/key (LSH's formulation): keys are the queries normalised as LSH normalises them and a
   * token attends to itself only when nothing else is allowed. Default false.
   */
  sharedQK?: boolean;
}

export type LSHSelfAttentionOptions = LSHAttentionCoreOptions & HeadOptions;
export type LocalSelfAttentionOptions = LocalAttentionCoreOptions & HeadOptions;
export type FullSelfAttentionOptions = FullAttentionCoreOptions & HeadOptions;

export interface ResolvedChunkOptions {
  chunkLength: number;
  numChunksBefore: number;
  numChunksAfter: number;
}
export interface ResolvedMaskOptions {
  causal: boolean;
  dropout: number;
}
export interface ResolvedLSHOptions extends ResolvedChunkOptions, ResolvedMaskOptions {
  numHashes: number;
  numBuckets: NumBuckets | undefined;
  maxPositionEmbeddings: number;
  duplicateAttentionCorrection: boolean;
  sameBucketOnly: boolean;
}
export type ResolvedLocalOptions = ResolvedChunkOptions & ResolvedMaskOptions;
export interface ResolvedFullOptions extends ResolvedMaskOptions {
  sharedQK: boolean;
}
export type ResolvedHeadOptions = Required<HeadOptions>;

export const DEFAULT_CHUNK_LENGTH = 64;
export const DEFAULT_NUM_CHUNKS_BEFORE = 1;
export const DEFAULT_NUM_CHUNKS_AFTER = 0;
export const DEFAULT_MAX_POSITION_EMBEDDINGS = 4096;

function rejectUnknown(name: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${name}.${key}: expected one of the options ${known.join(', ')}, got unknown option "${key}"`);
    }
  }
}

const CHUNK_KEYS = ['chunkLength', 'numChunksBefore', 'numChunksAfter'] as const;
const MASK_KEYS = ['causal', 'dropout'] as const;
const LSH_KEYS = [
  ...CHUNK_KEYS,
  ...MASK_KEYS,
  'numHashes',
  'numBuckets',
  'maxPositionEmbeddings',
  'duplicateAttentionCorrection',
  'sameBucketOnly',
] as const;
const HEAD_KEYS = ['hiddenSize', 'numHeads', 'headSize'] as const;
/** Keys a layer class accepts on top of the functional options. */
export const LAYER_KEYS = ['seed', 'initializerRange'] as const;

function resolveChunk(name: string, o: Record<string, unknown>): ResolvedChunkOptions {
  return {
    chunkLength: checkPositiveInteger(`${name}.chunkLength`, o.chunkLength ?? DEFAULT_CHUNK_LENGTH),
    numChunksBefore: checkNonNegativeInteger(`${name}.numChunksBefore`, o.numChunksBefore ?? DEFAULT_NUM_CHUNKS_BEFORE),
    numChunksAfter: checkNonNegativeInteger(`${name}.numChunksAfter`, o.numChunksAfter ?? DEFAULT_NUM_CHUNKS_AFTER),
  };
}

function resolveMask(name: string, o: Record<string, unknown>): ResolvedMaskOptions {
  return {
    causal: checkBoolean(`${name}.causal`, o.causal ?? false),
    dropout: checkRate(`${name}.dropout`, o.dropout ?? 0),
  };
}

export function resolveLSHOptions(
  options: unknown,
  name = 'options',
  extraKeys: readonly string[] = [],
): ResolvedLSHOptions {
  const o = checkObject(name, options);
  rejectUnknown(name, o, [...LSH_KEYS, ...extraKeys]);
  let numBuckets: NumBuckets | undefined;
  if (o.numBuckets !== undefined) {
    validateNumBuckets(o.numBuckets, `${name}.numBuckets`);
    numBuckets = o.numBuckets;
  }
  return {
    ...resolveChunk(name, o),
    ...resolveMask(name, o),
    numHashes: checkPositiveInteger(`${name}.numHashes`, o.numHashes ?? 1),
    numBuckets,
    maxPositionEmbeddings: checkPositiveInteger(
      `${name}.maxPositionEmbeddings`,
      o.maxPositionEmbeddings ?? DEFAULT_MAX_POSITION_EMBEDDINGS,
    ),
    duplicateAttentionCorrection: checkBoolean(
      `${name}.duplicateAttentionCorrection`,
      o.duplicateAttentionCorrection ?? false,
    ),
    sameBucketOnly: checkBoolean(`${name}.sameBucketOnly`, o.sameBucketOnly ?? false),
  };
}

export function resolveLocalOptions(
  options: unknown,
  name = 'options',
  extraKeys: readonly string[] = [],
): ResolvedLocalOptions {
  const o = checkObject(name, options);
  rejectUnknown(name, o, [...CHUNK_KEYS, ...MASK_KEYS, ...extraKeys]);
  return {...resolveChunk(name, o), ...resolveMask(name, o)};
}

export function resolveFullOptions(
  options: unknown,
  name = 'options',
  extraKeys: readonly string[] = [],
): ResolvedFullOptions {
  const o = checkObject(name, options);
  rejectUnknown(name, o, [...MASK_KEYS, 'sharedQK', ...extraKeys]);
  return {...resolveMask(name, o), sharedQK: checkBoolean(`${name}.sharedQK`, o.sharedQK ?? false)};
}

export function resolveHeadOptions(options: unknown, name = 'options'): ResolvedHeadOptions {
  const o = checkObject(name, options);
  for (const key of HEAD_KEYS) {
    if (o[key] === undefined) fail(`${name}.${key}`, 'a positive integer (required)', undefined);
  }
  return {
    hiddenSize: checkPositiveInteger(`${name}.hiddenSize`, o.hiddenSize),
    numHeads: checkPositiveInteger(`${name}.numHeads`, o.numHeads),
    headSize: checkPositiveInteger(`${name}.headSize`, o.headSize),
  };
}

/** The head keys, for `extraKeys` of the core resolvers when a layer's options are resolved. */
export const HEAD_OPTION_KEYS: readonly string[] = HEAD_KEYS;

export interface ResolvedLayerExtras {
  seed: number;
  initializerRange: number;
}

export function resolveLayerExtras(options: Record<string, unknown>, name = 'options'): ResolvedLayerExtras {
  return {
    seed: checkSeed(`${name}.seed`, options.seed ?? 0),
    initializerRange: checkPositiveNumber(`${name}.initializerRange`, options.initializerRange ?? 0.02),
  };
}
