import * as tf from '@tensorflow/tfjs-core';
import {expectNoLeaks, relativeError} from '@reformerjs/test-utils';
import {afterAll, describe, expect, it} from 'vitest';
import {ReformerConfig, type ReformerConfigInit} from './config.js';
import {loadCheckpoint, saveCheckpoint} from './checkpoint.js';
import {lmHeadBiasDefault, ReformerForMaskedLM, ReformerModelWithLMHead} from './heads.js';
import {paddingFor, ReformerModel} from './model.js';
import {disposeParameters} from './parameters.js';

/** A small config with every dropout on, chunked feed-forward and LM head, sizes that do not divide 13. */
function smallConfig(overrides: ReformerConfigInit = {}): ReformerConfig {
  return new ReformerConfig({
    vocab_size: 20,
    hidden_size: 8,
    num_attention_heads: 2,
    attention_head_size: 4,
    feed_forward_size: 12,
    attn_layers: ['lsh', 'local', 'lsh'],
    is_decoder: true,
    lsh_attn_chunk_length: 4,
    local_attn_chunk_length: 2,
    num_hashes: 2,
    num_buckets: 4,
    max_position_embeddings: 32,
    axial_pos_embds: false,
    initializer_range: 0.5,
    hidden_dropout_prob: 0.1,
    lsh_attention_probs_dropout_prob: 0.1,
    local_attention_probs_dropout_prob: 0.1,
    chunk_size_feed_forward: 3,
    chunk_size_lm_head: 5,
    hidden_act: 'gelu',
    ...overrides,
  });
}

/** Deterministic token ids in [1, vocab). */
function tokenIds(batch: number, length: number, vocab = 20, seed = 1): tf.Tensor2D {
  const values = new Int32Array(batch * length);
  let s = seed;
  for (let i = 0; i < values.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    values[i] = 1 + ((s >>> 8) % (vocab - 1));
  }
  return tf.tensor2d(values, [batch, length], 'int32');
}

const live: Array<{dispose(): void}> = [];
afterAll(() => live.forEach((m) => m.dispose()));

