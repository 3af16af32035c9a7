import * as tf from '@tensorflow/tfjs-core';
import type {AttentionCall, LSHAttentionCall} from './options/call.js';
import {
  HEAD_OPTION_KEYS,
  LAYER_KEYS,
  resolveFullOptions,
  resolveHeadOptions,
  resolveLayerExtras,
  resolveLocalOptions,
  resolveLSHOptions,
  type FullSelfAttentionOptions,
  type LocalSelfAttentionOptions,
  type LSHSelfAttentionOptions,
  type ResolvedHeadOptions,
  type ResolvedLayerExtras,
} from './options/options.js';
import {checkObject, checkShape} from './options/validate.js';
import {deriveSeed, SEED_STREAM} from './seeds.js';
import {
  fullSelfAttention,
  localSelfAttention,
  lshSelfAttention,
  QKV_WEIGHT_NAMES,
  SHARED_QK_WEIGHT_NAMES,
  weightShapes,
  type QKVWeights,
  type SharedQKWeights,
} from './self-attention.js';

/** What a layer class adds to the functional options. */
export interface LayerOptions {
  /**
   * Base seed. Weights are initialised from seeds derived from it; call k (counting from 0) of `apply` hashes
   * with rotations drawn from seed `seed + k` and drops out with a seed derived from (seed, k), unless the call
   * gives its own. Default 0.
   */
  seed?: number;
  /** Standard deviation of the normal initialisation of the weights (HF `initializer_range`). Default 0.02. */
  initializerRange?: number;
}

export type LSHSelfAttentionLayerOptions = LSHSelfAttentionOptions & LayerOptions;
export type LocalSelfAttentionLayerOptions = LocalSelfAttentionOptions & LayerOptions;
export type FullSelfAttentionLayerOptions = FullSelfAttentionOptions & LayerOptions;

/** What `apply` returns: the output, the buckets when asked for, and the seeds the call used. */
export interface LayerResult {
  /** [batch, length, hiddenSize] */
  output: tf.Tensor3D;
  /** int32 [batch, numHeads, numHashes, length] (LSH only, with `returnBuckets`). */
  buckets?: tf.Tensor4D;
  /** Seed the rotations were drawn from (LSH only; unused when rotations or buckets were given). */
  seed?: number;
  /** Seed of the dropout mask (used only when training with dropout > 0). */
  dropoutSeed: number;
}

/** Weights, seeds and disposal shared by the three layer classes. */
abstract class AttentionLayer<W extends object> {
  protected readonly head: ResolvedHeadOptions;
  protected readonly extras: ResolvedLayerExtras;
  private readonly variables: Record<string, tf.Variable> = {};
  private calls = 0;
  private disposed = false;

  protected constructor(
    private readonly layerName: string,
    options: Record<string, unknown>,
    names: readonly string[],
    weights: Partial<Record<string, tf.Tensor>> | undefined,
  ) {
    this.head = resolveHeadOptions(options);
    this.extras = resolveLayerExtras(options);
    const given = weights === undefined ? {} : checkObject('weights', weights);
    for (const key of Object.keys(given)) {
      if (!names.includes(key)) {
        throw new Error(`weights.${key}: expected one of ${names.join(', ')}, got unknown weight "${key}"`);
      }
    }
    const shapes = weightShapes(this.head, names);
    const dims = (name: string) => (name === 'output' ? ['numHeads*headSize', 'hiddenSize'] : ['hiddenSize', 'numHeads*headSize']);
    // Every given weight is checked before any variable exists, so a bad one leaks nothing.
    for (const name of names) if (given[name] !== undefined) checkShape(`weights.${name}`, given[name], shapes[name]!, dims(name));
    names.forEach((name, i) => {
      const initial =
        (given[name] as tf.Tensor | undefined) ??
        tf.randomNormal(shapes[name]!, 0, this.extras.initializerRange, 'float32', deriveSeed(this.extras.seed, SEED_STREAM.weights, i));
      this.variables[name] = tf.variable(initial, true);
      if (given[name] === undefined) initial.dispose();
    });
  }

  /** The layer's weights (trainable tf.Variables, tfjs orientation [in, out]), e.g. for an optimizer's var list. */
  get weights(): W {
    this.checkAlive();
    return {...this.variables} as unknown as W;
  }

  /** How many times `apply` has run: the index of the next call's seeds. */
  get callCount(): number {
    return this.calls;
  }

  /** Frees the weights. The layer cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    tf.dispose(Object.values(this.variables));
    this.disposed = true;
  }

  protected checkAlive(): void {
    if (this.disposed) throw new Error(`${this.layerName}: used after dispose()`);
  }

  /** The seeds of this call (from the call when given), advancing the call counter. */
  protected nextSeeds(call: {seed?: number; dropoutSeed?: number}): {seed: number; dropoutSeed: number} {
    const k = this.calls++;
    return {
      seed: call.seed ?? this.extras.seed + k,
      dropoutSeed: call.dropoutSeed ?? deriveSeed(this.extras.seed, SEED_STREAM.dropout, k),
    };
  }
}

