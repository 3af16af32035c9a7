// HF's ReformerEncoder: the reversible stack of ReformerLayers (f = LayerNorm → LSH or local self-attention →
// output projection → dropout, g = the chunked feed-forward), then LayerNorm over both streams and dropout.
import {layerNorm} from '@reformerjs/chunked-ffn';
import {fullSelfAttention, localSelfAttention, lshSelfAttention, type LSHSelfAttentionOptions, type LocalSelfAttentionOptions, type NumBuckets} from '@reformerjs/lsh-attention';
import {deriveSeed, reversibleStack, type ReversibleContext, type ReversibleFunction, type ReversibleLayer} from '@reformerjs/reversible';
import * as tf from '@tensorflow/tfjs-core';
import type {AttnLayerType, ReformerConfig} from './config.js';
import {seededDropout} from './dropout.js';
import {feedForwardParameterNames, feedForwardWeights, reformerFeedForward, reformerFeedForwardVjp, type FeedForwardCall} from './feed-forward.js';

/** The parameter names f of layer `i` reads, in the order f takes them. */
export function attentionParameterNames(layer: number, kind: AttnLayerType): string[] {
  const p = `reformer.encoder.layers.${layer}.attention`;
  const projections = kind === 'lsh' ? ['query_key', 'value'] : ['query', 'key', 'value'];
  return [
    `${p}.layer_norm.weight`,
    `${p}.layer_norm.bias`,
    ...projections.map((name) => `${p}.self_attention.${name}.weight`),
    `${p}.output.dense.weight`,
  ];
}

export const FINAL_LAYER_NORM = ['reformer.encoder.layer_norm.weight', 'reformer.encoder.layer_norm.bias'] as const;

/**
 * How the LSH layers of a call attend: LSH with `numHashes` rounds (config.num_hashes unless overridden), or
 * full shared-QK attention (every query against every allowed key, what LSH approximates).
 */
export type LSHAttentionMode = {kind: 'lsh'; numHashes: number} | {kind: 'full'};

/** Per-call inputs of the encoder. */
export interface EncoderCall {
  /**
   * The caller's attention mask over the unpadded sequence ([batch, length - padding], any dtype, 0 = padding), or
   * undefined. Branches rebuild the padded int32 mask from it on every call, the backward's recomputes included:
   * a tensor made once here would be gone by the time the backward runs.
   */
  attentionMask: tf.Tensor2D | undefined;
  /** Positions appended at the end of the sequence (mask 0). */
  padding: number;
  /** Rotations to hash with, per LSH layer index (HF's draw, for parity); the others are drawn from `rotationSeed`. */
  rotations: Readonly<Record<number, tf.Tensor4D>>;
  /** Seed of the rotations drawn for LSH layer `layer`. */
  rotationSeed: (layer: number) => number;
  /** Dropout on. */
  training: boolean;
  /** The reversible stack's step seed (every layer's dropout seeds derive from it). */
  stackSeed: number;
  /** Seed of the dropout after the final LayerNorm. */
  outputSeed: number;
  /** Reversible stack (true) or ordinary residual blocks under autodiff (false). */
  reversible: boolean;
  /** Collect HF's hidden_states: the second stream before every layer and after the last. */
  outputHiddenStates: boolean;
  /** How the LSH layers attend (ForwardOptions.attentionOverride). */
  lshAttention: LSHAttentionMode;
}

export interface EncoderResult {
  /** LayerNorm(concat(y1, y2)) with dropout, [batch, length, 2 · hidden]. */
  output: tf.Tensor3D;
  /** HF's hidden_states (see EncoderCall.outputHiddenStates): numHiddenLayers + 1 tensors [batch, length, hidden]. */
  allHiddenStates?: tf.Tensor3D[];
}

/**
 * The int32 0/1 mask [batch, length] of the (padded) sequence: the caller's mask with zeros for the padding, or
 * undefined when every position is a token. Call inside a tidy.
 */
function paddedMask(call: EncoderCall, batch: number, length: number): tf.Tensor2D | undefined {
  const given = call.attentionMask;
  if (given === undefined && call.padding === 0) return undefined;
  const real = given
    ? tf.cast(tf.notEqual(given, tf.scalar(0, given.dtype)), 'int32')
    : tf.ones([batch, length - call.padding], 'int32'); // [batch, length - padding]
  if (call.padding === 0) return real as tf.Tensor2D;
  return tf.concat([real, tf.zeros([batch, call.padding], 'int32')], 1) as tf.Tensor2D; // [batch, length]
}

