// duplication: the paper's Table 2 (Kitaev et al. 2020, section 5: accuracy on the duplication task; rows: the
// attention a model was trained with, columns: the attention it is evaluated with) from checkpoints of
// `reformer train --task duplication`. Each checkpoint is evaluated by the CLI's own `reformer eval` (the built
// packages/cli/dist/bin.js, in a child process): its Table 2 row is parsed from what it prints, so the task data,
// the scoring and the attention overrides are exactly the CLI's. Pure apart from runDuplication.
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import type {DuplicationRow} from '../schema.js';

/** The columns of the paper's table, in its order. */
export const TABLE2_COLUMNS = ['full', 'LSH-8', 'LSH-4', 'LSH-2', 'LSH-1'] as const;

/**
 * The paper's Table 2 (percent; |w| = 511, length 1024, 1 layer, trained to convergence), for the rows we were
 * given: trained with full attention, with LSH-4 and with LSH-1.
 */
export const PAPER_TABLE2: Readonly<Record<string, Readonly<Record<(typeof TABLE2_COLUMNS)[number], number>>>> = {
  full: {full: 100, 'LSH-8': 94.8, 'LSH-4': 92.5, 'LSH-2': 76.9, 'LSH-1': 52.5},
  'LSH-4': {full: 0.8, 'LSH-8': 100, 'LSH-4': 99.9, 'LSH-2': 99.4, 'LSH-1': 91.9},
  'LSH-1': {full: 0.8, 'LSH-8': 99.9, 'LSH-4': 99.6, 'LSH-2': 94.8, 'LSH-1': 77.9},
};

/** The paper's figure for a cell as a fraction, or null where the paper has none (e.g. the LSH-2 row here). */
export function paperAccuracy(train: string, evaluated: string): number | null {
  const v = PAPER_TABLE2[train]?.[evaluated as (typeof TABLE2_COLUMNS)[number]];
  return v === undefined ? null : Number((v / 100).toFixed(4));
}

export interface EvalOutput {
  /** The row label `reformer eval` prints: 'full' or 'LSH-<n>'. */
  trainAttention: string;
  /** Each evaluated column with its accuracy as a fraction (the CLI prints percent to 0.1). */
  cells: {evalAttention: string; accuracy: number}[];
  steps: number;
  sequences: number;
  backend: string;
  /** Tokens per sequence, from the task line. */
  sequenceLength: number | null;
  /** The CLI's first line (the checkpoint, the task, the step, the data, the backend). */
  heading: string;
}

/**
 * Parses what `reformer eval --checkpoint DIR` prints for a duplication checkpoint (packages/cli
 * src/training/evaluate.ts formatTable2): a heading ending in `; step N; M sequences; backend B`, the metric line,
 * a blank line, the header `trained \ eval  full  LSH-8 ...` and the checkpoint's row of percentages.
 */
export function parseEvalOutput(text: string): EvalOutput {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const heading = lines.find((l) => l.startsWith('reformer eval '));
  if (!heading) throw new Error(`reformer eval printed no heading line ('reformer eval ...'): ${JSON.stringify(text.slice(0, 200))}`);
  const tail = /; step (\d+); (\d+) (sequences|held-out windows); backend (\S+)$/.exec(heading);
  if (!tail) throw new Error(`reformer eval: expected the heading to end in '; step N; M sequences; backend B', got '${heading}'`);
  if (tail[3] !== 'sequences' || !lines.some((l) => l.startsWith('accuracy on the copied half'))) {
    throw new Error('not a duplication checkpoint: reformer eval reports bits per character (a text task), not accuracy on the copied half');
  }
  const headerIndex = lines.findIndex((l) => l.startsWith('trained \\ eval'));
  const rowLine = headerIndex >= 0 ? lines.slice(headerIndex + 1).find((l) => l.trim() !== '') : undefined;
  if (headerIndex < 0 || !rowLine) throw new Error("reformer eval: expected a 'trained \\ eval' header and a row under it");
  const columns = lines[headerIndex]!.slice('trained \\ eval'.length).trim().split(/\s+/);
  const [label, ...values] = rowLine.trim().split(/\s+/);
  if (values.length !== columns.length) {
    throw new Error(`reformer eval: expected ${columns.length} values under '${columns.join(' ')}', got '${rowLine.trim()}'`);
  }
  const cells = columns.map((evalAttention, i) => {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(values[i]!);
    if (!m) throw new Error(`reformer eval: expected a percentage for ${evalAttention}, got '${values[i]}'`);
    return {evalAttention, accuracy: Number((Number(m[1]) / 100).toFixed(4))};
  });
  const length = /\(length (\d+)\)/.exec(heading);
  return {
    trainAttention: label!,
    cells,
    steps: Number(tail[1]),
    sequences: Number(tail[2]),
    backend: tail[4]!,
    sequenceLength: length ? Number(length[1]) : null,
    heading,
  };
}