/**
 * An LSH self-attention layer that owns its weights: `new LSHSelfAttention({hiddenSize, numHeads, headSize, ...})`,
 * then `layer.apply(hidden)`. See `lshSelfAttention` for what it computes.
 */
export class LSHSelfAttention extends AttentionLayer<SharedQKWeights> {
  /** The options as given, with defaults filled in. */
  readonly options: Readonly<ReturnType<typeof resolveLSHOptions> & ResolvedHeadOptions & ResolvedLayerExtras>;

  constructor(options: LSHSelfAttentionLayerOptions, weights?: Partial<SharedQKWeights>) {
    const core = resolveLSHOptions(options, 'options', [...HEAD_OPTION_KEYS, ...LAYER_KEYS]);
    super(
      'LSHSelfAttention',
      options as unknown as Record<string, unknown>,
      SHARED_QK_WEIGHT_NAMES,
      weights as Partial<Record<string, tf.Tensor>> | undefined,
    );
    this.options = Object.freeze({...core, ...this.head, ...this.extras});
  }

  /** hidden [batch, length, hiddenSize] -> output [batch, length, hiddenSize] (and buckets, with `returnBuckets`). */
  apply(hidden: tf.Tensor3D, call: LSHAttentionCall = {}): LayerResult {
    this.checkAlive();
    const {seed, dropoutSeed} = this.nextSeeds(call);
    const {seed: _s, initializerRange: _i, ...functional} = this.options;
    const hashed = call.rotations === undefined && call.buckets === undefined;
    const result = lshSelfAttention(hidden, this.weights, functional, {
      ...call,
      ...(hashed ? {seed} : {}),
      dropoutSeed,
    });
    return {...result, ...(hashed ? {seed} : {}), dropoutSeed};
  }
}

/** HF's local self-attention as a layer that owns its weights. See `localSelfAttention`. */
export class LocalSelfAttention extends AttentionLayer<QKVWeights> {
  readonly options: Readonly<ReturnType<typeof resolveLocalOptions> & ResolvedHeadOptions & ResolvedLayerExtras>;

  constructor(options: LocalSelfAttentionLayerOptions, weights?: Partial<QKVWeights>) {
    const core = resolveLocalOptions(options, 'options', [...HEAD_OPTION_KEYS, ...LAYER_KEYS]);
    super(
      'LocalSelfAttention',
      options as unknown as Record<string, unknown>,
      QKV_WEIGHT_NAMES,
      weights as Partial<Record<string, tf.Tensor>> | undefined,
    );
    this.options = Object.freeze({...core, ...this.head, ...this.extras});
  }

  /** hidden [batch, length, hiddenSize] -> output [batch, length, hiddenSize]. */
  apply(hidden: tf.Tensor3D, call: AttentionCall = {}): LayerResult {
    this.checkAlive();
    const {dropoutSeed} = this.nextSeeds(call);
    const {seed: _s, initializerRange: _i, ...functional} = this.options;
    return {...localSelfAttention(hidden, this.weights, functional, {...call, dropoutSeed}), dropoutSeed};
  }
}

/**
 * Full self-attention (the baseline) as a layer that owns its weights: query/key/value/output weights, or
 * queryKey/value/output with `sharedQK`. See `fullSelfAttention`.
 */
export class FullSelfAttention extends AttentionLayer<SharedQKWeights | QKVWeights> {
  readonly options: Readonly<ReturnType<typeof resolveFullOptions> & ResolvedHeadOptions & ResolvedLayerExtras>;

  constructor(options: FullSelfAttentionLayerOptions, weights?: Partial<SharedQKWeights> | Partial<QKVWeights>) {
    const core = resolveFullOptions(options, 'options', [...HEAD_OPTION_KEYS, ...LAYER_KEYS]);
    super(
      'FullSelfAttention',
      options as unknown as Record<string, unknown>,
      core.sharedQK ? SHARED_QK_WEIGHT_NAMES : QKV_WEIGHT_NAMES,
      weights as Partial<Record<string, tf.Tensor>> | undefined,
    );
    this.options = Object.freeze({...core, ...this.head, ...this.extras});
  }

  /** hidden [batch, length, hiddenSize] -> output [batch, length, hiddenSize]. */
  apply(hidden: tf.Tensor3D, call: AttentionCall = {}): LayerResult {
    this.checkAlive();
    const {dropoutSeed} = this.nextSeeds(call);
    const {seed: _s, initializerRange: _i, ...functional} = this.options;
    return {...fullSelfAttention(hidden, this.weights, functional, {...call, dropoutSeed}), dropoutSeed};
  }
}
