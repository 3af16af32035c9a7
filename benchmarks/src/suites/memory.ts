// memory-depth and memory-length: peak bytes of one whole-model training step (tf.profile), by depth
// (reversible against ordinary residual blocks) and by length (full against LSH attention).
import type {CliOptions} from '../args.js';
import {firstGuessPeakBytes, formatBytes, largestTensorBytes, referenceBindingLimit, workUnits, type AttentionShape} from '../budget.js';
import {measureRow, type Session} from '../measure.js';
import {makeRow, type Row} from '../schema.js';
import {ModelWorkload, modelImplName} from '../workloads/model.js';
import {depthOrder, extrapolateMaxLength} from '../report/analysis.js';
import type {SuiteResult} from './types.js';

function modelRun(s: Session, row: Row, spec: ConstructorParameters<typeof ModelWorkload>[0], timeSteps = false): Promise<void> {
  const shape: AttentionShape = {
    attention: spec.attention,
    batch: spec.batch,
    heads: spec.heads,
    length: spec.length,
    headSize: spec.headSize,
    hashes: spec.hashes,
    chunk: spec.chunk,
  };
  return measureRow(s, row, {
    key: `${row.impl}:${row.reversible ? 'rev' : 'res'}`,
    work: workUnits(spec.attention, spec.batch, spec.length, spec.hashes, spec.chunk) * spec.layers,
    // Residual blocks keep every layer's activations: memory grows with depth. Reversible: it should not.
    memoryWork: workUnits(spec.attention, spec.batch, spec.length, spec.hashes, spec.chunk) * (spec.reversible ? 1 : spec.layers),
    firstGuess: {fwd: 0, fwdbwd: firstGuessPeakBytes(shape, true) * (spec.reversible ? 2 : spec.layers)},
    forward: false,
    // On a GPU the step is cheap enough to time as well (for the comparison with HF's model); on CPU, peaks only.
    timeBackward: timeSteps,
    make: () => {
      const m = new ModelWorkload(spec);
      return {forward: () => m.forward(), forwardBackward: () => m.trainStep(), dispose: () => m.dispose()};
    },
  });
}

function modelRow(spec: ConstructorParameters<typeof ModelWorkload>[0], fused: boolean): Row {
  return makeRow({
    impl: modelImplName(spec.attention, spec.hashes),
    kind: 'train-step',
    length: spec.length,
    batch: spec.batch,
    heads: spec.heads,
    head_size: spec.headSize,
    chunk: spec.attention === 'full' ? null : spec.chunk,
    hashes: spec.attention === 'full' ? null : spec.hashes,
    layers: spec.layers,
    reversible: spec.reversible,
    fused,
  });
}

export interface DepthGrid {
  layers: number[];
  length: number;
  batch: number;
  hashes: number;
}

export function depthGrid(opts: CliOptions, gpu: boolean): DepthGrid {
  const layers = opts.layers ?? [2, 4, 8, 12];
  const length = opts.lengths?.[0] ?? (gpu ? 16384 : opts.quick ? 1024 : 2048);
  const tokens = opts.tokens ?? (gpu ? 65536 : opts.quick ? 1024 : 4096);
  return {layers, length, batch: Math.max(1, Math.floor(tokens / length)), hashes: opts.hashes?.[0] ?? 1};
}

export async function runMemoryDepth(s: Session, opts: CliOptions): Promise<SuiteResult> {
  const grid = depthGrid(opts, s.ctx.name === 'webgpu' && !s.ctx.software);
  s.log(
    `memory-depth: ${grid.layers.join(', ')} layers, length ${grid.length}, batch ${grid.batch}, ${opts.heads} heads of ${opts.headSize}, ` +
      `LSH ${grid.hashes} round(s), reversible and residual`,
  );
  const rows: Row[] = [];
  for (const [layers, reversible] of depthOrder(grid.layers)) {
    const spec = {
      attention: 'lsh' as const,
      batch: grid.batch,
      length: grid.length,
      layers,
      heads: opts.heads,
      headSize: opts.headSize,
      chunk: opts.chunk,
      hashes: grid.hashes,
      reversible,
    };
    const row = modelRow(spec, s.ctx.fused);
    await modelRun(s, row, spec, s.ctx.asynchronous && !s.ctx.software);
    rows.push(row);
  }
  rows.sort((a, b) => Number(b.reversible) - Number(a.reversible) || a.layers - b.layers);
  return {
    rows,
    notes: [
      'peak_bytes: tf.profile peakBytes of one training step (loss, gradients of every parameter, SGD update) of ReformerModelWithLMHead with LSH layers; ' +
        "reversible: the model's reversible stack (recompute in the backward); residual: `reversible: false`, the same blocks under ordinary autodiff. " +
        'peak − base excludes the parameters and the inputs, which grow with depth in both modes.',
    ],
    config: {layers: grid.layers, length: grid.length, batch: grid.batch, hashes: grid.hashes, heads: opts.heads, head_size: opts.headSize, chunk: opts.chunk},
  };
}

export interface LengthGrid {
  lengths: number[];
  batch: number;
  layers: number;
  hashes: number;
}

