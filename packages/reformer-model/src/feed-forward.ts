// The feed-forward branch (g) of a Reformer layer: HF's ChunkReformerFeedForward, through chunked-ffn.
import {chunkedFeedForward, feedForwardValueAndBackward, FEED_FORWARD_WEIGHT_NAMES, type FeedForwardOptions, type FeedForwardWeights} from '@reformerjs/chunked-ffn';
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
 * training holds one chunk's [chunk, feed_forward_size] at a time, for every activation ReformerConfig accepts
 * (its list is chunked-ffn's).
 *
 * x [batch, length, hidden] -> [batch, length, hidden]
 */
export function reformerFeedForward(x: tf.Tensor3D, weights: FeedForwardWeights, call: FeedForwardCall): tf.Tensor3D {
  return chunkedFeedForward(x, weights, feedForwardOptions(call));
}

/**
 * The feed-forward's output and the gradients of sum(output · dy) for x and each weight (chunked-ffn's order), in
 * one chunk-by-chunk pass: what the reversible backward needs from g, without the separate forward that a
 * recompute under autodiff would run first.
 */
export function reformerFeedForwardVjp(
  x: tf.Tensor3D,
  weights: FeedForwardWeights,
  call: FeedForwardCall,
  dy: tf.Tensor,
): {value: tf.Tensor3D; grads: tf.Tensor[]} {
  const {output, dx, grads} = feedForwardValueAndBackward(x, weights, dy, feedForwardOptions(call));
  return {value: output, grads: [dx, ...FEED_FORWARD_WEIGHT_NAMES.map((name) => grads[name])]};
}

function feedForwardOptions(call: FeedForwardCall): FeedForwardOptions {
  return {activation: call.activation, layerNormEps: call.layerNormEps, dropout: call.dropout, seed: call.seed, chunkSize: call.chunkSize};
}
