import type * as tf from '@tensorflow/tfjs-core';
import type {ReformerParameters} from './parameters.js';

/** Per-call options of every model's `forward`, `loss` and `gradients`. */
export interface ForwardOptions {
  /**
   * 1 for a token, 0 for padding, [batch, length] like `inputIds` (int32, float32 or bool). Padding is never
   * attended to (and, as in HF, gets an extra LSH bucket). Default: every position is a token.
   */
  attentionMask?: tf.Tensor2D;
  /**
   * Rotations to hash with, by LSH layer index, each [num_attention_heads, attention_head_size, num_hashes,
   * rotationSize / 2] (rotationSize = the sum of the bucket factors): e.g. the draw HF made, for parity. LSH
   * layers without one draw theirs from `seed` (or from config.hash_seed when set: then every call and every
   * layer use the same rotations, as in HF).
   */
  rotations?: Readonly<Record<number, tf.Tensor4D>>;
  /**
   * Seed of everything random in the call: rotations and dropout masks, drawn in JavaScript, so the same seed
   * gives the same numbers on every backend. Default: a fresh one per call. Pass a new one per training step.
   */
  seed?: number;
  /** Dropout on (HF's training mode). Default false. Gradients do not need it. */
  training?: boolean;
  /** Also return HF's hidden_states. Default false. */
  outputHiddenStates?: boolean;
  /**
   * true (default): the reversible stack, whose backward recomputes each layer instead of storing it.
   * false: the same layers as ordinary residual blocks under autodiff (the baseline; same numbers).
   */
  reversible?: boolean;
  /**
   * Read `inputIds` back (synchronously) and check every id is in [0, vocab_size), and likewise the labels of
   * a loss. Default true; turn off where a synchronous read is impossible or costly (WebGPU in Node).
   */
  validateInputs?: boolean;
}

/** Options of `loss` and `gradients`. */
export interface LossOptions extends ForwardOptions {
  /**
   * int32 [batch, length]: token ids, or -100 for positions left out of the loss. Default: `inputIds`. The causal
   * LM scores the logits at t against labels[t + 1] (label 0 is unused); the masked LM scores every position.
   */
  labels?: tf.Tensor2D;
}

/** What a model's constructor takes besides its config. */
export interface ModelOptions {
  /**
   * The parameters, keyed by HF name, in tfjs orientation (see `parameterSpecs`), e.g. from a checkpoint. They
   * stay the caller's: `dispose()` leaves them alone. Default: HF's initialisation from `seed`, owned (and
   * disposed) by the model.
   */
  parameters?: ReformerParameters;
  /** Seed of the initialisation when no parameters are given. Default 0. */
  seed?: number;
}

/** What the LM models' constructors take. */
export interface LMHeadModelOptions extends ModelOptions {
  /**
   * Add `lm_head.bias` to the logits. Default false, as transformers 5.x: its ReformerOnlyLMHead has a bias
   * parameter (saved and loaded as `lm_head.bias`) that its forward never uses, so the logits are hidden · W and
   * the bias gets no gradient. true gives transformers 4.x's and trax's head, whose decoder adds that bias (use
   * it for checkpoints trained there, e.g. converted from trax).
   */
  lmHeadBias?: boolean;
}

export const FORWARD_OPTION_KEYS = [
  'attentionMask',
  'rotations',
  'seed',
  'training',
  'outputHiddenStates',
  'reversible',
  'validateInputs',
] as const;
export const LOSS_OPTION_KEYS = [...FORWARD_OPTION_KEYS, 'labels'] as const;
