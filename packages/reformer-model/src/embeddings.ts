// Hugging Face's ReformerEmbeddings: word embeddings (dropout) + position embeddings, learned
// (PositionEmbeddings, dropout) or axial (AxialPositionEmbeddings, dropout2d in training).
import * as tf from '@tensorflow/tfjs-core';
import type {ReformerConfig} from './config.js';
import {groupMask, seededDropout} from './dropout.js';

/** The parameters the embeddings read, by HF name. */
export const WORD_EMBEDDINGS = 'reformer.embeddings.word_embeddings.weight';
export const POSITION_EMBEDDINGS = 'reformer.embeddings.position_embeddings.embedding.weight';
export const axialWeightName = (axis: number): string => `reformer.embeddings.position_embeddings.weights.${axis}`;

/** Dropout streams of the embeddings (they share one seed). */
const STREAM = {word: 1, position: 2, axial: 3} as const;

export interface EmbeddingCall {
  /** Dropout on (hidden_dropout_prob), as HF's training mode. */
  training: boolean;
  /** Seed of the dropout masks. */
  seed: number;
}

/**
 * Rows of `table` picked by `ids`, with a gradient that scatters (sums) the incoming rows back into the table.
 * tf.gather's own gradient needs UnsortedSegmentSum, which the wasm backend lacks; ScatterNd sums duplicate
 * indices on every backend and is what that gradient computes.
 *
 * table [vocab, hidden], ids int32 [batch, length] -> [batch, length, hidden]
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor2D): tf.Tensor3D {
  const [vocab, hidden] = table.shape;
  const [batch, length] = ids.shape;
  const rows = batch * length;
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const weights = args[0] as tf.Tensor2D;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const flatIds = tf.reshape(ids, [rows]); // [batch*length]
    // The ids are saved with the op: the caller's tensor may be gone when the backward runs.
    save([flatIds]);
    const value = tf.reshape(tf.gather(weights, flatIds), [batch, length, hidden]); // [batch, length, hidden]
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const indices = tf.reshape(saved[0]!, [rows, 1]); // [batch*length, 1]
          const updates = tf.reshape(dy, [rows, hidden]); // [batch*length, hidden]
          return tf.scatterND(indices, updates, [vocab, hidden]); // [vocab, hidden]
        }),
    };
  });
  return lookup(table) as tf.Tensor3D;
}

/** Zero rows appended (or rows cut) along axis `axis` so that it has `size` entries. Differentiable. */
function fitAxis<T extends tf.Tensor>(x: T, axis: number, size: number): T {
  const have = x.shape[axis]!;
  if (have === size) return x;
  if (have > size) {
    return tf.slice(x, x.shape.map(() => 0), x.shape.map((s, i) => (i === axis ? size : s))); // axis cut to size
  }
  return tf.pad(x, x.shape.map((_, i): [number, number] => (i === axis ? [0, size - have] : [0, 0]))); // axis padded to size
}

/**
 * Learned position embeddings for positions 0 .. length − 1 (HF's PositionEmbeddings with default position
 * ids), with dropout when training. Positions at or beyond max_position_embeddings (only ever the padded tail
 * the model adds, which attention masks out and the output drops) get zeros.
 *
 * -> [1 or batch, length, hidden]
 */
function learnedPositions(
  table: tf.Tensor2D,
  batch: number,
  length: number,
  rate: number,
  seed: number,
): tf.Tensor3D {
  const [, hidden] = table.shape;
  const positions = tf.expandDims(fitAxis(table, 0, length), 0) as tf.Tensor3D; // [1, length, hidden]
  if (rate === 0) return positions;
  return tf.mul(positions, groupMask(batch, length, hidden, rate, seed, STREAM.position)) as tf.Tensor3D; // [batch, length, hidden]
}

