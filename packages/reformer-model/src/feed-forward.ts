// The feed-forward branch (g) of a Reformer layer: HF's ChunkReformerFeedForward, through chunked-ffn.
import {
  chunkedFeedForward,
  chunkRanges,
  dropoutMask,
  FEED_FORWARD_DROPOUT_STREAMS,
  layerNorm,
  SUPPORTED_ACTIVATIONS as CHUNKED_ACTIVATIONS,
  type ActivationName,
  type FeedForwardWeights,
} from '@reformerjs/chunked-ffn';
import * as tf from '@tensorflow/tfjs-core';
import type {HiddenAct} from './config.js';

/** The parameter names of layer `i`'s feed-forward, in chunked-ffn's weight order. */
export function feedForwardParameterNames(layer: number): string[] {
  const p = `reformer.encoder.layers.${layer}.feed_forward`;
  return [
    `${p}.layer_norm.weight`,
    `${p}.layer_norm.bias`,
    `${p}.dense.dense.weight`,
    `${p}.dense.dense.bias`,
    `${p}.output.dense.weight`,
    `${p}.output.dense.bias`,
  ];
}

export function feedForwardWeights(list: readonly tf.Tensor[]): FeedForwardWeights {
  const [layerNormGamma, layerNormBeta, denseKernel, denseBias, outputKernel, outputBias] = list as tf.Tensor[];
  return {layerNormGamma, layerNormBeta, denseKernel, denseBias, outputKernel, outputBias} as FeedForwardWeights;
}

/**
 * chunked-ffn's name for an HF activation, or null when chunked-ffn lacks it. `gelu_pytorch_tanh` and
 * `gelu_fast` are the tanh approximation that chunked-ffn calls `gelu_new` (0.5x(1 + tanh(√(2/π)(x + 0.044715x³))),
 * the same function written differently).
 */
export function chunkedActivation(act: HiddenAct): ActivationName | null {
  if (act === 'gelu_pytorch_tanh' || act === 'gelu_fast') return 'gelu_new';
  return (CHUNKED_ACTIVATIONS as readonly string[]).includes(act) ? (act as ActivationName) : null;
}

/** The activations chunked-ffn lacks, as PyTorch / HF's ACT2FN define them. Differentiable by autodiff. */
function fallbackActivation(act: HiddenAct, x: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'relu6':
      return tf.relu6(x);
    case 'quick_gelu':
      return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    case 'mish':
      return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'sigmoid':
      return tf.sigmoid(x);
    default:
      throw new Error(`hidden_act: no fallback for ${JSON.stringify(act)}`);
  }
}

export interface FeedForwardCall {
  activation: HiddenAct;
  layerNormEps: number;
  dropout: number;
  seed: number;
  chunkSize: number;
}

/**
 * LayerNorm → dense → dropout → activation → dense → dropout, chunk by chunk along the sequence (HF's order,
 * dropout before the activation). chunked-ffn's custom gradient recomputes each chunk in the backward, so
 * training holds one chunk's [chunk, feed_forward_size] at a time.
 *
 * For the four activations chunked-ffn does not implement (relu6, quick_gelu, mish, sigmoid) the same
 * computation, with the same dropout masks, runs under plain autodiff: the forward still goes chunk by chunk,
 * but a training step then keeps every chunk's activations (see /tmp/model-requests.md).
 *
 * x [batch, length, hidden] -> [batch, length, hidden]
 */
export function reformerFeedForward(x: tf.Tensor3D, weights: FeedForwardWeights, call: FeedForwardCall): tf.Tensor3D {
  const activation = chunkedActivation(call.activation);
  if (activation !== null) {
    return chunkedFeedForward(x, weights, {
      activation,
      layerNormEps: call.layerNormEps,
      dropout: call.dropout,
      seed: call.seed,
      chunkSize: call.chunkSize,
    });
  }
  return tf.tidy(() => {
    const [batch, length, hidden] = x.shape;
    const dFF = weights.denseKernel.shape[1]!;
    const parts = chunkRanges(length, call.chunkSize).map(({start, end}) => {
      const rows = batch * (end - start);
      const mask = (stream: number, width: number) =>
        dropoutMask({seed: call.seed, stream, rate: call.dropout, batch, length, start, end, width}); // [rows, width]
      const chunk = tf.reshape(tf.slice(x, [0, start, 0], [batch, end - start, hidden]), [rows, hidden]); // [rows, hidden]
      const normed = layerNorm(chunk, weights.layerNormGamma, weights.layerNormBeta, call.layerNormEps); // [rows, hidden]
      let dense = tf.add(tf.matMul(normed as tf.Tensor2D, weights.denseKernel as tf.Tensor2D), weights.denseBias); // [rows, dFF]
      if (call.dropout > 0) dense = tf.mul(dense, mask(FEED_FORWARD_DROPOUT_STREAMS.dense, dFF));
      const activated = fallbackActivation(call.activation, dense); // [rows, dFF]
      let out = tf.add(tf.matMul(activated as tf.Tensor2D, weights.outputKernel as tf.Tensor2D), weights.outputBias); // [rows, hidden]
      if (call.dropout > 0) out = tf.mul(out, mask(FEED_FORWARD_DROPOUT_STREAMS.output, hidden));
      return tf.reshape(out, [batch, end - start, hidden]); // [batch, chunk, hidden]
    });
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor3D; // [batch, length, hidden]
  });
}
