import type * as tf from '@tensorflow/tfjs-core';

import {bucketSortKernelConfig} from './bucket-sort-kernel.js';

/** The bucket sort kernel (ReformerBucketSort) for the `webgpu` backend; no gradient (integer outputs). */
export const bucketSortKernels: {kernels: tf.KernelConfig[]; gradients: tf.GradConfig[]} = {
  kernels: [bucketSortKernelConfig],
  gradients: [],
};