/**
 * Axial position embeddings (HF's AxialPositionEmbeddings): axis a of `axial_pos_shape` [n_0, .., n_{k-1}] has a
 * weight [1, .., n_a, .., 1, d_a]; each is broadcast over the grid, the k of them are concatenated along the
 * features (Σ d_a = hidden) and the grid is read in row-major order, position p at grid index p. Only the first
 * ceil(length / (n_1 · .. · n_{k-1})) rows of axis 0 are built.
 *
 * Unlike HF, a training sequence may be shorter than n_0 · .. · n_{k-1}: it gets the grid's first `length`
 * positions, exactly the embeddings HF's inference path gives it. Positions beyond the grid (only the padded
 * tail the model adds) get zeros.
 *
 * Dropout in training is HF's dropout2d on the grid transposed to [batch, n_1, n_0, ...]: for k >= 2 an entry
 * (batch b, coordinate j along axis 1) drops every position with that coordinate, all features at once; for
 * k = 1 an entry (b, feature f) drops feature f at every position.
 *
 * -> [1 or batch, length, hidden]
 */
function axialPositions(
  config: ReformerConfig,
  weights: readonly tf.Tensor[],
  batch: number,
  length: number,
  rate: number,
  seed: number,
): tf.Tensor3D {
  const axes = config.axialPosShape;
  const hidden = config.hiddenSize;
  const k = axes.length;
  const perRow = axes.slice(1).reduce((p, n) => p * n, 1); // positions per index of axis 0
  const rows = Math.min(axes[0]!, Math.ceil(length / perRow));
  // Each axis's weight, zero-padded to the whole feature width at its offset; their sum broadcasts to the grid and
  // equals the concatenation of the parts broadcast (the other axes add zeros there). Its gradient is one Sum per
  // axis, where tf.broadcastTo (tfjs's Tile) would take a slice and an add per repetition: 2 × 1024 dispatches per
  // training step for axial_pos_shape [1024, 64].
  let offset = 0;
  const padded = weights.map((w, axis) => {
    const cut = axis === 0 ? fitAxis(w, 0, rows) : w; // [rows or 1, .., d_axis]
    const width = w.shape[k]!;
    const pad = [...cut.shape.slice(0, k).map((): [number, number] => [0, 0]), [offset, hidden - offset - width] as [number, number]];
    offset += width;
    return tf.pad(cut, pad); // [rows or 1, .., hidden]
  });
  const sum = padded.reduce((a, b) => tf.add(a, b)); // [rows, n_1, .., n_{k-1}, hidden]
  let grid = tf.expandDims(sum, 0); // [1, rows, n_1, .., n_{k-1}, hidden]
  if (rate > 0) {
    const mask =
      k >= 2
        ? tf.reshape(groupMask(batch, axes[1]!, 1, rate, seed, STREAM.axial), [batch, 1, axes[1]!, ...axes.slice(2).map(() => 1), 1]) // [batch, 1, n_1, 1, .., 1, 1]
        : groupMask(batch, 1, hidden, rate, seed, STREAM.axial); // [batch, 1, hidden]
    grid = tf.mul(grid, mask); // [batch, rows, n_1, .., n_{k-1}, hidden]
  }
  const flat = tf.reshape(grid, [grid.shape[0]!, rows * perRow, hidden]); // [1 or batch, rows*perRow, hidden]
  return fitAxis(flat, 1, length) as tf.Tensor3D; // [1 or batch, length, hidden]
}

/**
 * HF's ReformerEmbeddings for position ids 0 .. length − 1: dropout(word embeddings) + position embeddings
 * (with their own dropout), dropout only when `call.training`.
 *
 * ids int32 [batch, length] -> [batch, length, hidden]
 */
export function reformerEmbeddings(
  config: ReformerConfig,
  params: Readonly<Record<string, tf.Tensor>>,
  ids: tf.Tensor2D,
  call: EmbeddingCall,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, length] = ids.shape;
    const rate = call.training ? config.hiddenDropoutProb : 0;
    const words = seededDropout(embeddingLookup(params[WORD_EMBEDDINGS] as tf.Tensor2D, ids), rate, call.seed, STREAM.word); // [batch, length, hidden]
    const positions = config.axialPosEmbds
      ? axialPositions(config, config.axialPosShape.map((_, a) => params[axialWeightName(a)]!), batch, length, rate, call.seed)
      : learnedPositions(params[POSITION_EMBEDDINGS] as tf.Tensor2D, batch, length, rate, call.seed);
    return tf.add(words, positions) as tf.Tensor3D; // [batch, length, hidden]
  });
}
