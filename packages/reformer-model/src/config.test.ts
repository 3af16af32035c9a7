/// <reference types="node" />
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {goldenCaseNames, goldenFixturesDir} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {SUPPORTED_ACTIVATIONS as FEED_FORWARD_ACTIVATIONS} from '@reformerjs/chunked-ffn';
import {pythonFloatRepr, REFORMER_DEFAULTS, ReformerConfig, SUPPORTED_ACTIVATIONS, type ReformerConfigInit} from './config.js';

const goldenText = (name: string): string => readFileSync(join(goldenFixturesDir, name, 'config.json'), 'utf8');

describe('golden configs', () => {
  for (const name of goldenCaseNames()) {
    it(`${name}: loads, round-trips as an object and byte for byte as text`, () => {
      const text = goldenText(name);
      const json = JSON.parse(text) as Record<string, unknown>;
      const config = ReformerConfig.fromJSON(json);
      expect(config.toJSON()).toEqual(json);
      expect(Object.keys(config.toJSON())).toEqual(Object.keys(json));
      expect(config.toJSONString()).toBe(text.endsWith('\n') ? text : `${text}\n`);
      expect(ReformerConfig.fromJSONString(config.toJSONString()).toJSON()).toEqual(json);
    });
  }

  it('exposes camelCase accessors (local-lsh-axial)', () => {
    const c = ReformerConfig.fromHF(JSON.parse(goldenText('local-lsh-axial')));
    expect(c.hiddenSize).toBe(32);
    expect(c.attnLayers).toEqual(['local', 'lsh', 'local', 'lsh']);
    expect(c.numHiddenLayers).toBe(4);
    expect(c.numBuckets).toEqual([2, 4]);
    expect(c.totalNumBuckets).toBe(8);
    expect(c.numHashes).toBe(1);
    expect(c.axialPosEmbds).toBe(true);
    expect(c.axialPosShape).toEqual([8, 8]);
    expect(c.axialPosEmbdsDim).toEqual([16, 16]);
    expect(c.chunkSizeFeedForward).toBe(16);
    expect(c.isDecoder).toBe(true);
    expect(c.lshNumChunksBefore).toBe(1);
    expect(c.localAttnChunkLength).toBe(8);
    expect(c.layerNormEps).toBe(1e-12);
    expect(c.hiddenAct).toBe('relu');
    expect(c.eosTokenId).toBe(2);
    expect(c.padTokenId).toBe(0);
    expect(c.bosTokenId).toBe(null);
    expect(c.hashSeed).toBe(null);
    expect(c.tieWordEmbeddings).toBe(false);
    expect(c.allHeadSize).toBe(32);
    expect(c.leastCommonMultipleChunkLength).toBe(8);
    expect(c.extraFields).toEqual({architectures: ['ReformerModelWithLMHead'], dtype: 'float32', transformers_version: '5.17.0'});
  });

  it('leaves chunk_size_feed_forward out when absent and 0, as HF does', () => {
    const json = JSON.parse(goldenText('lsh-causal-2h')) as Record<string, unknown>;
    expect('chunk_size_feed_forward' in json).toBe(false);
    const c = ReformerConfig.fromJSON(json);
    expect(c.chunkSizeFeedForward).toBe(0);
    expect('chunk_size_feed_forward' in c.toJSON()).toBe(false);
    expect(c.with({chunk_size_feed_forward: 8}).toJSON()['chunk_size_feed_forward']).toBe(8);
  });
});

describe('defaults', () => {
  it("are HF's", () => {
    const c = new ReformerConfig();
    expect(c.attentionHeadSize).toBe(64);
    expect(c.attnLayers).toEqual(['local', 'lsh', 'local', 'lsh', 'local', 'lsh']);
    expect(c.hiddenSize).toBe(256);
    expect(c.feedForwardSize).toBe(512);
    expect(c.numAttentionHeads).toBe(12);
    expect(c.hiddenDropoutProb).toBe(0.05);
    expect(c.localAttentionProbsDropoutProb).toBe(0.05);
    expect(c.lshAttentionProbsDropoutProb).toBe(0);
    expect(c.maxPositionEmbeddings).toBe(4096);
    expect(c.vocabSize).toBe(320);
    expect(c.numBuckets).toBe(null);
    expect(c.axialPosShape).toEqual([64, 64]);
    expect(c.axialPosEmbdsDim).toEqual([64, 192]);
    expect(c.useCache).toBe(true);
    expect(c.classifierDropout).toBe(null);
    expect(c.leastCommonMultipleChunkLength).toBe(64);
  });

  it('serialise every field with model_type and num_hidden_layers', () => {
    const json = new ReformerConfig().toJSON();
    for (const key of Object.keys(REFORMER_DEFAULTS)) {
      if (key === 'bos_token_id' || key === 'chunk_size_feed_forward') continue;
      expect(json).toHaveProperty(key);
    }
    expect(json['model_type']).toBe('reformer');
    expect(json['num_hidden_layers']).toBe(6);
    expect(Object.keys(json)).toEqual([...Object.keys(json)].sort());
  });
});

