// Fixtures for this package's tests (never exported from index.ts, never published). Comparison,
// gradient-check and leak helpers come from @reformerjs/test-utils.
import * as tf from '@tensorflow/tfjs-core';
import type {FeedForwardWeights} from '../feed-forward.js';

/** Deterministic normal values (tfjs draws seeded normals in JS: the same on every backend). */
export function randn(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
}

export function makeFeedForwardWeights(hidden: number, dFF: number, seed: number): FeedForwardWeights {
  return {
    layerNormGamma: tf.tidy(() => tf.add(1, randn([hidden], seed + 1, 0.2))),
    layerNormBeta: randn([hidden], seed + 2, 0.2),
    denseKernel: randn([hidden, dFF], seed + 3, 1 / Math.sqrt(hidden)),
    denseBias: randn([dFF], seed + 4, 0.2),
    outputKernel: randn([dFF, hidden], seed + 5, 1 / Math.sqrt(dFF)),
    outputBias: randn([hidden], seed + 6, 0.2),
  };
}

export function disposeAll(obj: object): void {
  tf.dispose(Object.values(obj) as tf.Tensor[]);
}