/** One row per evaluated column of a checkpoint, in the paper's column order. */
export function rowsFromEval(out: EvalOutput, checkpoint: string, preset: string | null): DuplicationRow[] {
  const rank = (c: string) => {
    const i = (TABLE2_COLUMNS as readonly string[]).indexOf(c);
    return i < 0 ? TABLE2_COLUMNS.length : i;
  };
  return [...out.cells]
    .sort((a, b) => rank(a.evalAttention) - rank(b.evalAttention))
    .map((c) => ({
      kind: 'duplication',
      train_attention: out.trainAttention,
      eval_attention: c.evalAttention,
      accuracy: c.accuracy,
      steps: out.steps,
      eval_sequences: out.sequences,
      checkpoint,
      preset,
      sequence_length: out.sequenceLength,
      paper_accuracy: paperAccuracy(out.trainAttention, c.evalAttention),
      fused: null,
      skipped: null,
      note: null,
    }));
}

/** A row for a checkpoint that could not be evaluated. */
export function failedRow(checkpoint: string, reason: string): DuplicationRow {
  return {
    kind: 'duplication',
    train_attention: null,
    eval_attention: null,
    accuracy: null,
    steps: null,
    eval_sequences: null,
    checkpoint,
    preset: null,
    sequence_length: null,
    paper_accuracy: null,
    fused: null,
    skipped: reason,
    note: null,
  };
}

