// The answers a report gives: where LSH overtakes full attention and by how much, how memory grows with
// depth, and our time over the baselines'. Pure.
import {measuredRows, shapeKey, type Report, type Row} from '../schema.js';
import {ratio} from '../stats.js';

export type Mode = 'fwd_ms' | 'fwdbwd_ms';

export interface Crossover {
  impl: string;
  mode: Mode;
  /** Smallest measured length from which this LSH is faster than full attention at every longer length measured for both. */
  fromLength: number | null;
  /** full / LSH time at each length both have. */
  ratios: {length: number; ratio: number}[];
  /** Longest length where both were measured. */
  longestCommon: number | null;
  /** Lengths where LSH ran but full attention could not (its reason). */
  fullUnavailable: {length: number; reason: string}[];
}

const median = (r: Row, mode: Mode): number | null => r[mode]?.median ?? null;

/** For each LSH implementation in the rows (attention kind), where it overtakes full attention. */
export function crossovers(rows: readonly Row[], mode: Mode, full = 'full', kind: Row['kind'] = 'attention'): Crossover[] {
  const sameKind = rows.filter((r) => r.kind === kind);
  const fullRows = new Map(sameKind.filter((r) => r.impl === full).map((r) => [r.length, r]));
  const lshImpls = [...new Set(sameKind.filter((r) => r.impl !== full && r.hashes !== null).map((r) => r.impl))];
  return lshImpls.map((impl) => {
    const lsh = sameKind.filter((r) => r.impl === impl).sort((a, b) => a.length - b.length);
    const ratios: {length: number; ratio: number}[] = [];
    const fullUnavailable: {length: number; reason: string}[] = [];
    for (const r of lsh) {
      const f = fullRows.get(r.length);
      const tl = median(r, mode);
      const tf = f ? median(f, mode) : null;
      if (tl !== null && tf !== null) ratios.push({length: r.length, ratio: ratio(tf, tl)!});
      else if (tl !== null) fullUnavailable.push({length: r.length, reason: f?.skipped ?? f?.note ?? 'not measured'});
    }
    let fromLength: number | null = null;
    for (let i = ratios.length - 1; i >= 0 && ratios[i]!.ratio > 1; i--) fromLength = ratios[i]!.length;
    return {
      impl,
      mode,
      fromLength,
      ratios,
      longestCommon: ratios.length > 0 ? ratios[ratios.length - 1]!.length : null,
      fullUnavailable,
    };
  });
}

export interface DepthGrowth {
  reversible: boolean;
  layers: number[];
  /** peak(deepest) / peak(shallowest). */
  peakRatio: number | null;
  /** (peak − base)(deepest) / (peak − base)(shallowest): without parameters and inputs. */
  extraRatio: number | null;
  shallowest: number | null;
  deepest: number | null;
}

export function depthGrowth(rows: readonly Row[]): DepthGrowth[] {
  return [true, false].map((reversible) => {
    const measured = rows
      .filter((r) => r.reversible === reversible && r.peak_bytes !== null)
      .sort((a, b) => a.layers - b.layers);
    const lo = measured[0];
    const hi = measured[measured.length - 1];
    const extra = (r: Row | undefined) => (r && r.peak_bytes !== null && r.base_bytes !== null ? r.peak_bytes - r.base_bytes : null);
    return {
      reversible,
      layers: measured.map((r) => r.layers),
      peakRatio: lo && hi && lo !== hi ? ratio(hi.peak_bytes, lo.peak_bytes) : null,
      extraRatio: lo && hi && lo !== hi ? ratio(extra(hi), extra(lo)) : null,
      shallowest: lo?.layers ?? null,
      deepest: hi?.layers ?? null,
    };
  });
}

export interface Comparison {
  key: string;
  ours: string;
  theirs: string;
  length: number;
  batch: number;
  /** The model's layers (1 for an attention layer's row). */
  layers: number;
  /** Our row's residual stack, where it has one: HF's Reformer is always reversible. */
  stack: 'reversible' | 'residual' | null;
  mode: Mode;
  ours_ms: number;
  theirs_ms: number;
  /** Our time over theirs: above 1, we are slower. */
  ratio: number;
  ours_backend: string;
  theirs_backend: string;
  /** Whether our row ran with the fused kernels on (schema 2); absent for schema 1 rows (the reference path). */
  ours_fused?: boolean | null;
  /** pathOf(our report, impl); absent for schema 1 reports. */
  ours_path?: string;
}