export function lengthGrid(opts: CliOptions, gpu: boolean): LengthGrid {
  const lengths =
    opts.lengths ??
    (gpu
      ? [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144]
      : opts.quick
        ? [256, 512, 1024, 2048, 4096, 8192]
        : [256, 512, 1024, 2048, 4096, 8192, 16384]);
  // One round on CPU --quick, to reach longer lengths within its 3 minutes.
  return {lengths, batch: 1, layers: opts.layers?.[0] ?? 2, hashes: opts.hashes?.[0] ?? (opts.quick && !gpu ? 1 : 4)};
}

export async function runMemoryLength(s: Session, opts: CliOptions): Promise<SuiteResult> {
  const {ctx} = s;
  const grid = lengthGrid(opts, ctx.name === 'webgpu' && !ctx.software);
  s.log(
    `memory-length: lengths ${grid.lengths.join(', ')}, batch ${grid.batch}, ${grid.layers} layers (reversible), ${opts.heads} heads of ${opts.headSize}, ` +
      `full attention and LSH with ${grid.hashes} rounds; budget ${formatBytes(ctx.memoryBudget)} (${ctx.memoryBudgetReason})` +
      (ctx.bindingLimit !== null ? `, each binding <= ${formatBytes(ctx.bindingLimit)}` : ''),
  );
  const rows: Row[] = [];
  const notes: string[] = [];
  const stopped: Record<string, boolean> = {};
  // Interleaved by length, so that a time budget cuts both at their longest.
  for (const length of grid.lengths) {
    for (const attention of ['full', 'lsh'] as const) {
      const spec = {
        attention,
        batch: grid.batch,
        length,
        layers: grid.layers,
        heads: opts.heads,
        headSize: opts.headSize,
        chunk: opts.chunk,
        hashes: grid.hashes,
        reversible: true,
      };
      const row = modelRow(spec, ctx.fused);
      rows.push(row);
      if (stopped[attention]) {
        row.skipped = `a shorter length already exceeded the budget`;
        continue;
      }
      const shape: AttentionShape = {attention, batch: grid.batch, heads: opts.heads, length, headSize: opts.headSize, hashes: grid.hashes, chunk: opts.chunk};
      const bindingLimit = referenceBindingLimit(ctx);
      if (bindingLimit !== null && largestTensorBytes(shape) > bindingLimit) {
        row.skipped = `attention's largest tensor (${formatBytes(largestTensorBytes(shape))}) exceeds the ${formatBytes(bindingLimit)} WebGPU binding limit`;
        s.log(`  skip ${row.impl} L=${length}: ${row.skipped}`);
        stopped[attention] = true;
        continue;
      }
      await modelRun(s, row, spec);
      if (row.skipped?.includes('memory budget') || (row.peak_bytes !== null && row.peak_bytes > ctx.memoryBudget)) stopped[attention] = true;
    }
  }
  rows.sort((a, b) => (a.impl === b.impl ? a.length - b.length : a.impl === 'model-full' ? -1 : 1));

  const summary: Record<string, unknown> = {};
  for (const impl of [...new Set(rows.map((r) => r.impl))]) {
    const measured = rows.filter((r) => r.impl === impl && r.peak_bytes !== null && r.base_bytes !== null);
    const within = measured.filter((r) => r.peak_bytes! <= ctx.memoryBudget);
    const longest = within.length > 0 ? Math.max(...within.map((r) => r.length)) : null;
    const fit = extrapolateMaxLength(
      measured.map((r) => ({length: r.length, extra: r.peak_bytes! - r.base_bytes!, base: r.base_bytes!})),
      ctx.memoryBudget,
    );
    let bindingMax: number | null = null;
    const bindingLimit = referenceBindingLimit(ctx);
    if (bindingLimit !== null) {
      // Largest length whose attention tensor fits one binding.
      let l = opts.chunk;
      const attention = impl === 'model-full' ? 'full' : 'lsh';
      while (largestTensorBytes({attention, batch: grid.batch, heads: opts.heads, length: l * 2, headSize: opts.headSize, hashes: grid.hashes, chunk: opts.chunk}) <= bindingLimit && l < 2 ** 30) l *= 2;
      bindingMax = l;
    }
    summary[impl] = {
      longest_measured_within_budget: longest,
      extrapolated_max_length: fit ? Math.min(fit.length, bindingMax ?? Infinity) : null,
      growth_exponent: fit ? Number(fit.exponent.toFixed(2)) : null,
      binding_limited_power_of_two: bindingMax,
    };
  }
  notes.push(
    `peak_bytes: tf.profile peakBytes of one training step of ReformerModelWithLMHead (${grid.layers} reversible layers, batch ${grid.batch}); full attention = an LSH layer whose chunk is the whole sequence.`,
    `Budget: ${formatBytes(ctx.memoryBudget)} (${ctx.memoryBudgetReason})${ctx.bindingLimit !== null ? `; WebGPU bindings <= ${formatBytes(ctx.bindingLimit)}` : ''}. ` +
      'Extrapolated maxima fit peak − base ∝ length^p through the two longest measured lengths.',
  );
  return {
    rows,
    notes,
    config: {
      lengths: grid.lengths,
      batch: grid.batch,
      layers: grid.layers,
      hashes: grid.hashes,
      heads: opts.heads,
      head_size: opts.headSize,
      chunk: opts.chunk,
      memory_budget_bytes: ctx.memoryBudget,
      binding_limit_bytes: ctx.bindingLimit,
      max_length: summary,
    },
  };
}
