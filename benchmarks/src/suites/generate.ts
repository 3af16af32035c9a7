// generate: tokens per second of autoregressive generation from a causal Reformer LM, with the decoding cache
// (one position per token) against rerunning the forward on the whole prefix for every token, by prompt length.
// Its rows are schema.ts's GenerationRow (kind 'generate').
import * as tf from '@tensorflow/tfjs';
import {generate, ReformerConfig, ReformerModelWithLMHead} from '@reformerjs/reformer-model';
import type {CliOptions} from '../args.js';
import {formatMs} from '../budget.js';
import type {Session} from '../measure.js';
import type {GenerationRow} from '../schema.js';
import {roundSig, summarize, type Timing} from '../stats.js';

/** The model generated from: a character-level causal LM with the Reformer's interleaved local and LSH layers. */
export interface GenerationModelShape {
  layers: number;
  heads: number;
  headSize: number;
  chunk: number;
  hashes: number;
  vocab: number;
  /** Positions of the axial grid [64, maxLength / 64]: prompt + generated tokens stay within it. */
  maxLength: number;
}

export const DEFAULT_GENERATION_MODEL: GenerationModelShape = {layers: 4, heads: 4, headSize: 32, chunk: 64, hashes: 2, vocab: 256, maxLength: 16384};

export function generationConfig(shape: GenerationModelShape): ReformerConfig {
  const hidden = shape.heads * shape.headSize;
  return new ReformerConfig({
    vocab_size: shape.vocab,
    hidden_size: hidden,
    num_attention_heads: shape.heads,
    attention_head_size: shape.headSize,
    feed_forward_size: 4 * hidden,
    attn_layers: Array.from({length: shape.layers}, (_, i) => (i % 2 === 0 ? 'local' : 'lsh')),
    is_decoder: true,
    lsh_attn_chunk_length: shape.chunk,
    local_attn_chunk_length: shape.chunk,
    num_hashes: shape.hashes,
    num_buckets: null, // HF's automatic choice, fixed once per generation from prompt + new tokens
    max_position_embeddings: shape.maxLength,
    axial_pos_embds: true,
    axial_pos_shape: [64, shape.maxLength / 64],
    axial_pos_embds_dim: [hidden / 4, hidden - hidden / 4],
    hidden_dropout_prob: 0,
    lsh_attention_probs_dropout_prob: 0,
    local_attention_probs_dropout_prob: 0,
  });
}

export interface GenerationMeasurement {
  promptLength: number;
  useCache: boolean;
  /** Prompt processing and the first token (cached: one uncached forward over the prompt). */
  firstTokenMs: number;
  /** Each later token: the step (or the whole forward), the logits' read-back and the sampling. */
  perToken: Timing;
  /** 1000 / perToken.median. */
  tokensPerSecond: number;
}

/**
 * Generates `newTokens` tokens after a prompt of `promptLength` and times each token from the moment the
 * previous one was handed out (generate's onToken), so every sample is one step at about the prompt's length.
 */
export async function measureGeneration(
  model: ReformerModelWithLMHead,
  promptLength: number,
  options: {newTokens: number; useCache: boolean; seed?: number},
): Promise<GenerationMeasurement> {
  const vocab = model.config.vocabSize;
  const prompt = Array.from({length: promptLength}, (_, i) => 1 + ((i * 31 + 7) % (vocab - 1)));
  const stamps: number[] = [];
  const start = performance.now();
  await generate(model, prompt, {
    maxNewTokens: options.newTokens,
    temperature: 1,
    seed: options.seed ?? 0,
    useCache: options.useCache,
    onToken: () => void stamps.push(performance.now()),
  });
  const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!);
  const perToken = summarize(intervals);
  return {
    promptLength,
    useCache: options.useCache,
    firstTokenMs: roundSig(stamps[0]! - start),
    perToken,
    tokensPerSecond: roundSig(1000 / perToken.median),
  };
}

export interface GenerationGrid {
  lengths: number[];
  /** Tokens generated per run with the cache (all but the first are timed). */
  cachedTokens: number;
  /** Tokens generated per run without it (each is a whole forward). */
  uncachedTokens: number;
}

