// The fused chunked-attention kernel against the reference path on the same backend (webgpu, fused kernels
// switched off): outputs and the gradients of queries/keys and values within 1e-4 relative, over shapes, masks,
// windows and round counts, in each mode of the programs: one thread per row with the backward's scores stored (the
// default where the window is small) or recomputed, and subgroup lanes (SUBGROUPS_FLAG on: head sizes 8, 16 and 64
// get 2, 4 and 4 threads per row where the device has subgroups; 12 gets one).
import * as tf from '@tensorflow/tfjs';
import {FUSED_KERNELS_FLAG} from '@reformerjs/lsh-hash';
import {fullAttentionCore, localAttentionCore, lshAttentionCore, type LSHAttentionCoreOptions} from '@reformerjs/lsh-attention';
import {relativeError} from '@reformerjs/test-utils';
import {SUBGROUPS_FLAG} from '../device/subgroups.js';
import {programsRun, withoutValidationErrors} from '../testing/gpu.js';
import {MAX_BINDING_FLAG, STORED_SCORES_FLAG} from './index.js';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

const TOLERANCE = 1e-4;
/**
 * Head size 64 compiles the largest shaders: Mesa's lavapipe (LLVM) took up to 85 s for one mode's programs with
 * an empty shader cache, as in CI. The time is compilation, once per program.
 */
const LARGE_SHADER_TIMEOUT_MS = 240_000;

afterEach(() => {
  tf.env().set(SUBGROUPS_FLAG, false);
  tf.env().set(STORED_SCORES_FLAG, true);
  tf.env().set(FUSED_KERNELS_FLAG, true);
  tf.env().set(MAX_BINDING_FLAG, 0);
});

/** Deterministic inputs: a seeded normal draw per name. */
const normal = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

type Attention = (query: tf.Tensor4D, value: tf.Tensor4D) => tf.Tensor4D;

/** The output and the gradients of sum(output · weights) with respect to query and value, read back. */
async function outputAndGradients(attend: Attention, query: tf.Tensor4D, value: tf.Tensor4D, weights: tf.Tensor) {
  const [output, dQuery, dValue] = await withoutValidationErrors(() => {
    const grads = tf.grads((q: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(attend(q as tf.Tensor4D, v as tf.Tensor4D), weights)));
    return [tf.tidy(() => attend(query, value)), ...grads([query, value])];
  });
  const read = await Promise.all([output, dQuery!, dValue!].map((t) => t.data()));
  tf.dispose([output, dQuery, dValue]);
  return read;
}

/** Runs `attend` fused and on the reference path; expects the same numbers and no leaked tensors. */
async function expectFusedMatchesReference(attend: Attention, shape: [number, number, number, number]) {
  const query = normal(shape, 1) as tf.Tensor4D;
  const value = normal(shape, 2) as tf.Tensor4D;
  const weights = normal(shape, 3);
  tf.env().set(FUSED_KERNELS_FLAG, false);
  const reference = await outputAndGradients(attend, query, value, weights);
  tf.env().set(FUSED_KERNELS_FLAG, true);
  const before = tf.memory().numTensors;
  const fused = await outputAndGradients(attend, query, value, weights);
  expect(tf.memory().numTensors).toBe(before);
  const names = ['output', 'dQuery', 'dValue'];
  fused.forEach((values, i) => {
    const error = relativeError(values, reference[i]!);
    expect(error, `${names[i]}: relative error ${error}`).toBeLessThan(TOLERANCE);
  });
  tf.dispose([query, value, weights]);
}

/**
 * The programs' modes. The default runs every case; the others a few that reach each of their code paths (lanes
 * 2 and 4, padding, a wide window), since every case compiles its own shaders: with an empty shader cache, as in
 * CI, this file took about 5 minutes on lavapipe with these subsets and 7 with every case in every mode.
 */
