import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
// The CLI's own printing of Table 2 (what `reformer eval` writes), to hold our parser to its format.
import {formatTable2} from '../../packages/cli/src/training/evaluate.js';
import {rowProblems} from './schema.js';
import {failedRow, paperAccuracy, parseEvalOutput, rowsFromEval, runDuplication, table2Markdown} from './suites/duplication.js';

// As packages/cli/README.md shows it.
/** PRINTED with another row label (the attention the checkpoint was trained with). */
const trainedWith = (label: string, text = PRINTED) => text.replace(/^LSH-2(?= )/m, label);

const PRINTED = `reformer eval runs/duplication-small: duplication: 0 w 0 w with |w| = 63 (length 128), symbols 1..127; scored on the copied w; step 600; 128 sequences; backend wasm
accuracy on the copied half; rows: attention in training, columns: attention in evaluation (the paper's Table 2)

trained \\ eval     full    LSH-8    LSH-4    LSH-2    LSH-1
LSH-2            100.0%   100.0%   100.0%    99.6%    94.7%
`;

describe('duplication: reformer eval output', () => {
  it("parses the CLI's Table 2 row, step, sequences, backend and length", () => {
    const out = parseEvalOutput(PRINTED);
    expect(out).toMatchObject({trainAttention: 'LSH-2', steps: 600, sequences: 128, backend: 'wasm', sequenceLength: 128});
    expect(out.cells).toEqual([
      {evalAttention: 'full', accuracy: 1},
      {evalAttention: 'LSH-8', accuracy: 1},
      {evalAttention: 'LSH-4', accuracy: 1},
      {evalAttention: 'LSH-2', accuracy: 0.996},
      {evalAttention: 'LSH-1', accuracy: 0.947},
    ]);
  });

  it('reads what formatTable2 prints (the contract with packages/cli)', () => {
    const evaluation = (accuracy: number) => ({loss: 0.1, accuracy, samples: 64, tokens: 64 * 63});
    const text = formatTable2({
      task: 'duplication',
      trainedWith: 'full',
      columns: ['full', 'LSH-8', 'LSH-1'],
      values: [evaluation(1), evaluation(0.9871), evaluation(0.5)],
      heading: 'reformer eval /tmp/a dir; with: duplication: 0 w 0 w with |w| = 511 (length 1024), symbols 1..127; scored on the copied w; step 20000; 64 sequences; backend webgpu',
    });
    const out = parseEvalOutput(text);
    expect(out).toMatchObject({trainAttention: 'full', steps: 20000, sequences: 64, backend: 'webgpu', sequenceLength: 1024});
    expect(out.cells).toEqual([
      {evalAttention: 'full', accuracy: 1},
      {evalAttention: 'LSH-8', accuracy: 0.987},
      {evalAttention: 'LSH-1', accuracy: 0.5},
    ]);
  });

  it('refuses a text checkpoint and output it does not understand', () => {
    const text = formatTable2({
      task: 'text',
      trainedWith: 'LSH-2',
      columns: ['full'],
      values: [{loss: 2, bitsPerCharacter: 2.786, samples: 64, tokens: 1000}],
      heading: 'reformer eval runs/text-small: text: ...; step 1000; 64 held-out windows; backend wasm',
    });
    expect(() => parseEvalOutput(text)).toThrow(/not a duplication checkpoint/);
    expect(() => parseEvalOutput('reformer: checkpoint runs/x: trainer.json missing')).toThrow(/printed no heading line/);
    expect(() => parseEvalOutput(PRINTED.replace('94.7%', 'n/a'))).toThrow(/expected a percentage for LSH-1, got 'n\/a'/);
    expect(() => parseEvalOutput(PRINTED.replace('   94.7%', ''))).toThrow(/expected 5 values under/);
  });
});