const pct = (x: number) => (x * 100).toFixed(1);
const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(1)}`;

/** The label of a checkpoint's row: its training attention, with the preset and steps that make it ours. */
function rowLabel(r: DuplicationRow, several: boolean): string {
  const what = [r.preset ? `${r.preset} preset` : null, r.sequence_length ? `length ${r.sequence_length}` : null, r.steps !== null ? `${r.steps} steps` : null].filter(Boolean).join(', ');
  return `${r.train_attention} (${what}${several ? `; ${r.checkpoint}` : ''})`;
}

/**
 * The paper's layout: rows = attention in training, columns = attention in evaluation. Each cell: ours / the
 * paper's / ours − paper, in percent (— where one of them is missing). Rows in the paper's order (full first,
 * then more rounds first); one row per checkpoint.
 */
export function table2Markdown(rows: readonly DuplicationRow[]): string {
  const measured = rows.filter((r) => r.skipped === null);
  if (measured.length === 0) return '';
  const checkpoints = [...new Set(measured.map((r) => r.checkpoint))];
  const byCheckpoint = checkpoints.map((c) => measured.filter((r) => r.checkpoint === c));
  const trainRank = (t: string | null) => (t === null ? 2000 : t === 'full' ? 0 : 1000 - Number(t.slice(4)));
  byCheckpoint.sort((a, b) => trainRank(a[0]!.train_attention) - trainRank(b[0]!.train_attention) || (a[0]!.checkpoint < b[0]!.checkpoint ? -1 : 1));
  const others = measured.map((r) => r.eval_attention!).filter((c) => !(TABLE2_COLUMNS as readonly string[]).includes(c));
  const columns = [...TABLE2_COLUMNS.filter((c) => measured.some((r) => r.eval_attention === c)), ...new Set(others)];
  const sameTrain = (t: string | null) => byCheckpoint.filter((g) => g[0]!.train_attention === t).length > 1;
  const lines = [
    `| trained \\ evaluated | ${columns.join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
  ];
  for (const group of byCheckpoint) {
    const cells = columns.map((c) => {
      const r = group.find((x) => x.eval_attention === c);
      if (!r || r.accuracy === null) return '—';
      if (r.paper_accuracy === null) return `**${pct(r.accuracy)}** / — / —`;
      return `**${pct(r.accuracy)}** / ${pct(r.paper_accuracy)} / ${signed(Number(pct(r.accuracy)) - Number(pct(r.paper_accuracy)))}`;
    });
    lines.push(`| ${rowLabel(group[0]!, sameTrain(group[0]!.train_attention))} | ${cells.join(' | ')} |`);
  }
  // The paper's rows that none of our checkpoints answers, for reference.
  for (const train of Object.keys(PAPER_TABLE2).sort((a, b) => trainRank(a) - trainRank(b))) {
    if (byCheckpoint.some((g) => g[0]!.train_attention === train)) continue;
    lines.push(`| ${train} (paper only) | ${columns.map((c) => (PAPER_TABLE2[train]![c as (typeof TABLE2_COLUMNS)[number]] === undefined ? '—' : `— / ${PAPER_TABLE2[train]![c as (typeof TABLE2_COLUMNS)[number]].toFixed(1)} / —`)).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What `runDuplication` needs from the CLI's options and the environment. */
export interface DuplicationRun {
  checkpoints: readonly string[];
  /** Resolves a checkpoint path as the user gave it. */
  resolve: (dir: string) => string;
  /** Where the user gave the paths from: the CLI runs there, with each path as given (so its output names it so). */
  cwd: string;
  /** node packages/cli/dist/bin.js. */
  cli: string;
  backend: string;
  samples?: number;
  log: (line: string) => void;
}

/** Evaluates each checkpoint with `reformer eval` and collects the rows; a checkpoint that fails gives a skipped row. */
export function runDuplication(run: DuplicationRun): {rows: DuplicationRow[]; backends: string[]; headings: string[]; notes: string[]} {
  const rows: DuplicationRow[] = [];
  const backends = new Set<string>();
  const headings: string[] = [];
  const notes: string[] = [];
  for (const checkpoint of run.checkpoints) {
    const dir = run.resolve(checkpoint);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      rows.push(failedRow(checkpoint, `no such folder: ${dir}`));
      run.log(`  skip ${checkpoint}: no such folder`);
      continue;
    }
    let preset: string | null = null;
    try {
      const state = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as {preset?: unknown};
      if (typeof state.preset === 'string') preset = state.preset;
    } catch {
      // reformer eval names what is wrong with the checkpoint.
    }
    const args = [run.cli, 'eval', '--checkpoint', checkpoint, '--backend', run.backend, ...(run.samples ? ['--samples', String(run.samples)] : [])];
    run.log(`$ node ${args.join(' ')}`);
    const started = performance.now();
    const child = spawnSync(process.execPath, args, {cwd: run.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    for (const line of (child.stdout ?? '').trimEnd().split('\n')) run.log(`  ${line}`);
    if (child.status !== 0) {
      const why = (child.stderr || child.error?.message || '').trim().split('\n')[0] ?? '';
      rows.push(failedRow(checkpoint, `reformer eval exited ${child.status ?? child.signal}: ${why}`.slice(0, 300)));
      run.log(`  skip ${checkpoint}: ${why}`);
      continue;
    }
    try {
      const out = parseEvalOutput(child.stdout);
      rows.push(...rowsFromEval(out, checkpoint, preset));
      backends.add(out.backend);
      headings.push(out.heading);
      notes.push(`${out.heading.replace(/^reformer eval /, '')}: evaluated in ${seconds} s.`);
    } catch (e) {
      rows.push(failedRow(checkpoint, (e as Error).message.slice(0, 300)));
      run.log(`  skip ${checkpoint}: ${(e as Error).message}`);
    }
  }
  return {rows, backends: [...backends], headings, notes};
}
