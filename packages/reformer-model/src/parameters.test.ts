/// <reference types="node" />
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseSafetensors} from '@reformerjs/safetensors';
import {expectNoLeaks, goldenCaseNames, goldenFixturesDir} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {ReformerConfig} from './config.js';
import {checkpointName, disposeParameters, initParameters, parameterSpecs, type ReformerHead} from './parameters.js';

const readCase = (name: string) => {
  const dir = join(goldenFixturesDir, name);
  const config = ReformerConfig.fromJSONString(readFileSync(join(dir, 'config.json'), 'utf8'));
  const file = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const arch = (config.extraFields['architectures'] as string[])[0];
  const head: ReformerHead = arch === 'ReformerForMaskedLM' ? 'masked-lm' : 'lm';
  return {config, file, head};
};

describe('parameterSpecs', () => {
  for (const name of goldenCaseNames()) {
    it(`${name}: names and shapes equal HF's checkpoint exactly`, () => {
      const {config, file, head} = readCase(name);
      const specs = parameterSpecs(config, head);
      const ours = Object.fromEntries(specs.map((s) => [s.name, s.checkpointShape]));
      const theirs = Object.fromEntries(file.tensors().map((t) => [t.name, [...t.shape]]));
      expect(ours).toEqual(theirs);
      expect(specs.length).toBe(file.names.length);
    });
  }

  it('orients Linear weights [in, out] and keeps other shapes', () => {
    const {config} = readCase('local-lsh-axial');
    const specs = parameterSpecs(config, 'lm');
    const by = Object.fromEntries(specs.map((s) => [s.name, s]));
    const ffIn = by['reformer.encoder.layers.0.feed_forward.dense.dense.weight']!;
    expect(ffIn.shape).toEqual([32, 48]);
    expect(ffIn.checkpointShape).toEqual([48, 32]);
    expect(ffIn.transposed).toBe(true);
    expect(by['lm_head.decoder.weight']!.shape).toEqual([64, 64]);
    expect(by['reformer.embeddings.position_embeddings.weights.0']!).toMatchObject({
      shape: [8, 1, 16],
      transposed: false,
      init: {kind: 'normal', std: 1},
    });
    expect(by['reformer.embeddings.position_embeddings.weights.1']!.shape).toEqual([1, 8, 16]);
    expect(by['reformer.encoder.layers.1.attention.self_attention.query_key.weight']).toBeDefined();
    expect(by['reformer.encoder.layers.0.attention.self_attention.query.weight']).toBeDefined();
    for (const s of specs) {
      if (s.transposed) expect(s.shape).toEqual([...s.checkpointShape].reverse());
      else expect(s.shape).toEqual(s.checkpointShape);
    }
  });

  it('has the same parameters for both heads and no head parameters for none', () => {
    const {config} = readCase('lsh-causal-2h');
    const names = (h: ReformerHead) => parameterSpecs(config, h).map((s) => s.name);
    expect(names('masked-lm')).toEqual(names('lm'));
    expect(names('none')).toEqual(names('lm').filter((n) => !n.startsWith('lm_head.')));
    expect(names('none').every((n) => n.startsWith('reformer.'))).toBe(true);
    expect(checkpointName('reformer.encoder.layer_norm.weight', 'none')).toBe('encoder.layer_norm.weight');
    expect(checkpointName('reformer.encoder.layer_norm.weight', 'lm')).toBe('reformer.encoder.layer_norm.weight');
  });

  it('rejects an unknown head', () => {
    const {config} = readCase('lsh-causal-2h');
    expect(() => parameterSpecs(config, 'causal' as ReformerHead)).toThrow(
      /parameterSpecs: head: expected one of 'lm', 'masked-lm', 'none', got "causal"/,
    );
  });
});

