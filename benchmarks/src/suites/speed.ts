// speed: one attention layer, full against LSH with 1, 2, 4 and 8 rounds, forward and forward + backward, by
// length at a fixed number of tokens per batch (the paper's Figure 5); and a whole-model training step.
import type {CliOptions} from '../args.js';
import {firstGuessPeakBytes, formatBytes, largestTensorBytes, referenceBindingLimit, sliceBatchFor, workUnits, type AttentionShape} from '../budget.js';
import {measureRow, type Session} from '../measure.js';
import {makeRow, type Row} from '../schema.js';
import {AttentionWorkload, implName} from '../workloads/attention.js';
import {MODEL_CHUNK, MODEL_VOCAB, ModelWorkload, modelImplName} from '../workloads/model.js';
import type {SuiteResult} from './types.js';

export interface SpeedGrid {
  tokens: number;
  lengths: number[];
  hashes: number[];
  /** Rounds of the model rows' LSH. */
  modelHashes: number;
  modelLayers: number;
  modelLengths: number[];
}

/** The default grid: small on CPU (--quick fits 3 minutes), 64K tokens per batch and beyond on a GPU. */
export function speedGrid(opts: CliOptions, gpu: boolean): SpeedGrid {
  const hashes = opts.hashes ?? [1, 2, 4, 8];
  let tokens: number;
  let lengths: number[];
  if (gpu) {
    tokens = opts.tokens ?? 65536;
    lengths = opts.lengths ?? (opts.quick ? [1024, 4096, 16384, 65536] : [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]);
  } else {
    // wasm holds at most 4 GiB: full attention's forward + backward fits up to about 2K tokens of [L, L] scores.
    // --quick on 2 cores: LSH on wasm takes seconds per 1K tokens, so a small grid, cut by the 170 s budget.
    tokens = opts.tokens ?? (opts.quick ? 512 : 2048);
    lengths = opts.lengths ?? (opts.quick ? [256, 512, 1024] : [1024, 2048, 4096, 8192]);
  }
  const modelLengths = opts.quick ? [Math.min(...lengths), Math.max(...lengths)] : lengths;
  return {tokens, lengths, hashes, modelHashes: hashes.includes(4) ? 4 : hashes[hashes.length - 1]!, modelLayers: 2, modelLengths: [...new Set(modelLengths)]};
}

export function batchFor(tokens: number, length: number): number {
  return Math.max(1, Math.floor(tokens / length));
}

interface Planned {
  row: Row;
  run: () => Promise<void>;
}