describe('the reversible, chunked model against the residual, unchunked one', () => {
  it('gives the same logits, loss and gradients with dropout on, padding and a mask (length 13 -> 16)', () => {
    const config = smallConfig();
    const reversible = new ReformerModelWithLMHead(config, {seed: 3});
    const plain = new ReformerModelWithLMHead(config.with({chunk_size_feed_forward: 0, chunk_size_lm_head: 0}), {
      parameters: reversible.parameters,
    });
    live.push(reversible, plain);
    const ids = tokenIds(2, 13);
    const attentionMask = tf.tensor2d([[...Array(13).fill(1)], [...Array(10).fill(1), 0, 0, 0]], [2, 13], 'int32');
    const options = {seed: 11, training: true, attentionMask};

    const a = reversible.forward(ids, options);
    const b = plain.forward(ids, {...options, reversible: false});
    expect(a.logits.shape).toEqual([2, 13, 20]);
    expect(relativeError(a.logits, b.logits)).toBeLessThan(1e-6);

    const ga = reversible.gradients(ids, options);
    const gb = plain.gradients(ids, {...options, reversible: false});
    expect(Math.abs(ga.loss.dataSync()[0]! - gb.loss.dataSync()[0]!)).toBeLessThan(1e-6);
    expect(Object.keys(ga.grads).sort()).toEqual(Object.keys(gb.grads).sort());
    let worst = 0;
    for (const name of Object.keys(ga.grads)) worst = Math.max(worst, relativeError(ga.grads[name]!, gb.grads[name]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([ids, attentionMask, a.logits, b.logits, ga.loss, gb.loss, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
  });
});

describe('training', () => {
  it('attends in the backward with the buckets the forward hashed (it never reads the rotations again)', () => {
    const model = new ReformerModelWithLMHead(smallConfig(), {seed: 12});
    live.push(model);
    const ids = tokenIds(1, 12);
    const variables = Object.values(model.parameters);
    for (const reversible of [true, false]) {
      const {value, grads} = tf.variableGrads(() => {
        // [heads, headSize, numHashes, numBuckets / 2]; gone before the backward runs
        const rotations = {0: tf.randomNormal([2, 4, 2, 2], 0, 1, 'float32', 1), 2: tf.randomNormal([2, 4, 2, 2], 0, 1, 'float32', 2)};
        const loss = model.loss(ids, {rotations: rotations as Record<number, tf.Tensor4D>, seed: 3, training: true, reversible});
        tf.dispose(Object.values(rotations));
        return loss;
      }, variables);
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
    }
    ids.dispose();
  });

  it('runs ten optimizer steps without leaking tensors, and the loss goes down', () => {
    const model = new ReformerModelWithLMHead(smallConfig(), {seed: 5});
    live.push(model);
    const ids = tokenIds(2, 13, 20, 7);
    const optimizer = tf.train.adam(3e-2);
    const step = (i: number): number => {
      const loss = optimizer.minimize(() => model.loss(ids, {training: true, seed: i}), true)!;
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return value;
    };
    const evalLoss = (): number => tf.tidy(() => model.loss(ids, {seed: 0}).dataSync()[0]!);
    const first = evalLoss();
    step(0); // the optimizer creates its slots here
    const count = tf.memory().numTensors;
    for (let i = 1; i < 10; i++) expect(Number.isFinite(step(i))).toBe(true);
    expect(tf.memory().numTensors).toBe(count);
    expect(evalLoss()).toBeLessThan(first);
    optimizer.dispose();
    ids.dispose();
  });

  it('forward, loss and gradients free everything they do not return', async () => {
    const model = new ReformerForMaskedLM(smallConfig({is_decoder: false, lsh_num_chunks_after: 1}), {seed: 2});
    live.push(model);
    const ids = tokenIds(1, 9);
    await expectNoLeaks(() => model.forward(ids, {seed: 1, training: true, outputHiddenStates: true}));
    await expectNoLeaks(() => model.loss(ids, {seed: 1}));
    await expectNoLeaks(() => model.gradients(ids, {seed: 1, training: true}));
    ids.dispose();
  });

  it('draws the same dropout masks and rotations from the same seed, and others from another', () => {
    const model = new ReformerModelWithLMHead(smallConfig(), {seed: 1});
    live.push(model);
    const ids = tokenIds(1, 12);
    const loss = (seed: number, training: boolean) => tf.tidy(() => model.loss(ids, {seed, training}).dataSync()[0]!);
    expect(loss(4, true)).toBe(loss(4, true));
    expect(loss(4, true)).not.toBe(loss(5, true));
    ids.dispose();
  });

  it('hashes with the same rotations on every call when config.hash_seed is set', () => {
    const model = new ReformerModelWithLMHead(smallConfig({hash_seed: 123}), {seed: 1});
    live.push(model);
    const ids = tokenIds(1, 12);
    const logits = () => tf.tidy(() => model.forward(ids).logits.dataSync().slice());
    expect(relativeError(logits(), logits())).toBe(0);
    ids.dispose();
  });
});

describe('any length', () => {
  it('pads to the least common multiple of the chunk lengths only when HF does', () => {
    const config = smallConfig({lsh_attn_chunk_length: 4, local_attn_chunk_length: 6}); // lcm 12, smallest 4
    expect([1, 4, 5, 12, 13, 24].map((n) => paddingFor(config, n))).toEqual([0, 0, 7, 0, 11, 0]);
  });

  it('gives the results of explicit padding (pad_token_id, mask 0), cut back to the input length', () => {
    const model = new ReformerModelWithLMHead(smallConfig({pad_token_id: 3}), {seed: 9});
    live.push(model);
    const ids = tokenIds(2, 13);
    const padded = tf.concat([ids, tf.fill([2, 3], 3, 'int32')], 1) as tf.Tensor2D; // [2, 16]
    const mask = tf.concat([tf.ones([2, 13], 'int32'), tf.zeros([2, 3], 'int32')], 1) as tf.Tensor2D; // [2, 16]
    const options = {seed: 21, training: true, outputHiddenStates: true};
    const auto = model.forward(ids, options);
    const explicit = model.forward(padded, {...options, attentionMask: mask});
    const cut = (t: tf.Tensor3D) => tf.slice(t, [0, 0, 0], [2, 13, t.shape[2]]);
    expect(relativeError(auto.logits, cut(explicit.logits))).toBe(0);
    expect(auto.allHiddenStates).toHaveLength(4);
    auto.allHiddenStates!.forEach((h, i) => {
      expect(h.shape).toEqual([2, 13, 8]);
      expect(relativeError(h, cut(explicit.allHiddenStates![i]!))).toBe(0);
    });
    tf.dispose([ids, padded, mask, auto.logits, explicit.logits, ...auto.allHiddenStates!, ...explicit.allHiddenStates!]);
  });

  it('trains with axial position embeddings on sequences shorter than the axial grid', () => {
    const config = smallConfig({axial_pos_embds: true, axial_pos_shape: [4, 8], axial_pos_embds_dim: [3, 5], max_position_embeddings: 32});
    const model = new ReformerModelWithLMHead(config, {seed: 4});
    live.push(model);
    const full = tokenIds(1, 32);
    const short = tf.slice(full, [0, 0], [1, 11]) as tf.Tensor2D;
    // The embeddings (HF's hidden_states[0]) of a short sequence are those of the grid's first positions.
    const embedded = (ids: tf.Tensor2D) => {
      const {logits, allHiddenStates} = model.forward(ids, {seed: 1, outputHiddenStates: true});
      tf.dispose([logits, ...allHiddenStates!.slice(1)]);
      return allHiddenStates![0]!;
    };
    const a = embedded(short);
    const b = embedded(full);
    expect(relativeError(a, tf.slice(b, [0, 0, 0], [1, 11, 8]))).toBe(0);
    const {loss, grads} = model.gradients(short, {seed: 2, training: true});
    expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
    for (const axis of [0, 1]) {
      const g = grads[`reformer.embeddings.position_embeddings.weights.${axis}`]!;
      expect(g.shape).toEqual(model.parameters[`reformer.embeddings.position_embeddings.weights.${axis}`]!.shape);
    }
    // Rows of axis 0 that no position of the 11 reaches get no gradient.
    const g0 = grads['reformer.embeddings.position_embeddings.weights.0']!.arraySync() as number[][][];
    expect(g0[2]!.flat().every((v) => v === 0)).toBe(true);
    expect(g0[1]!.flat().some((v) => v !== 0)).toBe(true);
    tf.dispose([full, short, a, b, loss, ...Object.values(grads)]);
  });

  it('pads past max_position_embeddings and past the axial grid (zero position embeddings for the padding)', () => {
    const learned = smallConfig({max_position_embeddings: 14}); // 13 tokens -> 16 positions
    const axial = smallConfig({max_position_embeddings: 14, axial_pos_embds: true, axial_pos_shape: [2, 7], axial_pos_embds_dim: [4, 4]});
    for (const config of [learned, axial]) {
      const model = new ReformerModelWithLMHead(config, {seed: 2});
      live.push(model);
      const ids = tokenIds(1, 13);
      const {loss, grads} = model.gradients(ids, {seed: 1, training: true});
      expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
      expect(Object.values(grads).every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
      tf.dispose([ids, loss, ...Object.values(grads)]);
    }
  });

  it("drops axial position embeddings as HF's dropout2d does: per sequence and coordinate of the second axis", () => {
    const config = smallConfig({axial_pos_embds: true, axial_pos_shape: [4, 8], axial_pos_embds_dim: [3, 5], hidden_dropout_prob: 0.5});
    const model = new ReformerModelWithLMHead(config, {seed: 4});
    live.push(model);
    const words = model.parameters['reformer.embeddings.word_embeddings.weight']!;
    words.assign(tf.zerosLike(words)); // the embeddings are then the position embeddings alone
    const ids = tokenIds(3, 30);
    const embeddings = (training: boolean) => {
      const {logits, allHiddenStates} = model.forward(ids, {seed: 5, training, outputHiddenStates: true});
      const first = allHiddenStates![0]!.arraySync() as number[][][];
      tf.dispose([logits, ...allHiddenStates!]);
      return first;
    };
    const dropped = embeddings(true);
    const plain = embeddings(false);
    let kept = 0;
    for (let b = 0; b < 3; b++) {
      for (let column = 0; column < 8; column++) {
        const ratios = [];
        for (let p = column; p < 30; p += 8) for (let f = 0; f < 8; f++) ratios.push(dropped[b]![p]![f]! / plain[b]![p]![f]!);
        const scale = ratios[0]!;
        expect([0, 2]).toContain(Math.round(scale));
        for (const r of ratios) expect(r).toBeCloseTo(scale, 5);
        if (scale > 1) kept++;
      }
    }
    expect(kept).toBeGreaterThan(4);
    expect(kept).toBeLessThan(20);
    ids.dispose();
  });

  it('runs a single token, and a sequence within one chunk, with gradients', () => {
    const model = new ReformerModelWithLMHead(smallConfig(), {seed: 6});
    live.push(model);
    for (const length of [1, 2]) {
      const ids = tokenIds(2, length);
      const {loss, grads} = model.gradients(ids, {seed: 1, training: true});
      expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
      tf.dispose([ids, loss, ...Object.values(grads)]);
    }
  });
});

describe('the models', () => {
  it('ReformerModel returns LayerNorm over both streams and HF hidden_states', () => {
    const config = smallConfig({is_decoder: false});
    const model = new ReformerModel(config, {seed: 2});
    live.push(model);
    expect(Object.keys(model.parameters).some((n) => n.startsWith('lm_head'))).toBe(false);
    const ids = tokenIds(2, 7);
    const {hiddenStates, allHiddenStates} = model.forward(ids, {seed: 1, outputHiddenStates: true});
    expect(hiddenStates.shape).toEqual([2, 7, 16]);
    expect(allHiddenStates!.map((h) => h.shape)).toEqual(Array(4).fill([2, 7, 8]));
    const plain = model.forward(ids, {seed: 1});
    expect(plain.allHiddenStates).toBeUndefined();
    expect(relativeError(plain.hiddenStates, hiddenStates)).toBe(0);
    tf.dispose([ids, hiddenStates, plain.hiddenStates, ...allHiddenStates!]);
  });

  it('adds lm_head.bias with lmHeadBias: true (transformers 4.x / trax), which then gets a gradient', () => {
    const config = smallConfig();
    const hf5 = new ReformerModelWithLMHead(config, {seed: 8});
    const hf4 = new ReformerModelWithLMHead(config, {parameters: hf5.parameters, lmHeadBias: true});
    live.push(hf5, hf4);
    expect(hf5.lmHeadBias).toBe(false);
    const bias = hf5.parameters['lm_head.bias']!;
    bias.assign(tf.linspace(-1, 1, 20));
    const ids = tokenIds(1, 8);
    const a = hf5.forward(ids, {seed: 1}).logits;
    const b = hf4.forward(ids, {seed: 1}).logits;
    const shifted = tf.add(a, bias);
    expect(relativeError(b, shifted)).toBeLessThan(1e-6);
    const g5 = hf5.gradients(ids, {seed: 1});
    const g4 = hf4.gradients(ids, {seed: 1});
    expect(g5.grads['lm_head.bias']).toBeUndefined();
    expect(g4.grads['lm_head.bias']!.shape).toEqual([20]);
    tf.dispose([ids, a, b, shifted, g5.loss, g4.loss, ...Object.values(g5.grads), ...Object.values(g4.grads)]);
  });

  it("defaults lmHeadBias from config.json's transformers_version: 4.x adds the bias, 5.x and none do not", () => {
    const hf4 = smallConfig({transformers_version: '4.40.0'});
    const hf5 = smallConfig({transformers_version: '5.17.0'});
    const none = smallConfig();
    expect(lmHeadBiasDefault(hf4)).toBe(true);
    expect(lmHeadBiasDefault(smallConfig({transformers_version: '4.0.0.dev0'}))).toBe(true);
    expect(lmHeadBiasDefault(hf5)).toBe(false);
    expect(lmHeadBiasDefault(smallConfig({transformers_version: '6.0.0'}))).toBe(false);
    expect(lmHeadBiasDefault(none)).toBe(false);
    expect(lmHeadBiasDefault(smallConfig({transformers_version: 'unknown'}))).toBe(false);
    expect(() => lmHeadBiasDefault({} as ReformerConfig)).toThrow(/^config: expected a ReformerConfig/);

    const base = new ReformerModelWithLMHead(none, {seed: 8});
    live.push(base);
    const bias = base.parameters['lm_head.bias']!;
    bias.assign(tf.linspace(-1, 1, 20));
    const ids = tokenIds(1, 8);
    const plain = base.forward(ids, {seed: 1}).logits;
    const shifted = tf.add(plain, bias);
    const cases: Array<[ReformerConfig, boolean | undefined, boolean]> = [
      [hf4, undefined, true],
      [hf5, undefined, false],
      [none, undefined, false],
      [hf4, false, false], // the option overrides the version, both ways
      [hf5, true, true],
      [none, true, true],
    ];
    for (const [config, lmHeadBias, applied] of cases) {
      const label = `transformers_version ${String(config.extraFields['transformers_version'])}, lmHeadBias ${String(lmHeadBias)}`;
      const options = lmHeadBias === undefined ? {parameters: base.parameters} : {parameters: base.parameters, lmHeadBias};
      const model = new ReformerModelWithLMHead(config, options);
      live.push(model);
      expect(model.lmHeadBias, label).toBe(applied);
      const logits = model.forward(ids, {seed: 1}).logits;
      expect(relativeError(logits, applied ? shifted : plain), label).toBeLessThan(1e-6);
      tf.dispose(logits);
    }
    const masked = new ReformerForMaskedLM(smallConfig({is_decoder: false, transformers_version: '4.40.0'}), {seed: 2});
    live.push(masked);
    expect(masked.lmHeadBias).toBe(true);
    tf.dispose([ids, plain, shifted]);
  });

  it('a checkpoint saved with transformers_version 4.x loads with its bias applied, one of 5.x without', async () => {
    for (const [version, applied] of [['4.40.0', true], ['5.17.0', false]] as const) {
      const model = new ReformerModelWithLMHead(smallConfig({transformers_version: version}), {seed: 4});
      live.push(model);
      model.parameters['lm_head.bias']!.assign(tf.linspace(-1, 1, 20));
      const saved = await saveCheckpoint(model.config, model.parameters);
      const loaded = await loadCheckpoint({config: saved.configJson, weights: saved.weights});
      const again = new ReformerModelWithLMHead(loaded.config, {parameters: loaded.parameters});
      expect(again.lmHeadBias, version).toBe(applied);
      const ids = tokenIds(1, 8);
      const a = model.forward(ids, {seed: 1}).logits;
      const b = again.forward(ids, {seed: 1}).logits;
      expect(relativeError(b, a), version).toBeLessThan(1e-6);
      tf.dispose([ids, a, b]);
      again.dispose();
      disposeParameters(loaded.parameters);
    }
  });

  it('leaves given parameters to the caller and frees its own', () => {
    const config = smallConfig();
    const owner = new ReformerModelWithLMHead(config, {seed: 1});
    const borrower = new ReformerModelWithLMHead(config, {parameters: owner.parameters});
    const before = tf.memory().numTensors;
    borrower.dispose();
    expect(tf.memory().numTensors).toBe(before);
    owner.dispose();
    expect(tf.memory().numTensors).toBe(before - Object.keys(owner.parameters).length);
  });
});
