// A whole-model training step: @reformerjs/reformer-model's ReformerModelWithLMHead (HF's causal Reformer LM:
// axial position embeddings, the reversible stack of LSH attention and chunked feed-forward, chunked LM loss),
// gradients of every parameter, and an SGD update.
//
// Full attention in the same model: an LSH layer whose chunk is as long as the sequence attends every query to
// every key (HF's rule for a sequence within one chunk), with the same shared-QK function LSH approximates.
import * as tf from '@tensorflow/tfjs';
import {ReformerConfig, ReformerModelWithLMHead} from '@reformerjs/reformer-model';
import type {RunFn} from '../timing.js';
import {bucketsFor} from './attention.js';

export interface ModelSpec {
  attention: 'full' | 'lsh';
  batch: number;
  length: number;
  layers: number;
  heads: number;
  headSize: number;
  /** LSH chunk length (ignored for full attention, whose chunk is the whole sequence). */
  chunk: number;
  hashes: number;
  reversible: boolean;
}

export const MODEL_VOCAB = 320;
/** Feed-forward width: twice the model width, as HF's defaults (256 → 512). */
export const FEED_FORWARD_FACTOR = 2;
/** Positions per chunk of the feed-forward and of the LM head (the Reformer's chunking). */
export const MODEL_CHUNK = 1024;

export function modelImplName(attention: 'full' | 'lsh', hashes: number): string {
  return attention === 'full' ? 'model-full' : `model-lsh-${hashes}`;
}

/** The HF config (its field names) of the benchmarked model. Dropout off: every run does the same work. */
export function modelConfigJSON(spec: ModelSpec): Record<string, unknown> {
  const hidden = spec.heads * spec.headSize;
  const chunk = spec.attention === 'full' ? spec.length : spec.chunk;
  // Axial positions on a [rows, 64] grid: the model needs rows · 64 >= length.
  const columns = 64;
  const rows = Math.max(1, Math.ceil(spec.length / columns));
  const first = Math.min(64, hidden / 2);
  return {
    attn_layers: Array.from({length: spec.layers}, () => 'lsh'),
    hidden_size: hidden,
    num_attention_heads: spec.heads,
    attention_head_size: spec.headSize,
    feed_forward_size: FEED_FORWARD_FACTOR * hidden,
    vocab_size: MODEL_VOCAB,
    is_decoder: true,
    lsh_attn_chunk_length: chunk,
    lsh_num_chunks_before: 1,
    lsh_num_chunks_after: 0,
    num_hashes: spec.hashes,
    num_buckets: spec.attention === 'full' ? 2 : bucketsFor(spec.length, spec.chunk),
    max_position_embeddings: rows * columns,
    axial_pos_embds: true,
    axial_pos_shape: [rows, columns],
    axial_pos_embds_dim: [first, hidden - first],
    chunk_size_feed_forward: MODEL_CHUNK,
    chunk_size_lm_head: MODEL_CHUNK,
    hidden_dropout_prob: 0,
    lsh_attention_probs_dropout_prob: 0,
    local_attention_probs_dropout_prob: 0,
    hidden_act: 'relu',
  };
}

const STEP_SEED = 5;

export class ModelWorkload {
  private readonly model: ReformerModelWithLMHead;
  private readonly ids: tf.Tensor2D;
  private readonly variables: tf.Variable[];
  private readonly optimizer: tf.Optimizer;
  readonly parameterBytes: number;

  constructor(readonly spec: ModelSpec) {
    const config = new ReformerConfig(modelConfigJSON(spec));
    this.model = new ReformerModelWithLMHead(config, {seed: 0});
    this.variables = Object.values(this.model.parameters) as tf.Variable[];
    this.parameterBytes = this.variables.reduce((sum, v) => sum + v.size * 4, 0);
    // Ids in [1, vocab): 0 is the padding id.
    this.ids = tf.randomUniform([spec.batch, spec.length], 1, MODEL_VOCAB, 'int32', 3) as tf.Tensor2D;
    // SGD keeps no state, so the first step (the profiled warm-up) is like every other.
    this.optimizer = tf.train.sgd(1e-4);
  }

  private loss(): tf.Scalar {
    // No synchronous readback of the ids (impossible on WebGPU in Node).
    return this.model.loss(this.ids, {seed: STEP_SEED, reversible: this.spec.reversible, validateInputs: false});
  }

  /** The loss alone, without a tape. */
  forward(): RunFn {
    return () => [this.loss()];
  }

  /** Loss, gradients of every parameter, SGD update. */
  trainStep(): RunFn {
    return () => [this.optimizer.minimize(() => this.loss(), true, this.variables)!];
  }

  dispose(): void {
    this.model.dispose();
    this.ids.dispose();
    this.optimizer.dispose();
  }
}
