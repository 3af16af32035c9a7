import {describe, expect, it} from 'vitest';
import {
  duplicationRows,
  generationRows,
  makeRow,
  measuredRows,
  reportProblems,
  rowProblems,
  SCHEMA_VERSION,
  shapeKey,
  type DuplicationRow,
  type GenerationRow,
  type Report,
  type ReportRow,
} from './schema.js';
import {summarize} from './stats.js';

const row = () => {
  const r = makeRow({impl: 'lsh-4', kind: 'attention', length: 1024, batch: 8, heads: 4, head_size: 64, chunk: 64, hashes: 4, fused: false});
  r.fwd_ms = summarize([1, 2, 3, 4, 5]);
  return r;
};

export const report = (rows: ReportRow[] = [row()]): Report => ({
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
    const r = makeRow({impl: 'full', kind: 'attention', length: 2048, batch: 4, heads: 4, head_size: 64, chunk: null, hashes: null, fused: false});
    expect(r).toMatchObject({tokens: 8192, hidden: 256, layers: 1, reversible: null, causal: true, fwd_ms: null, skipped: null});
    expect(rowProblems(r)).toEqual(['row: expected figures or a skipped reason, got neither']);
    r.skipped = 'over budget';
    expect(rowProblems(r)).toEqual([]);
  });

  it('a row whose timings were skipped but whose forward peak was measured is valid', () => {
    const r = makeRow({impl: 'full', kind: 'attention', length: 4096, batch: 16, heads: 4, head_size: 64, chunk: null, hashes: null, fused: false});
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
    expect(problems).toContain("row.kind: expected one of 'attention', 'train-step', 'generate', 'duplication', got \"layer\"");
    expect(problems).toContain('row.fwd_ms.runs: expected at least 5 timed runs, got 3');
    expect(problems).toContain('row.fwd_ms: expected min <= median <= max, got 2, 1, 3');
  });

  it('validates the envelope', () => {
    expect(reportProblems(report())).toEqual([]);
    expect(reportProblems({...report(), schema: 3, date: 'yesterday', rows: [{}]})).toEqual(
      expect.arrayContaining(['report.schema: expected one of 1, 2, got 3', "report.date: expected an ISO 8601 date, got 'yesterday'"]),
    );
    expect(reportProblems(null)).toEqual(['report: expected an object, got null']);
  });

  it('the shape key ignores the implementation it is given for', () => {
    expect(shapeKey(row(), 'hf-lsh-4')).toBe('hf-lsh-4|attention|L1024|B8|H4x64|r4|n1');
  });
});

export const generationRow = (impl: GenerationRow['impl'] = 'generate-cached', promptLength = 256, ms = 10): GenerationRow => ({
  impl,
  kind: 'generate',
  prompt_length: promptLength,
  new_tokens: 21,
  batch: 1,
  layers: 4,
  heads: 4,
  head_size: 32,
  chunk: 64,
  hashes: 2,
  first_token_ms: 100,
  ms_per_token: summarize([ms, ms * 1.1, ms * 0.9, ms, ms]),
  tokens_per_s: Number((1000 / ms).toPrecision(4)),
  speedup: null,
  fused: false,
  skipped: null,
  note: null,
});

export const duplicationRow = (train: string, evaluated: string, accuracy: number | null, extra: Partial<DuplicationRow> = {}): DuplicationRow => ({
  kind: 'duplication',
  train_attention: train,
  eval_attention: evaluated,
  accuracy,
  steps: 300,
  eval_sequences: 128,
  checkpoint: `runs/dup-${train}`,
  preset: 'small',
  sequence_length: 128,
  paper_accuracy: null,
  fused: null,
  skipped: null,
  note: null,
  ...extra,
});

