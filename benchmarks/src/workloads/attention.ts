// One self-attention layer as the packages ship it: LSHSelfAttention or FullSelfAttention from
// @reformerjs/lsh-attention (projections, attention, output projection), causal.
import * as tf from '@tensorflow/tfjs';
import {FullSelfAttention, LSHSelfAttention, fullSelfAttention, type SharedQKWeights} from '@reformerjs/lsh-attention';
import {autoNumBuckets, type NumBuckets} from '@reformerjs/lsh-hash';
import {paddedLength} from '../budget.js';
import type {RunFn} from '../timing.js';

export interface AttentionSpec {
  attention: 'full' | 'lsh';
  batch: number;
  length: number;
  heads: number;
  headSize: number;
  chunk: number;
  hashes: number;
  causal: boolean;
  /** Run the batch in slices of this many sequences (keeps every binding under the WebGPU limit). */
  sliceBatch?: number;
  /**
   * Full attention only: run this many heads at a time, each group's [L, L] scores freed before the next (keeps a
   * forward within a CPU backend's memory; the output is the same sum over heads of the output projection).
   */
  sliceHeads?: number;
}

/** HF's automatic bucket count (max_position_embeddings 4096) for this length: what both we and the HF script use. */
export function bucketsFor(length: number, chunk: number): NumBuckets {
  return autoNumBuckets({sequenceLength: paddedLength(length, chunk), chunkLength: chunk});
}

export function implName(attention: 'full' | 'lsh', hashes: number): string {
  return attention === 'full' ? 'full' : `lsh-${hashes}`;
}

/** Fixed seeds: every run hashes with the same rotations, so runs do the same work. */
const LAYER_SEED = 1;
const HASH_SEED = 7;
const INPUT_SEED = 11;

export class AttentionWorkload {
  private readonly layer: LSHSelfAttention | FullSelfAttention;
  /** A variable, so tf.variableGrads gives its gradient along with the weights'. */
  private readonly x: tf.Variable<tf.Rank.R3>;
  private readonly weights: tf.Variable[];

  constructor(readonly spec: AttentionSpec) {
    const hidden = spec.heads * spec.headSize;
    const head = {hiddenSize: hidden, numHeads: spec.heads, headSize: spec.headSize, causal: spec.causal, seed: LAYER_SEED};
    this.layer =
      spec.attention === 'full'
        ? // Shared query/key: exactly the function LSH attention approximates, with the same weights.
          new FullSelfAttention({...head, sharedQK: true})
        : new LSHSelfAttention({
            ...head,
            chunkLength: spec.chunk,
            numHashes: spec.hashes,
            numBuckets: bucketsFor(spec.length, spec.chunk),
          });
    this.weights = Object.values(this.layer.weights) as tf.Variable[];
    const x = tf.randomNormal([spec.batch, spec.length, hidden], 0, 1, 'float32', INPUT_SEED);
    this.x = tf.variable(x, true) as tf.Variable<tf.Rank.R3>;
    x.dispose();
  }

  private applyOnce(x: tf.Tensor3D): tf.Tensor3D {
    if (this.layer instanceof LSHSelfAttention) return this.layer.apply(x, {seed: HASH_SEED}).output;
    const {heads, headSize, sliceHeads} = this.spec;
    if (!sliceHeads || sliceHeads >= heads) return this.layer.apply(x).output;
    const w = this.layer.weights as SharedQKWeights;
    let sum: tf.Tensor3D | undefined;
    for (let first = 0; first < heads; first += sliceHeads) {
      const n = Math.min(sliceHeads, heads - first);
      const columns = (t: tf.Tensor2D) => tf.slice(t, [0, first * headSize], [-1, n * headSize]); // [hidden, n*headSize]
      const rows = tf.slice(w.output, [first * headSize, 0], [n * headSize, -1]); // [n*headSize, hidden]
      const {output} = fullSelfAttention(
        x,
        {queryKey: columns(w.queryKey), value: columns(w.value), output: rows},
        {hiddenSize: heads * headSize, numHeads: n, headSize, sharedQK: true, causal: this.spec.causal},
      ); // [batch, length, hidden]: these heads' share of the output projection
      sum = sum === undefined ? output : (tf.add(sum, output) as tf.Tensor3D);
    }
    return sum!;
  }

  /** hidden [batch, length, hidden] -> [batch, length, hidden], in batch slices when asked to. */
  private apply(x: tf.Tensor3D): tf.Tensor3D {
    const slice = this.spec.sliceBatch ?? this.spec.batch;
    if (slice >= this.spec.batch) return this.applyOnce(x);
    const parts: tf.Tensor3D[] = [];
    for (let start = 0; start < this.spec.batch; start += slice) {
      const size = Math.min(slice, this.spec.batch - start);
      parts.push(this.applyOnce(tf.slice(x, [start, 0, 0], [size, -1, -1]))); // [size, length, hidden]
    }
    return tf.concat(parts, 0) as tf.Tensor3D; // [batch, length, hidden]
  }

  /** Inference: no gradient tape. */
  forward(): RunFn {
    return () => [tf.tidy(() => this.apply(this.x))];
  }

  /** Forward and backward: gradients of sum(output) for the input and every weight. */
  forwardBackward(): RunFn {
    return () => {
      const {value, grads} = tf.variableGrads(() => tf.sum(this.apply(this.x)) as tf.Scalar, [this.x, ...this.weights]);
      value.dispose();
      // Any output will do for the wait: its reduction is queued after every kernel of the run.
      return [grads[this.x.name]!, ...this.weights.map((w) => grads[w.name]!)];
    };
  }

  dispose(): void {
    this.layer.dispose();
    this.x.dispose();
  }
}
