import * as tf from '@tensorflow/tfjs-core';
import {activate} from './activations.js';
import {dropoutMask} from './dropout.js';
import {
  checkFeedForwardInputs,
  FEED_FORWARD_DROPOUT_STREAMS,
  resolveFeedForwardOptions,
  type FeedForwardOptions,
  type FeedForwardWeights,
} from './feed-forward.js';
import {layerNorm} from './layer-norm.js';
import {oneHotFloat} from './cross-entropy.js';
import {checkLmHeadInputs, type LmHeadWeights, type LmLossOptions} from './lm-head.js';
import {assertDtype, assertShape, assertTensor, formatShape} from './validate.js';

/**
 * Unchunked definitions differentiated by tfjs's autodiff: what the chunked functions must equal
 * (tests, parity checks), and what they save memory against. They hold [batch·length, dFF] and
 * [batch·length, vocab] on the tape. `chunkSize` is ignored.
 */

/** The feed-forward over the whole sequence, same masks as `chunkedFeedForward` for the same seed. */
export function feedForwardReference(x: tf.Tensor, weights: FeedForwardWeights, options: FeedForwardOptions = {}): tf.Tensor3D {
  const {dFF} = checkFeedForwardInputs(x, weights);
  const opts = resolveFeedForwardOptions(options);
  const [batch, length, hidden] = x.shape;
  return tf.tidy(() => {
    const mask = (stream: number, width: number) =>
      dropoutMask({seed: opts.seed, stream, rate: opts.dropout, batch, length, start: 0, end: length, width});
    const rows = tf.reshape(x, [batch * length, hidden]); // [rows, hidden]
    const normed = layerNorm(rows, weights.layerNormGamma, weights.layerNormBeta, opts.layerNormEps);
    let dense = tf.add(tf.matMul(normed as tf.Tensor2D, weights.denseKernel as tf.Tensor2D), weights.denseBias); // [rows, dFF]
    if (opts.dropout > 0) dense = tf.mul(dense, mask(FEED_FORWARD_DROPOUT_STREAMS.dense, dFF));
    const activated = activate(opts.activation, dense);
    let out = tf.add(tf.matMul(activated as tf.Tensor2D, weights.outputKernel as tf.Tensor2D), weights.outputBias); // [rows, hidden]
    if (opts.dropout > 0) out = tf.mul(out, mask(FEED_FORWARD_DROPOUT_STREAMS.output, hidden));
    return tf.reshape(out, [batch, length, hidden]) as tf.Tensor3D; // [batch, length, hidden]
  });
}

/**
 * The LM loss from full logits and log-softmax. Label values are not validated here
 * (`validateLabels` is ignored).
 */
export function lmLossReference(hidden: tf.Tensor, head: LmHeadWeights, labels: tf.Tensor, options: LmLossOptions = {}): tf.Scalar {
  const vocab = checkLmHeadInputs(hidden, head);
  assertTensor('labels', labels);
  assertDtype('labels', labels, 'int32');
  const [batch, length, size] = hidden.shape;
  assertShape('labels', labels, [batch, length], `([batch, length]) to match hidden ${formatShape(hidden.shape)}`);
  const shift = options.shift ?? false;
  const ignoreIndex = options.ignoreIndex ?? -100;
  return tf.tidy(() => {
    const used = shift ? length - 1 : length;
    const h = shift ? tf.slice(hidden, [0, 0, 0], [batch, used, size]) : hidden; // [batch, used, hidden]
    const lab = shift ? tf.slice(labels, [0, 1], [batch, used]) : labels; // [batch, used]
    const logits = tf.add(tf.matMul(tf.reshape(h, [batch * used, size]) as tf.Tensor2D, head.kernel as tf.Tensor2D), head.bias); // [rows, vocab]
    const flatLabels = tf.reshape(lab, [batch * used]); // [rows]
    const kept = tf.notEqual(flatLabels, tf.scalar(ignoreIndex, 'int32'));
    const safeLabels = tf.where(kept, flatLabels, tf.zerosLike(flatLabels));
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHotFloat(safeLabels, vocab)), 1)); // [rows]
    let w = tf.cast(kept, 'float32');
    if (options.positionWeights) {
      const pw = shift ? tf.slice(options.positionWeights, [0, 1], [batch, used]) : options.positionWeights;
      w = tf.mul(w, tf.reshape(pw, [batch * used]));
    }
    const total = tf.sum(w);
    return tf.div(tf.sum(tf.mul(nll, w)), tf.where(tf.greater(total, 0), total, tf.onesLike(total))) as tf.Scalar;
  });
}