describe('schema 2: fused, generate and duplication rows', () => {
  it('from schema 2 on, attention and train-step rows must say whether the fused kernels were on', () => {
    const {fused: _, ...withoutFused} = row();
    expect(rowProblems(withoutFused)).toEqual(['row.fused: expected a boolean or null (schema 2), got nothing']);
    expect(rowProblems({...row(), fused: 'yes'})).toEqual(['row.fused: expected a boolean or null, got "yes"']);
    expect(rowProblems({...row(), fused_kernels: ['ReformerChunkedAttention', 3]})).toEqual([
      'row.fused_kernels: expected a list of kernel names or null, got ["ReformerChunkedAttention",3]',
    ]);
    expect(rowProblems({...row(), fused: true, fused_kernels: ['ReformerChunkedAttention']})).toEqual([]);
  });

  it('reads schema 1 reports, whose rows predate the flag', () => {
    const {fused: _, fused_kernels: __, ...v1} = row();
    expect(reportProblems({...report(), schema: 1, rows: [v1]})).toEqual([]);
    expect(reportProblems({...report(), schema: 2, rows: [v1]})).toEqual(['report.rows[0].fused: expected a boolean or null (schema 2), got nothing']);
  });

  it('a generate row is valid with its timing or a reason, and says what is wrong', () => {
    expect(rowProblems(generationRow())).toEqual([]);
    expect(rowProblems({...generationRow(), ms_per_token: null, tokens_per_s: null, skipped: 'over the time budget'})).toEqual([]);
    const bad = {...generationRow('generate-uncached'), batch: 2, speedup: 3, ms_per_token: summarize([1, 2, 3]), prompt_length: 0};
    expect(rowProblems(bad)).toEqual(
      expect.arrayContaining([
        'row.batch: expected 1, got 2',
        'row.speedup: expected null on an uncached row, got 3',
        'row.ms_per_token.runs: expected at least 5 timed runs, got 3',
        'row.prompt_length: expected a positive integer, got 0',
      ]),
    );
    expect(rowProblems({...generationRow(), ms_per_token: null, tokens_per_s: null})).toEqual(['row: expected ms_per_token or a skipped reason, got neither']);
  });

  it('a duplication row holds an accuracy in [0, 1] for a named training and evaluation attention', () => {
    expect(rowProblems(duplicationRow('LSH-2', 'LSH-1', 0.947))).toEqual([]);
    expect(rowProblems(duplicationRow('LSH-4', 'full', 0.95, {paper_accuracy: 0.008}))).toEqual([]);
    expect(rowProblems(duplicationRow('lsh2', 'LSH-0', 94.7))).toEqual([
      'row.train_attention: expected \'full\' or \'LSH-<rounds>\', got "lsh2"',
      'row.eval_attention: expected \'full\' or \'LSH-<rounds>\', got "LSH-0"',
      'row.accuracy: expected a fraction in [0, 1] or null, got 94.7',
    ]);
    expect(rowProblems(duplicationRow('full', 'full', null))).toEqual(['row: expected an accuracy or a skipped reason, got neither']);
    // A checkpoint that could not be evaluated: nothing known but the folder and the reason.
    const failed = duplicationRow('full', 'full', null, {train_attention: null, eval_attention: null, steps: null, eval_sequences: null, skipped: 'no such folder'});
    expect(rowProblems(failed)).toEqual([]);
    expect(rowProblems({...failed, skipped: null})).toEqual(expect.arrayContaining(["row.train_attention: expected 'full' or 'LSH-<rounds>', got null"]));
  });

  it('splits a report\'s rows by kind', () => {
    const r = report([row(), generationRow(), duplicationRow('full', 'LSH-8', 0.9)]);
    expect(reportProblems(r)).toEqual([]);
    expect(measuredRows(r).map((x) => x.impl)).toEqual(['lsh-4']);
    expect(generationRows(r).map((x) => x.impl)).toEqual(['generate-cached']);
    expect(duplicationRows(r).map((x) => x.eval_attention)).toEqual(['LSH-8']);
  });
});