describe('duplication: rows and the paper layout', () => {
  it("one valid row per column, with the paper's figure where the paper has that row", () => {
    const rows = rowsFromEval(parseEvalOutput(trainedWith('LSH-4')), 'runs/dup-lsh4', 'small');
    expect(rows.map((r) => [r.train_attention, r.eval_attention, r.accuracy, r.paper_accuracy])).toEqual([
      ['LSH-4', 'full', 1, 0.008],
      ['LSH-4', 'LSH-8', 1, 1],
      ['LSH-4', 'LSH-4', 1, 0.999],
      ['LSH-4', 'LSH-2', 0.996, 0.994],
      ['LSH-4', 'LSH-1', 0.947, 0.919],
    ]);
    for (const r of rows) expect(rowProblems(r)).toEqual([]);
    expect(rows[0]).toMatchObject({steps: 600, eval_sequences: 128, checkpoint: 'runs/dup-lsh4', preset: 'small', sequence_length: 128});
    // The LSH-2 row is not among the paper's rows we carry.
    expect(paperAccuracy('LSH-2', 'LSH-1')).toBeNull();
    expect(paperAccuracy('full', 'LSH-1')).toBe(0.525);
  });

  it("lays the table out as the paper does: ours / paper / difference, full first, the paper's other rows for reference", () => {
    const lsh2 = rowsFromEval(parseEvalOutput(PRINTED), 'runs/dup-lsh2', 'small');
    const full = rowsFromEval(parseEvalOutput(trainedWith('full', PRINTED.replace('94.7%', '92.2%'))), 'runs/dup-full', 'small');
    const md = table2Markdown([...lsh2, ...full, failedRow('runs/missing', 'no such folder')]).split('\n');
    expect(md[0]).toBe('| trained \\ evaluated | full | LSH-8 | LSH-4 | LSH-2 | LSH-1 |');
    expect(md[2]).toBe('| full (small preset, length 128, 600 steps) | **100.0** / 100.0 / ±0.0 | **100.0** / 94.8 / +5.2 | **100.0** / 92.5 / +7.5 | **99.6** / 76.9 / +22.7 | **92.2** / 52.5 / +39.7 |');
    expect(md[3]).toBe('| LSH-2 (small preset, length 128, 600 steps) | **100.0** / — / — | **100.0** / — / — | **100.0** / — / — | **99.6** / — / — | **94.7** / — / — |');
    expect(md.slice(4)).toEqual([
      '| LSH-4 (paper only) | — / 0.8 / — | — / 100.0 / — | — / 99.9 / — | — / 99.4 / — | — / 91.9 / — |',
      '| LSH-1 (paper only) | — / 0.8 / — | — / 99.9 / — | — / 99.6 / — | — / 94.8 / — | — / 77.9 / — |',
    ]);
    expect(rowProblems(failedRow('runs/missing', 'no such folder'))).toEqual([]);
  });

  it('names the checkpoint when two rows were trained alike, and gives the difference below the paper with a minus sign', () => {
    const a = rowsFromEval(parseEvalOutput(trainedWith('LSH-1')), 'runs/seed0', 'small');
    const b = rowsFromEval(parseEvalOutput(trainedWith('LSH-1', PRINTED.replace('100.0%   100.0%   100.0%', ' 99.0%    98.0%    97.0%'))), 'runs/seed1', null);
    const md = table2Markdown([...b, ...a]);
    expect(md).toContain('| LSH-1 (small preset, length 128, 600 steps; runs/seed0) | **100.0** / 0.8 / +99.2 | **100.0** / 99.9 / +0.1 |');
    expect(md).toContain('| LSH-1 (length 128, 600 steps; runs/seed1) | **99.0** / 0.8 / +98.2 | **98.0** / 99.9 / −1.9 | **97.0** / 99.6 / −2.6 |');
    expect(table2Markdown([failedRow('x', 'gone')])).toBe('');
  });
});

describe('duplication: runDuplication', () => {
  // A stand-in for packages/cli/dist/bin.js: prints PRINTED for a checkpoint folder named 'ok' (relative to its
  // working directory, as the user gave it), and fails as the CLI does for anything else.
  const dir = mkdtempSync(join(tmpdir(), 'bench-dup-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));
  const cli = join(dir, 'fake-cli.mjs');
  writeFileSync(
    cli,
    `const [cmd, , checkpoint, , backend] = process.argv.slice(2);
if (cmd !== 'eval' || checkpoint !== 'ok' || backend !== 'wasm') { process.stderr.write('reformer: checkpoint ' + checkpoint + ': trainer.json is not JSON\\n'); process.exit(2); }
process.stdout.write(${JSON.stringify(PRINTED.replace('runs/duplication-small', 'ok'))});`,
  );
  for (const name of ['ok', 'broken']) mkdirSync(join(dir, name));
  writeFileSync(join(dir, 'ok', 'trainer.json'), JSON.stringify({step: 600, preset: 'small'}));

  it('evaluates each checkpoint with the CLI, one row per column; a checkpoint that fails gives a row with the reason', () => {
    const lines: string[] = [];
    const result = runDuplication({checkpoints: ['ok', 'broken', 'missing'], resolve: (d) => join(dir, d), cwd: dir, cli, backend: 'wasm', log: (l) => lines.push(l)});
    expect(result.rows.filter((r) => r.skipped === null).map((r) => [r.checkpoint, r.preset, r.eval_attention, r.accuracy])).toEqual([
      ['ok', 'small', 'full', 1],
      ['ok', 'small', 'LSH-8', 1],
      ['ok', 'small', 'LSH-4', 1],
      ['ok', 'small', 'LSH-2', 0.996],
      ['ok', 'small', 'LSH-1', 0.947],
    ]);
    expect(result.rows.filter((r) => r.skipped !== null).map((r) => [r.checkpoint, r.skipped])).toEqual([
      ['broken', 'reformer eval exited 2: reformer: checkpoint broken: trainer.json is not JSON'],
      ['missing', `no such folder: ${join(dir, 'missing')}`],
    ]);
    for (const r of result.rows) expect(rowProblems(r)).toEqual([]);
    expect(result.backends).toEqual(['wasm']);
    expect(result.notes[0]).toMatch(/^ok: duplication: 0 w 0 w .*; backend wasm: evaluated in [\d.]+ s\.$/);
  });
});
