// The JSON every suite writes (documented in benchmarks/README.md) and its validation. Pure.
import type {Timing} from './stats.js';

/**
 * 2: rows record `fused`; row kinds 'generate' and 'duplication'. Reports of schema 1 (no `fused`: they predate
 * the fused kernels, every figure is the reference path) are still read.
 */
export const SCHEMA_VERSION = 2;
export const READABLE_SCHEMAS: readonly number[] = [1, 2];

/** What was measured in a row of the speed and memory suites (and the baselines). */
export type RowKind =
  /** One self-attention layer (projections, attention, output projection). */
  | 'attention'
  /** A whole-model training step: loss, gradients of every parameter, optimizer update. */
  | 'train-step';

export interface Row {
  /** Implementation: full, lsh-<rounds>, model-full, model-lsh-<rounds>, or the baselines' hf-lsh-<rounds>, sdpa, hf-model-lsh-<rounds>. */
  impl: string;
  kind: RowKind;
  /** Sequence length. */
  length: number;
  batch: number;
  /** batch × length. */
  tokens: number;
  heads: number;
  head_size: number;
  /** Model width (heads × head_size for attention rows). */
  hidden: number;
  /** LSH chunk length; null for full attention. */
  chunk: number | null;
  /** LSH rounds; null for full attention. */
  hashes: number | null;
  /** Layers of a train-step row; 1 for an attention row. */
  layers: number;
  /** Reversible residual stack (train-step rows); null where it does not apply. */
  reversible: boolean | null;
  causal: boolean;
  /** Forward only (no gradient tape); for train-step rows the loss alone. Median of >= 5 runs, ms. */
  fwd_ms: Timing | null;
  /** Forward + backward: gradients of the input and every weight; for train-step rows the whole step with the optimizer update. */
  fwdbwd_ms: Timing | null;
  /** tokens / fwd_ms.median, per second. */
  tokens_per_s_fwd: number | null;
  /** tokens / fwdbwd_ms.median, per second. */
  tokens_per_s: number | null;
  /** Peak logical bytes during one forward + backward (train step), counting every live tensor (weights, inputs, optimizer state). */
  peak_bytes: number | null;
  /** Peak logical bytes during one forward. */
  peak_bytes_fwd: number | null;
  /** Logical bytes live before the step (weights, inputs, optimizer state): peak_bytes − base_bytes is what the step added. */
  base_bytes: number | null;
  /** Why the row has no figures (memory or time budget, binding limit, error), or null. */
  skipped: string | null;
  /** Anything else a reader needs (e.g. the batch was split to respect a binding limit). */
  note: string | null;
  /**
   * Whether the fused kernels were on for this row: `--fused on` and kernels registered for the backend (only
   * webgpu has them). null: not ours to set (the baselines). Absent in schema 1 reports (the reference path).
   */
  fused?: boolean | null;
  /** The fused kernels that ran in the row's profiled runs (from tf.profile's kernel list); null when it did not run. */
  fused_kernels?: string[] | null;
}

/** A row of the generate suite: autoregressive generation at one prompt length, with or without the decoding cache. */
export interface GenerationRow {
  impl: 'generate-cached' | 'generate-uncached';
  kind: 'generate';
  prompt_length: number;
  /** Tokens generated per run (all but the first are timed). */
  new_tokens: number;
  batch: 1;
  layers: number;
  heads: number;
  head_size: number;
  chunk: number;
  hashes: number;
  /** Prompt processing and the first token, ms. */
  first_token_ms: number | null;
  /** Each later token (median, min, max over >= 5 tokens), ms. */
  ms_per_token: Timing | null;
  /** 1000 / ms_per_token.median. */
  tokens_per_s: number | null;
  /** Cached rows: cached tokens/s over uncached tokens/s at this prompt length (the cache's speed-up); else null. */
  speedup: number | null;
  fused: boolean | null;
  skipped: string | null;
  note: string | null;
}

/** A cell of the paper's Table 2: a duplication checkpoint (trained with one attention) evaluated with another. */
export interface DuplicationRow {
  kind: 'duplication';
  /** How the checkpoint was trained: 'full' or 'LSH-<rounds>' (the table's row); null only in a skipped row. */
  train_attention: string | null;
  /** How it was evaluated: 'full' or 'LSH-<rounds>' (the table's column); null only in a skipped row. */
  eval_attention: string | null;
  /** Token accuracy on the copied half, in [0, 1] (as `reformer eval` prints it: 0.1% resolution). */
  accuracy: number | null;
  /** Training steps of the checkpoint; null only in a skipped row. */
  steps: number | null;
  /** Evaluation sequences; null only in a skipped row. */
  eval_sequences: number | null;
  /** The checkpoint folder, as given. */
  checkpoint: string;
  /** The training preset (trainer.json), e.g. 'small' or 'paper'. */
  preset: string | null;
  /** Tokens per sequence (2·|w| + 2). */
  sequence_length: number | null;
  /** The paper's figure for this cell (Table 2, |w| = 511), in [0, 1]; null where the paper has none. */
  paper_accuracy: number | null;
  /** Whether our fused kernels ran: null, the evaluation runs in the reformer CLI's own process. */
  fused: boolean | null;
  skipped: string | null;
  note: string | null;
}

