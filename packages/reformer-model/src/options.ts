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
  /**
   * Run the LSH layers differently from the config, e.g. to evaluate one checkpoint with several numbers of hash
   * rounds or with full attention (the paper's Table 2). `numHashes`: hash with this many rounds instead of
   * config.num_hashes (given `rotations` must then have this many). `full: true`: every LSH layer attends
   * every query to every (earlier, for a decoder) key with the same shared-QK weights, exactly
   * lsh-attention's `fullSelfAttention` with `sharedQK: true` — what LSH approximates; it holds
   * [length, length] per head. Local layers are unaffected. Default: the config's LSH attention.
   */
  attentionOverride?: AttentionOverride;
}

/** How the LSH layers of one call attend instead of the config's LSH attention (see ForwardOptions). */
export interface AttentionOverride {
  /** Hash rounds (a positive integer) instead of config.num_hashes. */
  numHashes?: number;
  /** Shared-QK full attention instead of LSH. Cannot be combined with numHashes. */
  full?: boolean;
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
   * Add `lm_head.bias` to the logits. Default: `lmHeadBiasDefault(config)`, from config.json's
   * `transformers_version`: true below 5, as transformers 4.x (and trax), whose decoder adds that bias; false from
   * 5 on, as transformers 5.x, whose ReformerOnlyLMHead has a bias parameter (saved and loaded as `lm_head.bias`)
   * that its forward never uses, so the logits are hidden · W and the bias gets no gradient; false too when the
   * config has no `transformers_version`. Pass it to override the version.
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
  'attentionOverride',
] as const;
export const LOSS_OPTION_KEYS = [...FORWARD_OPTION_KEYS, 'labels'] as const;
