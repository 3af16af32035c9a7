import * as tf from '@tensorflow/tfjs-core';

import {chunkedAttentionKernels} from './attention/index.js';
import {crossEntropyKernels} from './cross-entropy/cross-entropy-kernel.js';
import {reductionGradients} from './gradients/reductions.js';
import {hashBucketsKernels} from './hash/index.js';
import {layerNormKernels} from './layer-norm/layer-norm-kernel.js';
import {sharedQKKeysKernels} from './keys/shared-qk-keys-kernel.js';
import {installTiledMatMul} from './matmul/tiled-matmul-kernel.js';
import {installSplitReductions} from './reduce/split-reduce-kernels.js';
import {bucketSortKernels} from './sort/index.js';
import {installVec4Tile} from './tile/tile-kernel.js';
import {installRowTranspose} from './transpose/transpose-kernel.js';

/** A group of kernels for the `webgpu` backend and the gradients that run them. */
export type KernelSet = {kernels: tf.KernelConfig[]; gradients: tf.GradConfig[]};

const KERNEL_SETS: KernelSet[] = [chunkedAttentionKernels, sharedQKKeysKernels, hashBucketsKernels, bucketSortKernels, layerNormKernels, crossEntropyKernels];

/**
 * Registers the fused kernels for the `webgpu` backend (idempotent). Afterwards the packages' ops dispatch to
 * them whenever `webgpu` is the active backend; other backends keep the reference path. Turn them off without
 * unregistering with `tf.env().set(FUSED_KERNELS_FLAG, false)` (`@reformerjs/lsh-hash`). Also replaces the gradients
 * of Sum and Mean with ones that broadcast on the device (gradients/reductions.ts), for every backend, and the
 * `webgpu` Sum and Mean kernels with ones that split long reductions to few outputs across the GPU
 * (reduce/split-reduce-kernels.ts), and its BatchMatMul with one that tiles the tall products of projections over
 * many positions, splitting weight gradients (Aᵀ B) along their shared dimension (matmul/tiled-matmul-kernel.ts),
 * its Transpose with a copy of vec4 rows where the innermost axis stays in place (transpose/transpose-kernel.ts), and
 * its Tile with a copy of vec4s where the innermost axes allow (tile/tile-kernel.ts).
 */
export function registerWebGPUKernels(): void {
  for (const {kernels, gradients} of KERNEL_SETS) {
    for (const kernel of kernels) if (tf.getKernel(kernel.kernelName, 'webgpu') === undefined) tf.registerKernel(kernel);
    for (const gradient of gradients) if (tf.getGradient(gradient.kernelName) === undefined) tf.registerGradient(gradient);
  }
  for (const gradient of reductionGradients) tf.registerGradient(gradient);
  installSplitReductions();
  installTiledMatMul();
  installRowTranspose();
  installVec4Tile();
}
