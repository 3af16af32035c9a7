import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {ReformerConfig, type ReformerConfigInit} from './config.js';
import {ReformerModelWithLMHead} from './heads.js';

// Peak logical bytes (tf.profile) of one whole training step (loss and every gradient), at two lengths. What a
// longer sequence adds to the peak is set against what one [length, 4096] float32 tensor (the logits over a
// 4096-word vocabulary, or the activations of a 4096-wide feed-forward) adds: chunked, the step holds a
// [chunk, 4096] tensor at a time, so its peak grows only with the small [length, hidden] activations and the
// local attention's windows (chunks of 4, none before); unchunked, it holds several full ones.
const SHORT = 64;
const LONG = 320;
const WIDE = 4096;
const FULL_TENSOR_GROWTH = (LONG - SHORT) * WIDE * 4;

async function peakGrowth(overrides: ReformerConfigInit): Promise<number> {
  return (await peakOfTrainingStep(LONG, overrides)) - (await peakOfTrainingStep(SHORT, overrides));
}

async function peakOfTrainingStep(length: number, overrides: ReformerConfigInit): Promise<number> {
  const config = new ReformerConfig({
    hidden_size: 8,
    num_attention_heads: 1,
    attention_head_size: 8,
    attn_layers: ['local', 'local'],
    is_decoder: true,
    local_attn_chunk_length: 4,
    local_num_chunks_before: 0,
    max_position_embeddings: LONG,
    axial_pos_embds: false,
    ...overrides,
  });
  const model = new ReformerModelWithLMHead(config, {seed: 1});
  const ids = tf.zeros([1, length], 'int32') as tf.Tensor2D;
  try {
    const info = await tf.profile(() => {
      const {loss, grads} = model.gradients(ids, {seed: 1, validateInputs: false});
      tf.dispose([loss, ...Object.values(grads)]);
    });
    if (process.env.REFORMER_MODEL_REPORT) console.log(`length ${length} ${JSON.stringify(overrides)}: peak ${(info.peakBytes / 2 ** 20).toFixed(2)} MiB`);
    return info.peakBytes;
  } finally {
    model.dispose();
    ids.dispose();
  }
}

describe('memory of a training step', () => {
  it('never holds [length, vocab] logits when the LM head is chunked', async () => {
    const shape = {vocab_size: WIDE, feed_forward_size: 16};
    const chunked = await peakGrowth({...shape, chunk_size_lm_head: 16});
    const whole = await peakGrowth({...shape, chunk_size_lm_head: 0});
    expect(chunked).toBeLessThan(FULL_TENSOR_GROWTH / 4);
    expect(whole).toBeGreaterThan(2 * FULL_TENSOR_GROWTH);
  });

  it('never holds [length, feed_forward_size] activations when the feed-forward is chunked', async () => {
    const shape = {vocab_size: 32, feed_forward_size: WIDE};
    const chunked = await peakGrowth({...shape, chunk_size_feed_forward: 16});
    const whole = await peakGrowth({...shape, chunk_size_feed_forward: 0});
    expect(chunked).toBeLessThan(FULL_TENSOR_GROWTH / 4);
    expect(whole).toBeGreaterThan(2 * FULL_TENSOR_GROWTH);
  });

  // These once ran under plain autodiff, which keeps every chunk's activations for the backward.
  it.each(['relu6', 'quick_gelu', 'mish', 'sigmoid'] as const)('holds one chunk of the feed-forward at a time with hidden_act %s too', async (act) => {
    const chunked = await peakGrowth({vocab_size: 32, feed_forward_size: WIDE, chunk_size_feed_forward: 16, hidden_act: act});
    expect(chunked).toBeLessThan(FULL_TENSOR_GROWTH / 4);
  });
});
