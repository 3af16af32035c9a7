import * as tf from '@tensorflow/tfjs-core';
import {applyChunked, chunkRanges} from './apply-chunked.js';
import {crossEntropyLogitsGrad, weightedCrossEntropy} from './cross-entropy.js';
import {dense} from './dense.js';
import {assertDtype, assertRank, assertShape, assertTensor, checkChunkSize, describe, dim, formatShape} from './validate.js';

/**
 * The language-model head, logits = hidden · kernel + bias over the vocabulary, and its
 * cross-entropy, computed chunk by chunk along the sequence so that neither the forward nor the
 * backward holds [batch, length, vocab] logits (Hugging Face's `chunk_size_lm_head`).
 */
export interface LmHeadWeights {
  /** [hidden, vocab], tfjs orientation (HF: lm_head.decoder.weight, transposed). */
  kernel: tf.Tensor;
  /** [vocab] (HF: lm_head.bias). */
  bias: tf.Tensor;
}

export interface LmHeadOptions {
  /** Positions per chunk (HF's `chunk_size_lm_head`); 0 = one chunk. Default 0. */
  chunkSize?: number;
}

export interface LmLossOptions extends LmHeadOptions {
  /**
   * Per-position weights, [batch, length] float32, aligned with `labels` (so with `shift` the weight
   * of the prediction made at t is positionWeights[t + 1]). 0 leaves a position out: use it to score
   * only the second half of a sequence or to ignore padding. Default: all 1.
   */
  positionWeights?: tf.Tensor;
  /**
   * Hugging Face's causal-LM shift: when true, the logits at position t are scored against label
   * t + 1 and label 0 is not used, so pass the input ids as labels. Default false (the caller has
   * aligned labels with positions).
   */
  shift?: boolean;
  /** Labels equal to this are left out (weight 0), like PyTorch's `ignore_index`. Default -100. */
  ignoreIndex?: number;
  /**
   * Check every used label is in [0, vocab) or ignoreIndex. Reads the labels back synchronously
   * (`dataSync`); turn it off where that is impossible or costly (webgpu in Node). Default true.
   */
  validateLabels?: boolean;
}

interface ResolvedLossOptions {
  chunkSize: number;
  positionWeights: tf.Tensor | undefined;
  shift: boolean;
  ignoreIndex: number;
  validateLabels: boolean;
}

/** Checks hidden ([batch, length, hidden], float32) and the head against it; returns the vocabulary size. */
export function checkLmHeadInputs(hidden: tf.Tensor, head: LmHeadWeights): number {
  assertTensor('hidden', hidden);
  assertRank('hidden', hidden, 3, '[batch, length, hidden]');
  assertDtype('hidden', hidden, 'float32');
  if (head === null || typeof head !== 'object') {
    throw new Error(`head: expected an object with kernel and bias, got ${describe(head)}`);
  }
  assertTensor('head.kernel', head.kernel);
  assertTensor('head.bias', head.bias);
  assertDtype('head.kernel', head.kernel, 'float32');
  assertDtype('head.bias', head.bias, 'float32');
  assertShape('head.kernel', head.kernel, [dim(hidden, 2), null], `([hidden, vocab]) to match hidden's size ${dim(hidden, 2)} (hidden: ${formatShape(hidden.shape)})`);
  const vocab = dim(head.kernel, 1);
  if (vocab < 2) throw new Error(`head.kernel: expected a vocabulary of at least 2 (shape [hidden, vocab]), got ${formatShape(head.kernel.shape)}`);
  assertShape('head.bias', head.bias, [vocab], `([vocab]) to match head.kernel ${formatShape(head.kernel.shape)}`);
  return vocab;
}

