// Incremental decoding for the causal LM: a cache per model of every layer's past attention keys, values (and LSH
// buckets), so that each new token runs one position through the stack instead of the whole sequence.
import {chunkedLogits, layerNorm, type LmHeadWeights} from '@reformerjs/chunked-ffn';
import {LocalDecodingState, LSHDecodingState} from '@reformerjs/lsh-attention';
import {randomRotations, rotationSize, type NumBuckets} from '@reformerjs/lsh-hash';
import * as tf from '@tensorflow/tfjs-core';
import type {ReformerConfig} from './config.js';
import {axialWeightName, POSITION_EMBEDDINGS, WORD_EMBEDDINGS} from './embeddings.js';
import {attentionParameterNames, FINAL_LAYER_NORM} from './encoder.js';
import {feedForwardParameterNames, feedForwardWeights, reformerFeedForward} from './feed-forward.js';
import {LM_HEAD_BIAS, LM_HEAD_KERNEL, ReformerModelWithLMHead} from './heads.js';
import {layerRotationSeed, paddingFor, resolveCall, runReformer} from './model.js';
import {checkObject, checkSeed, describe, fail, rejectUnknownKeys} from './validate.js';

export interface DecodingCacheOptions {
  /**
   * Seed of the LSH rotations when neither `rotations` nor config.hash_seed gives them: layer i hashes with
   * the rotations `model.forward(ids, {seed})` would draw for it. Default 0.
   */
  seed?: number;
  /** Rotations by LSH layer index (as `forward`'s option), e.g. HF's draw; the other LSH layers draw theirs. */
  rotations?: Readonly<Record<number, tf.Tensor4D>>;
  /**
   * The longest sequence (prompt and generated tokens) the cache will hold. It reserves memory and, when
   * config.num_buckets is null, fixes the bucket count: HF's automatic choice for this length (padded as the
   * model pads), used at every step. Default: max_position_embeddings (or the axial grid, when smaller).
   */
  maxLength?: number;
}

const OPTION_KEYS = ['seed', 'rotations', 'maxLength'] as const;

/** The longest sequence the model accepts: max_position_embeddings, and the axial grid when there is one. */
export function maxSequenceLength(config: ReformerConfig): number {
  const grid = config.axialPosEmbds ? config.axialPosShape.reduce((p, n) => p * n, 1) : Infinity;
  return Math.min(config.maxPositionEmbeddings, grid);
}

/** What generation fixes for a whole sequence: the bucket count and every LSH layer's rotations. */
export interface DecodingSetup {
  /** The model's config with num_buckets resolved (unchanged when it was set). */
  config: ReformerConfig;
  /** Rotations by LSH layer index, owned by the setup. */
  rotations: Record<number, tf.Tensor4D>;
  maxLength: number;
}

/** Checks the model and the options and draws the rotations (the caller disposes them). */
export function decodingSetup(model: unknown, options: unknown, where = 'options'): DecodingSetup {
  const lm = checkCausalModel(model);
  const o = checkObject(where, options ?? {}) as DecodingCacheOptions & Record<string, unknown>;
  rejectUnknownKeys(where, o, OPTION_KEYS);
  const seed = o.seed === undefined ? 0 : checkSeed(`${where}.seed`, o.seed);
  const limit = maxSequenceLength(lm.config);
  let maxLength = limit;
  if (o.maxLength !== undefined) {
    if (typeof o.maxLength !== 'number' || !Number.isInteger(o.maxLength) || o.maxLength < 1 || o.maxLength > limit) {
      fail(`${where}.maxLength`, `an integer in [1, ${limit}] (${limitName(lm.config)})`, o.maxLength);
    }
    maxLength = o.maxLength;
  }
  let config = lm.config;
  if (config.numBuckets === null) {
    config = config.withResolvedNumBuckets(maxLength + paddingFor(config, maxLength));
  }
  const lshLayers = config.attnLayers.flatMap((kind, i) => (kind === 'lsh' ? [i] : []));
  const given = o.rotations === undefined ? {} : checkObject(`${where}.rotations`, o.rotations);
  for (const key of Object.keys(given)) {
    if (!lshLayers.includes(Number(key))) {
      fail(`${where}.rotations[${key}]`, `the index of an LSH layer (${lshLayers.join(', ') || 'the config has none'})`, Number(key));
    }
  }
  const rotations: Record<number, tf.Tensor4D> = {};
  try {
    for (const layer of lshLayers) {
      const provided = given[layer];
      if (provided !== undefined) {
        const shape = [config.numAttentionHeads, config.attentionHeadSize, config.numHashes, rotationSize(config.numBuckets as NumBuckets) / 2];
        if (!(provided instanceof tf.Tensor) || provided.isDisposed || provided.dtype !== 'float32' || !tf.util.arraysEqual(provided.shape, shape)) {
          fail(`${where}.rotations[${layer}]`, `a float32 tensor of shape [${shape.join(', ')}] ([num_attention_heads, attention_head_size, num_hashes, rotationSize/2])`, provided);
        }
      }
      rotations[layer] =
        provided !== undefined
          ? (tf.clone(provided as tf.Tensor4D) as tf.Tensor4D)
          : randomRotations({
              heads: config.numAttentionHeads,
              dim: config.attentionHeadSize,
              numHashes: config.numHashes,
              numBuckets: config.numBuckets as NumBuckets,
              seed: layerRotationSeed(config, seed, layer),
            });
    }
  } catch (e) {
    tf.dispose(Object.values(rotations));
    throw e;
  }
  return {config, rotations, maxLength};
}

