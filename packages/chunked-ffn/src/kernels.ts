/**
 * Named kernels a backend may provide as fused implementations of this package's steps (`@reformerjs/webgpu-kernels`
 * registers them for `webgpu`). The functions here run one only when it is registered for the active backend and
 * fused kernels are on; every other backend keeps the reference path, which stays testable everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs flag: use a registered fused kernel where one exists (default true). The same flag as `@reformerjs/lsh-hash`'s
 * FUSED_KERNELS_FLAG (one switch for every fused kernel), registered here too so that this package needs no other.
 */
export const FUSED_KERNELS_FLAG = 'REFORMERJS_FUSED_KERNELS';

// Registering a flag again keeps a value already set.
tf.env().registerFlag(FUSED_KERNELS_FLAG, () => true);

/** Whether the active backend has a kernel named `kernelName` and fused kernels are on. */
export function fusedKernelAvailable(kernelName: string): boolean {
  return tf.env().getBool(FUSED_KERNELS_FLAG) && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/**
 * Kernel `ReformerLayerNorm`: `layerNorm` (layer-norm.ts) in one kernel call.
 * - inputs: `{x, gamma, beta}`: `x` float32 `[..., hidden]` with hidden a positive multiple of 4; `gamma`, `beta`
 *   float32 `[hidden]`.
 * - attrs: `{eps}`.
 * - output: float32 of x's shape, `(x − mean) · rsqrt(var + eps) · gamma + beta` over each vector of the last axis
 *   (biased variance).
 * A backend that registers it registers its gradient too, through {@link LAYER_NORM_GRAD_KERNEL}.
 */
export const LAYER_NORM_KERNEL = 'ReformerLayerNorm';

/**
 * Kernel `ReformerLayerNormGrad`: `layerNormBackward` (layer-norm.ts) in one kernel call.
 * - inputs: `{dy, x, gamma}`: `dy` and `x` float32 `[..., hidden]` (the same shape), `gamma` float32 `[hidden]`.
 * - attrs: `{eps}`.
 * - outputs: `[dx, dGamma, dBeta]`: `dx` of x's shape, `invStd · (g − mean(g) − x̂ · mean(g · x̂))` per vector with
 *   `g = dy · gamma` and `x̂ = (x − mean) · invStd`; `dGamma = Σ dy · x̂` and `dBeta = Σ dy` over all vectors, `[hidden]`.
 */
export const LAYER_NORM_GRAD_KERNEL = 'ReformerLayerNormGrad';

/** Attributes of {@link LAYER_NORM_KERNEL} and {@link LAYER_NORM_GRAD_KERNEL}. */
export type LayerNormAttrs = {eps: number};

/**
 * Kernel `ReformerCrossEntropy`: `weightedCrossEntropy` (cross-entropy.ts) in one kernel call.
 * - inputs: `{logits, targets, weights}`: `logits` float32 `[rows, vocab]`, `targets` int32 `[rows]`, `weights`
 *   float32 `[rows]`.
 * - attrs: none.
 * - output: float32 `[rows]`, `weights[r] · (logsumexp(logits[r]) − logits[r, targets[r]])`, the picked logit 0 where
 *   the target is outside [0, vocab) (a one-hot row of zeros); logsumexp as max + log Σ exp(logit − max).
 */
export const CROSS_ENTROPY_KERNEL = 'ReformerCrossEntropy';

/**
 * Kernel `ReformerCrossEntropyGrad`: `crossEntropyLogitsGrad` (cross-entropy.ts) in one kernel call.
 * - inputs: `{logits, targets, weights, scale}`: as {@link CROSS_ENTROPY_KERNEL}, and `scale` float32 `[]`.
 * - attrs: none.
 * - output: float32 `[rows, vocab]`, `(softmax(logits[r]) − oneHot(targets[r])) · (weights[r] · scale)`.
 */
export const CROSS_ENTROPY_GRAD_KERNEL = 'ReformerCrossEntropyGrad';
