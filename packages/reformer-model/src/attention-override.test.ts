import {fullSelfAttention} from '@reformerjs/lsh-attention';
import {expectNoLeaks, relativeError} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import {afterAll, describe, expect, it} from 'vitest';
import {ReformerConfig, type ReformerConfigInit} from './config.js';
import {ReformerModelWithLMHead} from './heads.js';

// ForwardOptions.attentionOverride: the LSH layers of one call hash with another number of rounds, or attend in
// full with their shared-QK weights (what `reformer eval --hashes 1,2,4,8 --full-attention` runs).

function config(overrides: ReformerConfigInit = {}): ReformerConfig {
  return new ReformerConfig({
    vocab_size: 16,
    hidden_size: 8,
    num_attention_heads: 2,
    attention_head_size: 4,
    feed_forward_size: 12,
    attn_layers: ['lsh'],
    is_decoder: true,
    lsh_attn_chunk_length: 4,
    num_hashes: 1,
    num_buckets: 4,
    max_position_embeddings: 32,
    axial_pos_embds: false,
    initializer_range: 0.5,
    hidden_dropout_prob: 0,
    lsh_attention_probs_dropout_prob: 0,
    hidden_act: 'relu',
    layer_norm_eps: 1e-12,
    ...overrides,
  });
}

function ids(batch: number, length: number, vocab = 16): tf.Tensor2D {
  const values = Array.from({length: batch * length}, (_, i) => 1 + ((i * 7 + 3) % (vocab - 1)));
  return tf.tensor2d(values, [batch, length], 'int32');
}

const live: Array<{dispose(): void}> = [];
afterAll(() => live.forEach((m) => m.dispose()));

/** HF's LayerNorm over the last axis. */
function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const {mean, variance} = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

const dense = (x: tf.Tensor3D, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor3D => {
  const [b, l, d] = x.shape;
  const y = tf.matMul(tf.reshape(x, [b * l, d]) as tf.Tensor2D, kernel as tf.Tensor2D); // [b*l, out]
  return tf.reshape(bias ? tf.add(y, bias) : y, [b, l, kernel.shape[1]!]) as tf.Tensor3D; // [b, l, out]
};

describe('attentionOverride', () => {
  it('full: the LSH layer attends as lsh-attention fullSelfAttention with sharedQK (a one-layer model written out)', () => {
    const c = config();
    const model = new ReformerModelWithLMHead(c, {seed: 4});
    live.push(model);
    const input = ids(2, 12);
    const p = model.parameters;
    const expected = tf.tidy(() => {
      const at = 'reformer.encoder.layers.0.attention';
      const ff = 'reformer.encoder.layers.0.feed_forward';
      const words = tf.gather(p['reformer.embeddings.word_embeddings.weight']!, tf.reshape(input, [-1])); // [24, hidden]
      const positions = tf.slice(p['reformer.embeddings.position_embeddings.embedding.weight']!, [0, 0], [12, 8]); // [12, hidden]
      const embeddings = tf.add(tf.reshape(words, [2, 12, 8]), positions) as tf.Tensor3D; // [2, 12, hidden]
      const normed = layerNorm(embeddings, p[`${at}.layer_norm.weight`]!, p[`${at}.layer_norm.bias`]!, 1e-12) as tf.Tensor3D;
      const attended = fullSelfAttention(
        normed,
        {
          queryKey: p[`${at}.self_attention.query_key.weight`] as tf.Tensor2D,
          value: p[`${at}.self_attention.value.weight`] as tf.Tensor2D,
          output: p[`${at}.output.dense.weight`] as tf.Tensor2D,
        },
        {hiddenSize: 8, numHeads: 2, headSize: 4, causal: true, sharedQK: true},
      ).output;
      const y1 = tf.add(embeddings, attended) as tf.Tensor3D;
      const h = layerNorm(y1, p[`${ff}.layer_norm.weight`]!, p[`${ff}.layer_norm.bias`]!, 1e-12) as tf.Tensor3D;
      const inner = tf.relu(dense(h, p[`${ff}.dense.dense.weight`]!, p[`${ff}.dense.dense.bias`]!)) as tf.Tensor3D;
      const y2 = tf.add(embeddings, dense(inner, p[`${ff}.output.dense.weight`]!, p[`${ff}.output.dense.bias`]!)) as tf.Tensor3D;
      const out = layerNorm(
        tf.concat([y1, y2], 2),
        p['reformer.encoder.layer_norm.weight']!,
        p['reformer.encoder.layer_norm.bias']!,
        1e-12,
      ) as tf.Tensor3D; // [2, 12, 2*hidden]
      return dense(out, p['lm_head.decoder.weight']!, model.lmHeadBias ? p['lm_head.bias'] : undefined); // [2, 12, vocab]
    });
    const {logits} = model.forward(input, {seed: 1, attentionOverride: {full: true}});
    expect(relativeError(logits, expected)).toBeLessThan(1e-5);
    // LSH over 3 chunks of 4 sees only part of the sequence: a different result.
    const lsh = model.forward(input, {seed: 1}).logits;
    expect(relativeError(lsh, expected)).toBeGreaterThan(1e-3);
    tf.dispose([input, expected, logits, lsh]);
  });

  it('numHashes: equals the config with that many rounds, is deterministic per seed, and changes the result', () => {
    const one = new ReformerModelWithLMHead(config(), {seed: 5});
    const three = new ReformerModelWithLMHead(config({num_hashes: 3}), {parameters: one.parameters});
    live.push(one, three);
    const input = ids(2, 16);
    const a = one.forward(input, {seed: 9, attentionOverride: {numHashes: 3}}).logits;
    const again = one.forward(input, {seed: 9, attentionOverride: {numHashes: 3}}).logits;
    const configured = three.forward(input, {seed: 9}).logits;
    const plain = one.forward(input, {seed: 9}).logits;
    expect(Array.from(again.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(configured.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(relativeError(plain, a)).toBeGreaterThan(1e-4);
    tf.dispose([input, a, again, configured, plain]);
  });

  it('trains through either override without leaking tensors', async () => {
    const model = new ReformerModelWithLMHead(config(), {seed: 6});
    live.push(model);
    const input = ids(1, 12);
    for (const attentionOverride of [{full: true}, {numHashes: 2}]) {
      await expectNoLeaks(() => {
        const {loss, grads} = model.gradients(input, {seed: 2, attentionOverride});
        expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
        const g = grads['reformer.encoder.layers.0.attention.self_attention.query_key.weight']!;
        const norm = tf.norm(g);
        expect(norm.dataSync()[0]).toBeGreaterThan(0);
        norm.dispose();
        return [loss, grads];
      });
    }
    input.dispose();
  });

  it('rejects bad overrides, naming the option', () => {
    const model = new ReformerModelWithLMHead(config(), {seed: 7});
    live.push(model);
    const input = ids(1, 8);
    expect(() => model.forward(input, {attentionOverride: {numHashes: 0}})).toThrow(
      'options.attentionOverride.numHashes: expected a positive integer (hash rounds), got 0',
    );
    expect(() => model.forward(input, {attentionOverride: {full: true, numHashes: 2}})).toThrow(/either numHashes or full: true/);
    expect(() => model.forward(input, {attentionOverride: {hashes: 2} as never})).toThrow(/options\.attentionOverride\.hashes: .*unknown option/);
    expect(() => model.forward(input, {attentionOverride: {full: 'yes'} as never})).toThrow(/options\.attentionOverride\.full: expected true or false/);
    input.dispose();
  });
});
