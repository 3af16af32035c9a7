// Hugging Face's reference cases through the fused kernels (hashing, sorting and chunked attention on webgpu):
// every LSH layer's buckets exactly, every attention layer's output within 1e-5 relative of HF's float64 reference.
import * as tf from '@tensorflow/tfjs';
import type {NumBuckets} from '@reformerjs/lsh-hash';
import {localSelfAttention, lshSelfAttention} from '@reformerjs/lsh-attention';
import {goldenCaseNames, loadGoldenCase, relativeError} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';

const TOLERANCE = 1e-5;

/** HF stores nn.Linear weights [out, in]; the packages take [in, out]. */
const linear = (w: tf.Tensor): tf.Tensor2D => tf.transpose(w as tf.Tensor2D);

describe.each(goldenCaseNames())('Hugging Face case %s on the fused kernels', (name) => {
  it('reproduces every attention layer', async () => {
    const golden = loadGoldenCase(name);
    const c = golden.config;
    const head = {hiddenSize: c.hidden_size as number, numHeads: c.num_attention_heads as number, headSize: c.attention_head_size as number};
    const mask = golden.io.attention_mask!;
    // Read here, so that hashing need not read the mask back synchronously (impossible on webgpu in Node).
    const hasPadding = Array.from(await mask.data()).some((v) => v === 0);
    try {
      for (const [i, kind] of (c.attn_layers as string[]).entries()) {
        const prefix = `reformer.encoder.layers.${i}.attention`;
        const w = (n: string) => linear(golden.weights[`${prefix}.${n}.weight`]!);
        const input = golden.io[`attn_in.${i}`] as tf.Tensor3D;
        const expected = await golden.io[`attn_out.${i}`]!.data();
        const window = (k: 'lsh' | 'local') => ({
          chunkLength: c[`${k}_attn_chunk_length`] as number,
          numChunksBefore: c[`${k}_num_chunks_before`] as number,
          numChunksAfter: c[`${k}_num_chunks_after`] as number,
        });
        if (kind === 'lsh') {
          const {output, buckets} = lshSelfAttention(
            input,
            {queryKey: w('self_attention.query_key'), value: w('self_attention.value'), output: w('output.dense')},
            {...head, ...window('lsh'), numHashes: c.num_hashes as number, numBuckets: c.num_buckets as NumBuckets, causal: c.is_decoder as boolean},
            {attentionMask: mask, hasPadding, rotations: golden.io[`rotations.${i}`] as tf.Tensor4D, returnBuckets: true},
          );
          expect(Array.from(await buckets!.data()), `${name} layer ${i} buckets`).toEqual(Array.from(await golden.io[`buckets.${i}`]!.data()));
          expect(relativeError(await output.data(), expected), `${name} layer ${i} (lsh) output`).toBeLessThan(TOLERANCE);
          tf.dispose([output, buckets]);
        } else {
          const {output} = localSelfAttention(
            input,
            {query: w('self_attention.query'), key: w('self_attention.key'), value: w('self_attention.value'), output: w('output.dense')},
            {...head, ...window('local'), causal: c.is_decoder as boolean},
            {attentionMask: mask},
          );
          expect(relativeError(await output.data(), expected), `${name} layer ${i} (local) output`).toBeLessThan(TOLERANCE);
          output.dispose();
        }
      }
    } finally {
      golden.dispose();
    }
  });
});
