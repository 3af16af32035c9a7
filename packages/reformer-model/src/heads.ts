// HF's ReformerModelWithLMHead (causal LM) and ReformerForMaskedLM: the encoder, then ReformerOnlyLMHead
// (a Linear from 2 · hidden_size to the vocabulary, chunked along the sequence by chunk_size_lm_head).
import {chunkedLmLoss, chunkedLogits, type LmHeadWeights} from '@reformerjs/chunked-ffn';
import * as tf from '@tensorflow/tfjs-core';
import type {ReformerConfig} from './config.js';
import {checkConfig, ReformerBase, resolveCall, runReformer} from './model.js';
import {
  FORWARD_OPTION_KEYS,
  LOSS_OPTION_KEYS,
  type ForwardOptions,
  type LMHeadModelOptions,
  type LossOptions,
} from './options.js';
import type {ReformerHead} from './parameters.js';
import {checkBoolean, checkLabels, checkObject} from './validate.js';

export const LM_HEAD_KERNEL = 'lm_head.decoder.weight';
export const LM_HEAD_BIAS = 'lm_head.bias';

/**
 * Whether the logits of a checkpoint's LM head add `lm_head.bias`, from its config.json's `transformers_version`:
 * true below 5 (transformers 4.x ties the decoder's bias to `lm_head.bias` and adds it), false from 5 on
 * (transformers 5.x saves and loads the parameter but its decoder has no bias, so the logits are hidden · W)
 * and when the field is absent (a config not written by transformers, e.g. made here). The LM models' default
 * for `lmHeadBias`.
 */
export function lmHeadBiasDefault(config: ReformerConfig): boolean {
  checkConfig(config);
  const version = config.extraFields['transformers_version'];
  const major = typeof version === 'string' ? Number.parseInt(version, 10) : NaN;
  return Number.isFinite(major) && major < 5;
}

/** What `forward` of a model with an LM head returns. */
export interface LMHeadOutput {
  /** [batch, length, vocab_size]: the logits at every position. */
  logits: tf.Tensor3D;
  /** HF's hidden_states, with `outputHiddenStates` (see ReformerModel.forward). */
  allHiddenStates?: tf.Tensor3D[];
}

/** What `gradients` returns. */
export interface LossAndGradients {
  loss: tf.Scalar;
  /** d loss / d parameter by HF name, in tfjs orientation (transpose Linear weights for HF's layout). */
  grads: Record<string, tf.Tensor>;
}

/** The two LM models differ only in the config they accept and in how the loss aligns labels with logits. */
abstract class LMHeadModel extends ReformerBase {
  /** Causal LM: the logits at t are scored against the label at t + 1. */
  protected abstract readonly shift: boolean;

  /**
   * Whether the logits add `lm_head.bias`: the `lmHeadBias` option, by default {@link lmHeadBiasDefault}(config)
   * (true for a config.json of transformers 4.x, whose decoder's bias is `lm_head.bias`; false for 5.x, whose LM
   * head saves and loads the parameter but never uses it, and for a config without `transformers_version`).
   */
  readonly lmHeadBias: boolean;

  protected constructor(config: ReformerConfig, head: ReformerHead, options: LMHeadModelOptions | undefined, className: string) {
    const {lmHeadBias, ...rest} = checkObject('options', options ?? {}) as LMHeadModelOptions;
    const withBias = checkBoolean('options.lmHeadBias', lmHeadBias, lmHeadBiasDefault(config)); // before any parameter exists
    super(config, head, rest, className);
    this.lmHeadBias = withBias;
  }

  /** The head's weights; call inside a tidy (without the bias, a zero bias is made per call). */
  protected head(): LmHeadWeights {
    const kernel = this.parameters[LM_HEAD_KERNEL]!;
    const bias = this.lmHeadBias ? this.parameters[LM_HEAD_BIAS]! : tf.zeros([this.config.vocabSize]);
    return {kernel, bias};
  }

