// HF's ReformerModel: embeddings, the reversible encoder, padding to the chunk multiple and back.
import {deriveSeed} from '@reformerjs/reversible';
import * as tf from '@tensorflow/tfjs-core';
import type {ReformerConfig} from './config.js';
import {reformerEmbeddings} from './embeddings.js';
import {reformerEncoder, type LSHAttentionMode} from './encoder.js';
import {FORWARD_OPTION_KEYS, type AttentionOverride, type ForwardOptions, type ModelOptions} from './options.js';
import {disposeParameters, initParameters, parameterSpecs, type ReformerHead, type ReformerParameters} from './parameters.js';
import {
  checkAttentionMask,
  checkBoolean,
  checkInputIds,
  checkObject,
  checkSeed,
  describe,
  fail,
  formatShape,
  rejectUnknownKeys,
} from './validate.js';

/** Seeds split from a call's seed, one per consumer. */
const SEED = {embeddings: 0, stack: 1, output: 2, rotations: 3} as const;

/** How a sequence of `length` tokens is padded: HF's `_pad_to_mult_of_chunk_length` condition. */
export function paddingFor(config: ReformerConfig, length: number): number {
  const multiple = config.leastCommonMultipleChunkLength;
  // A sequence no longer than the smallest chunk is attended in full by every layer: no padding.
  if (length % multiple === 0 || length <= config.minChunkLength) return 0;
  return multiple - (length % multiple);
}

/**
 * The seed LSH layer `layer` draws its rotations from in a call whose seed is `seed`: config.hash_seed when set
 * (then every call and every layer hash alike, as in HF), else a seed derived from the call's.
 */
export function layerRotationSeed(config: ReformerConfig, seed: number, layer: number): number {
  return config.hashSeed !== null ? config.hashSeed : deriveSeed(seed, SEED.rotations, layer);
}

/** The inputs of one call, checked, with the seed resolved. */
export interface ResolvedCall {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D | undefined;
  rotations: Readonly<Record<number, tf.Tensor4D>>;
  seed: number;
  training: boolean;
  outputHiddenStates: boolean;
  reversible: boolean;
  validateInputs: boolean;
  /** How LSH layers attend in this call: their config (hash rounds) or full shared-QK attention. */
  lshAttention: LSHAttentionMode;
}

function checkAttentionOverride(config: ReformerConfig, value: unknown): LSHAttentionMode {
  if (value === undefined) return {kind: 'lsh', numHashes: config.numHashes};
  const o = checkObject('options.attentionOverride', value) as AttentionOverride & Record<string, unknown>;
  rejectUnknownKeys('options.attentionOverride', o, ['numHashes', 'full']);
  const full = checkBoolean('options.attentionOverride.full', o.full, false);
  if (o.numHashes !== undefined && (typeof o.numHashes !== 'number' || !Number.isSafeInteger(o.numHashes) || o.numHashes < 1)) {
    fail('options.attentionOverride.numHashes', 'a positive integer (hash rounds)', o.numHashes);
  }
  if (full && o.numHashes !== undefined) {
    fail('options.attentionOverride', 'either numHashes or full: true (full attention does not hash)', value);
  }
  if (full) return {kind: 'full'};
  return {kind: 'lsh', numHashes: o.numHashes ?? config.numHashes};
}

/** Checks a call's input ids and options against the config. */
export function resolveCall(
  config: ReformerConfig,
  inputIds: unknown,
  options: unknown,
  knownKeys: readonly string[] = FORWARD_OPTION_KEYS,
): ResolvedCall {
  const o = checkObject('options', options ?? {}) as ForwardOptions & Record<string, unknown>;
  rejectUnknownKeys('options', o, knownKeys);
  const validateInputs = checkBoolean('options.validateInputs', o.validateInputs, true);
  const ids = checkInputIds(inputIds, validateInputs ? config.vocabSize : undefined);
  const length = ids.shape[1];
  if (length > config.maxPositionEmbeddings) {
    throw new Error(
      `inputIds: expected a sequence length <= max_position_embeddings (${config.maxPositionEmbeddings}), got ${length} (shape ${formatShape(ids.shape)})`,
    );
  }
  if (config.axialPosEmbds) {
    const positions = config.axialPosShape.reduce((p, n) => p * n, 1);
    if (length > positions) {
      throw new Error(
        `inputIds: expected a sequence length <= ${positions}, the positions of axial_pos_shape ${formatShape(config.axialPosShape)}, got ${length}`,
      );
    }
  }
  const attentionMask = checkAttentionMask(o.attentionMask, ids);
  const lshAttention = checkAttentionOverride(config, o.attentionOverride);
  const rotations = checkRotations(config, o.rotations, lshAttention.kind === 'lsh' ? lshAttention.numHashes : config.numHashes);
  const seed = o.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : checkSeed('options.seed', o.seed);
  return {
    inputIds: ids,
    attentionMask,
    rotations,
    seed,
    training: checkBoolean('options.training', o.training, false),
    outputHiddenStates: checkBoolean('options.outputHiddenStates', o.outputHiddenStates, false),
    reversible: checkBoolean('options.reversible', o.reversible, true),
    validateInputs,
    lshAttention,
  };
}

