// Hugging Face's ReformerConfig, read and written under HF's own field names so that a config.json moves
// between this project and transformers unchanged, with camelCase accessors for TypeScript users.
import {SUPPORTED_ACTIVATIONS as FEED_FORWARD_ACTIVATIONS, type ActivationName} from '@reformerjs/chunked-ffn';

/** The attention kinds a layer can have. */
export type AttnLayerType = 'lsh' | 'local';

/** An even bucket count, a factorised list of even counts (hashed per factor), or null (chosen per sequence length). */
export type NumBuckets = number | readonly number[] | null;

/**
 * The activations `hidden_act` may name: the ones transformers' ACT2FN defines that make sense for the
 * feed-forward, which are exactly those the chunked feed-forward implements (chunked-ffn's list is the one
 * source). `swish` is `silu`; `gelu` is the exact (erf) GELU; `gelu_new`, `gelu_pytorch_tanh` and
 * `gelu_fast` are the same tanh approximation; `quick_gelu` is x·sigmoid(1.702x).
 */
export const SUPPORTED_ACTIVATIONS = FEED_FORWARD_ACTIVATIONS;
export type HiddenAct = ActivationName;

/** The fields of HF's ReformerConfig, under HF's names. Any other field of a config.json is kept as it is. */
export interface ReformerConfigJSON {
  attention_head_size: number;
  attn_layers: readonly AttnLayerType[];
  axial_norm_std: number;
  axial_pos_embds: boolean;
  axial_pos_embds_dim: readonly number[];
  axial_pos_shape: readonly number[];
  bos_token_id: number | null;
  chunk_size_feed_forward: number;
  chunk_size_lm_head: number;
  classifier_dropout: number | null;
  eos_token_id: number | null;
  feed_forward_size: number;
  hash_seed: number | null;
  hidden_act: HiddenAct;
  hidden_dropout_prob: number;
  hidden_size: number;
  initializer_range: number;
  is_decoder: boolean;
  layer_norm_eps: number;
  local_attention_probs_dropout_prob: number;
  local_attn_chunk_length: number;
  local_num_chunks_after: number;
  local_num_chunks_before: number;
  lsh_attention_probs_dropout_prob: number;
  lsh_attn_chunk_length: number;
  lsh_num_chunks_after: number;
  lsh_num_chunks_before: number;
  max_position_embeddings: number;
  num_attention_heads: number;
  num_buckets: NumBuckets;
  num_hashes: number;
  pad_token_id: number | null;
  tie_word_embeddings: boolean;
  use_cache: boolean;
  vocab_size: number;
}

/** What the constructor and {@link ReformerConfig.fromJSON} accept: any subset of the fields, plus anything else. */
export type ReformerConfigInit = Partial<ReformerConfigJSON> & {
  num_hidden_layers?: number;
  model_type?: string;
  [other: string]: unknown;
};

/** HF's defaults (transformers' ReformerConfig.__init__; its docstring disagrees in places, the code wins). */
export const REFORMER_DEFAULTS: Readonly<ReformerConfigJSON> = deepFreeze({
  attention_head_size: 64,
  attn_layers: ['local', 'lsh', 'local', 'lsh', 'local', 'lsh'],
  axial_norm_std: 1.0,
  axial_pos_embds: true,
  axial_pos_embds_dim: [64, 192],
  axial_pos_shape: [64, 64],
  bos_token_id: null,
  chunk_size_feed_forward: 0,
  chunk_size_lm_head: 0,
  classifier_dropout: null,
  eos_token_id: 2,
  feed_forward_size: 512,
  hash_seed: null,
  hidden_act: 'relu',
  hidden_dropout_prob: 0.05,
  hidden_size: 256,
  initializer_range: 0.02,
  is_decoder: false,
  layer_norm_eps: 1e-12,
  local_attention_probs_dropout_prob: 0.05,
  local_attn_chunk_length: 64,
  local_num_chunks_after: 0,
  local_num_chunks_before: 1,
  lsh_attention_probs_dropout_prob: 0.0,
  lsh_attn_chunk_length: 64,
  lsh_num_chunks_after: 0,
  lsh_num_chunks_before: 1,
  max_position_embeddings: 4096,
  num_attention_heads: 12,
  num_buckets: null,
  num_hashes: 1,
  pad_token_id: 0,
  tie_word_embeddings: false,
  use_cache: true,
  vocab_size: 320,
} satisfies ReformerConfigJSON);

