import * as tf from '@tensorflow/tfjs-core';
import {expectNoLeaks, relativeError} from '@reformerjs/test-utils';
import {afterAll, describe, expect, it} from 'vitest';
import {ReformerConfig, type ReformerConfigInit} from './config.js';
import {DecodingCache} from './decoding-cache.js';
import {generate, sampleToken} from './generation.js';
import {ReformerForMaskedLM, ReformerModelWithLMHead} from './heads.js';

/** A small causal config without dropout (generation is inference). */
function config(overrides: ReformerConfigInit): ReformerConfig {
  return new ReformerConfig({
    vocab_size: 20,
    hidden_size: 8,
    num_attention_heads: 2,
    attention_head_size: 4,
    feed_forward_size: 12,
    is_decoder: true,
    lsh_attn_chunk_length: 4,
    local_attn_chunk_length: 4,
    num_hashes: 1,
    num_buckets: 4,
    max_position_embeddings: 64,
    axial_pos_embds: false,
    initializer_range: 0.5,
    hidden_dropout_prob: 0,
    lsh_attention_probs_dropout_prob: 0,
    local_attention_probs_dropout_prob: 0,
    chunk_size_feed_forward: 3,
    chunk_size_lm_head: 5,
    hidden_act: 'gelu',
    ...overrides,
  });
}

const live: Array<{dispose(): void}> = [];
afterAll(() => live.forEach((m) => m.dispose()));
function lm(overrides: ReformerConfigInit, seed = 1): ReformerModelWithLMHead {
  const model = new ReformerModelWithLMHead(config(overrides), {seed});
  live.push(model);
  return model;
}

/** Deterministic prompts of ids in [1, 20). */
const prompt = (length: number, offset = 0): number[] => Array.from({length}, (_, i) => 1 + ((i * 7 + offset * 3 + 2) % 19));

// Stacks in which only the top attention layer is LSH (or a local layer with more than one chunk before): there
// the uncached forward leaves every earlier position's layer inputs as they were, and the cache is exact.
const exactCases: Array<[string, ReformerConfigInit, number, number]> = [
  ['local below LSH (1 round), learned positions, prompt within a chunk', {attn_layers: ['local', 'lsh']}, 3, 25],
  [
    'two local layers (chunk 2) below LSH with 2 rounds, factorised buckets [2, 4], 2 chunks before, prompt past a chunk',
    {attn_layers: ['local', 'local', 'lsh'], local_attn_chunk_length: 2, num_hashes: 2, num_buckets: [2, 4], lsh_num_chunks_before: 2},
    10,
    20,
  ],
  [
    'local (chunk 6) below LSH (chunk 4, 2 rounds): the model pads to multiples of 12, which moves the rounds apart',
    {attn_layers: ['local', 'lsh'], local_attn_chunk_length: 6, num_hashes: 2},
    5,
    25,
  ],
  [
    'one LSH layer, 3 rounds, automatic num_buckets, hash_seed',
    {attn_layers: ['lsh'], num_hashes: 3, num_buckets: null, hash_seed: 7},
    6,
    30,
  ],
  [
    'one local layer with 2 chunks before, 2-axis axial positions',
    {attn_layers: ['local'], local_num_chunks_before: 2, local_attn_chunk_length: 3, axial_pos_embds: true, axial_pos_shape: [4, 16], axial_pos_embds_dim: [3, 5]},
    5,
    30,
  ],
  [
    'local below LSH (chunk 8, 2 rounds), 3-axis axial positions',
    {attn_layers: ['local', 'lsh'], lsh_attn_chunk_length: 8, num_hashes: 2, axial_pos_embds: true, axial_pos_shape: [4, 4, 4], axial_pos_embds_dim: [2, 2, 4]},
    9,
    24,
  ],
];

