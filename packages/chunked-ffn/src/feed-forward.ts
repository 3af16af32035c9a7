import * as tf from '@tensorflow/tfjs-core';
import {activate, activationDerivative, checkActivation, type ActivationName} from './activations.js';
import {chunkRanges} from './apply-chunked.js';
import {dense} from './dense.js';
import {dropoutMask} from './dropout.js';
import {layerNorm, layerNormBackward} from './layer-norm.js';
import {
  assertDtype,
  assertRank,
  assertShape,
  assertTensor,
  checkChunkSize,
  checkEps,
  checkRate,
  checkSeed,
  describe,
  dim,
  formatShape,
} from './validate.js';

/**
 * The feed-forward block of Hugging Face's Reformer (`ChunkReformerFeedForward`), position-wise:
 *
 *   y   = LayerNorm(x)                  eps = layerNormEps
 *   h   = y · denseKernel + denseBias   [.., hidden] → [.., dFF]
 *   h'  = dropout(h)                    before the activation, as HF does
 *   a   = activation(h')
 *   o   = a · outputKernel + outputBias [.., dFF] → [.., hidden]
 *   out = dropout(o)
 *
 * Weights are in tfjs orientation [in, out] (a PyTorch `nn.Linear.weight` is [out, in]: transpose it).
 * There is no residual here: Reformer adds it in the reversible block.
 */
export interface FeedForwardWeights {
  /** LayerNorm scale, [hidden] (HF: feed_forward.layer_norm.weight). */
  layerNormGamma: tf.Tensor;
  /** LayerNorm shift, [hidden] (HF: feed_forward.layer_norm.bias). */
  layerNormBeta: tf.Tensor;
  /** First dense kernel, [hidden, dFF] (HF: feed_forward.dense.dense.weight, transposed). */
  denseKernel: tf.Tensor;
  /** First dense bias, [dFF] (HF: feed_forward.dense.dense.bias). */
  denseBias: tf.Tensor;
  /** Second dense kernel, [dFF, hidden] (HF: feed_forward.output.dense.weight, transposed). */
  outputKernel: tf.Tensor;
  /** Second dense bias, [hidden] (HF: feed_forward.output.dense.bias). */
  outputBias: tf.Tensor;
}

/** The weight fields in the order the custom gradient takes them and `feedForwardBackward` returns them. */
export const FEED_FORWARD_WEIGHT_NAMES = [
  'layerNormGamma',
  'layerNormBeta',
  'denseKernel',
  'denseBias',
  'outputKernel',
  'outputBias',
] as const satisfies readonly (keyof FeedForwardWeights)[];

/** Dropout streams (see `dropoutMask`): the mask after the first dense and after the second. */
export const FEED_FORWARD_DROPOUT_STREAMS = {dense: 1, output: 2} as const;

export interface FeedForwardOptions {
  /** HF's `hidden_act`; default `relu` (HF's default). */
  activation?: ActivationName;
  /** HF's `layer_norm_eps`; default 1e-12 (HF's default). */
  layerNormEps?: number;
  /**
   * Dropout probability for both dropout sites (HF's `hidden_dropout_prob`); default 0. Pass 0 for
   * inference: there is no separate training flag.
   */
  dropout?: number;
  /** Seed of the dropout masks; required when dropout > 0. Use a new one per step and layer. */
  seed?: number;
  /** Positions per chunk (HF's `chunk_size_feed_forward`); 0 = one chunk. Default 0. */
  chunkSize?: number;
}

export interface ResolvedFeedForwardOptions {
  activation: ActivationName;
  layerNormEps: number;
  dropout: number;
  seed: number;
  chunkSize: number;
}

export function resolveFeedForwardOptions(options: FeedForwardOptions = {}): ResolvedFeedForwardOptions {
  if (options === null || typeof options !== 'object') {
    throw new Error(`options: expected an object, got ${describe(options)}`);
  }
  const dropout = checkRate(options.dropout ?? 0, 'dropout');
  return {
    activation: checkActivation(options.activation ?? 'relu'),
    layerNormEps: checkEps(options.layerNormEps ?? 1e-12),
    dropout,
    seed: checkSeed(options.seed, dropout > 0, 'when dropout > 0'),
    chunkSize: checkChunkSize(options.chunkSize ?? 0),
  };
}