/** Any row of a report. */
export type ReportRow = Row | GenerationRow | DuplicationRow;

export interface DeviceInfo {
  /** e.g. "Intel Xeon (2 cores)" or "NVIDIA H200 (Vulkan via Dawn)". */
  description: string;
  cpus: number;
  cpu_model: string;
  memory_bytes: number;
  /** WebGPU adapter info, where used. */
  adapter?: Record<string, string | number | boolean>;
  /** e.g. maxStorageBufferBindingSize, where known. */
  limits?: Record<string, number>;
}

export interface Report {
  schema: number;
  suite: string;
  /** cpu, wasm, webgpu, or cuda (the PyTorch baselines). */
  backend: string;
  /** Results directory name. */
  machine: string;
  device: DeviceInfo;
  /** node, tfjs and backend versions, or python, torch, transformers. */
  versions: Record<string, string>;
  /** Git commit the code was built from ("-dirty" when the tree had changes), or "unknown". */
  commit: string;
  /** ISO 8601 time the run started. */
  date: string;
  /** The command line and the settings that shaped the grid. */
  config: Record<string, unknown>;
  /** How time and memory were measured. */
  method: {timing: string; memory: string};
  /** Load average (1 min) at start and end: a busy shared machine makes CPU timings noisy. */
  load?: {start: number; end: number};
  /** Wall-clock seconds the suite took. */
  elapsed_s?: number;
  rows: ReportRow[];
  notes: string[];
}

/** The rows of the speed and memory suites (and the baselines'): attention and train-step. */
export function measuredRows(report: Pick<Report, 'rows'>): Row[] {
  return report.rows.filter((r): r is Row => r.kind === 'attention' || r.kind === 'train-step');
}

export function generationRows(report: Pick<Report, 'rows'>): GenerationRow[] {
  return report.rows.filter((r): r is GenerationRow => r.kind === 'generate');
}

export function duplicationRows(report: Pick<Report, 'rows'>): DuplicationRow[] {
  return report.rows.filter((r): r is DuplicationRow => r.kind === 'duplication');
}

const ROW_NUMBER_FIELDS = ['length', 'batch', 'tokens', 'heads', 'head_size', 'hidden', 'layers'] as const;
const ROW_NULLABLE_NUMBER_FIELDS = [
  'chunk',
  'hashes',
  'tokens_per_s_fwd',
  'tokens_per_s',
  'peak_bytes',
  'peak_bytes_fwd',
  'base_bytes',
] as const;
const TIMING_FIELDS = ['median', 'min', 'max', 'mean', 'runs', 'inner'] as const;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkTiming(where: string, t: unknown, problems: string[]): void {
  if (t === null) return;
  if (!isObject(t)) {
    problems.push(`${where}: expected a timing object or null, got ${JSON.stringify(t)}`);
    return;
  }
  for (const f of TIMING_FIELDS) {
    if (typeof t[f] !== 'number' || !Number.isFinite(t[f])) problems.push(`${where}.${f}: expected a number, got ${JSON.stringify(t[f])}`);
  }
  if (typeof t.runs === 'number' && t.runs < 5) problems.push(`${where}.runs: expected at least 5 timed runs, got ${t.runs}`);
  if (typeof t.min === 'number' && typeof t.median === 'number' && typeof t.max === 'number' && !(t.min <= t.median && t.median <= t.max)) {
    problems.push(`${where}: expected min <= median <= max, got ${t.min}, ${t.median}, ${t.max}`);
  }
}

function checkNullableString(where: string, v: unknown, problems: string[]): void {
  if (v !== null && typeof v !== 'string') problems.push(`${where}: expected a string or null, got ${JSON.stringify(v)}`);
}

function checkInteger(where: string, v: unknown, min: number, problems: string[]): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    problems.push(`${where}: expected ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${JSON.stringify(v)}`);
  }
}

/** `fused`: a boolean or null; required from schema 2 on, absent in schema 1. */
function checkFused(where: string, row: Record<string, unknown>, schema: number, problems: string[]): void {
  if (!('fused' in row)) {
    if (schema >= 2) problems.push(`${where}.fused: expected a boolean or null (schema ${schema}), got nothing`);
  } else if (row.fused !== null && typeof row.fused !== 'boolean') {
    problems.push(`${where}.fused: expected a boolean or null, got ${JSON.stringify(row.fused)}`);
  }
}