describe('generate: cached and uncached give the same tokens', () => {
  for (const [name, overrides, promptLength, maxNewTokens] of exactCases) {
    it(name, async () => {
      const model = lm(overrides);
      const ids = prompt(promptLength);
      for (const sampling of [{temperature: 0}, {temperature: 0.8, topK: 6, seed: 3}, {temperature: 1.5, seed: 11}]) {
        const cached = await generate(model, ids, {maxNewTokens, ...sampling});
        const uncached = await generate(model, ids, {maxNewTokens, ...sampling, useCache: false});
        expect(cached).toHaveLength(maxNewTokens);
        expect(cached, JSON.stringify(sampling)).toEqual(uncached);
        if (sampling.temperature > 1) expect(new Set(cached).size).toBeGreaterThan(3); // a real test, not a constant run
      }
    });
  }

  it('for a batch of two prompts, each as when generated alone', async () => {
    const model = lm({attn_layers: ['local', 'lsh'], num_hashes: 2});
    const prompts = [prompt(7), prompt(7, 5)];
    const options = {maxNewTokens: 14, temperature: 0.7, seed: 2};
    const cached = await generate(model, prompts, options);
    expect(cached).toEqual(await generate(model, prompts, {...options, useCache: false}));
    expect(cached[0]).toHaveLength(14);
    // Sequence b draws with its own counter-based uniforms, and rows do not interact.
    expect(cached[0]).toEqual(await generate(model, prompts[0]!, options));
  });

  it('is reproducible from the seed, and the seed changes the sample', async () => {
    const model = lm({attn_layers: ['local', 'lsh']});
    const ids = prompt(4);
    const a = await generate(model, ids, {maxNewTokens: 20, seed: 5});
    expect(await generate(model, ids, {maxNewTokens: 20, seed: 5})).toEqual(a);
    expect(await generate(model, ids, {maxNewTokens: 20, seed: 6})).not.toEqual(a);
    const steps: number[][] = [];
    const b = await generate(model, ids, {maxNewTokens: 3, seed: 5, onToken: (step, tokens) => steps.push([step, ...tokens])});
    expect(steps).toEqual(b.map((t, i) => [i, t]));
    expect(await generate(model, ids, {maxNewTokens: 0})).toEqual([]);
  });
});

