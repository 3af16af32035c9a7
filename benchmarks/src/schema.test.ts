import {describe, expect, it} from 'vitest';
import {makeRow, reportProblems, rowProblems, SCHEMA_VERSION, shapeKey, type Report} from './schema.js';
import {summarize} from './stats.js';

const row = () => {
  const r = makeRow({impl: 'lsh-4', kind: 'attention', length: 1024, batch: 8, heads: 4, head_size: 64, chunk: 64, hashes: 4});
  r.fwd_ms = summarize([1, 2, 3, 4, 5]);
  return r;
};

export const report = (rows = [row()]): Report => ({
  schema: SCHEMA_VERSION,
  suite: 'speed',
  backend: 'wasm',
  machine: 'cpu-2core-node20',
  device: {description: 'test', cpus: 2, cpu_model: 'test', memory_bytes: 1},
  versions: {node: '20'},
  commit: 'abc',
  date: '2026-01-01T00:00:00.000Z',
  config: {},
  method: {timing: 't', memory: 'm'},
  rows,
  notes: [],
});

describe('row schema', () => {
  it('makeRow fills every field, tokens = batch × length, hidden = heads × head size', () => {
    const r = makeRow({impl: 'full', kind: 'attention', length: 2048, batch: 4, heads: 4, head_size: 64, chunk: null, hashes: null});
    expect(r).toMatchObject({tokens: 8192, hidden: 256, layers: 1, reversible: null, causal: true, fwd_ms: null, skipped: null});
    expect(rowProblems(r)).toEqual(['row: expected figures or a skipped reason, got neither']);
    r.skipped = 'over budget';
    expect(rowProblems(r)).toEqual([]);
  });

  it('a row whose timings were skipped but whose forward peak was measured is valid', () => {
    const r = makeRow({impl: 'full', kind: 'attention', length: 4096, batch: 16, heads: 4, head_size: 64, chunk: null, hashes: null});
    r.peak_bytes_fwd = 30_204_133_388;
    r.note = 'fwd not timed: predicted 29 s exceeds the 27 s left of the time budget';
    expect(rowProblems(r)).toEqual([]);
  });

  it('a measured row is valid', () => {
    expect(rowProblems(row())).toEqual([]);
  });

  it('names the field of each problem', () => {
    const r = {...row(), length: 0, tokens: 5, hashes: -1, kind: 'layer', fwd_ms: {median: 1, min: 2, max: 3, mean: 2, runs: 3, inner: 1}};
    const problems = rowProblems(r);
    expect(problems).toContain('row.length: expected a positive integer, got 0');
    expect(problems).toContain('row.hashes: expected a non-negative number or null, got -1');
    expect(problems).toContain("row.kind: expected 'attention' or 'train-step', got \"layer\"");
    expect(problems).toContain('row.fwd_ms.runs: expected at least 5 timed runs, got 3');
    expect(problems).toContain('row.fwd_ms: expected min <= median <= max, got 2, 1, 3');
  });

  it('validates the envelope', () => {
    expect(reportProblems(report())).toEqual([]);
    expect(reportProblems({...report(), schema: 2, date: 'yesterday', rows: [{}]})).toEqual(
      expect.arrayContaining(['report.schema: expected 1, got 2', "report.date: expected an ISO 8601 date, got 'yesterday'"]),
    );
    expect(reportProblems(null)).toEqual(['report: expected an object, got null']);
  });

  it('the shape key ignores the implementation it is given for', () => {
    expect(shapeKey(row(), 'hf-lsh-4')).toBe('hf-lsh-4|attention|L1024|B8|H4x64|r4|n1');
  });
});
