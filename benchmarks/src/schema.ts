// The JSON every suite writes (documented in benchmarks/README.md) and its validation. Pure.
import type {Timing} from './stats.js';

export const SCHEMA_VERSION = 1;

/** What was measured in a row. */
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
}

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
  rows: Row[];
  notes: string[];
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

/** Problems with one row, as messages naming the field; empty when the row is valid. */
export function rowProblems(row: unknown, where = 'row'): string[] {
  const problems: string[] = [];
  if (!isObject(row)) return [`${where}: expected an object, got ${JSON.stringify(row)}`];
  if (typeof row.impl !== 'string' || row.impl === '') problems.push(`${where}.impl: expected a non-empty string, got ${JSON.stringify(row.impl)}`);
  if (row.kind !== 'attention' && row.kind !== 'train-step') problems.push(`${where}.kind: expected 'attention' or 'train-step', got ${JSON.stringify(row.kind)}`);
  for (const f of ROW_NUMBER_FIELDS) {
    const v = row[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) problems.push(`${where}.${f}: expected a positive integer, got ${JSON.stringify(v)}`);
  }
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
  for (const f of ['skipped', 'note'] as const) {
    if (row[f] !== null && typeof row[f] !== 'string') problems.push(`${where}.${f}: expected a string or null, got ${JSON.stringify(row[f])}`);
  }
  const hasFigures = row.fwd_ms !== null || row.fwdbwd_ms !== null || row.peak_bytes !== null || row.peak_bytes_fwd !== null;
  if (row.skipped === null && !hasFigures) problems.push(`${where}: expected figures or a skipped reason, got neither`);
  return problems;
}

/** Problems with a whole report; empty when it is valid. */
export function reportProblems(report: unknown): string[] {
  if (!isObject(report)) return [`report: expected an object, got ${JSON.stringify(report)}`];
  const problems: string[] = [];
  if (report.schema !== SCHEMA_VERSION) problems.push(`report.schema: expected ${SCHEMA_VERSION}, got ${JSON.stringify(report.schema)}`);
  for (const f of ['suite', 'backend', 'machine', 'commit', 'date'] as const) {
    if (typeof report[f] !== 'string' || report[f] === '') problems.push(`report.${f}: expected a non-empty string, got ${JSON.stringify(report[f])}`);
  }
  if (typeof report.date === 'string' && Number.isNaN(Date.parse(report.date))) problems.push(`report.date: expected an ISO 8601 date, got '${report.date}'`);
  if (!isObject(report.device) || typeof report.device.description !== 'string') problems.push('report.device: expected an object with a description');
  if (!isObject(report.versions)) problems.push('report.versions: expected an object');
  if (!isObject(report.method)) problems.push('report.method: expected {timing, memory}');
  if (!Array.isArray(report.rows)) problems.push('report.rows: expected an array');
  else report.rows.forEach((row, i) => problems.push(...rowProblems(row, `report.rows[${i}]`)));
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
  };
}

/** The key that identifies a shape across implementations and machines (for merging with the baselines). */
export function shapeKey(row: Pick<Row, 'kind' | 'length' | 'batch' | 'heads' | 'head_size' | 'hashes' | 'layers'>, impl: string): string {
  return [impl, row.kind, `L${row.length}`, `B${row.batch}`, `H${row.heads}x${row.head_size}`, `r${row.hashes ?? '-'}`, `n${row.layers}`].join('|');
}