function limitName(config: ReformerConfig): string {
  return config.axialPosEmbds && maxSequenceLength(config) < config.maxPositionEmbeddings
    ? `the positions of axial_pos_shape [${config.axialPosShape.join(', ')}]`
    : 'max_position_embeddings';
}

/** Generation needs a causal LM: a ReformerModelWithLMHead (whose config has is_decoder true). */
export function checkCausalModel(model: unknown): ReformerModelWithLMHead {
  if (!(model instanceof ReformerModelWithLMHead)) {
    const what =
      model !== null && typeof model === 'object' && 'config' in model
        ? `a ${(model as object).constructor.name}${(model as {config: {isDecoder?: boolean}}).config.isDecoder === false ? ' (is_decoder false, bidirectional)' : ''}`
        : describe(model);
    throw new Error(`model: expected a ReformerModelWithLMHead (a causal LM, config.is_decoder true), got ${what}`);
  }
  return model;
}

/** The LM head's weights as the model uses them; call inside a tidy (a zero bias is made when unused). */
export function lmHead(model: ReformerModelWithLMHead): LmHeadWeights {
  const p = model.parameters;
  return {
    kernel: p[LM_HEAD_KERNEL]!,
    bias: model.lmHeadBias ? p[LM_HEAD_BIAS]! : tf.zeros([model.config.vocabSize]),
  };
}

/** The logits of the last position of a sequence output [batch, length, 2 · hidden] -> [batch, vocab]. */
export function lastPositionLogits(model: ReformerModelWithLMHead, sequenceOutput: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, length, width] = sequenceOutput.shape;
    const last = tf.slice(sequenceOutput, [0, length - 1, 0], [batch, 1, width]) as tf.Tensor3D; // [batch, 1, 2*hidden]
    const logits = chunkedLogits(last, lmHead(model), {chunkSize: model.config.chunkSizeLmHead}); // [batch, 1, vocab]
    return tf.reshape(logits, [batch, model.config.vocabSize]) as tf.Tensor2D; // [batch, vocab]
  });
}

/**
 * The uncached reference: the model's forward over the whole sequence with the setup's bucket count and
 * rotations, and the logits of its last position [batch, vocab].
 */
export function uncachedLastLogits(model: ReformerModelWithLMHead, setup: DecodingSetup, inputIds: tf.Tensor2D): tf.Tensor2D {
  const call = resolveCall(setup.config, inputIds, {rotations: setup.rotations, seed: 0, validateInputs: false});
  return tf.tidy(() => lastPositionLogits(model, runReformer(setup.config, model.parameters, call).sequenceOutput));
}

/** x [batch, length, hidden] -> [batch, heads, length, headSize] through a bias-free [hidden, heads·headSize] weight. */
function projectHeads(x: tf.Tensor3D, weight: tf.Tensor, heads: number, headSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, length, hidden] = x.shape;
    const rows = tf.matMul(tf.reshape(x, [batch * length, hidden]), weight as tf.Tensor2D); // [batch*length, heads*headSize]
    const perHead = tf.reshape(rows, [batch, length, heads, headSize]); // [batch, length, heads, headSize]
    return tf.transpose(perHead, [0, 2, 1, 3]) as tf.Tensor4D; // [batch, heads, length, headSize]
  });
}

/** x [batch, heads, 1, headSize] -> [batch, 1, hidden] through the output projection [heads·headSize, hidden]. */
function mergeHeadsRow(x: tf.Tensor4D, weight: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, heads, , headSize] = x.shape;
    const merged = tf.reshape(x, [batch, heads * headSize]); // [batch, heads*headSize]: one position, so no transpose
    const out = tf.matMul(merged, weight as tf.Tensor2D); // [batch, hidden]
    return tf.reshape(out, [batch, 1, weight.shape[1]!]) as tf.Tensor3D; // [batch, 1, hidden]
  });
}

