// What the trainer needs from a task: the batches of each step, the check that a model config fits, and the
// evaluation (accuracy on the copied half, or bits per character on held-out text).

import type {AttentionOverride, ReformerConfig, ReformerModelWithLMHead} from '@reformerjs/reformer-model';
import type * as tf from '@tensorflow/tfjs';
import type {TaskName} from './presets.js';

export interface Batch {
  /** int32 [batch, length]. */
  inputIds: tf.Tensor2D;
  /** int32 [batch, length]: the ids to predict, -100 where nothing is scored (the causal LM shifts them by one). */
  labels: tf.Tensor2D;
}

/** One evaluation: the mean cross-entropy over the scored tokens and the task's metric. */
export interface Evaluation {
  /** Mean cross-entropy in nats per scored token. */
  loss: number;
  /** duplication: token accuracy on the copied half, in [0, 1]. */
  accuracy?: number;
  /** text: bits per character (loss / ln 2). */
  bitsPerCharacter?: number;
  /** Sequences (or windows) evaluated. */
  samples: number;
  /** Tokens scored. */
  tokens: number;
}

export interface EvaluateOptions {
  samples: number;
  /** Sequences per forward pass. */
  batch: number;
  /** How the LSH layers attend (undefined: as configured). */
  attentionOverride?: AttentionOverride;
  /** Seed of the evaluation's LSH rotations. */
  seed: number;
}

export interface Task {
  readonly name: TaskName;
  /** Tokens per sequence. */
  readonly sequenceLength: number;
  /** The metric the progress shows: 'accuracy' (duplication) or 'bpc' (text). */
  readonly metric: 'accuracy' | 'bpc';
  /** A line naming the data, for the log. */
  describe(): string;
  /** Throws a UsageError when the model config cannot run the task (vocabulary too small, length not reachable). */
  checkConfig(config: ReformerConfig, where: string): void;
  /** The batch of training step `step` (0-based): a pure function of (seed, step). */
  trainBatch(step: number, batch: number): Batch;
  /** Evaluates on the task's fixed evaluation data (the same sequences whatever the step or the run's seed). */
  evaluate(model: ReformerModelWithLMHead, options: EvaluateOptions): Promise<Evaluation>;
  /** Files a checkpoint of this task carries besides the model's (vocab.json for text). */
  extraFiles(): Record<string, string>;
}

/** The longest sequence a config takes: max_position_embeddings, or the axial grid when smaller. */
export function positionLimit(config: ReformerConfig): {limit: number; what: string} {
  const grid = config.axialPosEmbds ? config.axialPosShape.reduce((p, n) => p * n, 1) : Infinity;
  return grid < config.maxPositionEmbeddings
    ? {limit: grid, what: `the ${grid} positions of axial_pos_shape [${config.axialPosShape.join(', ')}]`}
    : {limit: config.maxPositionEmbeddings, what: `max_position_embeddings ${config.maxPositionEmbeddings}`};
}