const KNOWN_FIELDS = Object.keys(REFORMER_DEFAULTS) as (keyof ReformerConfigJSON)[];

// Fields HF's generic config base class owns: its writer leaves them out while they hold the base default,
// so they are written back only when the source had them or they differ from the default.
const BASE_CLASS_FIELDS: ReadonlySet<string> = new Set(['bos_token_id', 'chunk_size_feed_forward']);

// Fields Python holds as floats, written with a decimal point as Python's json module does.
const FLOAT_FIELDS: ReadonlySet<string> = new Set([
  'axial_norm_std',
  'classifier_dropout',
  'hidden_dropout_prob',
  'initializer_range',
  'layer_norm_eps',
  'local_attention_probs_dropout_prob',
  'lsh_attention_probs_dropout_prob',
]);

const DERIVED_FIELDS: ReadonlySet<string> = new Set(['num_hidden_layers', 'model_type']);

type Json = null | boolean | number | string | readonly Json[] | {readonly [key: string]: Json};

// Assignment to a key named "__proto__" would change the prototype instead of adding a field.
function setOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, {value, enumerable: true, writable: true, configurable: true});
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function invalid(field: string, expected: string, got: unknown): Error {
  return new Error(`ReformerConfig.${field}: expected ${expected}, got ${show(got)}`);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function cloneJson(value: unknown, field: string): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(field, 'a finite number', value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => cloneJson(v, `${field}[${i}]`));
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      setOwn(out, k, cloneJson(v, `${field}.${k}`));
    }
    return out;
  }
  throw invalid(field, 'a JSON value', value);
}

