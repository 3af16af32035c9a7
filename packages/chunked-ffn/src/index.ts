export {SUPPORTED_ACTIVATIONS, activate, activationDerivative, checkActivation, type ActivationName} from './activations.js';
export {layerNorm, layerNormParts, layerNormBackward, type LayerNormParts, type LayerNormGrads} from './layer-norm.js';
export {
  FUSED_KERNELS_FLAG,
  LAYER_NORM_KERNEL,
  LAYER_NORM_GRAD_KERNEL,
  CROSS_ENTROPY_KERNEL,
  CROSS_ENTROPY_GRAD_KERNEL,
  type LayerNormAttrs,
} from './kernels.js';
export {weightedCrossEntropy, crossEntropyLogitsGrad} from './cross-entropy.js';
export {dropoutMask, dropoutUniform, type DropoutMaskSpec} from './dropout.js';
export {applyChunked, chunkRanges, type ChunkRange} from './apply-chunked.js';
export {
  chunkedFeedForward,
  feedForwardForward,
  feedForwardBackward,
  feedForwardValueAndBackward,
  checkFeedForwardInputs,
  resolveFeedForwardOptions,
  FEED_FORWARD_WEIGHT_NAMES,
  FEED_FORWARD_DROPOUT_STREAMS,
  type FeedForwardWeights,
  type FeedForwardOptions,
  type ResolvedFeedForwardOptions,
  type FeedForwardGradients,
} from './feed-forward.js';
export {
  chunkedLmLoss,
  chunkedLmMetrics,
  chunkedLogits,
  chunkedArgmax,
  checkLmHeadInputs,
  type LmHeadWeights,
  type LmHeadOptions,
  type LmLossOptions,
  type LmMetrics,
} from './lm-head.js';
export {feedForwardReference, lmLossReference} from './reference.js';