export async function runSpeed(s: Session, opts: CliOptions): Promise<SuiteResult> {
  const {ctx} = s;
  const grid = speedGrid(opts, ctx.name === 'webgpu' && !ctx.software);
  const notes: string[] = [];
  const bindingLimit = referenceBindingLimit(ctx);
  const attentionPlan = (attention: 'full' | 'lsh', hashes: number, length: number): Planned => {
    const batch = batchFor(grid.tokens, length);
    const shape: AttentionShape = {attention, batch, heads: opts.heads, length, headSize: opts.headSize, hashes, chunk: opts.chunk};
    const row = makeRow({
      impl: implName(attention, hashes),
      kind: 'attention',
      length,
      batch,
      heads: opts.heads,
      head_size: opts.headSize,
      chunk: attention === 'full' ? null : opts.chunk,
      hashes: attention === 'full' ? null : hashes,
      fused: ctx.fused,
    });
    return {
      row,
      run: async () => {
        let sliceBatch = batch;
        if (bindingLimit !== null && largestTensorBytes(shape) > bindingLimit) {
          sliceBatch = sliceBatchFor(shape, bindingLimit);
          const what = attention === 'full' ? `[L, L] scores (heads × L × L × 4 bytes = ${formatBytes(largestTensorBytes({...shape, batch: 1}))} per sequence)` : `chunk logits (${formatBytes(largestTensorBytes({...shape, batch: 1}))} per sequence)`;
          if (sliceBatch === 0) {
            row.skipped = `${what} exceed the ${formatBytes(bindingLimit)} WebGPU binding limit even for one sequence`;
            s.log(`  skip ${row.impl} L=${length}: ${row.skipped}`);
            return;
          }
          row.note = `batch run in slices of ${sliceBatch} to keep ${what} under the ${formatBytes(bindingLimit)} WebGPU binding limit`;
        }
        // Full attention's forward by groups of heads when all of them at once would not fit the memory budget.
        let sliceHeads = opts.heads;
        if (attention === 'full') {
          while (sliceHeads > 1 && firstGuessPeakBytes({...shape, heads: sliceHeads}, false) > ctx.memoryBudget) sliceHeads = Math.ceil(sliceHeads / 2);
          if (sliceHeads < opts.heads) {
            const note = `forward run ${sliceHeads} head(s) at a time to fit the ${formatBytes(ctx.memoryBudget)} memory budget`;
            row.note = row.note ? `${row.note}; ${note}` : note;
          }
        }
        await measureRow(s, row, {
          // Predictions extrapolate from earlier rows of the same key: a head-sliced run is its own series.
          key: sliceHeads < opts.heads ? `${row.impl}/heads-${sliceHeads}` : row.impl,
          work: workUnits(attention, batch, length, hashes, opts.chunk),
          firstGuess: {fwd: firstGuessPeakBytes({...shape, heads: sliceHeads}, false), fwdbwd: firstGuessPeakBytes(shape, true)},
          make: () =>
            new AttentionWorkload({attention, batch, length, heads: opts.heads, headSize: opts.headSize, chunk: opts.chunk, hashes, causal: true, sliceBatch, sliceHeads}),
        });
      },
    };
  };
  const modelPlan = (attention: 'full' | 'lsh', length: number): Planned => {
    const batch = batchFor(grid.tokens, length);
    const hashes = grid.modelHashes;
    const row = makeRow({
      impl: modelImplName(attention, hashes),
      kind: 'train-step',
      length,
      batch,
      heads: opts.heads,
      head_size: opts.headSize,
      chunk: attention === 'full' ? null : opts.chunk,
      hashes: attention === 'full' ? null : hashes,
      layers: grid.modelLayers,
      reversible: true,
      fused: ctx.fused,
    });
    const shape: AttentionShape = {attention, batch, heads: opts.heads, length, headSize: opts.headSize, hashes, chunk: opts.chunk};
    return {
      row,
      run: async () => {
        if (bindingLimit !== null && largestTensorBytes(shape) > bindingLimit) {
          row.skipped = `attention's largest tensor (${formatBytes(largestTensorBytes(shape))}) exceeds the ${formatBytes(bindingLimit)} WebGPU binding limit`;
          s.log(`  skip ${row.impl} L=${length}: ${row.skipped}`);
          return;
        }
        await measureRow(s, row, {
          key: row.impl,
          work: workUnits(attention, batch, length, hashes, opts.chunk) * grid.modelLayers,
          firstGuess: {fwd: firstGuessPeakBytes(shape, false), fwdbwd: firstGuessPeakBytes(shape, true) * 1.5},
          make: () => {
            const m = new ModelWorkload({
              attention,
              batch,
              length,
              layers: grid.modelLayers,
              heads: opts.heads,
              headSize: opts.headSize,
              chunk: opts.chunk,
              hashes,
              reversible: true,
            });
            return {forward: () => m.forward(), forwardBackward: () => m.trainStep(), dispose: () => m.dispose()};
          },
        });
      },
    };
  };

  // Run order = priority under a time budget: full against LSH-4 (the headline) at every length first, then
  // the other round counts, then the model step. Rows are reported in a fixed order regardless.
  const headline = grid.hashes.includes(4) ? 4 : grid.hashes[0]!;
  const plans: Planned[] = [];
  for (const length of grid.lengths) {
    plans.push(attentionPlan('full', 1, length));
    plans.push(attentionPlan('lsh', headline, length));
  }
  for (const h of grid.hashes.filter((h) => h !== headline)) for (const length of grid.lengths) plans.push(attentionPlan('lsh', h, length));
  if (!opts.noModel) {
    for (const length of grid.modelLengths) {
      plans.push(modelPlan('full', length));
      plans.push(modelPlan('lsh', length));
    }
  }
  s.log(
    `speed: ${grid.tokens} tokens per batch, lengths ${grid.lengths.join(', ')}, ${opts.heads} heads of ${opts.headSize}, chunk ${opts.chunk}, ` +
      `rounds ${grid.hashes.join(', ')}; ` +
      (opts.noModel ? 'no model rows' : `model rows: ${grid.modelLayers} layers, lengths ${grid.modelLengths.join(', ')}`),
  );
  for (const p of plans) await p.run();

  const implOrder = (impl: string) => (impl === 'full' ? 0 : impl.startsWith('lsh-') ? 1 : impl === 'model-full' ? 2 : 3);
  const rows = plans
    .map((p) => p.row)
    .sort((a, b) => implOrder(a.impl) - implOrder(b.impl) || (a.hashes ?? 0) - (b.hashes ?? 0) || a.length - b.length);
  notes.push(
    `Batch × length held at ${grid.tokens} tokens (batch 1 beyond); full attention is FullSelfAttention with sharedQK (the function LSH approximates), LSH is LSHSelfAttention with HF's automatic bucket count (max_position_embeddings 4096).`,
  );
  if (!opts.noModel) {
    notes.push(
      `Model rows: ReformerModelWithLMHead, ${grid.modelLayers} LSH layers (full attention: chunk = length), reversible, d_ff = 2 × hidden, chunked feed-forward and LM head (${MODEL_CHUNK} positions), vocab ${MODEL_VOCAB}, SGD step; fwd_ms is the loss alone, fwdbwd_ms the whole training step.`,
    );
  }
  return {
    rows,
    notes,
    config: {
      tokens_per_batch: grid.tokens,
      lengths: grid.lengths,
      hashes: grid.hashes,
      heads: opts.heads,
      head_size: opts.headSize,
      chunk: opts.chunk,
      causal: true,
      model_layers: grid.modelLayers,
      model_hashes: grid.modelHashes,
      model_lengths: opts.noModel ? [] : grid.modelLengths,
    },
  };
}
