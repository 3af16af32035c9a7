import * as tf from '@tensorflow/tfjs-core';
import {fullAttentionCore} from './full-attention.js';
import {localAttentionCore} from './local-attention.js';
import {lshAttend, type LSHAttentionResult} from './lsh-attention.js';
import type {AttentionCall, LSHAttentionCall} from './options/call.js';
import {
  HEAD_OPTION_KEYS,
  resolveFullOptions,
  resolveHeadOptions,
  resolveLocalOptions,
  resolveLSHOptions,
  type FullSelfAttentionOptions,
  type LocalSelfAttentionOptions,
  type LSHSelfAttentionOptions,
  type ResolvedHeadOptions,
} from './options/options.js';
import {checkObject, checkShape} from './options/validate.js';
import {mergeHeads, projectHeads} from './projections.js';

/** Weights of shared-QK attention (LSH, or full with `sharedQK`), tfjs orientation [in, out], no biases. */
export interface SharedQKWeights {
  /** [hiddenSize, numHeads * headSize] (HF `self_attention.query_key.weight`, transposed). */
  queryKey: tf.Tensor2D;
  /** [hiddenSize, numHeads * headSize] (HF `self_attention.value.weight`, transposed). */
  value: tf.Tensor2D;
  /** [numHeads * headSize, hiddenSize] (HF `attention.output.dense.weight`, transposed). */
  output: tf.Tensor2D;
}

/** Weights of attention with separate queries and keys (local, or full without `sharedQK`), [in, out], no biases. */
export interface QKVWeights {
  /** [hiddenSize, numHeads * headSize] (HF `self_attention.query.weight`, transposed). */
  query: tf.Tensor2D;
  /** [hiddenSize, numHeads * headSize] (HF `self_attention.key.weight`, transposed). */
  key: tf.Tensor2D;
  /** [hiddenSize, numHeads * headSize] (HF `self_attention.value.weight`, transposed). */
  value: tf.Tensor2D;
  /** [numHeads * headSize, hiddenSize] (HF `attention.output.dense.weight`, transposed). */
  output: tf.Tensor2D;
}

/** The shape every weight must have, by name. */
export function weightShapes(h: ResolvedHeadOptions, names: readonly string[]): Record<string, [number, number]> {
  const inner = h.numHeads * h.headSize;
  const shapes: Record<string, [number, number]> = {};
  for (const name of names) shapes[name] = name === 'output' ? [inner, h.hiddenSize] : [h.hiddenSize, inner];
  return shapes;
}

export const SHARED_QK_WEIGHT_NAMES = ['queryKey', 'value', 'output'] as const;
export const QKV_WEIGHT_NAMES = ['query', 'key', 'value', 'output'] as const;

function checkWeights(weights: unknown, h: ResolvedHeadOptions, names: readonly string[]): void {
  const w = checkObject('weights', weights);
  const shapes = weightShapes(h, names);
  for (const name of names) {
    const dims = name === 'output' ? ['numHeads*headSize', 'hiddenSize'] : ['hiddenSize', 'numHeads*headSize'];
    checkShape(`weights.${name}`, w[name], shapes[name]!, dims);
  }
}

function checkHidden(hidden: unknown, h: ResolvedHeadOptions): tf.Tensor3D {
  return checkShape('hidden', hidden, [null, null, h.hiddenSize], ['batch', 'length', 'hiddenSize']) as tf.Tensor3D;
}

/**
 * HF's LSH self-attention layer (LSHSelfAttention followed by ReformerSelfOutput's dense projection): shared
 * query/key and value projections, LSH attention (see `lshAttentionCore`), output projection.
 *
 * hidden [batch, length, hiddenSize] -> output [batch, length, hiddenSize]
 */
export function lshSelfAttention(
  hidden: tf.Tensor3D,
  weights: SharedQKWeights,
  options: LSHSelfAttentionOptions,
  call: LSHAttentionCall = {},
): LSHAttentionResult<tf.Tensor3D> {
  const h = resolveHeadOptions(options);
  const o = resolveLSHOptions(options, 'options', HEAD_OPTION_KEYS);
  checkHidden(hidden, h);
  checkWeights(weights, h, SHARED_QK_WEIGHT_NAMES);
  return tf.tidy(() => {
    const queryKey = projectHeads(hidden, weights.queryKey, h.numHeads, h.headSize); // [batch, heads, length, headSize]
    const value = projectHeads(hidden, weights.value, h.numHeads, h.headSize); // [batch, heads, length, headSize]
    const {output, buckets} = lshAttend(queryKey, value, o, call);
    return {output: mergeHeads(output, weights.output), buckets}; // [batch, length, hiddenSize]
  });
}

/**
 * HF's local self-attention layer (LocalSelfAttention followed by the output projection): separate query, key
 * and value projections, chunked local attention (see `localAttentionCore`), output projection.
 *
 * hidden [batch, length, hiddenSize] -> output [batch, length, hiddenSize]
 */
export function localSelfAttention(
  hidden: tf.Tensor3D,
  weights: QKVWeights,
  options: LocalSelfAttentionOptions,
  call: AttentionCall = {},
): {output: tf.Tensor3D} {
  const h = resolveHeadOptions(options);
  const o = resolveLocalOptions(options, 'options', HEAD_OPTION_KEYS);
  checkHidden(hidden, h);
  checkWeights(weights, h, QKV_WEIGHT_NAMES);
  return tf.tidy(() => {
    const project = (w: tf.Tensor2D) => projectHeads(hidden, w, h.numHeads, h.headSize); // [batch, heads, length, headSize]
    const {output} = localAttentionCore(project(weights.query), project(weights.key), project(weights.value), o, call);
    return {output: mergeHeads(output, weights.output)}; // [batch, length, hiddenSize]
  });
}

/**
 * Full self-attention, the baseline: projections, every query against every key (see `fullAttentionCore`),
 * output projection. Takes `SharedQKWeights` with `sharedQK: true`, `QKVWeights` otherwise.
 * Materialises [length, length] per head.
 *
 * hidden [batch, length, hiddenSize] -> output [batch, length, hiddenSize]
 */
export function fullSelfAttention(
  hidden: tf.Tensor3D,
  weights: SharedQKWeights | QKVWeights,
  options: FullSelfAttentionOptions,
  call: AttentionCall = {},
): {output: tf.Tensor3D} {
  const h = resolveHeadOptions(options);
  const o = resolveFullOptions(options, 'options', HEAD_OPTION_KEYS);
  checkHidden(hidden, h);
  checkWeights(weights, h, o.sharedQK ? SHARED_QK_WEIGHT_NAMES : QKV_WEIGHT_NAMES);
  return tf.tidy(() => {
    const project = (w: tf.Tensor2D) => projectHeads(hidden, w, h.numHeads, h.headSize); // [batch, heads, length, headSize]
    const {output} = o.sharedQK
      ? fullAttentionCore(project((weights as SharedQKWeights).queryKey), undefined, project(weights.value), o, call)
      : fullAttentionCore(
          project((weights as QKVWeights).query),
          project((weights as QKVWeights).key),
          project(weights.value),
          o,
          call,
        );
    return {output: mergeHeads(output, weights.output)}; // [batch, length, hiddenSize]
  });
}
