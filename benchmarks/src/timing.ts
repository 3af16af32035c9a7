// Timing and peak memory of one configuration.
//
// Time: tinybench drives the timed samples (no warm-up of its own: the profiled run below is the warm-up). A
// sample enqueues `inner` runs back to back and then waits on a one-number reduction of the last run's first
// output (`await tf.sum(out).data()`): GPU queues run in order, so that wait covers every run, and nothing is
// read back but one float. The sample is the elapsed time over `inner`. On cpu and wasm kernels run
// synchronously and `inner` is 1.
//
// Memory: tf.profile's peakBytes (with its kernel timer replaced by a no-op), the largest logical byte count of live tensors after any kernel of the run
// (every live tensor: weights, inputs and optimizer state included). Logical bytes are the tensors' sizes,
// not allocator pools (WebGPU keeps freed buffers in a pool that is never trimmed).
import * as tf from '@tensorflow/tfjs';
import {Bench} from 'tinybench';
import {summarize, type Timing} from './stats.js';

/** One run: enqueues the work and returns its outputs (the caller disposes them). */
export type RunFn = () => tf.Tensor[];

export const TIMING_METHOD =
  'tinybench 6 samples after one profiled warm-up run; each sample enqueues `inner` runs back to back and waits on ' +
  '`await tf.sum(lastOutput).data()` (a one-number reduction, never the whole output), divided by `inner`; figures are the ' +
  'median of >= 5 samples with min and max. WEBGPU_CPU_FORWARD is off on WebGPU.';
export const MEMORY_METHOD =
  'tf.profile peakBytes (its per-kernel timing switched off): the largest logical size of all live tensors after any ' +
  'kernel of one run (weights, inputs and optimizer state included; base_bytes is what was live before the run). ' +
  'Logical bytes, not allocator pools.';

async function settle(outputs: tf.Tensor[]): Promise<void> {
  if (outputs.length === 0) return;
  const one = tf.sum(outputs[0]!);
  await one.data();
  one.dispose();
}

/** Runs once, waits for it, disposes its outputs; returns the elapsed milliseconds. */
export async function runOnce(fn: RunFn): Promise<number> {
  const start = performance.now();
  const outputs = fn();
  await settle(outputs);
  const ms = performance.now() - start;
  tf.dispose(outputs);
  return ms;
}

export interface Profiled {
  ms: number;
  peakBytes: number;
  baseBytes: number;
  kernels: number;
  /** The names of the kernels that ran, each once, sorted. */
  kernelNames: string[];
}

interface KernelTimer {
  timerAvailable(): boolean;
  time(f: () => void): Promise<{kernelMs: number}>;
}

/**
 * tf.profile, with its per-kernel timing switched off: only its byte bookkeeping (numBytes after every kernel)
 * is wanted. Timing every kernel would perturb the run, and where a backend has no timer tfjs falls back to a
 * synchronous dataSync() of every output, which WebGPU in Node cannot do at all.
 */
async function profileBytes(query: () => Promise<tf.Tensor[]>): Promise<{peakBytes: number; kernels: number; kernelNames: string[]}> {
  const profiler = (tf.engine() as unknown as {profiler?: {backendTimer: KernelTimer}}).profiler;
  const original = profiler?.backendTimer;
  if (profiler) {
    profiler.backendTimer = {
      timerAvailable: () => true,
      time: (f) => {
        f();
        return Promise.resolve({kernelMs: 0});
      },
    };
  }
  try {
    const info = await tf.profile(query);
    return {peakBytes: info.peakBytes, kernels: info.kernels.length, kernelNames: [...new Set(info.kernels.map((k) => k.name))].sort()};
  } finally {
    if (profiler && original) profiler.backendTimer = original;
  }
}

/** One run under tf.profile (also the warm-up: shaders compile, caches fill). */
export async function profileOnce(fn: RunFn): Promise<Profiled> {
  const baseBytes = tf.memory().numBytes;
  const start = performance.now();
  let outputs: tf.Tensor[] = [];
  const info = await profileBytes(async () => {
    outputs = fn();
    await settle(outputs);
    return outputs;
  });
  const ms = performance.now() - start;
  tf.dispose(outputs);
  // No kernel at all would give -Infinity.
  const peakBytes = Number.isFinite(info.peakBytes) ? Math.max(info.peakBytes, baseBytes) : baseBytes;
  return {ms, peakBytes, baseBytes, kernels: info.kernels, kernelNames: info.kernelNames};
}

/**
 * Times `reps` samples of `inner` runs each. Throws if a run throws or leaks tensors (a leak would grow memory
 * from sample to sample and make the figures meaningless).
 */
export async function timeRuns(fn: RunFn, reps: number, inner = 1): Promise<Timing> {
  const before = tf.memory().numTensors;
  const bench = new Bench({iterations: reps, time: 0, warmup: false, retainSamples: true, throws: true});
  bench.add(
    'run',
    async () => {
      const start = performance.now();
      let last: tf.Tensor[] = [];
      for (let i = 0; i < inner; i++) {
        tf.dispose(last);
        last = fn();
      }
      await settle(last);
      const elapsed = performance.now() - start;
      tf.dispose(last);
      return {overriddenDuration: elapsed / inner, overriddenIterationCost: elapsed};
    },
    {async: true},
  );
  await bench.run();
  const task = bench.tasks[0]!;
  const result = task.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`timing: the benchmark ended in state '${result.state}'`);
  const samples = result.latency.samples;
  if (!samples || samples.length < reps) throw new Error(`timing: expected ${reps} samples, got ${samples?.length ?? 0}`);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`timing: a run left ${leaked} tensors behind`);
  return summarize(samples, inner);
}

/** How many runs to queue per sample so that one sample lasts about `targetMs` (GPU), at most `cap`. */
export function innerRunsFor(asynchronous: boolean, estimateMs: number, targetMs = 100, cap = 16): number {
  if (!asynchronous || !(estimateMs > 0)) return 1;
  return Math.max(1, Math.min(cap, Math.round(targetMs / estimateMs)));
}