describe('immutability and automatic buckets', () => {
  it('never mutates itself or its input', () => {
    const init: ReformerConfigInit = {attn_layers: ['lsh'], lsh_attn_chunk_length: 64, max_position_embeddings: 4096};
    const c = new ReformerConfig(init);
    (init.attn_layers as string[]).push('local');
    expect(c.attnLayers).toEqual(['lsh']);
    expect(Object.isFrozen(c.attnLayers)).toBe(true);
    const json = c.toJSON();
    (json['attn_layers'] as string[]).push('local');
    expect(c.attnLayers).toEqual(['lsh']);
    expect(c.resolveNumBuckets(4096)).toBe(128);
    expect(c.numBuckets).toBe(null);
    const fixed = c.withResolvedNumBuckets(4096);
    expect(fixed.numBuckets).toBe(128);
    expect(c.numBuckets).toBe(null);
    expect(fixed.withResolvedNumBuckets(64)).toBe(fixed);
  });

  it("follows HF's rule: ~2·L/chunk, a power of two, factorised when above the limit", () => {
    const c = new ReformerConfig({lsh_attn_chunk_length: 64, max_position_embeddings: 4096});
    expect(c.resolveNumBuckets(3 * 64)).toBe(4);
    expect(c.resolveNumBuckets(100)).toBe(2);
    expect(c.resolveNumBuckets(32)).toBe(2);
    const long = new ReformerConfig({lsh_attn_chunk_length: 64, max_position_embeddings: 524288, axial_pos_shape: [512, 1024]});
    expect(long.resolveNumBuckets(524288)).toEqual([128, 128]);
    const small = new ReformerConfig({lsh_attn_chunk_length: 4, max_position_embeddings: 1024, axial_pos_shape: [32, 32]});
    expect(small.resolveNumBuckets(1024)).toEqual([16, 32]); // 2·256 = 2^9 > limit 2·max(16, 4) = 32
    expect(new ReformerConfig({num_buckets: [2, 4]}).resolveNumBuckets(4096)).toEqual([2, 4]);
    expect(() => c.resolveNumBuckets(0)).toThrow(/sequenceLength: expected a positive integer, got 0/);
  });

  it('with() replaces fields, keeps unknown ones and re-derives num_hidden_layers', () => {
    const c = ReformerConfig.fromJSON(JSON.parse(goldenText('lsh-causal-2h')));
    const d = c.with({attn_layers: ['lsh', 'local', 'lsh'], num_hashes: 4});
    expect(d.numHiddenLayers).toBe(3);
    expect(d.toJSON()['num_hidden_layers']).toBe(3);
    expect(d.numHashes).toBe(4);
    expect(d.extraFields['architectures']).toEqual(['ReformerModelWithLMHead']);
    expect(c.numHashes).toBe(2);
  });
});