function resolveLossOptions(options: LmLossOptions, hidden: tf.Tensor, labels: tf.Tensor, vocab: number): ResolvedLossOptions {
  if (options === null || typeof options !== 'object') {
    throw new Error(`options: expected an object, got ${describe(options)}`);
  }
  const [batch, length] = hidden.shape;
  assertTensor('labels', labels);
  assertRank('labels', labels, 2, '[batch, length]');
  assertDtype('labels', labels, 'int32');
  assertShape('labels', labels, [batch, length], `([batch, length]) to match hidden ${formatShape(hidden.shape)}`);
  const shift = options.shift ?? false;
  if (typeof shift !== 'boolean') throw new Error(`shift: expected a boolean, got ${describe(shift)}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isSafeInteger(ignoreIndex)) throw new Error(`ignoreIndex: expected an integer, got ${describe(ignoreIndex)}`);
  const validateLabels = options.validateLabels ?? true;
  if (typeof validateLabels !== 'boolean') throw new Error(`validateLabels: expected a boolean, got ${describe(validateLabels)}`);
  const {positionWeights} = options;
  if (positionWeights !== undefined) {
    assertTensor('positionWeights', positionWeights);
    assertDtype('positionWeights', positionWeights, 'float32');
    assertShape('positionWeights', positionWeights, [batch, length], `([batch, length]) to match labels ${formatShape(labels.shape)}`);
  }
  if (validateLabels) checkLabelValues(labels, vocab, ignoreIndex, shift ? 1 : 0);
  return {chunkSize: checkChunkSize(options.chunkSize ?? 0), positionWeights, shift, ignoreIndex, validateLabels};
}

function checkLabelValues(labels: tf.Tensor, vocab: number, ignoreIndex: number, firstUsed: number): void {
  const [batch, length] = labels.shape;
  const values = labels.dataSync();
  for (let b = 0; b < batch; b++) {
    for (let t = firstUsed; t < length; t++) {
      const v = values[b * length + t];
      if (!(v >= 0 && v < vocab) && v !== ignoreIndex) {
        throw new Error(`labels: expected values in [0, ${vocab}) (the vocabulary size) or ignoreIndex ${ignoreIndex}, got ${v} at [${b}, ${t}]`);
      }
    }
  }
}

/**
 * The labels and weights actually scored: [batch, used] with used = length − 1 under `shift`.
 * Ignored labels become 0 (a safe index) with weight 0.
 */
function scoredTargets(labels: tf.Tensor, opts: ResolvedLossOptions): {targets: tf.Tensor2D; weights: tf.Tensor2D} {
  return tf.tidy(() => {
    const [batch, length] = labels.shape;
    const from = opts.shift ? 1 : 0;
    const used = Math.max(length - from, 0);
    const cut = (t: tf.Tensor) => (from === 0 ? t : tf.slice(t, [0, from], [batch, used])); // [batch, used]
    const usedLabels = cut(labels);
    const kept = tf.notEqual(usedLabels, tf.scalar(opts.ignoreIndex, 'int32')); // [batch, used]
    const targets = tf.where(kept, usedLabels, tf.zerosLike(usedLabels)) as tf.Tensor2D;
    let weights = tf.cast(kept, 'float32');
    if (opts.positionWeights) weights = tf.mul(weights, cut(opts.positionWeights));
    return {targets, weights: weights as tf.Tensor2D};
  });
}

/** The sum of the weights, or 1 where it is 0 (the loss is then 0 and its gradients 0; PyTorch gives NaN). */
function safeWeightSum(weights: tf.Tensor): tf.Scalar {
  // No positions at all (a length-1 sequence under shift): webgl's Sum cannot reduce an empty tensor.
  if (weights.size === 0) return tf.scalar(1);
  return tf.tidy(() => {
    const total = tf.sum(weights);
    return tf.where(tf.greater(total, 0), total, tf.onesLike(total)) as tf.Scalar;
  });
}

interface ChunkLogits {
  hiddenRows: tf.Tensor2D; // [rows, hidden]
  logits: tf.Tensor2D; // [rows, vocab]
  targets: tf.Tensor1D; // [rows] int32
  weights: tf.Tensor1D; // [rows]
}

/** One chunk's logits and its scored targets; call inside a tidy. */
function chunkLogits(
  hidden: tf.Tensor,
  head: LmHeadWeights,
  targets: tf.Tensor,
  weights: tf.Tensor,
  start: number,
  end: number,
): ChunkLogits {
  const [batch, , size] = hidden.shape;
  const n = end - start;
  const rows = batch * n;
  const hiddenRows = tf.reshape(tf.slice(hidden, [0, start, 0], [batch, n, size]), [rows, size]) as tf.Tensor2D; // [rows, hidden]
  const logits = dense(hiddenRows, head.kernel, head.bias); // [rows, vocab]
  const t = tf.reshape(tf.slice(targets, [0, start], [batch, n]), [rows]) as tf.Tensor1D; // [rows]
  const w = tf.reshape(tf.slice(weights, [0, start], [batch, n]), [rows]) as tf.Tensor1D; // [rows]
  return {hiddenRows, logits, targets: t, weights: w};
}

/**
 * Mean cross-entropy of the LM head's logits against integer labels,
 *   loss = Σ w_t · (logsumexp(logits_t) − logits_t[label_t]) / Σ w_t,
 * computed chunk by chunk with a custom gradient: the forward keeps no logits and the backward
 * recomputes each chunk's softmax, so training holds one chunk's [batch·chunkSize, vocab] at a time.
 * Gradients flow to hidden, head.kernel and head.bias. With all weights 0 the loss is 0.
 *
 * Gradients need the tfjs gradients registered: import `@tensorflow/tfjs`.
 *
 * @param hidden [batch, length, hidden] float32.
 * @param labels [batch, length] int32.
 */
export function chunkedLmLoss(hidden: tf.Tensor, head: LmHeadWeights, labels: tf.Tensor, options: LmLossOptions = {}): tf.Scalar {
  const vocab = checkLmHeadInputs(hidden, head);
  const opts = resolveLossOptions(options, hidden, labels, vocab);
  const [batch, length, size] = hidden.shape;
  const used = opts.shift ? Math.max(length - 1, 0) : length;
  const ranges = chunkRanges(used, opts.chunkSize);

  const op = tf.customGrad((h: tf.Tensor | tf.GradSaveFunc, k: tf.Tensor | tf.GradSaveFunc, b: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const x = h as tf.Tensor;
    const w: LmHeadWeights = {kernel: k as tf.Tensor, bias: b as tf.Tensor};
    const {targets, weights} = scoredTargets(labels, opts);
    // The targets and weights are saved too: the caller's labels may be gone by the backward.
    (save as tf.GradSaveFunc)([x, w.kernel, w.bias, targets, weights]);
    const total = safeWeightSum(weights);
    let numerator: tf.Tensor = tf.scalar(0);
    for (const {start, end} of ranges) {
      const part = tf.tidy(() => {
        const c = chunkLogits(x, w, targets, weights, start, end);
        return tf.sum(weightedCrossEntropy(c.logits, c.targets, c.weights));
      });
      const next = tf.add(numerator, part);
      numerator.dispose();
      part.dispose();
      numerator = next;
    }
    const value = tf.div(numerator, total) as tf.Scalar;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, sb, sTargets, sWeights] = saved;
        const sw: LmHeadWeights = {kernel: sk, bias: sb};
        const scale = tf.tidy(() => tf.div(dy, safeWeightSum(sWeights))) as tf.Scalar;
        let dKernel: tf.Tensor = tf.zerosLike(sk);
        let dBias: tf.Tensor = tf.zerosLike(sb);
        const dParts: tf.Tensor[] = [];
        for (const {start, end} of ranges) {
          const [dh, dk, db] = tf.tidy(() => {
            const c = chunkLogits(sx, sw, sTargets, sWeights, start, end);
            const dLogits = crossEntropyLogitsGrad(c.logits, c.targets, c.weights, scale); // [rows, vocab]
            const dHiddenRows = tf.matMul(dLogits, sw.kernel as tf.Tensor2D, false, true); // [rows, hidden]
            return [
              tf.reshape(dHiddenRows, [batch, end - start, size]), // [batch, chunkLen, hidden]
              tf.matMul(c.hiddenRows, dLogits, true, false), // [hidden, vocab]
              tf.sum(dLogits, 0), // [vocab]
            ];
          });
          dParts.push(dh);
          const nk = tf.add(dKernel, dk);
          const nb = tf.add(dBias, db);
          [dKernel, dBias, dk, db].forEach((t) => t.dispose());
          dKernel = nk;
          dBias = nb;
        }
        scale.dispose();
        if (used < length) dParts.push(tf.zeros([batch, length - used, size])); // the last position predicts nothing
        let dHidden: tf.Tensor;
        if (dParts.length === 0) dHidden = tf.zeros([batch, length, size]);
        else if (dParts.length === 1) dHidden = dParts[0];
        else {
          dHidden = tf.concat(dParts, 1); // [batch, length, hidden]
          dParts.forEach((p) => p.dispose());
        }
        return [dHidden, dKernel, dBias];
      },
    };
  });
  return op(hidden, head.kernel, head.bias) as tf.Scalar;
}

export interface LmMetrics {
  /** Weighted mean cross-entropy, as `chunkedLmLoss` (no gradient). */
  loss: tf.Scalar;
  /** Weighted fraction of positions whose argmax equals the label. */
  accuracy: tf.Scalar;
  /** Σ weights of the scored positions (the number of scored tokens for 0/1 weights). */
  weightSum: tf.Scalar;
}

/**
 * Loss and accuracy in one chunked pass, for evaluation: never holds [batch, length, vocab] logits,
 * and records no gradient. Same options as `chunkedLmLoss`. Argmax ties go to the lower index.
 */
export function chunkedLmMetrics(hidden: tf.Tensor, head: LmHeadWeights, labels: tf.Tensor, options: LmLossOptions = {}): LmMetrics {
  const vocab = checkLmHeadInputs(hidden, head);
  const opts = resolveLossOptions(options, hidden, labels, vocab);
  const length = dim(hidden, 1);
  const used = opts.shift ? Math.max(length - 1, 0) : length;
  return tf.tidy(() => {
    const {targets, weights} = scoredTargets(labels, opts);
    let lossSum: tf.Tensor = tf.scalar(0);
    let correctSum: tf.Tensor = tf.scalar(0);
    for (const {start, end} of chunkRanges(used, opts.chunkSize)) {
      const [l, c] = tf.tidy(() => {
        const ch = chunkLogits(hidden, head, targets, weights, start, end);
        const hit = tf.cast(tf.equal(tf.argMax(ch.logits, 1), ch.targets), 'float32'); // [rows]
        return [tf.sum(weightedCrossEntropy(ch.logits, ch.targets, ch.weights)), tf.sum(tf.mul(hit, ch.weights))];
      });
      lossSum = tf.add(lossSum, l);
      correctSum = tf.add(correctSum, c);
    }
    const weightSum = tf.sum(weights) as tf.Scalar;
    const denominator = safeWeightSum(weights);
    return {loss: tf.div(lossSum, denominator) as tf.Scalar, accuracy: tf.div(correctSum, denominator) as tf.Scalar, weightSum};
  });
}

/**
 * Logits for inference, [batch, length, vocab], computed chunk by chunk (only the output is full
 * size). Differentiable by plain autodiff, without any memory saving; train with `chunkedLmLoss`.
 */
export function chunkedLogits(hidden: tf.Tensor, head: LmHeadWeights, options: LmHeadOptions = {}): tf.Tensor3D {
  const vocab = checkLmHeadInputs(hidden, head);
  const chunkSize = checkChunkSize(options?.chunkSize ?? 0);
  const [batch, , size] = hidden.shape;
  return applyChunked(
    (chunk) => {
      const n = dim(chunk, 1);
      const rows = tf.reshape(chunk, [batch * n, size]); // [rows, hidden]
      const logits = dense(rows as tf.Tensor2D, head.kernel, head.bias); // [rows, vocab]
      return tf.reshape(logits, [batch, n, vocab]); // [batch, chunkLen, vocab]
    },
    hidden,
    chunkSize,
    1,
  ) as tf.Tensor3D;
}

/** The argmax of the logits at each position, [batch, length] int32, without full logits. Ties go to the lower index. */
export function chunkedArgmax(hidden: tf.Tensor, head: LmHeadWeights, options: LmHeadOptions = {}): tf.Tensor2D {
  checkLmHeadInputs(hidden, head);
  const chunkSize = checkChunkSize(options?.chunkSize ?? 0);
  const [batch, , size] = hidden.shape;
  return applyChunked(
    (chunk) => {
      const n = dim(chunk, 1);
      const rows = tf.reshape(chunk, [batch * n, size]); // [rows, hidden]
      const logits = dense(rows as tf.Tensor2D, head.kernel, head.bias); // [rows, vocab]
      return tf.reshape(tf.argMax(logits, 1), [batch, n]); // [batch, chunkLen]
    },
    hidden,
    chunkSize,
    1,
  ) as tf.Tensor2D;
}
