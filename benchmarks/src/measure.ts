// Measures one row: checks the budgets, builds the workload, profiles (the warm-up), times, cleans up.
import * as tf from '@tensorflow/tfjs';
import type {BackendContext} from './backend.js';
import {formatBytes, formatMs, Predictor, TimeBudget} from './budget.js';
import type {Row} from './schema.js';
import {tokensPerSecond} from './stats.js';
import {innerRunsFor, profileOnce, runOnce, timeRuns, type RunFn} from './timing.js';

export interface Workload {
  forward(): RunFn;
  /** Forward and backward (attention), or the whole training step (model). */
  forwardBackward(): RunFn;
  dispose(): void;
}

export interface Session {
  ctx: BackendContext;
  reps: number;
  budget: TimeBudget;
  /** Milliseconds per run, by `<key>:fwd` / `<key>:fwdbwd`. */
  times: Predictor;
  /** Peak bytes above the base, by `<key>:fwd` / `<key>:fwdbwd`. */
  peaks: Predictor;
  log: (line: string) => void;
  /** Errors in a row; after a few, the backend is presumed broken (a wasm trap can corrupt its heap). */
  errors: number;
  /** Called after each row that ran (measured or failed), e.g. to write the partial report. */
  onRowDone?: (row: Row) => void;
}

export function newSession(
  ctx: BackendContext,
  reps: number,
  budgetS: number | undefined,
  log: (line: string) => void,
  onRowDone?: (row: Row) => void,
): Session {
  return {ctx, reps, budget: new TimeBudget(budgetS), times: new Predictor(), peaks: new Predictor(), log, errors: 0, onRowDone};
}

export interface MeasureRequest {
  /** Predictions are shared between rows of the same key (the implementation). */
  key: string;
  /** workUnits of this configuration (see budget.ts): time is predicted from it. */
  work: number;
  /** Memory is predicted from this instead, when it grows differently (a reversible stack's does not grow with depth). */
  memoryWork?: number;
  /** Peak bytes to assume when nothing of this key was measured yet. */
  firstGuess: {fwd: number; fwdbwd: number};
  make: () => Workload;
  /** Time the forward (default true). */
  timeForward?: boolean;
  /** Time the forward + backward (default true); false: only its peak bytes (one profiled run). */
  timeBackward?: boolean;
  /** Measure the forward at all (default true). */
  forward?: boolean;
}

const MAX_ERRORS = 3;

function errorMessage(e: unknown): string {
  const text = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return text.split('\n')[0]!.slice(0, 300);
}

function addNote(row: Row, note: string): void {
  row.note = row.note ? `${row.note}; ${note}` : note;
}