const ROW_KINDS = ['attention', 'train-step', 'generate', 'duplication'] as const;

/** Problems with one row, as messages naming the field; empty when the row is valid. */
export function rowProblems(row: unknown, where = 'row', schema = SCHEMA_VERSION): string[] {
  if (!isObject(row)) return [`${where}: expected an object, got ${JSON.stringify(row)}`];
  if (row.kind === 'generate') return generationRowProblems(row, where, schema);
  if (row.kind === 'duplication') return duplicationRowProblems(row, where, schema);
  const problems: string[] = [];
  if (typeof row.impl !== 'string' || row.impl === '') problems.push(`${where}.impl: expected a non-empty string, got ${JSON.stringify(row.impl)}`);
  if (row.kind !== 'attention' && row.kind !== 'train-step') {
    problems.push(`${where}.kind: expected one of ${ROW_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(row.kind)}`);
  }
  for (const f of ROW_NUMBER_FIELDS) checkInteger(`${where}.${f}`, row[f], 1, problems);
  for (const f of ROW_NULLABLE_NUMBER_FIELDS) {
    const v = row[f];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) problems.push(`${where}.${f}: expected a non-negative number or null, got ${JSON.stringify(v)}`);
  }
  if (typeof row.batch === 'number' && typeof row.length === 'number' && row.tokens !== row.batch * row.length) {
    problems.push(`${where}.tokens: expected batch × length = ${row.batch * row.length}, got ${JSON.stringify(row.tokens)}`);
  }
  if (row.reversible !== null && typeof row.reversible !== 'boolean') problems.push(`${where}.reversible: expected a boolean or null, got ${JSON.stringify(row.reversible)}`);
  if (typeof row.causal !== 'boolean') problems.push(`${where}.causal: expected a boolean, got ${JSON.stringify(row.causal)}`);
  checkTiming(`${where}.fwd_ms`, row.fwd_ms, problems);
  checkTiming(`${where}.fwdbwd_ms`, row.fwdbwd_ms, problems);
  for (const f of ['skipped', 'note'] as const) checkNullableString(`${where}.${f}`, row[f], problems);
  checkFused(where, row, schema, problems);
  const kernels = row.fused_kernels;
  if (kernels !== undefined && kernels !== null && !(Array.isArray(kernels) && kernels.every((k) => typeof k === 'string'))) {
    problems.push(`${where}.fused_kernels: expected a list of kernel names or null, got ${JSON.stringify(kernels)}`);
  }
  const hasFigures = row.fwd_ms !== null || row.fwdbwd_ms !== null || row.peak_bytes !== null || row.peak_bytes_fwd !== null;
  if (row.skipped === null && !hasFigures) problems.push(`${where}: expected figures or a skipped reason, got neither`);
  return problems;
}

function generationRowProblems(row: Record<string, unknown>, where: string, schema: number): string[] {
  const problems: string[] = [];
  if (row.impl !== 'generate-cached' && row.impl !== 'generate-uncached') {
    problems.push(`${where}.impl: expected 'generate-cached' or 'generate-uncached', got ${JSON.stringify(row.impl)}`);
  }
  for (const f of ['prompt_length', 'new_tokens', 'layers', 'heads', 'head_size', 'chunk', 'hashes'] as const) checkInteger(`${where}.${f}`, row[f], 1, problems);
  if (row.batch !== 1) problems.push(`${where}.batch: expected 1, got ${JSON.stringify(row.batch)}`);
  for (const f of ['first_token_ms', 'tokens_per_s', 'speedup'] as const) {
    const v = row[f];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) problems.push(`${where}.${f}: expected a positive number or null, got ${JSON.stringify(v)}`);
  }
  checkTiming(`${where}.ms_per_token`, row.ms_per_token, problems);
  if (row.speedup !== null && row.impl !== 'generate-cached') problems.push(`${where}.speedup: expected null on an uncached row, got ${JSON.stringify(row.speedup)}`);
  for (const f of ['skipped', 'note'] as const) checkNullableString(`${where}.${f}`, row[f], problems);
  checkFused(where, row, schema, problems);
  if (row.skipped === null && row.ms_per_token === null) problems.push(`${where}: expected ms_per_token or a skipped reason, got neither`);
  if (row.skipped === null && row.ms_per_token !== null && row.tokens_per_s === null) problems.push(`${where}.tokens_per_s: expected a number with ms_per_token, got null`);
  return problems;
}

const ATTENTION_LABEL = /^(full|LSH-[1-9][0-9]*)$/;

