// Which configurations fit: analytic tensor sizes, and predictions of time and memory scaled from the
// configurations already measured. Pure. A configuration that would not fit is skipped with the reason in its
// row instead of being run: on wasm an allocation past the 4 GiB heap traps inside the module, and on WebGPU a
// binding over maxStorageBufferBindingSize fails validation (silently, as garbage).

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export interface AttentionShape {
  /** 'full' attends every query to every key; 'lsh' hashes into chunks. */
  attention: 'full' | 'lsh';
  batch: number;
  heads: number;
  length: number;
  headSize: number;
  hashes: number;
  chunk: number;
  /** Chunks before and after a query's own chunk that it attends to (LSH defaults 1 and 0). */
  chunksBefore?: number;
  chunksAfter?: number;
}

/** The sequence length padded to a multiple of the chunk length (LSH pads inside). */
export function paddedLength(length: number, chunk: number): number {
  return Math.ceil(length / chunk) * chunk;
}

/**
 * Bytes of the largest float32 tensor one attention layer materialises: the [L, L] scores of full attention
 * (batch × heads × L × L), or LSH's chunk logits (batch × heads × rounds × L × window).
 */
export function largestTensorBytes(s: AttentionShape): number {
  if (s.attention === 'full' || s.length <= s.chunk) return s.batch * s.heads * s.length * s.length * 4;
  const window = ((s.chunksBefore ?? 1) + 1 + (s.chunksAfter ?? 0)) * s.chunk;
  return s.batch * s.heads * s.hashes * paddedLength(s.length, s.chunk) * window * 4;
}

/**
 * A first guess of the peak bytes of one layer before anything was measured: a multiple of its largest
 * tensor (logits, masks, probabilities, and in the backward their gradients) plus the activations.
 */
export function firstGuessPeakBytes(s: AttentionShape, backward: boolean): number {
  const activations = s.batch * s.length * s.heads * s.headSize * 4 * (backward ? 24 : 12) * Math.max(1, s.attention === 'lsh' ? s.hashes : 1);
  return largestTensorBytes(s) * (backward ? 16 : 8) + activations;
}

/** How the work of a configuration grows, relative to another of the same implementation. */
export function workUnits(attention: 'full' | 'lsh', batch: number, length: number, hashes: number, chunk: number): number {
  if (attention === 'full' || length <= chunk) {
    // [L, L] attention per sequence, plus projections worth about 512 positions of it at 4 heads of 64.
    return batch * length * (length + 512);
  }
  // LSH: each of `hashes` rounds attends every position to a window of 2 chunks; projections once.
  return batch * paddedLength(length, chunk) * (hashes * 2 * chunk + 512);
}

export interface Measured {
  /** workUnits of the measured configuration. */
  work: number;
  value: number;
}

/**
 * Predicts a value (ms or bytes) for `work` units from the measurements of the same implementation: scaled
 * linearly from the largest measured configuration (what grows slowest is underestimated, never by much
 * because the grids double). Undefined when nothing was measured.
 */
export function predictFrom(measured: readonly Measured[], work: number): number | undefined {
  if (measured.length === 0) return undefined;
  const ref = measured.reduce((a, b) => (b.work > a.work ? b : a));
  return (ref.value * work) / ref.work;
}

/** Keeps measurements by key (implementation and mode) for predictions. */
export class Predictor {
  private readonly byKey = new Map<string, Measured[]>();

  record(key: string, work: number, value: number): void {
    if (!(value > 0) || !(work > 0)) return;
    const list = this.byKey.get(key) ?? [];
    list.push({work, value});
    this.byKey.set(key, list);
  }

  predict(key: string, work: number): number | undefined {
    return predictFrom(this.byKey.get(key) ?? [], work);
  }
}

/** The batch split into slices whose largest tensor stays within `limitBytes`: slice size, or 0 if even one sequence is over. */
export function sliceBatchFor(s: AttentionShape, limitBytes: number): number {
  const perSequence = largestTensorBytes({...s, batch: 1});
  if (perSequence > limitBytes) return 0;
  return Math.min(s.batch, Math.floor(limitBytes / perSequence));
}

export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(bytes >= 10 * GiB ? 0 : 2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes >= 10 * MiB ? 0 : 1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${bytes} B`;
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(0)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A wall-clock budget for a suite: how much is left, and whether a predicted cost still fits. */
export class TimeBudget {
  private readonly start: number;

  constructor(
    readonly seconds: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = now();
  }

  elapsedMs(): number {
    return this.now() - this.start;
  }

  remainingMs(): number {
    return this.seconds === undefined ? Infinity : this.seconds * 1000 - this.elapsedMs();
  }

  /** Null when `predictedMs` fits in what is left, else the reason to skip. */
  check(predictedMs: number | undefined): string | null {
    if (this.seconds === undefined) return null;
    const left = this.remainingMs();
    if (left <= 0) return `over the ${this.seconds} s time budget of this suite`;
    // Nothing to predict from: start it only while a fair share of the budget is left.
    if (predictedMs === undefined && left < this.seconds * 100) return `not started: under 10% of the ${this.seconds} s time budget left`;
    if (predictedMs !== undefined && predictedMs > left) {
      return `predicted ${formatMs(predictedMs)} exceeds the ${formatMs(left)} left of the ${this.seconds} s time budget`;
    }
    return null;
  }
}

/**
 * The binding limit the reference path's tensors are held to, or null where it does not bind: no limit on this
 * backend, or the fused kernels run, which never form [L, L] scores or chunk logits and split their per-round
 * records by rows (a row too long for one binding fails with the kernel's own error, recorded in its row).
 */
export function referenceBindingLimit(ctx: {bindingLimit: number | null; fused: boolean}): number | null {
  return ctx.fused ? null : ctx.bindingLimit;
}