type LayerState = LSHDecodingState | LocalDecodingState;

/**
 * The decoding cache of a causal Reformer LM (HF's `past_buckets_states`, here per layer the projected keys and
 * values of every past position and, for LSH layers, their buckets). `forward(ids)` appends tokens and returns
 * the logits of the last one: the first call runs the model's forward over the prompt and stores each layer's
 * keys and values; every later token runs one position through the stack (embeddings, both reversible streams,
 * each attention layer's cached step, feed-forward, final LayerNorm, LM head), so a step costs the same at
 * any length (apart from O(length) integer bookkeeping per LSH round).
 *
 * Every step's attention equals, to float32 rounding, what the uncached forward over the whole sequence gives
 * the last position from the same layer inputs (the LSH window, the model's padding, the full-attention
 * fallback for one chunk). Past layer inputs are those computed when each position was processed; the uncached
 * forward recomputes them, and an LSH layer (or a local layer with numChunksBefore > 1 while the sequence has
 * at most that many chunks) gives an earlier position a different output once later tokens are sorted in. So
 * cached and uncached logits agree to rounding when only the last attention layer is such a layer, and differ
 * beyond rounding otherwise: see the README's "Generation".
 */
export class DecodingCache {
  readonly model: ReformerModelWithLMHead;
  /** The model's config with num_buckets resolved. */
  readonly config: ReformerConfig;
  /** The LSH rotations every step and the prefill use, by layer index (owned by the cache). */
  readonly rotations: Readonly<Record<number, tf.Tensor4D>>;
  readonly maxLength: number;
  readonly #setup: DecodingSetup;
  #states: LayerState[] | null = null;
  #batch = 0;
  #length = 0;
  #broken = false;
  #disposed = false;

  constructor(model: ReformerModelWithLMHead, options: DecodingCacheOptions = {}) {
    this.#setup = decodingSetup(model, options);
    this.model = model;
    this.config = this.#setup.config;
    this.rotations = this.#setup.rotations;
    this.maxLength = this.#setup.maxLength;
  }

  /** Tokens processed so far per sequence. */
  get length(): number {
    return this.#length;
  }

  /** Sequences decoded side by side (0 before the first forward). */
  get batch(): number {
    return this.#batch;
  }

