// Autoregressive generation from a causal Reformer LM: greedy or sampled (temperature, top-k) with a seeded
// JavaScript generator, with the decoding cache or by rerunning the forward on the whole prefix.
import {deriveSeed} from '@reformerjs/reversible';
import * as tf from '@tensorflow/tfjs-core';
import {checkCausalModel, checkIdRows, checkIdValues, DecodingCache, decodingSetup, maxSequenceLength, uncachedLastLogits} from './decoding-cache.js';
import type {ReformerModelWithLMHead} from './heads.js';
import {checkBoolean, checkObject, checkSeed, fail, rejectUnknownKeys} from './validate.js';

export interface GenerateOptions {
  /** Tokens to generate after the prompt. Required; prompt length + maxNewTokens <= max_position_embeddings. */
  maxNewTokens: number;
  /** Softmax temperature; 0 is greedy (argmax, the lowest id on ties). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens (ties by lower id). Default: the whole vocabulary. */
  topK?: number;
  /**
   * Seed of everything random: the sampling draws and, unless config.hash_seed is set, the LSH rotations
   * (the same rotations `model.forward(ids, {seed})` draws). Default 0.
   */
  seed?: number;
  /** true: the decoding cache (one position per token); false: rerun the forward on the whole prefix each step. Default true. */
  useCache?: boolean;
  /** Called after each generated token with the step index and the new token of every sequence. */
  onToken?: (step: number, tokens: readonly number[]) => void;
}

const OPTION_KEYS = ['maxNewTokens', 'temperature', 'topK', 'seed', 'useCache', 'onToken'] as const;

/** The stream of the sampling draws among the seeds derived from `seed`. */
const SAMPLING_STREAM = 0x5a3;

interface ResolvedGenerate {
  maxNewTokens: number;
  temperature: number;
  topK: number | undefined;
  seed: number;
  useCache: boolean;
  onToken: GenerateOptions['onToken'];
}

function resolveOptions(model: ReformerModelWithLMHead, promptLength: number, options: unknown): ResolvedGenerate {
  const o = checkObject('options', options) as Partial<GenerateOptions> & Record<string, unknown>;
  rejectUnknownKeys('options', o, OPTION_KEYS);
  const limit = maxSequenceLength(model.config);
  const room = limit - promptLength;
  const what = limit < model.config.maxPositionEmbeddings ? `the axial grid's ${limit} positions` : `max_position_embeddings ${limit}`;
  const n = o.maxNewTokens;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > room) {
    fail('maxNewTokens', `an integer in [0, ${Math.max(room, 0)}] (${what} minus the prompt's ${promptLength} tokens)`, n);
  }
  const t = o.temperature ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) fail('temperature', 'a finite number >= 0 (0 = greedy)', t);
  const k = o.topK;
  if (k !== undefined && (typeof k !== 'number' || !Number.isInteger(k) || k < 1)) {
    fail('topK', 'an integer >= 1 (or undefined: no top-k filtering)', k);
  }
  if (o.onToken !== undefined && typeof o.onToken !== 'function') fail('onToken', 'a function or undefined', o.onToken);
  return {
    maxNewTokens: n,
    temperature: t,
    topK: k,
    seed: o.seed === undefined ? 0 : checkSeed('seed', o.seed),
    useCache: checkBoolean('useCache', o.useCache, true),
    onToken: o.onToken,
  };
}

/**
 * The token drawn from `logits` (one row, float32): argmax at temperature 0, else a draw from
 * softmax(logits / temperature) restricted to the top k, with `uniform` in (0, 1) from the seeded generator.
 * Computed in float64 in JavaScript, so the same logits and uniform give the same token on every backend.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number | undefined, uniform: number): number {
  const vocab = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  const order = Array.from({length: vocab}, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const candidates = topK === undefined || topK >= vocab ? order : order.slice(0, topK);
  const top = logits[candidates[0]!]!;
  const weights = candidates.map((i) => Math.exp((logits[i]! - top) / temperature));
  let target = uniform * weights.reduce((s, w) => s + w, 0);
  for (let j = 0; j < candidates.length; j++) {
    target -= weights[j]!;
    if (target < 0) return candidates[j]!;
  }
  return candidates[candidates.length - 1]!; // rounding left target at 0
}

/** The uniform in (0, 1) sequence `b` draws at generation step `step`: counter-based, so reproducible anywhere. */
function uniformDraw(seed: number, step: number, b: number): number {
  return (deriveSeed(seed, SAMPLING_STREAM, step, b) + 0.5) / 2 ** 32;
}

/**
 * Generates `maxNewTokens` tokens after `promptIds` with a causal LM and returns them (the prompt not
 * included): an array of ids for one prompt, or one array per prompt for a batch of equal-length prompts.
 *
 * With `useCache` (the default) the prompt runs through the model once and each new token through the
 * decoding cache (one position); without it each step reruns the model's forward on the whole prefix. Both use
 * the same LSH rotations for the whole sequence and the same bucket count (config.num_buckets, or HF's
 * automatic choice for prompt + maxNewTokens tokens). See the README's "Generation" for when the two give the
 * same tokens.
 */
export async function generate(model: ReformerModelWithLMHead, promptIds: readonly number[], options: GenerateOptions): Promise<number[]>;
export async function generate(
  model: ReformerModelWithLMHead,
  promptIds: readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<number[][]>;
export async function generate(
  model: ReformerModelWithLMHead,
  promptIds: readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<number[] | number[][]> {
  const lm = checkCausalModel(model);
  const single = Array.isArray(promptIds) && promptIds.length > 0 && !Array.isArray(promptIds[0]);
  const rows = checkIdRows(single ? [promptIds] : promptIds, 'promptIds');
  checkIdValues(rows, lm.config.vocabSize, 'promptIds');
  const o = resolveOptions(lm, rows[0]!.length, options);
  const generated = rows.map((): number[] => []);
  if (o.maxNewTokens > 0) {
    const maxLength = rows[0]!.length + o.maxNewTokens;
    const pick = async (logits: tf.Tensor2D, step: number): Promise<number[]> => {
      const values = await logits.data();
      logits.dispose();
      const vocab = lm.config.vocabSize;
      const tokens = rows.map((_, b) =>
        sampleToken(values.subarray(b * vocab, (b + 1) * vocab), o.temperature, o.topK, uniformDraw(o.seed, step, b)),
      );
      tokens.forEach((token, b) => generated[b]!.push(token));
      o.onToken?.(step, tokens);
      return tokens;
    };
    if (o.useCache) {
      const cache = new DecodingCache(lm, {seed: o.seed, maxLength});
      try {
        let tokens = await pick(await cache.forward(rows), 0);
        for (let step = 1; step < o.maxNewTokens; step++) {
          tokens = await pick(await cache.forward(tokens.map((t) => [t])), step);
        }
      } finally {
        cache.dispose();
      }
    } else {
      const setup = decodingSetup(lm, {seed: o.seed, maxLength});
      try {
        for (let step = 0; step < o.maxNewTokens; step++) {
          const sequences = rows.map((row, b) => [...row, ...generated[b]!]);
          const ids = tf.tensor2d(sequences.flat(), [rows.length, sequences[0]!.length], 'int32');
          let logits: tf.Tensor2D;
          try {
            logits = uncachedLastLogits(lm, setup, ids);
          } finally {
            ids.dispose();
          }
          await pick(logits, step);
        }
      } finally {
        tf.dispose(Object.values(setup.rotations));
      }
    }
  }
  return single ? generated[0]! : generated;
}
