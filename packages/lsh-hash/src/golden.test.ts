// Hugging Face parity: hashing HF's own query/key vectors with HF's own rotations must give HF's
// buckets exactly, for every LSH layer of every golden case (see packages/test-utils/fixtures).
import {expectTensorEqual, goldenCaseNames, loadGoldenCase} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {hashVectors} from './buckets.js';
import {bucketCount, type NumBuckets} from './validate.js';

describe('golden: buckets of Hugging Face Reformer', () => {
  it.each(goldenCaseNames())('%s: hashVectors reproduces buckets.<layer> exactly', (name) => {
    const golden = loadGoldenCase(name);
    try {
      const config = golden.config as {
        num_attention_heads: number;
        attention_head_size: number;
        num_hashes: number;
        num_buckets: NumBuckets;
      };
      const lshLayers = golden.info.lsh_layers as number[];
      expect(lshLayers.length).toBeGreaterThan(0);
      const mask = golden.io.attention_mask!;
      const padded = (golden.info.pad as number) > 0;
      for (const layer of lshLayers) {
        const attnIn = golden.io[`attn_in.${layer}`]!;
        const weight = golden.weights[`reformer.encoder.layers.${layer}.attention.self_attention.query_key.weight`]!;
        const [batch, length, hidden] = attnIn.shape;
        const heads = config.num_attention_heads;
        const headSize = config.attention_head_size;
        const {buckets, bucketsPerRound} = tf.tidy(() => {
          const flat = tf.matMul(tf.reshape(attnIn, [batch * length, hidden]), weight, false, true); // [batch*length, heads*headSize]
          const qk = tf.transpose(tf.reshape(flat, [batch, length, heads, headSize]), [0, 2, 1, 3]); // [batch, heads, length, headSize]
          return hashVectors(qk as tf.Tensor4D, {
            numBuckets: config.num_buckets,
            numHashes: config.num_hashes,
            rotations: golden.io[`rotations.${layer}`] as tf.Tensor4D,
            attentionMask: mask,
          });
        });
        expect(bucketsPerRound).toBe(bucketCount(config.num_buckets) + (padded ? 1 : 0));
        expectTensorEqual(buckets, golden.io[`buckets.${layer}`]!, `${name} buckets.${layer}`);
        buckets.dispose();
      }
    } finally {
      golden.dispose();
    }
  });
});