function checkRotations(config: ReformerConfig, value: unknown, numHashes: number): Readonly<Record<number, tf.Tensor4D>> {
  if (value === undefined) return {};
  const record = checkObject('options.rotations', value);
  const lshLayers = config.attnLayers.flatMap((kind, i) => (kind === 'lsh' ? [i] : []));
  const out: Record<number, tf.Tensor4D> = {};
  for (const [key, rotation] of Object.entries(record)) {
    const layer = Number(key);
    const name = `options.rotations[${key}]`;
    if (!lshLayers.includes(layer)) {
      throw new Error(
        `${name}: expected the index of an LSH layer (${lshLayers.length > 0 ? lshLayers.join(', ') : 'the config has none'}), got layer ${key}${
          Number.isInteger(layer) && layer >= 0 && layer < config.attnLayers.length ? ` ('${config.attnLayers[layer]}')` : ''
        }`,
      );
    }
    const expected = `a float32 tensor [num_attention_heads ${config.numAttentionHeads}, attention_head_size ${config.attentionHeadSize}, num_hashes ${numHashes}, rotationSize/2]`;
    if (!(rotation instanceof tf.Tensor) || rotation.isDisposed || rotation.dtype !== 'float32' || rotation.rank !== 4) {
      fail(name, expected, rotation);
    }
    const [heads, dim, hashes] = rotation.shape;
    if (heads !== config.numAttentionHeads || dim !== config.attentionHeadSize || hashes !== numHashes) {
      fail(name, expected, rotation);
    }
    out[layer] = rotation as tf.Tensor4D;
  }
  return out;
}

export type ReformerOutput = {
  /** The encoder's output cut back to the input length: [batch, length, 2 · hidden_size]. */
  sequenceOutput: tf.Tensor3D;
  /** HF's hidden_states when asked for, each [batch, length, hidden_size]. */
  allHiddenStates?: tf.Tensor3D[];
};

/**
 * HF's ReformerModel.forward for position ids 0 .. length − 1. A length that is not a multiple of the least
 * common multiple of the chunk lengths in use, and longer than the smallest of them, is padded up to that
 * multiple (pad_token_id, attention mask 0), in training too; the outputs are cut back to the input length.
 */
export function runReformer(
  config: ReformerConfig,
  params: Readonly<Record<string, tf.Tensor>>,
  call: ResolvedCall,
): ReformerOutput {
  return tf.tidy(() => {
    const {inputIds, seed} = call;
    const [batch, length] = inputIds.shape;
    const padding = paddingFor(config, length);
    let ids = inputIds;
    if (padding > 0) {
      // Padding tokens are never attended to (mask 0) and their outputs are dropped, so their ids and positions
      // do not change the result: pad_token_id (or 0 without one) and positions length .. length + padding − 1.
      const fill = tf.fill([batch, padding], config.padTokenId ?? 0, 'int32');
      ids = tf.concat([inputIds, fill], 1) as tf.Tensor2D; // [batch, length + padding]
    }
    const embeddings = reformerEmbeddings(config, params, ids, {
      training: call.training,
      seed: deriveSeed(seed, SEED.embeddings),
    }); // [batch, padded, hidden]
    const encoded = reformerEncoder(config, params, embeddings, {
      attentionMask: call.attentionMask,
      padding,
      rotations: call.rotations,
      rotationSeed: (layer) => layerRotationSeed(config, seed, layer),
      training: call.training,
      stackSeed: deriveSeed(seed, SEED.stack),
      outputSeed: deriveSeed(seed, SEED.output),
      reversible: call.reversible,
      outputHiddenStates: call.outputHiddenStates,
      lshAttention: call.lshAttention,
    });
    const cut = <T extends tf.Tensor>(t: T): T =>
      padding === 0 ? t : (tf.slice(t, [0, 0, 0], [batch, length, t.shape[2]!]) as T); // [batch, length, width]
    const out: ReformerOutput = {sequenceOutput: cut(encoded.output)};
    if (encoded.allHiddenStates) {
      out.allHiddenStates = encoded.allHiddenStates.map(cut);
      if (padding > 0) tf.dispose(encoded.allHiddenStates);
    }
    return out;
  });
}

