// The model and training hyperparameters of each task's presets. README.md ("Presets") documents them; the
// figures measured with them are there too.

import type {ReformerConfigInit} from '@reformerjs/reformer-model';

export const TASK_NAMES = ['duplication', 'text'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export const OPTIMIZER_NAMES = ['adam', 'adafactor'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Everything about a run that is not the model's config. */
export interface TrainingSettings {
  /** Total optimizer steps of the run. */
  steps: number;
  /** Sequences per step. */
  batch: number;
  optimizer: OptimizerName;
  /**
   * Peak learning rate of the schedule lr(t) = learningRate · min(1, t / warmupSteps) · sqrt(warmupSteps / max(t,
   * warmupSteps)): linear warm-up, then reciprocal-square-root decay (reformer-model's warmupRsqrtDecay with
   * constant = learningRate · sqrt(warmupSteps)). Adam's step size; Adafactor's ρ (its update is the
   * RMS-clipped, second-moment-normalised gradient times ρ, not scaled by the parameters' RMS).
   */
  learningRate: number;
  warmupSteps: number;
  /** Attend in full (shared QK) instead of LSH in training (the paper's "full attention" row). */
  fullAttention: boolean;
  /** Steps between progress lines (and accuracy checks). */
  logEvery: number;
  /** Steps between checkpoints (one is always written at the end). */
  saveEvery: number;
  /** Sequences (duplication) or windows (text) of the evaluation at each save and at the end. */
  evalSamples: number;
  /** duplication: |w|, the symbols per word (sequences are 2·|w| + 2 long). */
  wordLength?: number;
  /** duplication: N, words use symbols 1..N (0 is the separator). */
  symbols?: number;
  /** text: characters per training window. */
  length?: number;
  /** text: the last this many speeches (in date order) are held out for evaluation. */
  heldOutSpeeches?: number;
}

export interface Preset {
  description: string;
  model: ReformerConfigInit;
  training: TrainingSettings;
}

const NO_DROPOUT = {hidden_dropout_prob: 0, lsh_attention_probs_dropout_prob: 0, local_attention_probs_dropout_prob: 0};

export const PRESETS: Readonly<Record<TaskName, Readonly<Record<string, Preset>>>> = {
  duplication: {
    small: {
      description: '|w| = 63 (length 128), 1 LSH layer, d_model 64, trained with 2 hash rounds; ~90 s to 99% on 2 CPU cores (wasm)',
      model: {
        vocab_size: 128,
        hidden_size: 64,
        num_attention_heads: 2,
        attention_head_size: 32,
        feed_forward_size: 128,
        attn_layers: ['lsh'],
        is_decoder: true,
        lsh_attn_chunk_length: 16,
        lsh_num_chunks_before: 1,
        lsh_num_chunks_after: 0,
        num_hashes: 2,
        num_buckets: 8,
        axial_pos_embds: false,
        max_position_embeddings: 128,
        hidden_act: 'relu',
        chunk_size_feed_forward: 0,
        chunk_size_lm_head: 0,
        ...NO_DROPOUT,
      },
      training: {
        steps: 600,
        batch: 8,
        optimizer: 'adam',
        learningRate: 0.003,
        warmupSteps: 100,
        fullAttention: false,
        logEvery: 25,
        saveEvery: 200,
        evalSamples: 128,
        wordLength: 63,
        symbols: 127,
      },
    },
    paper: {
      description: "the paper's task and model (section 2.1, Table 2): |w| = 511 (length 1024), 1 layer, d_model = d_ff = 256, 4 heads",
      model: {
        vocab_size: 128,
        hidden_size: 256,
        num_attention_heads: 4,
        attention_head_size: 64,
        feed_forward_size: 256,
        attn_layers: ['lsh'],
        is_decoder: true,
        lsh_attn_chunk_length: 64,
        lsh_num_chunks_before: 1,
        lsh_num_chunks_after: 0,
        num_hashes: 1,
        num_buckets: 32,
        axial_pos_embds: false,
        max_position_embeddings: 1024,
        hidden_act: 'relu',
        chunk_size_feed_forward: 0,
        chunk_size_lm_head: 0,
        ...NO_DROPOUT,
      },
      training: {
        steps: 20000,
        batch: 8,
        optimizer: 'adam',
        learningRate: 0.001,
        warmupSteps: 1000,
        fullAttention: false,
        logEvery: 50,
        saveEvery: 500,
        evalSamples: 64,
        wordLength: 511,
        symbols: 127,
      },
    },
  },
  text: {
    small: {
      description: 'windows of 256 characters, 2 layers (local, LSH), d_model 128; about 0.75 s a step on 2 CPU cores (wasm)',
      model: {
        vocab_size: 128,
        hidden_size: 128,
        num_attention_heads: 2,
        attention_head_size: 32,
        feed_forward_size: 256,
        attn_layers: ['local', 'lsh'],
        is_decoder: true,
        local_attn_chunk_length: 32,
        local_num_chunks_before: 1,
        local_num_chunks_after: 0,
        lsh_attn_chunk_length: 32,
        lsh_num_chunks_before: 1,
        lsh_num_chunks_after: 0,
        num_hashes: 2,
        num_buckets: 8,
        axial_pos_embds: false,
        max_position_embeddings: 256,
        hidden_act: 'relu',
        chunk_size_feed_forward: 0,
        chunk_size_lm_head: 0,
        ...NO_DROPOUT,
      },
      training: {
        steps: 1000,
        batch: 8,
        optimizer: 'adam',
        learningRate: 0.005,
        warmupSteps: 200,
        fullAttention: false,
        logEvery: 50,
        saveEvery: 250,
        evalSamples: 64,
        length: 256,
        heldOutSpeeches: 10,
      },
    },
    base: {
      description: "windows of 1024 characters, 6 layers alternating local and LSH (HF's default stack), d_model 256",
      model: {
        vocab_size: 128,
        hidden_size: 256,
        num_attention_heads: 4,
        attention_head_size: 64,
        feed_forward_size: 512,
        attn_layers: ['local', 'lsh', 'local', 'lsh', 'local', 'lsh'],
        is_decoder: true,
        local_attn_chunk_length: 64,
        local_num_chunks_before: 1,
        local_num_chunks_after: 0,
        lsh_attn_chunk_length: 64,
        lsh_num_chunks_before: 1,
        lsh_num_chunks_after: 0,
        num_hashes: 2,
        num_buckets: 16,
        axial_pos_embds: true,
        axial_pos_shape: [32, 32],
        axial_pos_embds_dim: [64, 192],
        max_position_embeddings: 1024,
        hidden_act: 'relu',
        chunk_size_feed_forward: 0,
        chunk_size_lm_head: 0,
        hidden_dropout_prob: 0.05,
        lsh_attention_probs_dropout_prob: 0,
        local_attention_probs_dropout_prob: 0.05,
      },
      training: {
        steps: 20000,
        batch: 8,
        optimizer: 'adafactor',
        learningRate: 0.001,
        warmupSteps: 1000,
        fullAttention: false,
        logEvery: 50,
        saveEvery: 500,
        evalSamples: 64,
        length: 1024,
        heldOutSpeeches: 10,
      },
    },
  },
};

/** The preset a task runs without --preset. */
export const DEFAULT_PRESET: Readonly<Record<TaskName, string>> = {duplication: 'small', text: 'small'};