export function generationGrid(opts: Pick<CliOptions, 'quick' | 'lengths' | 'reps'>): GenerationGrid {
  return {
    lengths: opts.lengths ?? (opts.quick ? [256, 512, 1024, 2048, 4096] : [256, 512, 1024, 2048, 4096, 8192]),
    cachedTokens: Math.max(opts.reps, 5) * 4 + 1,
    uncachedTokens: Math.max(opts.reps, 5) + 1,
  };
}

/** The suite: cached and uncached generation at each prompt length, the cached rows with their speed-up. */
export async function runGenerate(
  s: Pick<Session, 'log' | 'budget' | 'times'> & {ctx: Pick<Session['ctx'], 'fused'>},
  opts: Pick<CliOptions, 'quick' | 'lengths' | 'reps'>,
  shape: GenerationModelShape = DEFAULT_GENERATION_MODEL,
): Promise<{rows: GenerationRow[]; notes: string[]; config: Record<string, unknown>}> {
  const grid = generationGrid(opts);
  const model = new ReformerModelWithLMHead(generationConfig(shape), {seed: 0});
  const rows: GenerationRow[] = [];
  const started = performance.now();
  try {
    // Warm-up: first calls allocate and pick kernels.
    await measureGeneration(model, 2 * shape.chunk + 3, {newTokens: 6, useCache: true});
    await measureGeneration(model, 2 * shape.chunk + 3, {newTokens: 6, useCache: false});
    for (const length of grid.lengths) {
      const measured: Partial<Record<'cached' | 'uncached', GenerationMeasurement>> = {};
      for (const useCache of [true, false]) {
        const newTokens = useCache ? grid.cachedTokens : grid.uncachedTokens;
        const key = useCache ? 'generate-cached' : 'generate-uncached';
        // A whole run, predicted from the last measured one of this mode: linear in the prompt length (the
        // uncached forward grows with it; the cached steps do not, so this overestimates them).
        const predicted = s.times.predict(key, length);
        const row: GenerationRow = {
          impl: key,
          kind: 'generate',
          prompt_length: length,
          new_tokens: newTokens,
          batch: 1,
          layers: shape.layers,
          heads: shape.heads,
          head_size: shape.headSize,
          chunk: shape.chunk,
          hashes: shape.hashes,
          first_token_ms: null,
          ms_per_token: null,
          tokens_per_s: null,
          speedup: null,
          fused: s.ctx.fused,
          skipped: length + newTokens > shape.maxLength ? `prompt + new tokens exceed the model's ${shape.maxLength} positions` : s.budget.check(predicted),
          note: null,
        };
        rows.push(row);
        if (row.skipped) {
          s.log(`  skip ${row.impl} L=${length}: ${row.skipped}`);
          continue;
        }
        const start = performance.now();
        const m = await measureGeneration(model, length, {newTokens, useCache});
        s.times.record(key, length, performance.now() - start);
        measured[useCache ? 'cached' : 'uncached'] = m;
        Object.assign(row, {first_token_ms: m.firstTokenMs, ms_per_token: m.perToken, tokens_per_s: m.tokensPerSecond});
        s.log(`  ${row.impl} L=${length}: ${m.perToken.median} ms/token (${m.tokensPerSecond} tokens/s), first token ${m.firstTokenMs} ms [${formatMs(performance.now() - start)}]`);
      }
      const cachedRow = rows.find((r) => r.impl === 'generate-cached' && r.prompt_length === length)!;
      if (measured.cached && measured.uncached) cachedRow.speedup = roundSig(measured.cached.tokensPerSecond / measured.uncached.tokensPerSecond, 3);
    }
  } finally {
    model.dispose();
  }
  s.log(`  generate: ${formatMs(performance.now() - started)}`);
  return {
    rows,
    notes: [
      'Per-token time is the interval between consecutive tokens handed out by generate (step or whole forward, logits read-back, sampling); the first token (prompt processing) is reported apart.',
      `Model: ${shape.layers} layers (local and LSH alternating), ${shape.heads} heads of ${shape.headSize}, chunk ${shape.chunk}, ${shape.hashes} hash rounds, vocab ${shape.vocab}, batch 1, backend ${tf.getBackend()}.`,
      'speedup (cached rows): tokens per second with the cache over tokens per second without it, at the same prompt length.',
    ],
    config: {grid, model: shape},
  };
}