function duplicationRowProblems(row: Record<string, unknown>, where: string, schema: number): string[] {
  const problems: string[] = [];
  // A checkpoint that could not be evaluated says why, and may not know what it was trained with.
  const failed = row.skipped !== null && row.accuracy === null;
  for (const f of ['train_attention', 'eval_attention'] as const) {
    if (failed && row[f] === null) continue;
    if (typeof row[f] !== 'string' || !ATTENTION_LABEL.test(row[f] as string)) problems.push(`${where}.${f}: expected 'full' or 'LSH-<rounds>', got ${JSON.stringify(row[f])}`);
  }
  for (const f of ['accuracy', 'paper_accuracy'] as const) {
    const v = row[f];
    if (v !== null && (typeof v !== 'number' || !(v >= 0 && v <= 1))) problems.push(`${where}.${f}: expected a fraction in [0, 1] or null, got ${JSON.stringify(v)}`);
  }
  if (!(failed && row.steps === null)) checkInteger(`${where}.steps`, row.steps, 0, problems);
  if (!(failed && row.eval_sequences === null)) checkInteger(`${where}.eval_sequences`, row.eval_sequences, 1, problems);
  if (typeof row.checkpoint !== 'string' || row.checkpoint === '') problems.push(`${where}.checkpoint: expected a folder, got ${JSON.stringify(row.checkpoint)}`);
  checkNullableString(`${where}.preset`, row.preset, problems);
  if (row.sequence_length !== null) checkInteger(`${where}.sequence_length`, row.sequence_length, 1, problems);
  for (const f of ['skipped', 'note'] as const) checkNullableString(`${where}.${f}`, row[f], problems);
  checkFused(where, row, schema, problems);
  if (row.skipped === null && row.accuracy === null) problems.push(`${where}: expected an accuracy or a skipped reason, got neither`);
  return problems;
}

/** Problems with a whole report; empty when it is valid. */
export function reportProblems(report: unknown): string[] {
  if (!isObject(report)) return [`report: expected an object, got ${JSON.stringify(report)}`];
  const problems: string[] = [];
  const schema = typeof report.schema === 'number' && READABLE_SCHEMAS.includes(report.schema) ? report.schema : null;
  if (schema === null) problems.push(`report.schema: expected one of ${READABLE_SCHEMAS.join(', ')}, got ${JSON.stringify(report.schema)}`);
  for (const f of ['suite', 'backend', 'machine', 'commit', 'date'] as const) {
    if (typeof report[f] !== 'string' || report[f] === '') problems.push(`report.${f}: expected a non-empty string, got ${JSON.stringify(report[f])}`);
  }
  if (typeof report.date === 'string' && Number.isNaN(Date.parse(report.date))) problems.push(`report.date: expected an ISO 8601 date, got '${report.date}'`);
  if (!isObject(report.device) || typeof report.device.description !== 'string') problems.push('report.device: expected an object with a description');
  if (!isObject(report.versions)) problems.push('report.versions: expected an object');
  if (!isObject(report.method)) problems.push('report.method: expected {timing, memory}');
  if (!Array.isArray(report.rows)) problems.push('report.rows: expected an array');
  else report.rows.forEach((row, i) => problems.push(...rowProblems(row, `report.rows[${i}]`, schema ?? SCHEMA_VERSION)));
  if (!Array.isArray(report.notes)) problems.push('report.notes: expected an array of strings');
  return problems;
}

/** A row with every field present: figures null until measured. */
export function makeRow(shape: {
  impl: string;
  kind: RowKind;
  length: number;
  batch: number;
  heads: number;
  head_size: number;
  hidden?: number;
  chunk: number | null;
  hashes: number | null;
  layers?: number;
  reversible?: boolean | null;
  causal?: boolean;
  /** Whether the fused kernels are on (see Row.fused); null for the baselines. */
  fused: boolean | null;
}): Row {
  return {
    impl: shape.impl,
    kind: shape.kind,
    length: shape.length,
    batch: shape.batch,
    tokens: shape.batch * shape.length,
    heads: shape.heads,
    head_size: shape.head_size,
    hidden: shape.hidden ?? shape.heads * shape.head_size,
    chunk: shape.chunk,
    hashes: shape.hashes,
    layers: shape.layers ?? 1,
    reversible: shape.reversible ?? null,
    causal: shape.causal ?? true,
    fwd_ms: null,
    fwdbwd_ms: null,
    tokens_per_s_fwd: null,
    tokens_per_s: null,
    peak_bytes: null,
    peak_bytes_fwd: null,
    base_bytes: null,
    skipped: null,
    note: null,
    fused: shape.fused,
    fused_kernels: null,
  };
}

/** The key that identifies a shape across implementations and machines (for merging with the baselines). */
export function shapeKey(row: Pick<Row, 'kind' | 'length' | 'batch' | 'heads' | 'head_size' | 'hashes' | 'layers'>, impl: string): string {
  return [impl, row.kind, `L${row.length}`, `B${row.batch}`, `H${row.heads}x${row.head_size}`, `r${row.hashes ?? '-'}`, `n${row.layers}`].join('|');
}
