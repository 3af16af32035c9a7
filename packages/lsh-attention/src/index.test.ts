// The README's example, run against the public entry point.
import * as tf from '@tensorflow/tfjs-core';
import {expect, it} from 'vitest';
import * as api from './index.js';
import {FullSelfAttention, lshAttentionCore, LSHSelfAttention, lshSelfAttention} from './index.js';

it('exports the layers, the functional layers and the cores', () => {
  for (const name of [
    'LSHSelfAttention', 'LocalSelfAttention', 'FullSelfAttention',
    'lshSelfAttention', 'localSelfAttention', 'fullSelfAttention',
    'lshAttentionCore', 'localAttentionCore', 'fullAttentionCore',
  ]) {
    expect(typeof (api as Record<string, unknown>)[name]).toBe('function');
  }
});

it('runs the README example', () => {
  const before = tf.memory().numTensors;

  // --- README example starts ---
  const attention = new LSHSelfAttention({
    hiddenSize: 64, numHeads: 4, headSize: 16,
    chunkLength: 32, numHashes: 2, numBuckets: 8, causal: true, seed: 1,
  });
  const x = tf.randomNormal([2, 100, 64], 0, 1, 'float32', 0) as tf.Tensor3D; // 100 tokens: padded to 128 inside
  const mask = tf.ones([2, 100], 'int32') as tf.Tensor2D; // 1 = real token, 0 = padding

  const {output, buckets} = attention.apply(x, {attentionMask: mask, returnBuckets: true});
  // output: [2, 100, 64]; buckets: int32 [2, 4, 2, 100]

  // Recompute exactly what that call computed (as a reversible backward does): reuse its buckets.
  const again = attention.apply(x, {attentionMask: mask, buckets});

  // The same layer as a function of explicit weights.
  const {output: functional} = lshSelfAttention(x, attention.weights, {
    hiddenSize: 64, numHeads: 4, headSize: 16,
    chunkLength: 32, numHashes: 2, numBuckets: 8, causal: true,
  }, {attentionMask: mask, seed: 1}); // call 0 of a layer with seed 1 hashes with seed 1

  // Attention over already projected heads [batch, heads, length, headSize].
  const qk = tf.randomNormal([2, 4, 100, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
  const {output: heads} = lshAttentionCore(qk, qk, {chunkLength: 32, numHashes: 2, numBuckets: 8}, {seed: 7});

  // The baseline, for comparison.
  const full = new FullSelfAttention({hiddenSize: 64, numHeads: 4, headSize: 16, causal: true});
  const {output: baseline} = full.apply(x, {attentionMask: mask});
  // --- README example ends ---

  expect(output.shape).toEqual([2, 100, 64]);
  expect(buckets!.shape).toEqual([2, 4, 2, 100]);
  expect(Array.from(again.output.dataSync())).toEqual(Array.from(output.dataSync()));
  expect(Array.from(functional.dataSync())).toEqual(Array.from(output.dataSync()));
  expect(heads.shape).toEqual([2, 4, 100, 16]);
  expect(baseline.shape).toEqual([2, 100, 64]);

  tf.dispose([x, mask, output, buckets!, again.output, functional, qk, heads, baseline]);
  attention.dispose();
  full.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