describe('DecodingCache', () => {
  it("gives every step the uncached forward's last-position logits (same seed), to float32 rounding", async () => {
    for (const overrides of exactCases.slice(0, 2).map((c) => c[1])) {
      const model = lm(overrides, 4);
      const ids = prompt(26, 1);
      const cache = new DecodingCache(model, {seed: 9});
      let logits = await cache.forward([ids.slice(0, 3)]);
      let worst = 0;
      for (let t = 3; t <= ids.length; t++) {
        const input = tf.tensor2d([ids.slice(0, t)], [1, t], 'int32');
        const reference = model.forward(input, {seed: 9}).logits; // [1, t, vocab]: rotations from the same seed
        const last = tf.reshape(tf.slice(reference, [0, t - 1, 0], [1, 1, 20]), [1, 20]);
        worst = Math.max(worst, relativeError(logits, last));
        tf.dispose([input, reference, last, logits]);
        if (t < ids.length) logits = await cache.forward([[ids[t]!]]);
      }
      expect(worst).toBeLessThan(1e-5);
      expect(cache.length).toBe(ids.length);
      cache.dispose();
    }
  });

  it('with an LSH layer below another layer, reproduces the uncached logits only while the sequence fits in one chunk', async () => {
    // The uncached forward re-sorts every position at every length: a later token with a smaller bucket moves an
    // earlier position's chunk, so that position's output (the next layer's input) changes, which a cache that
    // computes each position once cannot follow. See the README's "Generation".
    const model = lm({attn_layers: ['lsh', 'lsh'], num_hashes: 2});
    const ids = prompt(30, 2);
    const cache = new DecodingCache(model, {seed: 1});
    const errors: number[] = [];
    let logits = await cache.forward([ids.slice(0, 1)]);
    for (let t = 1; t <= ids.length; t++) {
      const input = tf.tensor2d([ids.slice(0, t)], [1, t], 'int32');
      const reference = model.forward(input, {seed: 1}).logits;
      const last = tf.reshape(tf.slice(reference, [0, t - 1, 0], [1, 1, 20]), [1, 20]);
      errors.push(relativeError(logits, last));
      tf.dispose([input, reference, last, logits]);
      if (t < ids.length) logits = await cache.forward([[ids[t]!]]);
    }
    expect(Math.max(...errors.slice(0, 4))).toBeLessThan(1e-5); // lengths 1-4: full attention, nothing sorted
    expect(Math.max(...errors.slice(4))).toBeGreaterThan(1e-3);
    cache.dispose();
  });

  it('copies a bounded number of key rows per step, whatever the length', async () => {
    // chunk 8, 2 rounds, 1 chunk before: LSH windows of 2 · 2 · 8 rows per head, local windows of 2 · 8.
    const model = lm({attn_layers: ['local', 'lsh'], lsh_attn_chunk_length: 8, local_attn_chunk_length: 8, num_hashes: 2, num_buckets: 8, max_position_embeddings: 512});
    const bound = 2 * (2 * 2 * 8) + 2 * (2 * 8); // heads · LSH window + heads · local window
    const rowsAt: number[] = [];
    for (const length of [40, 400]) {
      const cache = new DecodingCache(model, {seed: 0});
      tf.dispose(await cache.forward([prompt(length)]));
      expect(cache.gatheredRows).toBe(0); // the prompt is one uncached forward
      tf.dispose(await cache.forward([[3]]));
      rowsAt.push(cache.lastStepRows);
      cache.dispose();
    }
    for (const rows of rowsAt) expect(rows).toBeLessThanOrEqual(bound);
    expect(rowsAt[1]).toBeGreaterThan(bound / 2); // the long sequence fills its windows
  });

  it('leaks no tensors across steps, cached or not', async () => {
    const model = lm({attn_layers: ['local', 'lsh'], num_hashes: 2});
    await expectNoLeaks(async () => {
      const cache = new DecodingCache(model, {seed: 0});
      tf.dispose(await cache.forward([prompt(6)]));
      for (let i = 0; i < 6; i++) tf.dispose(await cache.forward([[i + 1]]));
      const ids = tf.tensor2d([[4, 5]], [1, 2], 'int32');
      tf.dispose(await cache.forward(ids));
      ids.dispose();
      cache.dispose();
      await generate(model, prompt(5), {maxNewTokens: 6, temperature: 0.5, topK: 3});
      await generate(model, prompt(5), {maxNewTokens: 6, useCache: false});
    });
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.from([0.5, 2, -1, 2, 1]);
  it('is the first argmax at temperature 0 and with topK 1', () => {
    expect(sampleToken(logits, 0, undefined, 0.99)).toBe(1);
    expect(sampleToken(logits, 1, 1, 0.99)).toBe(1);
  });
  it('draws by inverse CDF over the candidates, most likely first', () => {
    expect(sampleToken(logits, 1, undefined, 1e-9)).toBe(1);
    expect(sampleToken(logits, 1, undefined, 1 - 1e-9)).toBe(2); // the least likely comes last
    expect(sampleToken(logits, 1, 3, 1 - 1e-9)).toBe(4); // the top 3: ids 1, 3, 4
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[sampleToken(logits, 1, undefined, (i + 0.5) / 1000)]!++;
    const z = [0.5, 2, -1, 2, 1].map(Math.exp);
    const total = z.reduce((a, b) => a + b);
    counts.forEach((c, i) => expect(Math.abs(c / 1000 - z[i]! / total)).toBeLessThan(0.002));
  });
});

describe('errors name the argument, the value and the expectation', () => {
  const model = lm({attn_layers: ['local', 'lsh'], max_position_embeddings: 16});

  it('rejects a model that is not a causal LM', async () => {
    const masked = new ReformerForMaskedLM(config({attn_layers: ['local', 'lsh'], is_decoder: false}), {seed: 1});
    live.push(masked);
    await expect(generate(masked as unknown as ReformerModelWithLMHead, [1, 2], {maxNewTokens: 2})).rejects.toThrow(
      'model: expected a ReformerModelWithLMHead (a causal LM, config.is_decoder true), got a ReformerForMaskedLM (is_decoder false, bidirectional)',
    );
    expect(() => new DecodingCache({} as ReformerModelWithLMHead)).toThrow(/^model: expected a ReformerModelWithLMHead .*got \{\}$/);
  });

  it('rejects prompt ids out of the vocabulary, and malformed prompts', async () => {
    await expect(generate(model, [1, 20, 3], {maxNewTokens: 2})).rejects.toThrow('promptIds: expected token ids in [0, 20) (vocab_size), got 20 at [0, 1]');
    await expect(generate(model, [[1, 2], [3, -1]], {maxNewTokens: 2})).rejects.toThrow('promptIds: expected token ids in [0, 20) (vocab_size), got -1 at [1, 1]');
    await expect(generate(model, [1.5], {maxNewTokens: 2})).rejects.toThrow('got 1.5 at [0, 0]');
    await expect(generate(model, [], {maxNewTokens: 2})).rejects.toThrow(/^promptIds: expected a non-empty array of equal-length, non-empty arrays of token ids, got an array of length 0$/);
    await expect(generate(model, [[1, 2], [3]], {maxNewTokens: 2})).rejects.toThrow('promptIds[1]: expected 2 token ids (the length of promptIds[0]), got 1');
  });

  it('rejects maxNewTokens beyond max_position_embeddings, topK < 1, temperature < 0, unknown options', async () => {
    await expect(generate(model, [1, 2, 3, 4], {maxNewTokens: 13})).rejects.toThrow(
      "maxNewTokens: expected an integer in [0, 12] (max_position_embeddings 16 minus the prompt's 4 tokens), got 13",
    );
    await expect(generate(model, [1], {} as {maxNewTokens: number})).rejects.toThrow(/^maxNewTokens: expected an integer in \[0, 15\].*got undefined$/);
    await expect(generate(model, [1], {maxNewTokens: 2, topK: 0})).rejects.toThrow('topK: expected an integer >= 1 (or undefined: no top-k filtering), got 0');
    await expect(generate(model, [1], {maxNewTokens: 2, temperature: -0.5})).rejects.toThrow('temperature: expected a finite number >= 0 (0 = greedy), got -0.5');
    await expect(generate(model, [1], {maxNewTokens: 2, seed: -1})).rejects.toThrow('seed: expected a non-negative safe integer, got -1');
    await expect(generate(model, [1], {maxNewTokens: 2, useCache: 'yes'} as unknown as {maxNewTokens: number})).rejects.toThrow('useCache: expected true or false, got "yes"');
    await expect(generate(model, [1], {maxNewTokens: 2, topk: 3} as unknown as {maxNewTokens: number})).rejects.toThrow(/^options\.topk: expected one of the options maxNewTokens, temperature, topK/);
    const axial = lm({attn_layers: ['local'], axial_pos_embds: true, axial_pos_shape: [2, 4], axial_pos_embds_dim: [4, 4], max_position_embeddings: 64});
    await expect(generate(axial, [1, 2], {maxNewTokens: 7})).rejects.toThrow(
      "maxNewTokens: expected an integer in [0, 6] (the axial grid's 8 positions minus the prompt's 2 tokens), got 7",
    );
  });

  it('checks the rotations a cache is given', () => {
    const wrong = tf.zeros([2, 4, 1, 3]) as tf.Tensor4D;
    expect(() => new DecodingCache(model, {rotations: {1: wrong}})).toThrow(
      'options.rotations[1]: expected a float32 tensor of shape [2, 4, 1, 2] ([num_attention_heads, attention_head_size, num_hashes, rotationSize/2]), got a float32 tensor of shape [2, 4, 1, 3]',
    );
    expect(() => new DecodingCache(model, {rotations: {0: wrong}})).toThrow('options.rotations[0]: expected the index of an LSH layer (1), got 0');
    wrong.dispose();
  });

  it('keeps a cache to its batch, its maxLength and its lifetime', async () => {
    expect(() => new DecodingCache(model, {maxLength: 17})).toThrow('options.maxLength: expected an integer in [1, 16] (max_position_embeddings), got 17');
    const cache = new DecodingCache(model, {maxLength: 5});
    tf.dispose(await cache.forward([[1, 2, 3]]));
    await expect(cache.forward([[1], [2]])).rejects.toThrow('inputIds: expected 1 sequences (the batch this cache holds), got 2');
    await expect(cache.forward([[1, 2, 3]])).rejects.toThrow('inputIds: expected at most 2 more tokens (maxLength 5, 3 cached), got 3');
    await expect(cache.forward([[25]])).rejects.toThrow('inputIds: expected token ids in [0, 20) (vocab_size), got 25 at [0, 0]');
    tf.dispose(await cache.forward([[4]])); // rejected calls changed nothing
    expect(cache.length).toBe(4);
    cache.dispose();
    await expect(cache.forward([[1]])).rejects.toThrow('DecodingCache: expected a live cache, got one whose dispose() was called');
  });
});