const modes: Array<{name: string; subgroups: boolean; storedScores: boolean; only?: string[]}> = [
  {name: 'one thread per row, stored scores in the backward where the window is small', subgroups: false, storedScores: true},
  {
    name: 'one thread per row, scores recomputed in the backward',
    subgroups: false,
    storedScores: false,
    only: ['four rounds, bidirectional', 'padding mask', 'local, a chunk before and after, padded length'],
  },
  {
    name: 'subgroup lanes where the device has them (scores recomputed)',
    subgroups: true,
    storedScores: true,
    only: ['one round, causal', 'four rounds, bidirectional', 'padding mask', 'full, shared query/key'],
  },
];
for (const mode of modes) describe(mode.name, () => {
  const runs = (name: string) => mode.only === undefined || mode.only.includes(name);
  beforeEach(() => {
    tf.env().set(SUBGROUPS_FLAG, mode.subgroups);
    tf.env().set(STORED_SCORES_FLAG, mode.storedScores);
  });

  describe('fused LSH attention matches the reference path', () => {
    const cases: Array<{name: string; shape: [number, number, number, number]; options: LSHAttentionCoreOptions; mask?: number[][]; timeout?: number}> = [
      {name: 'one round, causal', shape: [1, 2, 32, 8], options: {chunkLength: 8, numHashes: 1, numBuckets: 4, causal: true}},
      {name: 'four rounds, bidirectional', shape: [2, 2, 32, 16], options: {chunkLength: 8, numHashes: 4, numBuckets: 4}},
      {name: 'two rounds, a chunk after', shape: [1, 3, 48, 8], options: {chunkLength: 16, numHashes: 2, numBuckets: 6, numChunksAfter: 1, causal: true}},
      {name: 'no neighbours, padded length', shape: [2, 1, 27, 12], options: {chunkLength: 8, numHashes: 3, numBuckets: 4, numChunksBefore: 0}},
      {name: 'head size 64, chunk 64', shape: [1, 1, 128, 64], options: {chunkLength: 64, numHashes: 2, numBuckets: 4, causal: true}, timeout: LARGE_SHADER_TIMEOUT_MS},
      {
        name: 'padding mask',
        shape: [2, 2, 24, 8],
        options: {chunkLength: 8, numHashes: 2, numBuckets: 4, causal: true},
        mask: [Array.from({length: 24}, (_, i) => (i < 19 ? 1 : 0)), Array.from({length: 24}, () => 1)],
      },
    ];
    for (const c of cases.filter((c) => runs(c.name))) {
      it(c.name, async () => {
        const attentionMask = c.mask ? tf.tensor2d(c.mask, undefined, 'int32') : undefined;
        // Given buckets, so that this compares attention alone (the hashing kernel has tests of its own).
        const [batch, heads, length] = c.shape;
        const rounds = c.options.numHashes!;
        const perRound = c.options.numBuckets as number;
        const buckets = tf.tidy(() =>
          tf.add(
            tf.randomUniformInt([batch, heads, rounds, length], 0, perRound, 11),
            tf.reshape(tf.range(0, rounds * perRound, perRound, 'int32'), [1, 1, rounds, 1]), // [1, 1, rounds, 1]
          ),
        ) as tf.Tensor4D; // int32 [batch, heads, rounds, length], round offsets included
        await expectFusedMatchesReference(
          (q, v) => lshAttentionCore(q, v, c.options, {buckets, ...(attentionMask ? {attentionMask} : {})}).output,
          c.shape,
        );
        tf.dispose([buckets, attentionMask]);
      }, c.timeout);
    }
  });

  describe('fused local and full attention match the reference path', () => {
    const cases: Array<{name: string; attend: Attention; shape: [number, number, number, number]}> = [
      {name: 'local, causal, one chunk before', attend: (q, v) => localAttentionCore(q, q, v, {chunkLength: 8, causal: true}).output, shape: [1, 2, 32, 8]},
      {name: 'local, a chunk before and after, padded length', attend: (q, v) => localAttentionCore(q, q, v, {chunkLength: 8, numChunksAfter: 1}).output, shape: [2, 1, 30, 8]},
      {name: 'full, causal', attend: (q, v) => fullAttentionCore(q, q, v, {causal: true}).output, shape: [1, 2, 40, 8]},
      {name: 'full, shared query/key', attend: (q, v) => fullAttentionCore(q, undefined, v, {sharedQK: true}).output, shape: [2, 2, 24, 16]},
    ];
    for (const c of cases.filter((c) => runs(c.name))) it(c.name, () => expectFusedMatchesReference(c.attend, c.shape));
  });
});

describe('records larger than a storage binding are split by rows', () => {
  // The layout of 'four rounds, bidirectional' (its shaders are compiled by then). Per row: forward records
  // 4 · 32 · (16 + 4) floats = 10 KiB, backward 4 · 32 · 32 floats = 16 KiB, and with stored scores
  // 4 · 32 · (16 + 2 · 2 · 8) floats = 24 KiB: at 16 KiB the backward recomputes the scores, at 24 KiB it stores
  // them; one row per group either way.
  for (const bindingBytes of [16384, 24576]) {
    it(`four rounds over four (batch, head) rows, one row per group (binding limit ${bindingBytes} bytes)`, async () => {
      tf.env().set(MAX_BINDING_FLAG, bindingBytes);
      const options = {chunkLength: 8, numHashes: 4, numBuckets: 4};
      const buckets = tf.tidy(() => tf.add(tf.randomUniformInt([2, 2, 4, 32], 0, 4, 5), tf.tensor4d([0, 4, 8, 12], [1, 1, 4, 1], 'int32'))) as tf.Tensor4D;
      await expectFusedMatchesReference((q, v) => lshAttentionCore(q, v, options, {buckets}).output, [2, 2, 32, 16]);
      buckets.dispose();
    });
  }

  it('refuses a single row larger than the limit, saying what to change', () => {
    tf.env().set(MAX_BINDING_FLAG, 1024);
    const q = tf.zeros([1, 1, 32, 8]) as tf.Tensor4D;
    expect(() => localAttentionCore(q, q, q, {chunkLength: 8})).toThrow(/exceeds the device's storage binding limit of 1024 bytes/);
    q.dispose();
  });
});

describe('which backward runs', () => {
  /** The programs (shader keys before tfjs's suffix) of one LSH attention backward. */
  async function backwardPrograms(): Promise<string[]> {
    // The layout of 'four rounds, bidirectional', whose shaders are compiled by then in both modes.
    const q = normal([2, 2, 32, 16], 1) as tf.Tensor4D;
    const buckets = tf.zeros([2, 2, 4, 32], 'int32') as tf.Tensor4D;
    const {result: grad, programs} = await programsRun(() =>
      tf.grad((x: tf.Tensor) => tf.sum(lshAttentionCore(x as tf.Tensor4D, x as tf.Tensor4D, {chunkLength: 8, numHashes: 4, numBuckets: 4}, {buckets}).output))(q),
    );
    await grad.data();
    tf.dispose([q, buckets, grad]);
    return programs;
  }
  it('stores the scores for a small window by default, and recomputes them with STORED_SCORES_FLAG off', async () => {
    expect(await backwardPrograms()).toEqual(expect.arrayContaining(['reformerChunkQueryGradScores', 'reformerChunkKeyGradFromScores']));
    tf.env().set(STORED_SCORES_FLAG, false);
    const recomputed = await backwardPrograms();
    expect(recomputed).toEqual(expect.arrayContaining(['reformerChunkQueryGrad', 'reformerChunkKeyGrad']));
    expect(recomputed).not.toContain('reformerChunkKeyGradFromScores');
  });
});
