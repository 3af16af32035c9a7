import type * as tf from '@tensorflow/tfjs-core';

import {hashBucketsGradConfig, hashBucketsKernelConfig} from './hash-buckets-kernel.js';

/** The hashing kernel (ReformerHashBuckets) for the `webgpu` backend, with zero gradients (integer output). */
export const hashBucketsKernels: {kernels: tf.KernelConfig[]; gradients: tf.GradConfig[]} = {
  kernels: [hashBucketsKernelConfig],
  gradients: [hashBucketsGradConfig],
};