/** Checks x ([batch, length, hidden], float32) and the weights against it; returns [hidden, dFF]. */
export function checkFeedForwardInputs(x: tf.Tensor, weights: FeedForwardWeights): {hidden: number; dFF: number} {
  assertTensor('x', x);
  assertRank('x', x, 3, '[batch, length, hidden]');
  assertDtype('x', x, 'float32');
  if (weights === null || typeof weights !== 'object') {
    throw new Error(`weights: expected an object with ${FEED_FORWARD_WEIGHT_NAMES.join(', ')}, got ${describe(weights)}`);
  }
  for (const name of FEED_FORWARD_WEIGHT_NAMES) {
    assertTensor(`weights.${name}`, weights[name]);
    assertDtype(`weights.${name}`, weights[name], 'float32');
  }
  const hidden = dim(x, 2);
  const because = `to match x's hidden size ${hidden} (x: ${formatShape(x.shape)})`;
  assertShape('weights.layerNormGamma', weights.layerNormGamma, [hidden], because);
  assertShape('weights.layerNormBeta', weights.layerNormBeta, [hidden], because);
  assertShape('weights.denseKernel', weights.denseKernel, [hidden, null], because);
  const dFF = dim(weights.denseKernel, 1);
  const becauseFF = `to match denseKernel ${formatShape(weights.denseKernel.shape)} ([hidden, dFF])`;
  assertShape('weights.denseBias', weights.denseBias, [dFF], becauseFF);
  assertShape('weights.outputKernel', weights.outputKernel, [dFF, hidden], becauseFF);
  assertShape('weights.outputBias', weights.outputBias, [hidden], because);
  return {hidden, dFF};
}

/**
 * Applies the feed-forward chunk by chunk along the sequence, with a custom gradient that keeps only
 * x and the weights from the forward and recomputes each chunk in the backward, so a training step
 * holds one chunk's [batch·chunkSize, dFF] activations at a time instead of the whole sequence's.
 * Returns [batch, length, hidden]. Gradients flow to x and to every weight (pass the weights as
 * tensors or variables; `tf.variableGrads` and optimizers work).
 *
 * Gradients need the tfjs gradients registered: import `@tensorflow/tfjs` (or, in a bundler,
 * `@tensorflow/tfjs-core/dist/register_all_gradients`).
 *
 * @param x [batch, length, hidden], float32.
 */
export function chunkedFeedForward(x: tf.Tensor, weights: FeedForwardWeights, options: FeedForwardOptions = {}): tf.Tensor3D {
  checkFeedForwardInputs(x, weights);
  const opts = resolveFeedForwardOptions(options);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    save(inputs);
    const value = feedForwardForward(inputs[0], weightsFromList(inputs.slice(1)), opts);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const {dx, grads} = feedForwardBackward(saved[0], weightsFromList(saved.slice(1)), dy, opts);
        return [dx, ...FEED_FORWARD_WEIGHT_NAMES.map((name) => grads[name])];
      },
    };
  });
  return op(x, ...FEED_FORWARD_WEIGHT_NAMES.map((name) => weights[name])) as tf.Tensor3D;
}

/**
 * The forward alone, chunk by chunk, without a custom gradient (for a caller that runs its own
 * backward, e.g. a reversible block's recompute). Returns [batch, length, hidden].
 */
export function feedForwardForward(x: tf.Tensor, weights: FeedForwardWeights, options: FeedForwardOptions = {}): tf.Tensor3D {
  checkFeedForwardInputs(x, weights);
  const opts = resolveFeedForwardOptions(options);
  const [batch, length, hidden] = x.shape;
  const ranges = chunkRanges(length, opts.chunkSize);
  const parts = ranges.map(({start, end}) =>
    tf.tidy(() => {
      const c = chunkForward(x, weights, opts, start, end, true);
      return tf.reshape(c.out as tf.Tensor, [batch, end - start, hidden]); // [batch, chunkLen, hidden]
    }),
  );
  return joinChunks(parts, [batch, 0, hidden]);
}

