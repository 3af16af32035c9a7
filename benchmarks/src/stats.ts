// Summary statistics of timed runs. Pure.

/** What a figure reports: the median of the timed runs, with their spread. Milliseconds per run. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  mean: number;
  /** Number of timed runs (after warm-up). */
  runs: number;
  /** Runs queued back to back per sample (GPU); each sample is its elapsed time over this count. */
  inner: number;
}

/** The median: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: expected at least one value, got none');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to `digits` significant digits, so JSON stays readable and charts stable. */
export function roundSig(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

/** Summarises per-run durations (ms). Throws on an empty or non-finite sample. */
export function summarize(samples: readonly number[], inner = 1): Timing {
  if (samples.length === 0) throw new Error('summarize: expected at least one sample, got none');
  for (const s of samples) {
    if (!Number.isFinite(s) || s < 0) throw new Error(`summarize: expected finite non-negative durations, got ${s}`);
  }
  const sum = samples.reduce((a, b) => a + b, 0);
  return {
    median: roundSig(median(samples)),
    min: roundSig(Math.min(...samples)),
    max: roundSig(Math.max(...samples)),
    mean: roundSig(sum / samples.length),
    runs: samples.length,
    inner,
  };
}

/** Tokens per second at a median time per run of `ms` milliseconds. */
export function tokensPerSecond(tokens: number, ms: number | undefined | null): number | null {
  if (ms === undefined || ms === null || !(ms > 0)) return null;
  return roundSig((tokens * 1000) / ms);
}

/** a / b, rounded, or null when either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0)) return null;
  return roundSig(a / b, 3);
}