/** Seeds split from a branch's ctx.seed: one per random draw of the attention branch. */
const ATTENTION_SEED = {probs: 0, output: 1} as const;
const OUTPUT_DROPOUT_STREAM = 1;

function lshOptions(config: ReformerConfig, training: boolean, numHashes: number): LSHSelfAttentionOptions {
  const options: LSHSelfAttentionOptions = {
    hiddenSize: config.hiddenSize,
    numHeads: config.numAttentionHeads,
    headSize: config.attentionHeadSize,
    chunkLength: config.lshAttnChunkLength,
    numChunksBefore: config.lshNumChunksBefore,
    numChunksAfter: config.lshNumChunksAfter,
    numHashes,
    maxPositionEmbeddings: config.maxPositionEmbeddings,
    causal: config.isDecoder,
    dropout: training ? config.lshAttentionProbsDropoutProb : 0,
  };
  // null: lsh-attention chooses per call from the padded length, as HF does on its first call.
  if (config.numBuckets !== null) options.numBuckets = config.numBuckets as NumBuckets;
  return options;
}

function localOptions(config: ReformerConfig, training: boolean): LocalSelfAttentionOptions {
  return {
    hiddenSize: config.hiddenSize,
    numHeads: config.numAttentionHeads,
    headSize: config.attentionHeadSize,
    chunkLength: config.localAttnChunkLength,
    numChunksBefore: config.localNumChunksBefore,
    numChunksAfter: config.localNumChunksAfter,
    causal: config.isDecoder,
    dropout: training ? config.localAttentionProbsDropoutProb : 0,
  };
}

/**
 * f of layer `layer`: HF's ReformerAttention (LayerNorm, self-attention, output projection, dropout). The LSH
 * layer hashes in the forward and stashes its buckets with `ctx.reuse`, so the backward's recompute attends
 * with exactly those buckets (a reconstructed input equals the original only to rounding, and a vector near a
 * bucket boundary could otherwise move). Weights arrive through `weights` (the stack differentiates them).
 */
function attentionBranch(
  config: ReformerConfig,
  layer: number,
  kind: AttnLayerType,
  call: EncoderCall,
  captured: tf.Tensor3D[] | undefined,
): ReversibleFunction {
  const eps = config.layerNormEps;
  const hiddenRate = call.training ? config.hiddenDropoutProb : 0;
  return (x: tf.Tensor, weights: readonly tf.Tensor[], ctx: ReversibleContext): tf.Tensor => {
    // The stack runs every branch inside a tf.tidy of its own: intermediates are freed there, and the
    // buckets handed to ctx.reuse must not be disposed by a tidy here.
    const input = x as tf.Tensor3D;
    if (captured && !ctx.isRecompute) captured[layer] = tf.keep(tf.clone(input));
    const [gamma, beta, ...projections] = weights as tf.Tensor[];
    const normed = layerNorm(input, gamma!, beta!, eps) as tf.Tensor3D; // [batch, length, hidden]
    const base = {
      attentionMask: paddedMask(call, input.shape[0], input.shape[1]),
      training: call.training,
      dropoutSeed: deriveSeed(ctx.seed, ATTENTION_SEED.probs),
    };
    let attended: tf.Tensor3D;
    if (kind === 'lsh') {
      const [queryKey, value, output] = projections as tf.Tensor2D[];
      const w = {queryKey: queryKey!, value: value!, output: output!};
      const mode = call.lshAttention;
      if (mode.kind === 'full') {
        // The same weights and masks (causal, padding, self) as LSH, every key in view: what LSH approximates.
        const full = {
          hiddenSize: config.hiddenSize,
          numHeads: config.numAttentionHeads,
          headSize: config.attentionHeadSize,
          causal: config.isDecoder,
          dropout: call.training ? config.lshAttentionProbsDropoutProb : 0,
          sharedQK: true,
        };
        const attendedFull = fullSelfAttention(normed, w, full, base).output;
        return seededDropout(attendedFull, hiddenRate, deriveSeed(ctx.seed, ATTENTION_SEED.output), OUTPUT_DROPOUT_STREAM); // [batch, length, hidden]
      }
      const options = lshOptions(config, call.training, mode.numHashes);
      const hashes = input.shape[1] > config.lshAttnChunkLength; // shorter: full attention, nothing hashed
      const draw = call.rotations[layer] !== undefined ? {rotations: call.rotations[layer]} : {seed: call.rotationSeed(layer)};
      if (!hashes) {
        attended = lshSelfAttention(normed, w, options, base).output;
      } else {
        let fresh: tf.Tensor3D | undefined;
        const buckets = ctx.reuse('buckets', () => {
          const result = lshSelfAttention(normed, w, options, {...base, ...draw, returnBuckets: true});
          fresh = result.output;
          return result.buckets!;
        });
        attended = fresh ?? lshSelfAttention(normed, w, options, {...base, buckets}).output;
      }
    } else {
      const [query, key, value, output] = projections as tf.Tensor2D[];
      attended = localSelfAttention(normed, {query: query!, key: key!, value: value!, output: output!}, localOptions(config, call.training), base).output;
    }
    return seededDropout(attended, hiddenRate, deriveSeed(ctx.seed, ATTENTION_SEED.output), OUTPUT_DROPOUT_STREAM); // [batch, length, hidden]
  };
}