describe('unknown fields', () => {
  it('are kept, written back, and written as Python writes them', () => {
    const c = ReformerConfig.fromJSON({hidden_size: 256, id2label: {'10': 'b', '2': 'a'}, note: 'naïve "q"', nested: {z: [1, 2.5], a: {}}});
    expect(c.toJSON()['id2label']).toEqual({'10': 'b', '2': 'a'});
    const text = c.toJSONString();
    expect(text).toContain('"id2label": {\n    "10": "b",\n    "2": "a"\n  }');
    expect(text).toContain('"note": "na\\u00efve \\"q\\""');
    expect(text).toContain('"nested": {\n    "a": {},\n    "z": [\n      1,\n      2.5\n    ]\n  }');
    expect(text).toContain('"axial_norm_std": 1.0,');
    expect(text).toContain('"lsh_attention_probs_dropout_prob": 0.0,');
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('pythonFloatRepr', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.02, '0.02'],
    [1e-12, '1e-12'],
    [1.5e-12, '1.5e-12'],
    [1e-5, '1e-05'],
    [1e-4, '0.0001'],
    [123.456, '123.456'],
    [-2.5, '-2.5'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.2345e20, '1.2345e+20'],
  ];
  for (const [x, text] of cases) it(`${x} -> ${text}`, () => expect(pythonFloatRepr(x)).toBe(text));
});

describe('validation', () => {
  const rejects = (init: Record<string, unknown>, message: RegExp): void => {
    expect(() => ReformerConfig.fromJSON(init)).toThrow(message);
  };
  it('a config that is not an object', () => {
    expect(() => ReformerConfig.fromJSON([1])).toThrow(/ReformerConfig: expected a config object, got \[1\]/);
    expect(() => ReformerConfig.fromJSONString('{"hidden_size": ')).toThrow(/config.json is not valid JSON/);
  });
  it('model_type other than reformer', () => rejects({model_type: 'bert'}, /ReformerConfig.model_type: expected 'reformer', got "bert"/));
  it('attn_layers with an unknown kind', () => rejects({attn_layers: ['lsh', 'full']}, /ReformerConfig.attn_layers\[1\]: expected 'lsh' or 'local', got "full"/));
  it('empty attn_layers', () => rejects({attn_layers: []}, /ReformerConfig.attn_layers: expected a non-empty list of 'lsh' and 'local', got \[\]/));
  it('num_hidden_layers that disagrees with attn_layers', () =>
    rejects({attn_layers: ['lsh', 'lsh'], num_hidden_layers: 3}, /ReformerConfig.num_hidden_layers: expected the length of attn_layers \(2\), got 3/));
  it('odd num_buckets', () => rejects({num_buckets: 7}, /ReformerConfig.num_buckets: expected an even integer >= 2, a non-empty list of them, or null \(automatic\), got 7/));
  it('num_buckets list with an odd factor', () => rejects({num_buckets: [2, 3]}, /num_buckets: expected an even integer >= 2.*got \[2,3\]/));
  it('num_buckets of 0 or an empty list', () => {
    rejects({num_buckets: 0}, /num_buckets: .*got 0/);
    rejects({num_buckets: []}, /num_buckets: .*got \[\]/);
  });
  it('axial dims that do not sum to hidden_size', () =>
    rejects({axial_pos_embds: true, hidden_size: 32, axial_pos_embds_dim: [16, 8], axial_pos_shape: [8, 8]},
      /ReformerConfig.axial_pos_embds_dim: expected dims summing to hidden_size 32 \(axial_pos_embds is true\), got \[16,8\]/));
  it('axial dims and shape of different lengths', () =>
    rejects({axial_pos_embds: true, hidden_size: 32, axial_pos_embds_dim: [16, 8, 8], axial_pos_shape: [8, 8]},
      /ReformerConfig.axial_pos_embds_dim: expected one dim per axis of axial_pos_shape \[8,8\], got \[16,8,8\]/));
  it('axial sums are not checked when axial_pos_embds is false', () => {
    expect(ReformerConfig.fromJSON({axial_pos_embds: false, hidden_size: 32}).hiddenSize).toBe(32);
  });
  it('axial_pos_shape that is not a list of positive integers', () =>
    rejects({axial_pos_shape: [64, 0]}, /ReformerConfig.axial_pos_shape: expected a non-empty list of positive integers, got \[64,0\]/));
  it('non-positive or fractional sizes', () => {
    rejects({hidden_size: 0}, /ReformerConfig.hidden_size: expected a positive integer, got 0/);
    rejects({num_attention_heads: 2.5}, /ReformerConfig.num_attention_heads: expected a positive integer, got 2.5/);
    rejects({num_hashes: '2'}, /ReformerConfig.num_hashes: expected a positive integer, got "2"/);
    rejects({lsh_attn_chunk_length: -64}, /ReformerConfig.lsh_attn_chunk_length: expected a positive integer, got -64/);
  });
  it('negative chunk counts', () => rejects({lsh_num_chunks_after: -1}, /ReformerConfig.lsh_num_chunks_after: expected a non-negative integer, got -1/));
  it('chunk_size_feed_forward that is not an integer', () => rejects({chunk_size_feed_forward: 1.5}, /ReformerConfig.chunk_size_feed_forward: expected a non-negative integer, got 1.5/));
  it('unsupported hidden_act', () => rejects({hidden_act: 'elu'}, /ReformerConfig.hidden_act: expected one of relu, relu6, gelu, gelu_new, .*, got "elu"/));
  it("accepts exactly chunked-ffn's activations, every one that the chunked feed-forward runs", () => {
    expect(SUPPORTED_ACTIVATIONS).toBe(FEED_FORWARD_ACTIVATIONS);
    for (const act of SUPPORTED_ACTIVATIONS) expect(new ReformerConfig({hidden_act: act}).hiddenAct).toBe(act);
  });
  it('dropout probabilities outside [0, 1)', () => {
    rejects({hidden_dropout_prob: 1}, /ReformerConfig.hidden_dropout_prob: expected a probability in \[0, 1\), got 1/);
    rejects({lsh_attention_probs_dropout_prob: -0.1}, /lsh_attention_probs_dropout_prob: expected a probability in \[0, 1\), got -0.1/);
    rejects({classifier_dropout: 2}, /classifier_dropout: expected a probability in \[0, 1\) or null, got 2/);
  });
  it('booleans that are not booleans', () => rejects({is_decoder: 1}, /ReformerConfig.is_decoder: expected true or false, got 1/));
  it('token ids', () => rejects({pad_token_id: -1}, /ReformerConfig.pad_token_id: expected a non-negative integer or null, got -1/));
  it('hash_seed', () => rejects({hash_seed: 1.5}, /ReformerConfig.hash_seed: expected an integer or null, got 1.5/));
  it('layer_norm_eps and init scales', () => {
    rejects({layer_norm_eps: 0}, /ReformerConfig.layer_norm_eps: expected a finite number > 0, got 0/);
    rejects({initializer_range: -1}, /ReformerConfig.initializer_range: expected a finite number >= 0, got -1/);
  });
  it('values that are not JSON', () => rejects({hidden_size: Infinity}, /ReformerConfig.hidden_size: expected a finite number, got Infinity/));
});