/** Which baseline row answers which of ours: HF's LSH layer for ours, SDPA for full attention, HF's model for our model. */
export function baselineFor(impl: string): string[] {
  if (impl === 'full') return ['sdpa', 'hf-full'];
  if (impl.startsWith('lsh-')) return [`hf-${impl}`];
  if (impl.startsWith('model-lsh-')) return [`hf-${impl}`];
  if (impl === 'model-full') return ['hf-model-full'];
  return [];
}

/** Our time over the baselines' for every shape both measured. */
export function compareWithBaselines(ours: readonly Report[], theirs: readonly Report[]): Comparison[] {
  const index = new Map<string, {row: Row; backend: string}>();
  for (const rep of theirs) for (const row of measuredRows(rep)) index.set(shapeKey(row, row.impl), {row, backend: rep.backend});
  const out: Comparison[] = [];
  for (const rep of ours) {
    for (const row of measuredRows(rep)) {
      for (const base of baselineFor(row.impl)) {
        const match = index.get(shapeKey(row, base));
        if (!match) continue;
        for (const mode of ['fwd_ms', 'fwdbwd_ms'] as const) {
          const a = row[mode]?.median;
          const b = match.row[mode]?.median;
          if (a === undefined || b === undefined || !(b > 0)) continue;
          out.push({
            key: shapeKey(row, row.impl),
            ours: row.impl,
            theirs: base,
            length: row.length,
            batch: row.batch,
            layers: row.layers,
            stack: row.reversible === null ? null : row.reversible ? 'reversible' : 'residual',
            mode,
            ours_ms: a,
            theirs_ms: b,
            ratio: ratio(a, b)!,
            ours_backend: rep.backend,
            theirs_backend: match.backend,
            ...(row.fused === undefined ? {} : {ours_fused: row.fused, ours_path: pathOf(rep, row.impl)}),
          });
        }
      }
    }
  }
  return out;
}

function reasonClass(text: string): string | null {
  if (/binding limit/.test(text)) return 'binding limit';
  if (/memory budget|out of memory/i.test(text)) return 'memory';
  if (/time budget/.test(text)) return 'time budget';
  if (/^error|CUDA/.test(text)) return 'error';
  if (/dry run/.test(text)) return 'dry run';
  return null;
}

/** Why a row has no figure for a mode, in a few words (the row says it in full). */
export function shortReason(row: Row | undefined, mode: Mode): string {
  if (!row) return 'not in the grid';
  if (row.skipped) return reasonClass(row.skipped) ?? 'skipped';
  // The row ran but this mode has no figure: its note says why ("fwd not timed: ...", "fwdbwd skipped: ...").
  const tag = mode === 'fwd_ms' ? 'fwd ' : 'fwdbwd ';
  const part = (row.note ?? '').split('; ').find((p) => p.startsWith(tag));
  return (part && reasonClass(part)) ?? 'not timed';
}

/**
 * Which path an implementation's rows of a report took, for labels: 'fused' (a fused kernel ran in some row),
 * 'fused on, none ran' (the kernels were on but no call fitted them), 'fused off' (--fused off), 'reference' (no
 * fused kernels on this backend), or '' (schema 1: before fused kernels existed).
 */
export function pathOf(report: Report, impl: string): string {
  const rows = measuredRows(report).filter((r) => r.impl === impl);
  if (rows.some((r) => (r.fused_kernels?.length ?? 0) > 0)) return 'fused';
  if (rows.some((r) => r.fused === true)) return 'fused on, none ran';
  if (report.config.fused === false) return 'fused off';
  if (rows.some((r) => r.fused === false)) return 'reference';
  return '';
}

export interface BaselineCell {
  impl: string;
  /** pathOf(our report, impl). */
  path: string;
  /** Our row's fused setting (schema 2), or undefined (schema 1: the reference path). */
  fused: boolean | null | undefined;
  baseline: string;
  length: number;
  mode: Mode;
  ours_ms: number | null;
  theirs_ms: number | null;
  /** ours ÷ theirs, or null with `why`. */
  ratio: number | null;
  why: string | null;
}

/**
 * Our time over the baseline's for every row of our speed-like reports (attention and train-step rows) and each
 * baseline that answers it, whether or not both were measured: a missing figure says whose and why. For the
 * table by length (e.g. 4K, 16K, 64K) of each implementation.
 */