export interface FeedForwardGradients {
  /** d loss / d x, [batch, length, hidden]. */
  dx: tf.Tensor3D;
  /** d loss / d each weight, same shapes as the weights. */
  grads: FeedForwardWeights;
}

/**
 * The exact backward of the feed-forward, chunk by chunk: recomputes each chunk's forward (same
 * dropout masks, from the seed) and returns the gradients for x and every weight given
 * dy = d loss / d output ([batch, length, hidden]). Hand-written, so it never nests a gradient
 * tape: a reversible block's gradFunc can call it directly.
 */
export function feedForwardBackward(
  x: tf.Tensor,
  weights: FeedForwardWeights,
  dy: tf.Tensor,
  options: FeedForwardOptions = {},
): FeedForwardGradients {
  return backwardPass(x, weights, dy, options, false);
}

/**
 * `feedForwardBackward` that also returns the output (`feedForwardForward`'s), from the same chunk-by-chunk
 * recompute: for a caller that needs both, such as a reversible block's backward (which rebuilds its input from
 * the output), one pass instead of a forward and a backward that runs the forward again.
 */
export function feedForwardValueAndBackward(
  x: tf.Tensor,
  weights: FeedForwardWeights,
  dy: tf.Tensor,
  options: FeedForwardOptions = {},
): FeedForwardGradients & {output: tf.Tensor3D} {
  return backwardPass(x, weights, dy, options, true) as FeedForwardGradients & {output: tf.Tensor3D};
}

/** The chunked backward, and with `withOutput` the output, each chunk's forward computed once. */
function backwardPass(x: tf.Tensor, weights: FeedForwardWeights, dy: tf.Tensor, options: FeedForwardOptions, withOutput: boolean): FeedForwardGradients & {output?: tf.Tensor3D} {
  checkFeedForwardInputs(x, weights);
  assertTensor('dy', dy);
  assertShape('dy', dy, x.shape, `to match x ${formatShape(x.shape)}`);
  const opts = resolveFeedForwardOptions(options);
  const [batch, length, hidden] = x.shape;
  const ranges = chunkRanges(length, opts.chunkSize);

  let acc: tf.Tensor[] | null = null; // the six weight gradients summed over the chunks so far
  const dxParts: tf.Tensor[] = [];
  const outputParts: tf.Tensor[] = [];
  for (const {start, end} of ranges) {
    const chunkGrads = tf.tidy(() => {
      const n = end - start;
      const rows = batch * n;
      const c = chunkForward(x, weights, opts, start, end, withOutput);
      const output = c.out ? [tf.reshape(c.out, [batch, n, hidden])] : []; // [batch, chunkLen, hidden]
      const dOut = tf.reshape(tf.slice(dy, [0, start, 0], [batch, n, hidden]), [rows, hidden]); // [rows, hidden]
      const dOutputPre = c.outputMask ? tf.mul(dOut, c.outputMask) : dOut; // [rows, hidden]
      const dOutputBias = tf.sum(dOutputPre, 0); // [hidden]
      const dOutputKernel = tf.matMul(c.activated, dOutputPre, true, false); // [dFF, hidden]
      const dActivated = tf.matMul(dOutputPre, weights.outputKernel, false, true); // [rows, dFF]
      const dDropped = tf.mul(dActivated, activationDerivative(opts.activation, c.dropped)); // [rows, dFF]
      const dDense = c.denseMask ? tf.mul(dDropped, c.denseMask) : dDropped; // [rows, dFF]
      const dDenseBias = tf.sum(dDense, 0); // [dFF]
      const dDenseKernel = tf.matMul(c.normed, dDense, true, false); // [hidden, dFF]
      const dNormed = tf.matMul(dDense, weights.denseKernel, false, true) as tf.Tensor2D; // [rows, hidden]
      const ln = layerNormBackward(dNormed, c.input, weights.layerNormGamma as tf.Tensor1D, opts.layerNormEps);
      const dxChunk = tf.reshape(ln.dx, [batch, n, hidden]); // [batch, chunkLen, hidden]
      return [dxChunk, ln.dGamma, ln.dBeta, dDenseKernel, dDenseBias, dOutputKernel, dOutputBias, ...output];
    });
    dxParts.push(chunkGrads[0]);
    if (withOutput) outputParts.push(chunkGrads[7]);
    const weightGrads = chunkGrads.slice(1, 7);
    if (acc === null) acc = weightGrads;
    else {
      const previous: tf.Tensor[] = acc;
      acc = previous.map((a, i) => tf.add(a, weightGrads[i]));
      tf.dispose([...previous, ...weightGrads]);
    }
  }
  acc ??= FEED_FORWARD_WEIGHT_NAMES.map((name) => tf.zerosLike(weights[name]));
  const dx = joinChunks(dxParts, [batch, 0, hidden]);
  return {dx, grads: weightsFromList(acc), ...(withOutput ? {output: joinChunks(outputParts, [batch, 0, hidden])} : {})};
}