describe('initParameters', () => {
  // Larger than the golden configs so that the statistics mean something, small enough to be quick.
  const config = new ReformerConfig({
    hidden_size: 64,
    attention_head_size: 32,
    num_attention_heads: 2,
    feed_forward_size: 128,
    vocab_size: 256,
    attn_layers: ['local', 'lsh'],
    axial_pos_embds: true,
    axial_pos_shape: [16, 16],
    axial_pos_embds_dim: [32, 32],
    axial_norm_std: 0.5,
    initializer_range: 0.05,
    max_position_embeddings: 256,
    num_buckets: 4,
  });

  it("follows HF's init: normal(initializer_range), normal(axial_norm_std), ones, zeros", () => {
    const params = initParameters(config, 'lm', 7);
    try {
      const specs = parameterSpecs(config, 'lm');
      expect(Object.keys(params)).toEqual(specs.map((s) => s.name));
      for (const spec of specs) {
        const v = params[spec.name]!;
        expect(v.shape).toEqual(spec.shape);
        expect(v.dtype).toBe('float32');
        expect(v.trainable).toBe(true);
        const values = Array.from(v.dataSync() as Float32Array);
        if (spec.init.kind === 'zeros') expect(values.every((x) => x === 0)).toBe(true);
        else if (spec.init.kind === 'ones') expect(values.every((x) => x === 1)).toBe(true);
        else {
          const n = values.length;
          const mean = values.reduce((a, x) => a + x, 0) / n;
          const std = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / n);
          // Sampling error of the std is about std / sqrt(2n); of the mean, std / sqrt(n). n >= 512 here.
          expect(Math.abs(std / spec.init.std - 1), spec.name).toBeLessThan(5 / Math.sqrt(2 * n));
          expect(Math.abs(mean) / spec.init.std, spec.name).toBeLessThan(5 / Math.sqrt(n));
        }
      }
      expect(params['reformer.embeddings.position_embeddings.weights.0']!.shape).toEqual([16, 1, 32]);
      expect(params['reformer.encoder.layers.0.attention.self_attention.key.weight']!.shape).toEqual([64, 64]);
    } finally {
      disposeParameters(params);
    }
  });

  it('is reproducible from the seed, differs across seeds and across parameters', () => {
    const a = initParameters(config, 'lm', 1);
    const b = initParameters(config, 'masked-lm', 1);
    const c = initParameters(config, 'lm', 2);
    try {
      for (const name of Object.keys(a)) expect(b[name]!.dataSync()).toEqual(a[name]!.dataSync());
      const w = 'reformer.encoder.layers.1.attention.self_attention.value.weight';
      expect(c[w]!.dataSync()).not.toEqual(a[w]!.dataSync());
      const q = a['reformer.encoder.layers.0.attention.self_attention.query.weight']!.dataSync();
      const k = a['reformer.encoder.layers.0.attention.self_attention.key.weight']!.dataSync();
      expect(q).not.toEqual(k);
    } finally {
      [a, b, c].forEach(disposeParameters);
    }
  });

  it('gives the same values on every backend (fixed first draws)', () => {
    const params = initParameters(parameterSpecsConfigSmall(), 'none', 123);
    try {
      const w = params['reformer.embeddings.word_embeddings.weight']!.dataSync();
      // Recorded on the cpu backend; the draw happens in JS, so wasm must agree bit for bit.
      expect(Array.from(w.slice(0, 4))).toEqual(EXPECTED_FIRST_DRAWS);
    } finally {
      disposeParameters(params);
    }
  });

  it('names each variable uniquely, keyed by HF name, and disposes cleanly', async () => {
    await expectNoLeaks(() => {
      const a = initParameters(config, 'none', 3);
      const b = initParameters(config, 'none', 3);
      const name = 'reformer.encoder.layer_norm.weight';
      expect(a[name]!.name).not.toBe(b[name]!.name);
      expect(a[name]!.name.endsWith(`/${name}`)).toBe(true);
      expect(tf.engine().registeredVariables[a[name]!.name]).toBe(a[name]);
      disposeParameters(a);
      disposeParameters(b);
      expect(tf.engine().registeredVariables[a[name]!.name]).toBeUndefined();
    });
  });

  it('rejects a bad seed or head', () => {
    expect(() => initParameters(config, 'lm', 1.5)).toThrow(/initParameters: seed: expected a safe integer, got 1.5/);
    expect(() => initParameters(config, 'x' as ReformerHead, 1)).toThrow(/initParameters: head: expected one of/);
  });
});

function parameterSpecsConfigSmall(): ReformerConfig {
  return new ReformerConfig({hidden_size: 8, attention_head_size: 4, num_attention_heads: 2, vocab_size: 4,
    attn_layers: ['lsh'], axial_pos_embds: false, max_position_embeddings: 8, feed_forward_size: 8});
}

const EXPECTED_FIRST_DRAWS = [-0.011085353791713715, 0.0015688752755522728, 0.0423683263361454, -0.00855898018926382];