  /**
   * inputIds int32 [batch, length] -> `logits` [batch, length, vocab_size], computed chunk_size_lm_head
   * positions at a time (only the output is full size), and with `outputHiddenStates` HF's hidden_states.
   */
  forward(inputIds: tf.Tensor2D, options: ForwardOptions = {}): LMHeadOutput {
    this.checkLive();
    const call = resolveCall(this.config, inputIds, options, FORWARD_OPTION_KEYS);
    return tf.tidy(() => {
      const {sequenceOutput, allHiddenStates} = runReformer(this.config, this.parameters, call);
      const logits = chunkedLogits(sequenceOutput, this.head(), {chunkSize: this.config.chunkSizeLmHead}); // [batch, length, vocab]
      return allHiddenStates ? {logits, allHiddenStates} : {logits};
    });
  }

  /**
   * HF's loss: mean cross-entropy over the scored positions (labels −100 are left out), computed
   * chunk_size_lm_head positions at a time with a custom gradient, so training never holds
   * [length, vocab_size] logits for the whole sequence when the LM head is chunked. Differentiable with
   * respect to every parameter (`optimizer.minimize(() => model.loss(ids, {training: true, seed}))`).
   */
  loss(inputIds: tf.Tensor2D, options: LossOptions = {}): tf.Scalar {
    this.checkLive();
    const call = resolveCall(this.config, inputIds, options, LOSS_OPTION_KEYS);
    const labels = options.labels === undefined ? call.inputIds : checkLabels(options.labels, call.inputIds);
    return tf.tidy(() => {
      const {sequenceOutput} = runReformer(this.config, this.parameters, call);
      return chunkedLmLoss(sequenceOutput, this.head(), labels, {
        shift: this.shift,
        chunkSize: this.config.chunkSizeLmHead,
        validateLabels: call.validateInputs,
      });
    });
  }

  /**
   * The loss and its gradient for every parameter, keyed by HF name (tf.variableGrads over the parameters,
   * which must be trainable variables). Same options as `loss`.
   */
  gradients(inputIds: tf.Tensor2D, options: LossOptions = {}): LossAndGradients {
    this.checkLive();
    const names = Object.keys(this.parameters);
    const variables = names.map((name) => this.parameters[name]!);
    const {value, grads} = tf.variableGrads(() => this.loss(inputIds, options), variables);
    const byHfName: Record<string, tf.Tensor> = {};
    names.forEach((name, i) => {
      const g = grads[variables[i]!.name];
      if (g !== undefined) byHfName[name] = g;
    });
    return {loss: value, grads: byHfName};
  }
}

/** HF's ReformerModelWithLMHead: a causal LM (config.is_decoder must be true). */
export class ReformerModelWithLMHead extends LMHeadModel {
  protected readonly shift = true;

  constructor(config: ReformerConfig, options?: LMHeadModelOptions) {
    checkCausalConfig(config);
    super(config, 'lm', options, 'ReformerModelWithLMHead');
  }
}

/** HF's ReformerForMaskedLM: a bidirectional LM scored at every position (config.is_decoder must be false). */
export class ReformerForMaskedLM extends LMHeadModel {
  protected readonly shift = false;

  constructor(config: ReformerConfig, options?: LMHeadModelOptions) {
    checkConfig(config);
    if (config.isDecoder !== false) {
      throw new Error(
        `ReformerForMaskedLM: config.is_decoder: expected false (bidirectional attention), got ${String(config.isDecoder)}; use ReformerModelWithLMHead for a causal LM`,
      );
    }
    super(config, 'masked-lm', options, 'ReformerForMaskedLM');
  }
}

/** HF's assertions of ReformerModelWithLMHead. */
function checkCausalConfig(config: ReformerConfig): void {
  checkConfig(config);
  if (config.isDecoder !== true) {
    throw new Error(
      `ReformerModelWithLMHead: config.is_decoder: expected true (causal attention), got ${String(config.isDecoder)}; use ReformerForMaskedLM for a bidirectional model`,
    );
  }
  const layers = config.attnLayers;
  if (layers.includes('lsh') && config.lshNumChunksAfter !== 0) {
    throw new Error(`ReformerModelWithLMHead: config.lsh_num_chunks_after: expected 0 with a causal mask (as HF requires), got ${config.lshNumChunksAfter}`);
  }
  if (layers.includes('local') && config.localNumChunksAfter !== 0) {
    throw new Error(`ReformerModelWithLMHead: config.local_num_chunks_after: expected 0 with a causal mask (as HF requires), got ${config.localNumChunksAfter}`);
  }
}