function validate(f: Record<keyof ReformerConfigJSON, unknown>): ReformerConfigJSON {
  const positiveInts = [
    'attention_head_size',
    'feed_forward_size',
    'hidden_size',
    'local_attn_chunk_length',
    'lsh_attn_chunk_length',
    'max_position_embeddings',
    'num_attention_heads',
    'num_hashes',
    'vocab_size',
  ] as const;
  for (const name of positiveInts) {
    if (!isInt(f[name]) || (f[name] as number) < 1) throw invalid(name, 'a positive integer', f[name]);
  }
  const nonNegativeInts = [
    'chunk_size_feed_forward',
    'chunk_size_lm_head',
    'local_num_chunks_after',
    'local_num_chunks_before',
    'lsh_num_chunks_after',
    'lsh_num_chunks_before',
  ] as const;
  for (const name of nonNegativeInts) {
    if (!isInt(f[name]) || (f[name] as number) < 0) throw invalid(name, 'a non-negative integer', f[name]);
  }
  for (const name of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    if (f[name] !== null && (!isInt(f[name]) || (f[name] as number) < 0)) {
      throw invalid(name, 'a non-negative integer or null', f[name]);
    }
  }
  if (f.hash_seed !== null && !isInt(f.hash_seed)) throw invalid('hash_seed', 'an integer or null', f.hash_seed);
  for (const name of ['axial_pos_embds', 'is_decoder', 'tie_word_embeddings', 'use_cache'] as const) {
    if (typeof f[name] !== 'boolean') throw invalid(name, 'true or false', f[name]);
  }
  const probabilities = ['hidden_dropout_prob', 'local_attention_probs_dropout_prob', 'lsh_attention_probs_dropout_prob'] as const;
  for (const name of probabilities) {
    const p = f[name];
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw invalid(name, 'a probability in [0, 1)', p);
  }
  const c = f.classifier_dropout;
  if (c !== null && (typeof c !== 'number' || !(c >= 0 && c < 1))) {
    throw invalid('classifier_dropout', 'a probability in [0, 1) or null', c);
  }
  for (const name of ['axial_norm_std', 'initializer_range'] as const) {
    const v = f[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(name, 'a finite number >= 0', v);
  }
  if (typeof f.layer_norm_eps !== 'number' || !Number.isFinite(f.layer_norm_eps) || f.layer_norm_eps <= 0) {
    throw invalid('layer_norm_eps', 'a finite number > 0', f.layer_norm_eps);
  }
  if (typeof f.hidden_act !== 'string' || !(SUPPORTED_ACTIVATIONS as readonly string[]).includes(f.hidden_act)) {
    throw invalid('hidden_act', `one of ${SUPPORTED_ACTIVATIONS.join(', ')}`, f.hidden_act);
  }

  const layers = f.attn_layers;
  if (!Array.isArray(layers) || layers.length === 0) throw invalid('attn_layers', "a non-empty list of 'lsh' and 'local'", layers);
  layers.forEach((t, i) => {
    if (t !== 'lsh' && t !== 'local') throw invalid(`attn_layers[${i}]`, "'lsh' or 'local'", t);
  });

  const evenAtLeast2 = (v: unknown): boolean => isInt(v) && v >= 2 && v % 2 === 0;
  const b = f.num_buckets;
  if (!(b === null || evenAtLeast2(b) || (Array.isArray(b) && b.length > 0 && b.every(evenAtLeast2)))) {
    throw invalid('num_buckets', 'an even integer >= 2, a non-empty list of them, or null (automatic)', b);
  }

  for (const name of ['axial_pos_shape', 'axial_pos_embds_dim'] as const) {
    const v = f[name];
    if (!Array.isArray(v) || v.length === 0 || !v.every((d) => isInt(d) && d >= 1)) {
      throw invalid(name, 'a non-empty list of positive integers', v);
    }
  }
  if (f.axial_pos_embds === true) {
    const dims = f.axial_pos_embds_dim as number[];
    const shape = f.axial_pos_shape as number[];
    const sum = dims.reduce((a, d) => a + d, 0);
    if (sum !== f.hidden_size) {
      throw invalid('axial_pos_embds_dim', `dims summing to hidden_size ${f.hidden_size as number} (axial_pos_embds is true)`, dims);
    }
    if (dims.length !== shape.length) {
      throw invalid('axial_pos_embds_dim', `one dim per axis of axial_pos_shape ${show(shape)}`, dims);
    }
  }
  return f as ReformerConfigJSON;
}

/**
 * Hugging Face's ReformerConfig. Loads a `config.json` as HF writes it (HF's field names and defaults),
 * validates it, keeps every field it does not know, and writes it back the way HF does. Immutable:
 * resolving the automatic bucket count returns a value (or a new config), never changes this one.
 *
 * What HF checks at run time rather than here: the sequence length must not exceed
 * `max_position_embeddings`, and with axial position embeddings `prod(axial_pos_shape)` must equal the
 * sequence length in training and be at least it in inference. A config whose product differs from
 * `max_position_embeddings` is therefore valid (only the lengths it can run are limited).
 */
export class ReformerConfig {
  readonly #fields: Readonly<ReformerConfigJSON>;
  readonly #extra: Readonly<Record<string, Json>>;
  readonly #present: ReadonlySet<string>;

  constructor(init: ReformerConfigInit = {}) {
    if (init === null || typeof init !== 'object' || Array.isArray(init)) {
      throw new Error(`ReformerConfig: expected a config object, got ${show(init)}`);
    }
    // Undefined means absent, so that TypeScript callers may pass optional fields through.
    const source: Record<string, Json> = Object.create(null);
    for (const [key, value] of Object.entries(init)) if (value !== undefined) source[key] = cloneJson(value, key);
    if ('model_type' in source && source['model_type'] !== 'reformer') {
      throw invalid('model_type', "'reformer'", source['model_type']);
    }
    const fields = {} as Record<keyof ReformerConfigJSON, unknown>;
    for (const name of KNOWN_FIELDS) {
      fields[name] = name in source ? source[name] : cloneJson(REFORMER_DEFAULTS[name], name);
    }
    const validated = validate(fields);
    if ('num_hidden_layers' in source && source['num_hidden_layers'] !== validated.attn_layers.length) {
      throw invalid('num_hidden_layers', `the length of attn_layers (${validated.attn_layers.length})`, source['num_hidden_layers']);
    }
    const extra: Record<string, Json> = {};
    for (const key of Object.keys(source)) {
      if (!(KNOWN_FIELDS as string[]).includes(key) && !DERIVED_FIELDS.has(key)) {
        setOwn(extra, key, source[key]);
      }
    }
    this.#fields = deepFreeze(validated);
    this.#extra = deepFreeze(extra);
    this.#present = new Set(Object.keys(source));
  }

  /** Loads a parsed config.json (HF field names; missing fields take HF's defaults). */
  static fromJSON(json: unknown): ReformerConfig {
    return new ReformerConfig(json as ReformerConfigInit);
  }

  /** Same as {@link ReformerConfig.fromJSON}: the JSON is HF's. */
  static fromHF(json: unknown): ReformerConfig {
    return ReformerConfig.fromJSON(json);
  }

  /** Parses the text of a config.json. */
  static fromJSONString(text: string): ReformerConfig {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`ReformerConfig: config.json is not valid JSON (${(e as Error).message})`);
    }
    return ReformerConfig.fromJSON(json);
  }

  /** A new config with some fields replaced (HF names), validated like any other. */
  with(overrides: ReformerConfigInit): ReformerConfig {
    const base = this.toJSON();
    const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(overrides, key);
    // num_hidden_layers follows attn_layers unless given too.
    if (has('attn_layers') && !has('num_hidden_layers')) delete base['num_hidden_layers'];
    return new ReformerConfig({...base, ...overrides});
  }

  /**
   * The config as HF writes it: every ReformerConfig field, `model_type` and `num_hidden_layers`, the
   * unknown fields as they were read, keys sorted. A new object each call.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.#extra)) setOwn(out, key, value);
    for (const name of KNOWN_FIELDS) {
      const value = this.#fields[name];
      if (BASE_CLASS_FIELDS.has(name) && !this.#present.has(name) && value === REFORMER_DEFAULTS[name]) continue;
      out[name] = value;
    }
    out['model_type'] = 'reformer';
    out['num_hidden_layers'] = this.#fields.attn_layers.length;
    const sorted = sortKeys(out);
    for (const key of Object.keys(sorted)) setOwn(sorted, key, cloneJson(sorted[key], key));
    return sorted;
  }

  /** The text HF's `save_pretrained` writes for this config (2-space indent, sorted keys, ASCII, Python floats). */
  toJSONString(): string {
    return `${pythonJsonDumps(this.toJSON() as Json, '', null)}\n`;
  }

  /** The fields this class does not interpret (architectures, transformers_version, dtype, ...). */
  get extraFields(): Readonly<Record<string, unknown>> {
    return this.#extra;
  }

  /**
   * The bucket count LSH layers use for a sequence of `sequenceLength`: `num_buckets` when set, else HF's
   * automatic choice (about 2·length/chunk, a power of two, factorised in two when large). Never changes
   * the config; see {@link ReformerConfig.withResolvedNumBuckets} for a config that keeps the choice.
   */
  resolveNumBuckets(sequenceLength: number): number | readonly number[] {
    if (this.#fields.num_buckets !== null) return this.#fields.num_buckets;
    if (!isInt(sequenceLength) || sequenceLength < 1) {
      throw new Error(`resolveNumBuckets: sequenceLength: expected a positive integer, got ${show(sequenceLength)}`);
    }
    const chunk = this.#fields.lsh_attn_chunk_length;
    // A sequence within one chunk needs no hashing at all; two buckets keep the shapes well defined.
    const target = 2 * Math.max(1, Math.floor(sequenceLength / chunk));
    const log2 = Math.floor(Math.log2(target));
    const limit = 2 * Math.max(Math.floor(Math.sqrt(Math.floor(this.#fields.max_position_embeddings / chunk))), chunk);
    if (2 ** log2 > limit) return Object.freeze([2 ** Math.floor(log2 / 2), 2 ** (log2 - Math.floor(log2 / 2))]);
    return 2 ** log2;
  }

  /** This config with `num_buckets` fixed to {@link ReformerConfig.resolveNumBuckets}(sequenceLength). */
  withResolvedNumBuckets(sequenceLength: number): ReformerConfig {
    const resolved = this.resolveNumBuckets(sequenceLength);
    return this.#fields.num_buckets !== null ? this : this.with({num_buckets: resolved});
  }

  /** Total bucket count of one hash round: num_buckets, or the product of its factors (null when automatic). */
  get totalNumBuckets(): number | null {
    const b = this.#fields.num_buckets;
    if (b === null) return null;
    return typeof b === 'number' ? b : b.reduce((p, x) => p * x, 1);
  }

  /** num_attention_heads × attention_head_size: the width of the attention projections. */
  get allHeadSize(): number {
    return this.#fields.num_attention_heads * this.#fields.attention_head_size;
  }

  /** The chunk length every layer divides: the LSH, local, or least common multiple of both that are used. */
  get leastCommonMultipleChunkLength(): number {
    const {lsh, local} = this.#chunkLengthsInUse();
    if (lsh === undefined) return local!;
    if (local === undefined) return lsh;
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    return (lsh / gcd(lsh, local)) * local;
  }

  /** The smallest chunk length among the layer kinds in use. */
  get minChunkLength(): number {
    const {lsh, local} = this.#chunkLengthsInUse();
    return Math.min(lsh ?? Infinity, local ?? Infinity);
  }

  #chunkLengthsInUse(): {lsh?: number; local?: number} {
    const layers = this.#fields.attn_layers;
    return {
      lsh: layers.includes('lsh') ? this.#fields.lsh_attn_chunk_length : undefined,
      local: layers.includes('local') ? this.#fields.local_attn_chunk_length : undefined,
    };
  }

  get attentionHeadSize(): number { return this.#fields.attention_head_size; }
  get attnLayers(): readonly AttnLayerType[] { return this.#fields.attn_layers; }
  get axialNormStd(): number { return this.#fields.axial_norm_std; }
  get axialPosEmbds(): boolean { return this.#fields.axial_pos_embds; }
  get axialPosEmbdsDim(): readonly number[] { return this.#fields.axial_pos_embds_dim; }
  get axialPosShape(): readonly number[] { return this.#fields.axial_pos_shape; }
  get bosTokenId(): number | null { return this.#fields.bos_token_id; }
  get chunkSizeFeedForward(): number { return this.#fields.chunk_size_feed_forward; }
  get chunkSizeLmHead(): number { return this.#fields.chunk_size_lm_head; }
  get classifierDropout(): number | null { return this.#fields.classifier_dropout; }
  get eosTokenId(): number | null { return this.#fields.eos_token_id; }
  get feedForwardSize(): number { return this.#fields.feed_forward_size; }
  get hashSeed(): number | null { return this.#fields.hash_seed; }
  get hiddenAct(): HiddenAct { return this.#fields.hidden_act; }
  get hiddenDropoutProb(): number { return this.#fields.hidden_dropout_prob; }
  get hiddenSize(): number { return this.#fields.hidden_size; }
  get initializerRange(): number { return this.#fields.initializer_range; }
  get isDecoder(): boolean { return this.#fields.is_decoder; }
  get layerNormEps(): number { return this.#fields.layer_norm_eps; }
  get localAttentionProbsDropoutProb(): number { return this.#fields.local_attention_probs_dropout_prob; }
  get localAttnChunkLength(): number { return this.#fields.local_attn_chunk_length; }
  get localNumChunksAfter(): number { return this.#fields.local_num_chunks_after; }
  get localNumChunksBefore(): number { return this.#fields.local_num_chunks_before; }
  get lshAttentionProbsDropoutProb(): number { return this.#fields.lsh_attention_probs_dropout_prob; }
  get lshAttnChunkLength(): number { return this.#fields.lsh_attn_chunk_length; }
  get lshNumChunksAfter(): number { return this.#fields.lsh_num_chunks_after; }
  get lshNumChunksBefore(): number { return this.#fields.lsh_num_chunks_before; }
  get maxPositionEmbeddings(): number { return this.#fields.max_position_embeddings; }
  get numAttentionHeads(): number { return this.#fields.num_attention_heads; }
  get numBuckets(): NumBuckets { return this.#fields.num_buckets; }
  get numHashes(): number { return this.#fields.num_hashes; }
  /** attn_layers.length (HF derives num_hidden_layers from it). */
  get numHiddenLayers(): number { return this.#fields.attn_layers.length; }
  get padTokenId(): number | null { return this.#fields.pad_token_id; }
  get tieWordEmbeddings(): boolean { return this.#fields.tie_word_embeddings; }
  get useCache(): boolean { return this.#fields.use_cache; }
  get vocabSize(): number { return this.#fields.vocab_size; }
}

// Code point order, which is how Python sorts str keys.
function compareKeys(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function sortKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort(compareKeys)) setOwn(out, key, obj[key]);
  return out;
}

/** Python's repr of a float: the shortest round-trip digits, in fixed notation for 1e-4 <= |x| < 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = x < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${integer}.${fraction}`;
}

function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

// json.dumps(value, indent=2, sort_keys=True) as Python writes it. `key` says whether a number is a
// float field (written with a decimal point); other integers are written as integers.
function pythonJsonDumps(value: Json, indent: string, key: string | null): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') {
    return Number.isInteger(value) && !(key !== null && FLOAT_FIELDS.has(key)) ? String(value) : pythonFloatRepr(value);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + pythonJsonDumps(v, inner, key)).join(',\n')}\n${indent}]`;
  }
  const obj = value as Record<string, Json>;
  const keys = Object.keys(obj).sort(compareKeys);
  if (keys.length === 0) return '{}';
  const top = indent === '';
  return `{\n${keys
    .map((k) => `${inner}${pythonString(k)}: ${pythonJsonDumps(obj[k]!, inner, top ? k : null)}`)
    .join(',\n')}\n${indent}}`;
}