/** Chunks [batch, chunkLen, hidden] joined along the sequence (disposing them), or `empty` zeros when none. */
function joinChunks(parts: tf.Tensor[], empty: [number, number, number]): tf.Tensor3D {
  if (parts.length === 0) return tf.zeros(empty);
  if (parts.length === 1) return parts[0] as tf.Tensor3D;
  const joined = tf.concat(parts, 1) as tf.Tensor3D; // [batch, length, hidden]
  parts.forEach((p) => p.dispose());
  return joined;
}

interface ChunkActivations {
  input: tf.Tensor2D; // [rows, hidden], the chunk of x
  normed: tf.Tensor2D; // [rows, hidden], LayerNorm output
  dropped: tf.Tensor2D; // [rows, dFF], dense output after dropout (the activation's input)
  activated: tf.Tensor2D; // [rows, dFF]
  denseMask: tf.Tensor2D | null; // [rows, dFF]
  outputMask: tf.Tensor2D | null; // [rows, hidden]
  out: tf.Tensor2D | null; // [rows, hidden]; null when not asked for (the backward needs no output)
}

/** One chunk's forward with the activations its backward needs; call inside a tidy. */
function chunkForward(
  x: tf.Tensor,
  w: FeedForwardWeights,
  opts: ResolvedFeedForwardOptions,
  start: number,
  end: number,
  withOutput: boolean,
): ChunkActivations {
  const [batch, length, hidden] = x.shape;
  const n = end - start;
  const rows = batch * n;
  const dFF = dim(w.denseKernel, 1);
  const xChunk = tf.reshape(tf.slice(x, [0, start, 0], [batch, n, hidden]), [rows, hidden]); // [rows, hidden]
  const normed = layerNorm(xChunk, w.layerNormGamma, w.layerNormBeta, opts.layerNormEps) as tf.Tensor2D; // [rows, hidden]
  const denseOut = dense(normed, w.denseKernel, w.denseBias); // [rows, dFF]
  const mask = (stream: number, width: number) =>
    opts.dropout > 0 ? dropoutMask({seed: opts.seed, stream, rate: opts.dropout, batch, length, start, end, width}) : null;
  const denseMask = mask(FEED_FORWARD_DROPOUT_STREAMS.dense, dFF);
  const dropped = denseMask ? (tf.mul(denseOut, denseMask) as tf.Tensor2D) : denseOut;
  const activated = activate(opts.activation, dropped) as tf.Tensor2D;
  const outputMask = mask(FEED_FORWARD_DROPOUT_STREAMS.output, hidden);
  let out: tf.Tensor2D | null = null;
  if (withOutput) {
    const output = dense(activated, w.outputKernel, w.outputBias); // [rows, hidden]
    out = (outputMask ? tf.mul(output, outputMask) : output) as tf.Tensor2D;
  }
  return {input: xChunk as tf.Tensor2D, normed, dropped, activated, denseMask, outputMask, out};
}

function weightsFromList(list: tf.Tensor[]): FeedForwardWeights {
  const [layerNormGamma, layerNormBeta, denseKernel, denseBias, outputKernel, outputBias] = list;
  return {layerNormGamma, layerNormBeta, denseKernel, denseBias, outputKernel, outputBias};
}