export function baselineCells(ours: readonly Report[], theirs: readonly Report[]): BaselineCell[] {
  const index = new Map<string, Row>();
  for (const rep of theirs) for (const row of measuredRows(rep)) index.set(shapeKey(row, row.impl), row);
  const cells: BaselineCell[] = [];
  for (const rep of ours) {
    for (const row of measuredRows(rep)) {
      const path = pathOf(rep, row.impl);
      for (const base of baselineFor(row.impl)) {
        const match = index.get(shapeKey(row, base));
        for (const mode of ['fwd_ms', 'fwdbwd_ms'] as const) {
          const a = row[mode]?.median ?? null;
          const b = match?.[mode]?.median ?? null;
          const why = a === null ? `ours: ${shortReason(row, mode)}` : b === null ? `${base}: ${match ? shortReason(match, mode) : 'not run'}` : null;
          cells.push({impl: row.impl, path, fused: row.fused, baseline: base, length: row.length, mode, ours_ms: a, theirs_ms: b, ratio: a !== null && b !== null && b > 0 ? ratio(a, b) : null, why});
        }
      }
    }
  }
  return cells;
}

export interface FusedPair {
  impl: string;
  kind: Row['kind'];
  length: number;
  batch: number;
  mode: Mode;
  reference_ms: number | null;
  fused_ms: number | null;
  /** reference ÷ fused: how many times faster the fused kernels made it; null unless both ran. */
  speedup: number | null;
  /** The fused kernels that ran in the fused row (none: the fused run took the reference path for this row). */
  fused_kernels: string[] | null;
}

/**
 * The same suite run with --fused off and on (same backend, same grid): reference ÷ fused time per shape. Pairs
 * reports by suite, backend and quick; rows by shape key.
 */
export function fusedPairs(reports: readonly Report[]): FusedPair[] {
  const out: FusedPair[] = [];
  const fusedReports = reports.filter((r) => r.config.fused === true);
  for (const on of fusedReports) {
    const off = reports.find((r) => r.config.fused === false && r.suite === on.suite && r.backend === on.backend && r.config.quick === on.config.quick);
    if (!off) continue;
    const offRows = new Map(measuredRows(off).map((r) => [shapeKey(r, r.impl), r]));
    for (const row of measuredRows(on)) {
      const ref = offRows.get(shapeKey(row, row.impl));
      if (!ref) continue;
      for (const mode of ['fwd_ms', 'fwdbwd_ms'] as const) {
        const a = ref[mode]?.median ?? null;
        const b = row[mode]?.median ?? null;
        if (a === null && b === null) continue;
        out.push({
          impl: row.impl,
          kind: row.kind,
          length: row.length,
          batch: row.batch,
          mode,
          reference_ms: a,
          fused_ms: b,
          speedup: a !== null && b !== null ? ratio(a, b) : null,
          fused_kernels: row.fused_kernels ?? null,
        });
      }
    }
  }
  return out;
}

/**
 * The longest length within `budget`, extrapolated from the last two measured points of (length, peak) by a
 * power law peak − base ∝ length^p (p ≈ 2 for full attention, ≈ 1 for LSH). Null with fewer than two points.
 */
export function extrapolateMaxLength(points: readonly {length: number; extra: number; base: number}[], budget: number): {length: number; exponent: number} | null {
  const pts = points.filter((p) => p.extra > 0).sort((a, b) => a.length - b.length);
  if (pts.length < 2) return null;
  const a = pts[pts.length - 2]!;
  const b = pts[pts.length - 1]!;
  const exponent = Math.log(b.extra / a.extra) / Math.log(b.length / a.length);
  if (!(exponent > 0) || !Number.isFinite(exponent)) return null;
  const room = budget - b.base;
  if (room <= 0) return {length: 0, exponent};
  return {length: Math.floor(b.length * (room / b.extra) ** (1 / exponent)), exponent};
}

/**
 * The order memory-depth runs its configurations in, [layers, reversible], by priority under a time budget: the
 * reversible stack at its shallowest and deepest (the ratio the suite is for), the residual one at its shallowest,
 * then the depths between (residual first), and the deepest residual stack last (the most expensive, and often
 * over the memory budget).
 */
export function depthOrder(layers: readonly number[]): [number, boolean][] {
  const sorted = [...new Set(layers)].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const lo = sorted[0]!;
  const hi = sorted[sorted.length - 1]!;
  if (lo === hi) return [[lo, true], [lo, false]];
  return [
    [lo, true],
    [hi, true],
    [lo, false],
    ...sorted.slice(1, -1).flatMap((l): [number, boolean][] => [[l, false], [l, true]]),
    [hi, false],
  ];
}