  /** Key rows copied into attention windows by every step so far, all layers (the prefill copies none). */
  get gatheredRows(): number {
    return (this.#states ?? []).reduce((n, s) => n + s.gatheredRows, 0);
  }

  /** Key rows copied by the latest step, all layers: bounded by the windows, not by the length. */
  get lastStepRows(): number {
    return (this.#states ?? []).reduce((n, s) => n + s.lastStepRows, 0);
  }

  /**
   * Appends tokens and returns the logits of the last one, [batch, vocab_size] (the caller disposes them).
   * `inputIds`: int32 [batch, n] or an array of `batch` equal-length arrays of ids. The first call may pass a
   * whole prompt (one uncached forward); later calls run their tokens one position at a time.
   */
  async forward(inputIds: tf.Tensor2D | readonly (readonly number[])[]): Promise<tf.Tensor2D> {
    this.#checkUsable();
    const ids = await readIds(inputIds, this.config.vocabSize);
    const [batch, n] = [ids.length, ids[0]!.length];
    if (this.#length > 0 && batch !== this.#batch) {
      throw new Error(`inputIds: expected ${this.#batch} sequences (the batch this cache holds), got ${batch}`);
    }
    if (this.#length + n > this.maxLength) {
      throw new Error(
        `inputIds: expected at most ${this.maxLength - this.#length} more tokens (maxLength ${this.maxLength}, ${this.#length} cached), got ${n}`,
      );
    }
    try {
      if (this.#length === 0) return await this.#prefill(ids);
      let logits: tf.Tensor2D | null = null;
      for (let i = 0; i < n; i++) {
        logits?.dispose();
        logits = await this.#step(ids.map((row) => row[i]!));
      }
      return logits!;
    } catch (e) {
      this.#broken = true;
      throw e;
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const state of this.#states ?? []) state.dispose();
    tf.dispose(Object.values(this.rotations));
  }

  #checkUsable(): void {
    if (this.#disposed) throw new Error('DecodingCache: expected a live cache, got one whose dispose() was called');
    if (this.#broken) throw new Error('DecodingCache: a previous forward failed part way; its layers are out of step, so create a new cache');
    if (this.model.parameters[LM_HEAD_KERNEL]!.isDisposed) {
      throw new Error('DecodingCache: expected a live model, got one whose parameters were disposed');
    }
  }

  #createStates(batch: number): LayerState[] {
    const c = this.config;
    const shape = {batch, numHeads: c.numAttentionHeads, headSize: c.attentionHeadSize, capacity: this.maxLength};
    return c.attnLayers.map((kind, layer) =>
      kind === 'lsh'
        ? new LSHDecodingState({
            ...shape,
            chunkLength: c.lshAttnChunkLength,
            numChunksBefore: c.lshNumChunksBefore,
            numChunksAfter: c.lshNumChunksAfter,
            numHashes: c.numHashes,
            numBuckets: c.numBuckets as NumBuckets,
            causal: true,
            rotations: this.rotations[layer]!,
          })
        : new LocalDecodingState({
            ...shape,
            chunkLength: c.localAttnChunkLength,
            numChunksBefore: c.localNumChunksBefore,
            numChunksAfter: c.localNumChunksAfter,
            causal: true,
          }),
    );
  }

  /** The prompt: one uncached forward, then every layer's keys and values from its recorded input. */
  async #prefill(ids: number[][]): Promise<tf.Tensor2D> {
    const [batch, n] = [ids.length, ids[0]!.length];
    this.#states = this.#createStates(batch);
    this.#batch = batch;
    const input = tf.tensor2d(ids.flat(), [batch, n], 'int32');
    const call = resolveCall(this.config, input, {rotations: this.rotations, seed: 0, validateInputs: false, outputHiddenStates: true});
    const {sequenceOutput, allHiddenStates} = runReformer(this.config, this.model.parameters, call);
    try {
      for (let layer = 0; layer < this.#states.length; layer++) {
        // allHiddenStates[layer] is the layer's second stream: what its attention branch normalises and projects.
        const rows = this.#project(layer, allHiddenStates![layer]!);
        try {
          const state = this.#states[layer]!;
          if (state instanceof LSHDecodingState) await state.appendAsync(rows[0]!, rows[1]!);
          else await state.appendAsync(rows[1]!, rows[2]!);
        } finally {
          tf.dispose(rows);
        }
      }
      this.#length = n;
      return lastPositionLogits(this.model, sequenceOutput);
    } finally {
      tf.dispose([input, sequenceOutput, ...(allHiddenStates ?? [])]);
    }
  }

  /** LayerNorm and projections of layer `layer`: LSH [queryKey, value], local [query, key, value]. */
  #project(layer: number, x2: tf.Tensor3D): tf.Tensor4D[] {
    const c = this.config;
    const kind = c.attnLayers[layer]!;
    const [gamma, beta, ...weights] = attentionParameterNames(layer, kind).map((name) => this.model.parameters[name]!);
    return tf.tidy(() => {
      const normed = layerNorm(x2, gamma!, beta!, c.layerNormEps) as tf.Tensor3D; // [batch, length, hidden]
      const projections = weights.slice(0, -1); // the output projection comes after attention
      return projections.map((w) => projectHeads(normed, w, c.numAttentionHeads, c.attentionHeadSize)); // each [batch, heads, length, headSize]
    });
  }

  /** One token per sequence at position `length`: embeddings, every layer's cached step, head. */
  async #step(ids: number[]): Promise<tf.Tensor2D> {
    const c = this.config;
    const params = this.model.parameters;
    const total = this.#length + 1;
    const sequenceLength = total + paddingFor(c, total); // what every layer of the uncached forward would see
    let x1 = embeddingRow(c, params, ids, this.#length); // [batch, 1, hidden]
    let x2 = x1;
    for (let layer = 0; layer < c.numHiddenLayers; layer++) {
      const state = this.#states![layer]!;
      const rows = this.#project(layer, x2);
      let attended: tf.Tensor4D;
      try {
        attended =
          state instanceof LSHDecodingState
            ? await state.stepAsync(rows[0]!, rows[1]!, {sequenceLength})
            : await state.stepAsync(rows[0]!, rows[1]!, rows[2]!, {sequenceLength});
      } finally {
        tf.dispose(rows);
      }
      const output = params[attentionParameterNames(layer, c.attnLayers[layer]!).at(-1)!]!;
      const ff = feedForwardWeights(feedForwardParameterNames(layer).map((name) => params[name]!));
      const [y1, y2] = tf.tidy(() => {
        // HF's ReformerLayer: y1 = x1 + attention(x2), y2 = x2 + feed_forward(y1).
        const y1 = tf.add(x1, mergeHeadsRow(attended, output)) as tf.Tensor3D; // [batch, 1, hidden]
        const g = reformerFeedForward(y1, ff, {
          activation: c.hiddenAct,
          layerNormEps: c.layerNormEps,
          dropout: 0,
          seed: 0,
          chunkSize: c.chunkSizeFeedForward,
        }); // [batch, 1, hidden]
        return [y1, tf.add(x2, g) as tf.Tensor3D];
      });
      tf.dispose([attended, x1, x2]);
      [x1, x2] = [y1!, y2!];
    }
    this.#length = total;
    const logits = tf.tidy(() => {
      const both = tf.concat([x1, x2], 2) as tf.Tensor3D; // [batch, 1, 2*hidden]
      const [gamma, beta] = FINAL_LAYER_NORM.map((name) => params[name]!);
      const normed = layerNorm(both, gamma!, beta!, c.layerNormEps) as tf.Tensor3D; // [batch, 1, 2*hidden]
      return lastPositionLogits(this.model, normed); // [batch, vocab]
    });
    tf.dispose([x1, x2]);
    return logits;
  }
}

/**
 * The embeddings of one position for a token per sequence, exactly as reformerEmbeddings computes that
 * position within a sequence (word embedding + position embedding, no dropout): [batch, 1, hidden].
 */
function embeddingRow(config: ReformerConfig, params: Readonly<Record<string, tf.Tensor>>, ids: number[], position: number): tf.Tensor3D {
  return tf.tidy(() => {
    const batch = ids.length;
    const hidden = config.hiddenSize;
    const words = tf.gather(params[WORD_EMBEDDINGS]!, tf.tensor1d(ids, 'int32')); // [batch, hidden]
    let positionRow: tf.Tensor; // [1, hidden]
    if (config.axialPosEmbds) {
      // Position p reads grid entry p of axial_pos_shape in row-major order: one row of each axis's weight.
      const axes = config.axialPosShape;
      let rest = position;
      const index = new Array<number>(axes.length);
      for (let a = axes.length - 1; a >= 0; a--) {
        index[a] = rest % axes[a]!;
        rest = Math.floor(rest / axes[a]!);
      }
      const parts = axes.map((n, a) => {
        const weight = params[axialWeightName(a)]!;
        const table = tf.reshape(weight, [n, weight.shape[weight.rank - 1]!]); // [n_a, d_a]
        return tf.slice(table, [index[a]!, 0], [1, -1]); // [1, d_a]
      });
      positionRow = tf.concat(parts, 1); // [1, hidden]
    } else {
      positionRow = tf.slice(params[POSITION_EMBEDDINGS]!, [position, 0], [1, hidden]); // [1, hidden]
    }
    return tf.reshape(tf.add(words, positionRow), [batch, 1, hidden]) as tf.Tensor3D; // [batch, 1, hidden]
  });
}

/** Token ids as `batch` equal-length rows, each id checked against the vocabulary. */
async function readIds(value: unknown, vocabSize: number, name = 'inputIds'): Promise<number[][]> {
  let rows: number[][];
  if (value instanceof tf.Tensor) {
    if (value.isDisposed || value.rank !== 2 || value.dtype !== 'int32') {
      fail(name, 'an int32 tensor [batch, n] or an array of equal-length arrays of token ids', value);
    }
    const [batch, n] = value.shape as [number, number];
    const flat = await value.data();
    rows = Array.from({length: batch}, (_, b) => Array.from(flat.subarray(b * n, (b + 1) * n)));
  } else {
    rows = checkIdRows(value, name);
  }
  checkIdValues(rows, vocabSize, name);
  return rows;
}

/** `batch` non-empty, equal-length arrays of numbers (values not yet checked). */
export function checkIdRows(value: unknown, name: string): number[][] {
  const expected = 'a non-empty array of equal-length, non-empty arrays of token ids';
  if (!Array.isArray(value) || value.length === 0 || !value.every((row) => Array.isArray(row))) fail(name, expected, value);
  const rows = value as number[][];
  const n = rows[0]!.length;
  if (n === 0) fail(name, expected, value);
  rows.forEach((row, b) => {
    if (row.length !== n) throw new Error(`${name}[${b}]: expected ${n} token ids (the length of ${name}[0]), got ${row.length}`);
  });
  return rows;
}

/** Every id an integer in [0, vocabSize). */
export function checkIdValues(rows: readonly (readonly unknown[])[], vocabSize: number, name: string): void {
  rows.forEach((row, b) =>
    row.forEach((v, i) => {
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < vocabSize)) {
        throw new Error(`${name}: expected token ids in [0, ${vocabSize}) (vocab_size), got ${describe(v)} at [${b}, ${i}]`);
      }
    }),
  );
}