/** Checks given parameters against the specs of `head`'s model, or creates them. */
function setUpParameters(
  config: ReformerConfig,
  head: ReformerHead,
  options: ModelOptions,
  className: string,
): {parameters: ReformerParameters; owned: boolean} {
  const seed = options.seed === undefined ? 0 : checkSeed('options.seed', options.seed);
  if (options.parameters === undefined) return {parameters: initParameters(config, head, seed), owned: true};
  const given = checkObject('options.parameters', options.parameters);
  const specs = parameterSpecs(config, head);
  const names = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const v = given[spec.name];
    const name = `options.parameters['${spec.name}']`;
    if (v === undefined) {
      throw new Error(`${name}: expected a float32 tf.Variable of shape ${formatShape(spec.shape)} (a parameter of ${className} under this config), got none`);
    }
    if (!(v instanceof tf.Variable) || v.isDisposed || v.dtype !== 'float32' || !tf.util.arraysEqual(v.shape, spec.shape)) {
      fail(name, `a float32 tf.Variable of shape ${formatShape(spec.shape)} (tfjs orientation${spec.transposed ? ', HF\'s [out, in] transposed' : ''})`, v);
    }
  }
  for (const key of Object.keys(given)) {
    // The LM head's parameters may come along with a bare model (e.g. features from an LM checkpoint).
    if (!names.has(key) && !(head === 'none' && key.startsWith('lm_head.'))) {
      throw new Error(
        `options.parameters['${key}']: expected only the parameters of ${className} under this config (see parameterSpecs), got an unknown one (${describe(given[key])})`,
      );
    }
  }
  return {parameters: options.parameters, owned: false};
}

/** Throws unless `config` is a ReformerConfig (duck-typed, so that two copies of this package still agree). */
export function checkConfig(config: unknown): asserts config is ReformerConfig {
  const c = config as Partial<ReformerConfig> | null;
  if (c === null || typeof c !== 'object' || typeof c.toJSON !== 'function' || !Array.isArray(c.attnLayers)) {
    fail('config', 'a ReformerConfig (ReformerConfig.fromJSON(json) for a config.json)', config);
  }
}

/** What the three model classes share: the config, the parameters and their lifetime. */
export abstract class ReformerBase {
  readonly config: ReformerConfig;
  /** Every parameter, by HF name (`reformer.…`, `lm_head.…`), tfjs orientation. */
  readonly parameters: ReformerParameters;
  readonly #owned: boolean;
  #disposed = false;

  protected constructor(config: ReformerConfig, head: ReformerHead, options: ModelOptions | undefined, className: string) {
    checkConfig(config);
    const o = checkObject('options', options ?? {}) as ModelOptions & Record<string, unknown>;
    rejectUnknownKeys('options', o, ['parameters', 'seed']);
    this.config = config;
    const {parameters, owned} = setUpParameters(config, head, o, className);
    this.parameters = parameters;
    this.#owned = owned;
  }

  protected checkLive(): void {
    if (this.#disposed) throw new Error(`${this.constructor.name}: expected a live model, got one whose dispose() was called`);
  }

  /** Frees the parameters the model created; parameters passed to the constructor stay the caller's. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#owned) disposeParameters(this.parameters);
  }
}

/** HF's ReformerModel: the encoder without a head. */
export class ReformerModel extends ReformerBase {
  constructor(config: ReformerConfig, options?: ModelOptions) {
    super(config, 'none', options, 'ReformerModel');
  }

  /**
   * inputIds int32 [batch, length] ->
   * `hiddenStates` [batch, length, 2 · hidden_size]: LayerNorm over both reversible streams (HF's
   * last_hidden_state); `allHiddenStates` (with `outputHiddenStates`): HF's hidden_states, the second stream
   * before each layer and after the last, num_hidden_layers + 1 tensors [batch, length, hidden_size].
   */
  forward(inputIds: tf.Tensor2D, options: ForwardOptions = {}): {hiddenStates: tf.Tensor3D; allHiddenStates?: tf.Tensor3D[]} {
    this.checkLive();
    const call = resolveCall(this.config, inputIds, options);
    const {sequenceOutput, allHiddenStates} = runReformer(this.config, this.parameters, call);
    return allHiddenStates ? {hiddenStates: sequenceOutput, allHiddenStates} : {hiddenStates: sequenceOutput};
  }
}
