// The duplication task of the paper, trained in the browser: a one-layer causal Reformer learns to copy the
// first half of `0 w 0 w` into the second, which it can only do by attending back to the first copy. Built on
// reformer-model's training utilities, as `reformer train --task duplication` is.
import * as tf from '@tensorflow/tfjs';
import {
  duplicationAccuracy,
  duplicationBatch,
  ReformerConfig,
  ReformerModelWithLMHead,
  ScheduledAdam,
  warmupRsqrtDecay,
  type DuplicationBatch,
} from '@reformerjs/reformer-model';

/**
 * Small, so that a step is cheap even on a software backend and accuracy rises within about 100 steps: words of
 * 15 symbols (sequences of 32), d_model 32, one LSH layer with 2 rounds of 8 buckets and chunks of 8 (4 chunks
 * per round). Measured with this trainer in Node on wasm: accuracy 6.3% at step 0, 7.7% at 25, 89.8% at 50, 99.8% at
 * 75; the share of the pairs a copy needs that share a bucket (buckets.ts) rose from 43% to 100% meanwhile.
 */
// #region task
export const DEMO_TASK = {
  wordLength: 15, // |w|: sequences `0 w 0 w` of 32 tokens
  symbols: 15, // w is drawn from the symbols 1..15
  batch: 16, // sequences per training step
  evaluationBatch: 32, // the fixed sequences the accuracy is measured on
  seed: 0, // of the initial weights and the training batches
} as const;
// #endregion task

/** The seed of the evaluation sequences: fixed, and not the training stream's. */
const EVALUATION_SEED = 0x45564c;

// #region config
export function demoConfig(): ReformerConfig {
  const length = 2 * DEMO_TASK.wordLength + 2;
  return new ReformerConfig({
    vocab_size: DEMO_TASK.symbols + 1, // the separator 0 and the symbols 1..N
    hidden_size: 32,
    num_attention_heads: 2,
    attention_head_size: 16,
    feed_forward_size: 64,
    attn_layers: ['lsh'],
    is_decoder: true,
    lsh_attn_chunk_length: 8,
    lsh_num_chunks_before: 1,
    lsh_num_chunks_after: 0,
    num_hashes: 2,
    num_buckets: 8,
    axial_pos_embds: false,
    max_position_embeddings: length,
    hidden_act: 'relu',
    hidden_dropout_prob: 0,
    lsh_attention_probs_dropout_prob: 0,
  });
}
// #endregion config

export type AttentionKind = 'lsh' | 'full';

/** Labels scoring the copied half only: the ids there, -100 (not scored) elsewhere. [batch, length] int32. */
function copiedHalfLabels(batch: DuplicationBatch): tf.Tensor2D {
  return tf.tidy(() => tf.where(tf.greater(batch.lossWeights, 0), batch.inputIds, tf.fill(batch.inputIds.shape, -100, 'int32'))) as tf.Tensor2D;
}

export class DuplicationTrainer {
  readonly config = demoConfig();
  readonly model: ReformerModelWithLMHead;
  /** LSH attention as configured, or full shared-QK attention with the same weights (what LSH approximates). */
  attention: AttentionKind = 'lsh';
  /** Optimizer steps done. */
  step = 0;
  private readonly optimizer: ScheduledAdam;
  private readonly evaluation: DuplicationBatch;

  constructor() {
    this.model = new ReformerModelWithLMHead(this.config, {seed: DEMO_TASK.seed});
    // Adam with a short warm-up and 1/sqrt decay, as the CLI trains (a higher peak than its 0.003: a smaller model).
    const warmupSteps = 20;
    this.optimizer = new ScheduledAdam({
      learningRate: warmupRsqrtDecay({constant: 0.01 * Math.sqrt(warmupSteps), warmupSteps}),
      beta1: 0.9,
      beta2: 0.98,
      epsilon: 1e-9,
    });
    this.evaluation = duplicationBatch({
      batch: DEMO_TASK.evaluationBatch,
      wordLength: DEMO_TASK.wordLength,
      vocabSize: DEMO_TASK.symbols,
      seed: EVALUATION_SEED,
      index: 0,
    });
  }

  /** The call options of the attention in use; no synchronous read-backs (they stall a GPU backend). */
  private callOptions(seed: number) {
    return {seed, validateInputs: false, ...(this.attention === 'full' ? {attentionOverride: {full: true}} : {})};
  }

  /** One optimizer step on a fresh batch; returns its loss (cross-entropy on the copied half, nats). */
  async trainStep(): Promise<number> {
    const batch = duplicationBatch({
      batch: DEMO_TASK.batch,
      wordLength: DEMO_TASK.wordLength,
      vocabSize: DEMO_TASK.symbols,
      seed: DEMO_TASK.seed,
      index: this.step,
    });
    const labels = copiedHalfLabels(batch);
    try {
      const loss = this.optimizer.minimize(() => this.model.loss(batch.inputIds, {...this.callOptions(this.step), labels}), true)!;
      this.step++;
      const value = (await loss.data())[0]!;
      loss.dispose();
      return value;
    } finally {
      tf.dispose([batch.inputIds, batch.lossWeights, labels]);
    }
  }

  /** Token accuracy (0..1) on the copied half of the fixed evaluation sequences, with the attention in use. */
  async accuracy(): Promise<number> {
    const accuracy = tf.tidy(() => {
      const {logits} = this.model.forward(this.evaluation.inputIds, this.callOptions(EVALUATION_SEED));
      const predictions = tf.argMax(logits, -1); // [batch, length]: the predicted next token at each position
      return duplicationAccuracy(predictions, this.evaluation);
    });
    const value = (await accuracy.data())[0]!;
    accuracy.dispose();
    return value;
  }

  /** The first evaluation sequence, [1, length] int32 (the caller disposes it): the one the bucket view shows. */
  sampleSequence(): tf.Tensor2D {
    return tf.slice(this.evaluation.inputIds, [0, 0], [1, -1]);
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
    tf.dispose([this.evaluation.inputIds, this.evaluation.lossWeights]);
  }
}