/**
 * g of a layer: HF's ChunkReformerFeedForward, and its output and gradients in one pass for the reversible backward.
 * Its dropout seed is the branch's ctx.seed.
 */
function feedForwardBranch(config: ReformerConfig, call: EncoderCall): Pick<ReversibleLayer, 'g' | 'gVjp'> {
  const feedForwardCall = (ctx: ReversibleContext): FeedForwardCall => ({
    activation: config.hiddenAct,
    layerNormEps: config.layerNormEps,
    dropout: call.training ? config.hiddenDropoutProb : 0,
    seed: ctx.seed,
    chunkSize: config.chunkSizeFeedForward,
  });
  return {
    g: (x, weights, ctx) => reformerFeedForward(x as tf.Tensor3D, feedForwardWeights(weights), feedForwardCall(ctx)),
    gVjp: (x, weights, ctx, dy) => reformerFeedForwardVjp(x as tf.Tensor3D, feedForwardWeights(weights), feedForwardCall(ctx), dy),
  };
}

/**
 * HF's ReformerEncoder on embeddings [batch, length, hidden]: both streams start as the embeddings; layer i
 * computes y1 = x1 + f_i(x2), y2 = x2 + g_i(y1) (HF's ReformerLayer: attention on the second stream added to
 * the first, feed-forward on the new first stream added to the second); the last layer's [y1, y2] are
 * concatenated along the features, layer-normalised over 2 · hidden and dropped out.
 */
export function reformerEncoder(
  config: ReformerConfig,
  params: Readonly<Record<string, tf.Tensor>>,
  embeddings: tf.Tensor3D,
  call: EncoderCall,
): EncoderResult {
  const captured: tf.Tensor3D[] | undefined = call.outputHiddenStates ? [] : undefined;
  try {
    return tf.tidy(() => {
      const layers: ReversibleLayer[] = config.attnLayers.map((kind, i) => ({
        f: attentionBranch(config, i, kind, call, captured),
        ...feedForwardBranch(config, call),
        fWeights: attentionParameterNames(i, kind).map((name) => params[name]!),
        gWeights: feedForwardParameterNames(i).map((name) => params[name]!),
      }));
      const [y1, y2] = reversibleStack(embeddings, embeddings, layers, {
        mode: call.reversible ? 'reversible' : 'residual',
        seed: call.stackSeed,
      });
      const both = tf.concat([y1, y2], 2) as tf.Tensor3D; // [batch, length, 2*hidden]
      const [gamma, beta] = FINAL_LAYER_NORM.map((name) => params[name]!);
      const normed = layerNorm(both, gamma!, beta!, config.layerNormEps) as tf.Tensor3D; // [batch, length, 2*hidden]
      const rate = call.training ? config.hiddenDropoutProb : 0;
      const output = seededDropout(normed, rate, call.outputSeed, OUTPUT_DROPOUT_STREAM);
      if (!captured) return {output};
      // The captured states are kept tensors: returned as they are, the caller owns them.
      return {output, allHiddenStates: [...captured, y2 as tf.Tensor3D]};
    });
  } catch (e) {
    if (captured) tf.dispose(captured);
    throw e;
  }
}
