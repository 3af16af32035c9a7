// profile: one run under tf.profile, its kernels' time summed by kernel name (GPU time from timestamp queries on
// webgpu). The layer workload is the speed suite's LSH layer (forward and backward), the model workload its model
// row (a training step); what they spend where is what the figures of the other suites cannot say.
import * as tf from '@tensorflow/tfjs';
import type {CliOptions} from '../args.js';
import type {BackendContext} from '../backend.js';
import {renderText} from '../report/format.js';
import {median} from '../stats.js';
import {runOnce, type RunFn} from '../timing.js';
import {AttentionWorkload} from '../workloads/attention.js';
import {ModelWorkload} from '../workloads/model.js';
import {batchFor} from './speed.js';

/** The kernels of one name: their summed time, how many ran, and up to three distinct input shapes. */
export interface KernelTotal {
  name: string;
  ms: number;
  calls: number;
  shapes: string[];
}

/**
 * What kernelTotals and programTotals read of tf.profile's kernel records. On webgpu, `extraInfo` lists the GPU
 * programs the kernel ran with their times, "ProgramClass: ms, ProgramClass: ms"; other backends leave it empty.
 */
export type ProfiledKernel = {name: string; inputShapes: number[][]; kernelTimeMs: number | {error: string}; extraInfo?: unknown};

/** The (program, ms) pairs of a webgpu kernel's extraInfo; none where it is not that list. */
function programTimes(info: unknown): Array<{name: string; ms: number}> {
  if (typeof info !== 'string' || info === '') return [];
  return info.split(', ').flatMap((entry) => {
    const match = /^(.+): ([\d.eE+-]+)$/.exec(entry);
    return match ? [{name: match[1]!, ms: Number(match[2])}] : [];
  });
}

/** The kernels summed by name, most time first. A kernel whose time is an error counts as 0 ms. */
export function kernelTotals(kernels: readonly ProfiledKernel[]): KernelTotal[] {
  const byName = new Map<string, KernelTotal>();
  for (const k of kernels) {
    const total = byName.get(k.name) ?? {name: k.name, ms: 0, calls: 0, shapes: []};
    total.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total.calls++;
    const shapes: string = JSON.stringify(k.inputShapes);
    if (total.shapes.length < 3 && !total.shapes.includes(shapes)) total.shapes.push(shapes);
    byName.set(k.name, total);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
}

/**
 * The GPU programs of kernels that ran more than one program in a call (the fused kernels' passes), summed by
 * kernel and program name, most time first: where a kernel's time goes. Empty where the backend gives no
 * per-program times.
 */
export function programTotals(kernels: readonly ProfiledKernel[]): KernelTotal[] {
  const byName = new Map<string, KernelTotal>();
  for (const k of kernels) {
    const programs = programTimes(k.extraInfo);
    if (programs.length < 2) continue;
    for (const program of programs) {
      const name = `${k.name} > ${program.name}`;
      const total = byName.get(name) ?? {name, ms: 0, calls: 0, shapes: []};
      total.ms += program.ms;
      total.calls++;
      byName.set(name, total);
    }
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
}

/** The `top` slowest names as a fixed-width table: name, ms, calls, input shapes. */
export function kernelTable(totals: readonly KernelTotal[], top: number): string {
  return renderText(totals.slice(0, top), [
    {title: 'kernel', cell: (t) => t.name},
    {title: 'ms', cell: (t) => t.ms.toFixed(2), right: true},
    {title: 'calls', cell: (t) => String(t.calls), right: true},
    {title: 'input shapes', cell: (t) => t.shapes.join(' | ')},
  ]);
}

/** Kernel names printed. */
const TOP = 25;
/** Untimed runs before the figures: shaders compile and buffer pools fill. */
const WARM_UP_RUNS = 2;
/** Timed runs for the wall-clock figure (its median). */
const WALL_RUNS = 5;

export async function runProfile(ctx: Pick<BackendContext, 'name' | 'software' | 'asynchronous'>, opts: CliOptions, log: (line: string) => void): Promise<void> {
  const gpu = ctx.name === 'webgpu' && !ctx.software;
  const length = opts.lengths?.[0] ?? (gpu ? 65536 : 4096);
  const hashes = opts.hashes?.[0] ?? 4;
  const batch = batchFor(opts.tokens ?? length, length);
  const shape = {attention: 'lsh' as const, batch, length, heads: opts.heads, headSize: opts.headSize, chunk: opts.chunk, hashes};
  const layers = opts.layers?.[0] ?? 2;
  const model = opts.workload === 'model' ? new ModelWorkload({...shape, layers, reversible: true}) : undefined;
  const layer = model === undefined ? new AttentionWorkload({...shape, causal: true}) : undefined;
  const run: RunFn = model ? model.trainStep() : layer!.forwardBackward();
  const what = model
    ? `a training step of ${layers} reversible LSH-${hashes} layers (the speed suite's model row)`
    : `one LSH-${hashes} layer, forward and backward (the speed suite's row)`;
  const heads = `${opts.heads} head${opts.heads === 1 ? '' : 's'} of ${opts.headSize}`;
  log(`profile: ${what}; batch ${batch} x ${length} tokens, ${heads}, chunk ${opts.chunk}, causal`);
  try {
    for (let i = 0; i < WARM_UP_RUNS; i++) await runOnce(run);
    const wall: number[] = [];
    for (let i = 0; i < WALL_RUNS; i++) wall.push(await runOnce(run));
    log(`wall ms (median of ${WALL_RUNS}, each waiting for its result): ${median(wall).toFixed(1)}`);
    const info = await tf.profile(() => runOnce(run));
    const totals = kernelTotals(info.kernels as ProfiledKernel[]);
    const sum = totals.reduce((s, t) => s + t.ms, 0);
    log(`one run under tf.profile: ${info.kernels.length} kernels, ${sum.toFixed(1)} ms in all${ctx.asynchronous ? ' (GPU time)' : ''}`);
    log(kernelTable(totals, TOP));
    const programs = programTotals(info.kernels as ProfiledKernel[]);
    if (programs.length > 0) {
      log('programs of the kernels that ran several (GPU time per program):');
      log(renderText(programs, [
        {title: 'kernel > program', cell: (t) => t.name},
        {title: 'ms', cell: (t) => t.ms.toFixed(2), right: true},
        {title: 'runs', cell: (t) => String(t.calls), right: true},
      ]));
    }
  } finally {
    model?.dispose();
    layer?.dispose();
  }
}
