/// <reference types="node" />
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {
  bfloat16BitsToFloat,
  float16BitsToFloat,
  floatToBfloat16Bits,
  floatToFloat16Bits,
  parseSafetensors,
  serializeSafetensors,
  type TensorToWrite,
} from '@reformerjs/safetensors';
import {expectNoLeaks, expectTensorEqual, goldenCaseNames, goldenFixturesDir} from '@reformerjs/test-utils';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {CheckpointError, loadCheckpoint, saveCheckpoint, type LoadedCheckpoint} from './checkpoint.js';
import {ReformerConfig} from './config.js';
import {disposeParameters, initParameters, parameterSpecs, type ReformerParameters} from './parameters.js';

const readGolden = (name: string) => {
  const dir = join(goldenFixturesDir, name);
  return {
    configText: readFileSync(join(dir, 'config.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))),
  };
};

// The golden file's tensors as raw bytes, to edit and write back.
function rawTensors(weights: Uint8Array): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = {};
  for (const t of parseSafetensors(weights).tensors()) out[t.name] = {dtype: t.dtype, shape: [...t.shape], bytes: t.bytes()};
  return out;
}

const write = (tensors: Record<string, TensorToWrite>): Uint8Array => serializeSafetensors(tensors, {format: 'pt'});

const CAUSAL = 'lsh-causal-2h';

describe('loadCheckpoint: golden checkpoints', () => {
  const expectedHeads: Record<string, string> = {
    'local-lsh-axial': 'lm',
    'lsh-bidir-4h-pad': 'masked-lm',
    'lsh-causal-2h': 'lm',
  };
  for (const name of goldenCaseNames()) {
    it(`${name}: loads every tensor, oriented [in, out], and round-trips byte for byte`, async () => {
      const {configText, weights} = readGolden(name);
      await expectNoLeaks(async () => {
        const loaded = await loadCheckpoint({config: configText, weights});
        try {
          expect(loaded.head).toBe(expectedHeads[name]);
          expect(loaded.warnings).toEqual([]);
          const file = parseSafetensors(weights);
          const specs = parameterSpecs(loaded.config, loaded.head);
          expect(Object.keys(loaded.parameters).sort()).toEqual([...file.names].sort());
          for (const spec of specs) {
            const v = loaded.parameters[spec.name]!;
            expect(v.shape).toEqual(spec.shape);
            const stored = file.get(spec.name).toFloat32();
            if (!spec.transposed) {
              expectTensorEqual(v, stored, spec.name);
            } else {
              // Element [i, o] of ours is element [o, i] of HF's.
              const [inF, outF] = spec.shape as [number, number];
              const ours = v.dataSync();
              for (const [i, o] of [[0, 0], [inF - 1, 0], [0, outF - 1], [inF - 1, outF - 1], [1, 2]] as const) {
                expect(ours[i * outF + o], `${spec.name}[${i}, ${o}]`).toBe(stored[o * inF + i]);
              }
            }
          }
          const saved = await saveCheckpoint(loaded.config, loaded.parameters);
          expect(saved.configJson).toBe(configText.endsWith('\n') ? configText : `${configText}\n`);
          expect(Buffer.from(saved.weights).equals(Buffer.from(weights))).toBe(true);
          const again = await loadCheckpoint({config: saved.configJson, weights: saved.weights});
          try {
            expect(again.head).toBe(loaded.head);
            for (const key of Object.keys(loaded.parameters)) {
              expectTensorEqual(again.parameters[key]!, loaded.parameters[key]!, key);
            }
          } finally {
            disposeParameters(again.parameters);
          }
        } finally {
          disposeParameters(loaded.parameters);
        }
      });
    });
  }

  it('accepts the parsed config object and an explicit head', async () => {
    const {configText, weights} = readGolden(CAUSAL);
    const loaded = await loadCheckpoint({config: JSON.parse(configText) as object, weights}, {head: 'masked-lm'});
    expect(loaded.head).toBe('masked-lm');
    expect(loaded.config.numHashes).toBe(2);
    disposeParameters(loaded.parameters);
  });

  it('infers the head from the tensors when architectures is absent', async () => {
    const {configText, weights} = readGolden('lsh-bidir-4h-pad');
    const json = JSON.parse(configText) as Record<string, unknown>;
    delete json['architectures'];
    const loaded = await loadCheckpoint({config: json, weights});
    expect(loaded.head).toBe('masked-lm'); // is_decoder false
    disposeParameters(loaded.parameters);
  });
});

describe('checkpoints of the bare model (head none)', () => {
  let lm: LoadedCheckpoint;
  beforeAll(async () => {
    const {configText, weights} = readGolden(CAUSAL);
    lm = await loadCheckpoint({config: configText, weights});
  });
  afterAll(() => disposeParameters(lm.parameters));

  it("loads the base model from an LM checkpoint, ignoring the head's tensors with a warning", async () => {
    const {configText, weights} = readGolden(CAUSAL);
    const base = await loadCheckpoint({config: configText, weights}, {head: 'none'});
    expect(base.head).toBe('none');
    expect(Object.keys(base.parameters).some((k) => k.startsWith('lm_head.'))).toBe(false);
    expect(base.warnings).toEqual([
      "lm_head.bias: ignored (a head's tensor; loading the base model, head 'none')",
      "lm_head.decoder.weight: ignored (a head's tensor; loading the base model, head 'none')",
    ]);
    disposeParameters(base.parameters);
  });

  it('saves without the reformer. prefix, as HF does, and loads that back', async () => {
    const baseParams: ReformerParameters = Object.fromEntries(
      Object.entries(lm.parameters).filter(([k]) => !k.startsWith('lm_head.')),
    );
    const saved = await saveCheckpoint(lm.config, baseParams);
    const names = parseSafetensors(saved.weights).names;
    expect(names).toContain('embeddings.word_embeddings.weight');
    expect(names.some((n) => n.startsWith('reformer.'))).toBe(false);
    expect(JSON.parse(saved.configJson).architectures).toEqual(['ReformerModel']);
    const back = await loadCheckpoint({config: saved.configJson, weights: saved.weights});
    expect(back.head).toBe('none');
    for (const key of Object.keys(baseParams)) expectTensorEqual(back.parameters[key]!, baseParams[key]!, key);
    disposeParameters(back.parameters);

    await expect(loadCheckpoint({config: saved.configJson, weights: saved.weights}, {head: 'lm'})).rejects.toThrow(
      "loadCheckpoint: the checkpoint has no tensor 'lm_head.decoder.weight' (loading for head 'lm'; pass head 'none' to load the base model alone)",
    );
  });
});

describe('float16 and bfloat16', () => {
  const cases = [
    ['float16', 'F16', (x: number) => float16BitsToFloat(floatToFloat16Bits(x)), 2 ** -11],
    ['bfloat16', 'BF16', (x: number) => bfloat16BitsToFloat(floatToBfloat16Bits(x)), 2 ** -8],
  ] as const;
  for (const [dtype, stDtype, round, eps] of cases) {
    it(`${dtype}: saves ${stDtype}, loads back the rounded values (relative error <= ${eps})`, async () => {
      const {configText, weights} = readGolden('local-lsh-axial');
      const loaded = await loadCheckpoint({config: configText, weights});
      try {
        const saved = await saveCheckpoint(loaded.config, loaded.parameters, {dtype});
        const file = parseSafetensors(saved.weights);
        expect(new Set(file.tensors().map((t) => t.dtype))).toEqual(new Set([stDtype]));
        expect(JSON.parse(saved.configJson).dtype).toBe(dtype);
        const back = await loadCheckpoint({config: saved.configJson, weights: saved.weights});
        try {
          for (const [key, v] of Object.entries(loaded.parameters)) {
            const original = v.dataSync();
            const restored = back.parameters[key]!.dataSync();
            // Half the spacing of the format near x; float16's subnormals have a fixed spacing of 2^-24.
            const bad = Array.from(original).findIndex(
              (x, i) => restored[i] !== round(x) || Math.abs(restored[i]! - x) > eps * Math.abs(x) + 2 ** -25,
            );
            expect(bad, `${key}: first element off`).toBe(-1);
          }
        } finally {
          disposeParameters(back.parameters);
        }
      } finally {
        disposeParameters(loaded.parameters);
      }
    });
  }
});

describe('loadCheckpoint rejects bad checkpoints', () => {
  const {configText, weights} = readGolden(CAUSAL);
  const W = 'reformer.encoder.layers.1.feed_forward.dense.dense.weight';

  it('a missing tensor, named', async () => {
    const t = rawTensors(weights);
    delete t[W];
    await expect(loadCheckpoint({config: configText, weights: write(t)})).rejects.toThrow(
      new CheckpointError(`loadCheckpoint: the checkpoint has no tensor '${W}'`),
    );
  });

  it("a wrong shape, both shapes in HF's orientation", async () => {
    const t = rawTensors(weights);
    t[W] = {dtype: 'F32', shape: [32, 48], data: new Float32Array(32 * 48)};
    await expect(loadCheckpoint({config: configText, weights: write(t)})).rejects.toThrow(
      `loadCheckpoint: tensor '${W}' has shape [32, 48] in the checkpoint, expected [48, 32] for this config (HF's [out, in] orientation)`,
    );
  });

  it('a config that does not fit the weights', async () => {
    const json = {...(JSON.parse(configText) as Record<string, unknown>), feed_forward_size: 64};
    await expect(loadCheckpoint({config: json, weights})).rejects.toThrow(
      "loadCheckpoint: tensor 'reformer.encoder.layers.0.feed_forward.dense.dense.weight' has shape [48, 32] in the checkpoint, expected [64, 32]",
    );
  });

  it('a non-float dtype', async () => {
    const t = rawTensors(weights);
    t['lm_head.bias'] = {dtype: 'I32', shape: [64], data: new Int32Array(64)};
    await expect(loadCheckpoint({config: configText, weights: write(t)})).rejects.toThrow(
      "loadCheckpoint: tensor 'lm_head.bias' has dtype I32; expected a float dtype (F32, F16, BF16 or F64)",
    );
  });

  it('an unexpected tensor: an error when strict (default), a warning when not', async () => {
    const t = rawTensors(weights);
    t['reformer.encoder.layers.2.attention.layer_norm.weight'] = {dtype: 'F32', shape: [32], data: new Float32Array(32)};
    const bytes = write(t);
    await expect(loadCheckpoint({config: configText, weights: bytes})).rejects.toThrow(
      "loadCheckpoint: the checkpoint has a tensor the ReformerModelWithLMHead of this config does not have: 'reformer.encoder.layers.2.attention.layer_norm.weight' (pass strict: false to ignore it)",
    );
    const loose = await loadCheckpoint({config: configText, weights: bytes}, {strict: false});
    expect(loose.warnings).toEqual([
      'reformer.encoder.layers.2.attention.layer_norm.weight: ignored (not a parameter of ReformerModelWithLMHead for this config)',
    ]);
    disposeParameters(loose.parameters);
  });

  it('the tied lm_head.decoder.bias: ignored when equal, used when alone, rejected when different', async () => {
    const t = rawTensors(weights);
    const bias = parseSafetensors(weights).get('lm_head.bias').toFloat32();
    t['lm_head.decoder.bias'] = {dtype: 'F32', shape: [64], data: bias};
    const both = await loadCheckpoint({config: configText, weights: write(t)});
    expect(both.warnings).toEqual(['lm_head.decoder.bias: ignored (tied to lm_head.bias, equal)']);
    disposeParameters(both.parameters);

    const only = {...t};
    delete only['lm_head.bias'];
    const alone = await loadCheckpoint({config: configText, weights: write(only)});
    expectTensorEqual(alone.parameters['lm_head.bias']!, bias);
    expect(alone.warnings).toEqual([]);
    disposeParameters(alone.parameters);

    const changed = bias.slice();
    changed[3] = changed[3]! + 1;
    t['lm_head.decoder.bias'] = {dtype: 'F32', shape: [64], data: changed};
    await expect(loadCheckpoint({config: configText, weights: write(t)})).rejects.toThrow(
      "loadCheckpoint: tensors 'lm_head.decoder.bias' and 'lm_head.bias' differ",
    );
  });

  it('an unsupported architecture unless a head is given', async () => {
    const json = {...(JSON.parse(configText) as Record<string, unknown>), architectures: ['ReformerForSequenceClassification']};
    await expect(loadCheckpoint({config: json, weights})).rejects.toThrow(
      'loadCheckpoint: config.json architectures: "ReformerForSequenceClassification" is not supported (expected ReformerModelWithLMHead, ReformerForMaskedLM, ReformerModel)',
    );
    const base = await loadCheckpoint({config: json, weights}, {head: 'none'});
    expect(base.warnings.length).toBe(2);
    disposeParameters(base.parameters);
  });

  it('bad arguments', async () => {
    await expect(loadCheckpoint({config: configText, weights: [1, 2] as unknown as Uint8Array})).rejects.toThrow(
      "loadCheckpoint: source.weights: expected model.safetensors' bytes as a Uint8Array, got Array",
    );
    await expect(loadCheckpoint({config: 42 as unknown as string, weights})).rejects.toThrow(
      "loadCheckpoint: source.config: expected config.json's text or its parsed object, got 42",
    );
    await expect(loadCheckpoint({config: '{not json', weights})).rejects.toThrow(/config.json is not valid JSON/);
    await expect(loadCheckpoint({config: configText, weights}, {head: 'causal' as 'lm'})).rejects.toThrow(
      `loadCheckpoint: options.head: expected one of 'lm', 'masked-lm', 'none', got "causal"`,
    );
    await expect(loadCheckpoint({config: configText, weights: new Uint8Array(4)})).rejects.toThrow(/shorter than the 8-byte header length/);
  });

  it('leaks nothing when it rejects', async () => {
    const t = rawTensors(weights);
    t['extra'] = {dtype: 'F32', shape: [1], data: [0]};
    await expectNoLeaks(async () => {
      await expect(loadCheckpoint({config: configText, weights: write(t)})).rejects.toThrow(CheckpointError);
    });
  });
});

describe('saveCheckpoint', () => {
  const config = new ReformerConfig({
    hidden_size: 8, attention_head_size: 4, num_attention_heads: 2, vocab_size: 10, feed_forward_size: 12,
    attn_layers: ['local', 'lsh'], axial_pos_embds: false, max_position_embeddings: 16, is_decoder: true,
  });

  it('writes fresh parameters under HF names and loads them back exactly', async () => {
    const params = initParameters(config, 'lm', 5);
    try {
      const saved = await saveCheckpoint(config, params);
      const json = JSON.parse(saved.configJson) as Record<string, unknown>;
      expect(json['architectures']).toEqual(['ReformerModelWithLMHead']);
      expect(json['dtype']).toBe('float32');
      const file = parseSafetensors(saved.weights);
      expect(file.metadata).toEqual({format: 'pt'});
      expect(file.get('lm_head.decoder.weight').shape).toEqual([10, 16]);
      expect(file.has('lm_head.decoder.bias')).toBe(false);
      const back = await loadCheckpoint({config: saved.configJson, weights: saved.weights});
      expect(back.head).toBe('lm');
      for (const key of Object.keys(params)) expectTensorEqual(back.parameters[key]!, params[key]!, key);
      disposeParameters(back.parameters);

      const masked = await saveCheckpoint(config.with({is_decoder: false}), params);
      expect(JSON.parse(masked.configJson).architectures).toEqual(['ReformerForMaskedLM']);
    } finally {
      disposeParameters(params);
    }
  });

  it('rejects missing, extra and misshapen parameters and a bad dtype', async () => {
    const params = initParameters(config, 'lm', 5);
    try {
      const missing = {...params};
      delete missing['reformer.encoder.layer_norm.bias'];
      await expect(saveCheckpoint(config, missing)).rejects.toThrow(
        "saveCheckpoint: parameters has no 'reformer.encoder.layer_norm.bias' (head 'lm')",
      );
      await expect(saveCheckpoint(config.with({hidden_size: 16, attention_head_size: 8}), params)).rejects.toThrow(
        "saveCheckpoint: parameter 'reformer.embeddings.word_embeddings.weight' has shape [10, 8], expected [10, 16] for this config",
      );
      await expect(saveCheckpoint(config, params, {head: 'none'})).rejects.toThrow(
        "saveCheckpoint: parameters has 'lm_head.decoder.weight', which ReformerModel of this config does not have",
      );
      await expect(saveCheckpoint(config, params, {dtype: 'int8' as 'float16'})).rejects.toThrow(
        `saveCheckpoint: options.dtype: expected 'float32', 'float16' or 'bfloat16', got "int8"`,
      );
    } finally {
      disposeParameters(params);
    }
  });
});