/** Fills `row` with figures, or with the reason it has none. Never throws for a failing configuration. */
export async function measureRow(s: Session, row: Row, req: MeasureRequest): Promise<void> {
  const {ctx, reps} = s;
  const label = `${row.impl} L=${row.length} B=${row.batch}${row.layers > 1 ? ` layers=${row.layers}` : ''}${row.reversible === null ? '' : row.reversible ? ' reversible' : ' residual'}`;
  if (s.errors >= MAX_ERRORS) {
    row.skipped = `not run: ${MAX_ERRORS} earlier configurations failed on this backend`;
    s.log(`  skip ${label}: ${row.skipped}`);
    return;
  }
  const doForward = req.forward ?? true;
  const timeForward = doForward && (req.timeForward ?? true);
  const timeBackward = req.timeBackward ?? true;

  // Memory: predicted from the measured configurations of this implementation, else a first guess.
  const memoryWork = req.memoryWork ?? req.work;
  const predicted = (mode: 'fwd' | 'fwdbwd') => s.peaks.predict(`${req.key}:${mode}`, memoryWork) ?? req.firstGuess[mode];
  const base = tf.memory().numBytes;
  const overBackward = base + predicted('fwdbwd') > ctx.memoryBudget;
  const overForward = base + predicted('fwd') > ctx.memoryBudget;
  const memoryReason = (mode: 'fwd' | 'fwdbwd') =>
    `predicted peak ${formatBytes(base + predicted(mode))} exceeds the ${formatBytes(ctx.memoryBudget)} memory budget (${ctx.memoryBudgetReason})`;
  if (overForward || (overBackward && !doForward)) {
    row.skipped = memoryReason(overForward ? 'fwd' : 'fwdbwd');
    s.log(`  skip ${label}: ${row.skipped}`);
    return;
  }

  // Time: one warm-up (profiled) and `reps` timed runs of each mode, predicted from this implementation's measurements.
  const runs = (mode: 'fwd' | 'fwdbwd', timed: boolean) => {
    const t = s.times.predict(`${req.key}:${mode}`, req.work);
    return t === undefined ? undefined : t * (1 + (timed ? reps : 0));
  };
  const fwdCost = doForward ? runs('fwd', timeForward) : 0;
  const bwdCost = overBackward ? 0 : runs('fwdbwd', timeBackward);
  const predictedMs = fwdCost === undefined || bwdCost === undefined ? undefined : fwdCost + bwdCost;
  const timeReason = s.budget.check(predictedMs);
  if (timeReason) {
    row.skipped = timeReason;
    s.log(`  skip ${label}: ${row.skipped}`);
    return;
  }

  const tensorsBefore = tf.memory().numTensors;
  let workload: Workload | undefined;
  const started = performance.now();
  try {
    workload = req.make();
    row.base_bytes = tf.memory().numBytes;
    const fusedSeen = new Set<string>();
    row.fused_kernels = [];
    const measureMode = async (mode: 'fwd' | 'fwdbwd', fn: RunFn, timed: boolean): Promise<void> => {
      const profiled = await profileOnce(fn);
      // Which of the fused kernels the ops dispatched to (none where a call does not fit them, or with --fused off).
      for (const k of profiled.kernelNames) if (ctx.fusedKernels.includes(k)) fusedSeen.add(k);
      row.fused_kernels = [...fusedSeen].sort();
      const extra = profiled.peakBytes - profiled.baseBytes;
      if (mode === 'fwd') row.peak_bytes_fwd = profiled.peakBytes;
      else row.peak_bytes = profiled.peakBytes;
      s.peaks.record(`${req.key}:${mode}`, memoryWork, extra);
      if (!timed) {
        s.times.record(`${req.key}:${mode}`, req.work, profiled.ms);
        return;
      }
      // On a GPU the profiled run also compiled the shaders: one more plain run gives the estimate.
      const estimate = ctx.asynchronous ? await runOnce(fn) : profiled.ms;
      const reason = s.budget.check(estimate * reps);
      if (reason) {
        addNote(row, `${mode} not timed: ${reason}`);
        s.times.record(`${req.key}:${mode}`, req.work, estimate);
        return;
      }
      const timing = await timeRuns(fn, reps, innerRunsFor(ctx.asynchronous, estimate));
      s.times.record(`${req.key}:${mode}`, req.work, timing.median);
      if (mode === 'fwd') {
        row.fwd_ms = timing;
        row.tokens_per_s_fwd = tokensPerSecond(row.tokens, timing.median);
      } else {
        row.fwdbwd_ms = timing;
        row.tokens_per_s = tokensPerSecond(row.tokens, timing.median);
      }
    };
    if (doForward) await measureMode('fwd', workload.forward(), timeForward);
    if (overBackward) addNote(row, `fwdbwd skipped: ${memoryReason('fwdbwd')}`);
    else await measureMode('fwdbwd', workload.forwardBackward(), timeBackward);
    s.errors = 0;
  } catch (e) {
    s.errors++;
    row.skipped = `error: ${errorMessage(e)}`;
    if (process.env.BENCH_DEBUG) console.error(e);
  } finally {
    try {
      workload?.dispose();
    } catch (e) {
      addNote(row, `dispose failed: ${errorMessage(e)}`);
    }
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked !== 0 && !row.skipped) addNote(row, `${leaked} tensors left behind`);
  const figures = [
    row.fwd_ms ? `fwd ${formatMs(row.fwd_ms.median)}` : '',
    row.fwdbwd_ms ? `fwdbwd ${formatMs(row.fwdbwd_ms.median)}` : '',
    row.peak_bytes !== null ? `peak ${formatBytes(row.peak_bytes)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  s.log(`  ${row.skipped ? 'FAIL' : 'done'} ${label}: ${row.skipped ?? figures}${row.note ? ` (${row.note})` : ''} [${formatMs(performance.now() - started)}]`);
  s.onRowDone?.(row);
}
