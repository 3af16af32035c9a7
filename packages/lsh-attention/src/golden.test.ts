import * as tf from '@tensorflow/tfjs-core';
import type {NumBuckets} from '@reformerjs/lsh-hash';
import {expectRelativeClose, expectTensorEqual, goldenCaseNames, loadGoldenCase, relativeError} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {localSelfAttention, lshSelfAttention} from './self-attention.js';

/** HF stores nn.Linear weights [out, in]; this package takes [in, out]. */
const linear = (w: tf.Tensor): tf.Tensor2D => tf.transpose(w as tf.Tensor2D);

// The fixtures promise 1e-4 for a float32 implementation; this one measures about 1e-7, so guard closer.
const TOLERANCE = 1e-5;

describe.each(goldenCaseNames())('Hugging Face case %s', (name) => {
  it('reproduces every attention layer: buckets exactly, outputs to 1e-5 of the float64 reference', () => {
    const golden = loadGoldenCase(name);
    const c = golden.config;
    const layers = c.attn_layers as string[];
    const head = {
      hiddenSize: c.hidden_size as number,
      numHeads: c.num_attention_heads as number,
      headSize: c.attention_head_size as number,
    };
    const causal = c.is_decoder as boolean;
    const mask = golden.io.attention_mask!;
    const errors: string[] = [];
    try {
      layers.forEach((kind, i) => {
        const prefix = `reformer.encoder.layers.${i}.attention`;
        const w = (n: string) => linear(golden.weights[`${prefix}.${n}.weight`]!);
        const input = golden.io[`attn_in.${i}`] as tf.Tensor3D;
        const expected = golden.io[`attn_out.${i}`]!;
        tf.tidy(() => {
          if (kind === 'lsh') {
            const {output, buckets} = lshSelfAttention(
              input,
              {queryKey: w('self_attention.query_key'), value: w('self_attention.value'), output: w('output.dense')},
              {
                ...head,
                chunkLength: c.lsh_attn_chunk_length as number,
                numChunksBefore: c.lsh_num_chunks_before as number,
                numChunksAfter: c.lsh_num_chunks_after as number,
                numHashes: c.num_hashes as number,
                numBuckets: c.num_buckets as NumBuckets,
                causal,
              },
              {attentionMask: mask, rotations: golden.io[`rotations.${i}`] as tf.Tensor4D, returnBuckets: true},
            );
            expectTensorEqual(buckets!, golden.io[`buckets.${i}`]!, `${name} layer ${i} buckets`);
            errors.push(`lsh ${i}: ${relativeError(output, expected).toExponential(2)}`);
            expectRelativeClose(output, expected, TOLERANCE, `${name} layer ${i} (lsh) output`);
          } else {
            expect(kind).toBe('local');
            const {output} = localSelfAttention(
              input,
              {
                query: w('self_attention.query'),
                key: w('self_attention.key'),
                value: w('self_attention.value'),
                output: w('output.dense'),
              },
              {
                ...head,
                chunkLength: c.local_attn_chunk_length as number,
                numChunksBefore: c.local_num_chunks_before as number,
                numChunksAfter: c.local_num_chunks_after as number,
                causal,
              },
              {attentionMask: mask},
            );
            errors.push(`local ${i}: ${relativeError(output, expected).toExponential(2)}`);
            expectRelativeClose(output, expected, TOLERANCE, `${name} layer ${i} (local) output`);
          }
        });
      });
    } finally {
      golden.dispose();
      if (process.env.LSH_ATTENTION_REPORT) console.log(`${name} [${tf.getBackend()}]: ${errors.join(', ')}`);
    }
  });
});
