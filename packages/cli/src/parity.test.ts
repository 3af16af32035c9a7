import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseSafetensors, serializeSafetensors, type TensorToWrite} from '@reformerjs/safetensors';
import {goldenCaseNames, goldenFixturesDir} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {main} from './main.js';
import {formatParityTable, PARITY_TOLERANCES, relativeError, runParity} from './parity.js';
import {bufferIO} from './testing/io.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'reformer-parity-'));
});
afterAll(() => rmSync(work, {recursive: true, force: true}));

const copyCase = (name: string, as = name): string => {
  const dir = join(work, as);
  cpSync(join(goldenFixturesDir, name), dir, {recursive: true});
  return dir;
};


describe('runParity on the golden cases', () => {
  for (const name of goldenCaseNames()) {
    it(`${name}: every output within tolerance`, async () => {
      const before = tf.memory().numTensors;
      const result = await runParity(copyCase(name));
      const table = formatParityTable(result);
      expect(result.rows.filter((r) => !r.ok), table).toEqual([]);
      expect(result.ok).toBe(true);
      const kinds = new Set(result.rows.map((r) => r.kind));
      expect([...kinds].sort()).toEqual(['grad', 'hidden', 'logits', 'loss']);
      const config = JSON.parse(readFileSync(join(goldenFixturesDir, name, 'config.json'), 'utf8')) as {num_hidden_layers: number};
      expect(result.rows.filter((r) => r.kind === 'hidden').length).toBe(config.num_hidden_layers + 1);
      const weights = parseSafetensors(new Uint8Array(readFileSync(join(goldenFixturesDir, name, 'model.safetensors'))));
      // transformers 5.x never adds lm_head.bias to the logits, so its cases hold no gradient for it.
      expect(result.rows.filter((r) => r.kind === 'grad').length).toBe(weights.names.length - 1);
      expect(result.unchecked).toEqual(['lm_head.bias']);
      expect(table).toMatch(/^no reference gradient for lm_head.bias$/m);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('the LM head bias of transformers 4.x and 5.x', () => {
  it("follows the case's transformers_version by default: a 5.x case labelled 4.x gets the bias", async () => {
    const dir = copyCase('lsh-causal-2h', 'labelled-4x');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({...config, transformers_version: '4.57.1'}));
    const result = await runParity(dir);
    expect(result.rows.find((r) => r.name === 'logits')!.ok).toBe(false);
    expect((await runParity(dir, {lmHeadBias: false})).ok).toBe(true);
  });

  it('matters: adding the bias to a 5.x case moves the logits out of tolerance', async () => {
    const result = await runParity(copyCase('lsh-causal-2h', 'with-bias'), {lmHeadBias: true});
    expect(result.ok).toBe(false);
    expect(result.rows.find((r) => r.name === 'logits')!.ok).toBe(false);
  });
});

describe('reformer parity (the command)', () => {
  it('exits 1 and marks the failures when a weight is perturbed', async () => {
    const dir = copyCase('lsh-causal-2h', 'perturbed');
    const path = join(dir, 'model.safetensors');
    const file = parseSafetensors(new Uint8Array(readFileSync(path)));
    const tensors: Record<string, TensorToWrite> = {};
    for (const t of file.tensors()) tensors[t.name] = {dtype: t.dtype, shape: [...t.shape], bytes: t.bytes()};
    const name = 'reformer.encoder.layers.1.feed_forward.output.dense.weight';
    const w = file.get(name).toFloat32();
    for (let i = 0; i < w.length; i += 7) w[i] = w[i]! * 1.01;
    tensors[name] = {dtype: 'F32', shape: [...file.get(name).shape], data: w};
    writeFileSync(path, serializeSafetensors(tensors, {format: 'pt'}));

    const io = bufferIO();
    const code = await main(['node', 'reformer', 'parity', dir, '--backend', tf.getBackend()], io);
    expect(code, io.err).toBe(1);
    expect(io.out).toMatch(/^logits\s+\S+\s+1e-4\s+FAIL$/m);
    expect(io.out).toMatch(/outside tolerance\n$/);
    expect(io.err).toBe('');
  });

});

describe('relativeError and the table', () => {
  it('computes ‖a − b‖ / ‖b‖, or ‖a‖ for a zero reference', () => {
    expect(relativeError([3, 4], [3, 4])).toBe(0);
    expect(relativeError([3, 5], [3, 4])).toBeCloseTo(1 / 5, 15);
    expect(relativeError([3, 4], [0, 0])).toBe(5);
    expect(relativeError([NaN, 0], [1, 0])).toBeNaN();
  });

  it('formats rows, failures and notes', () => {
    const table = formatParityTable({
      caseDir: 'case',
      head: 'lm',
      backend: 'cpu',
      ok: false,
      unchecked: ['lm_head.bias'],
      rows: [
        {name: 'logits', kind: 'logits', relativeError: 2e-6, tolerance: PARITY_TOLERANCES.logits, ok: true},
        {name: 'grad.x', kind: 'grad', relativeError: NaN, tolerance: 1e-3, ok: false, note: 'missing from the output'},
      ],
    });
    expect(table).toBe(
      [
        'parity case (ReformerModelWithLMHead, backend cpu)',
        'output  rel. error  tolerance  result',
        'logits     2.00e-6       1e-4  ok',
        'grad.x         n/a       1e-3  FAIL (missing from the output)',
        'no reference gradient for lm_head.bias',
        '1 of 2 outside tolerance',
        '',
      ].join('\n'),
    );
  });
});
