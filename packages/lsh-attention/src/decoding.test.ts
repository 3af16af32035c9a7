import * as tf from '@tensorflow/tfjs-core';
import {randomRotations} from '@reformerjs/lsh-hash';
import {expectNoLeaks, relativeError} from '@reformerjs/test-utils';
import {afterAll, describe, expect, it} from 'vitest';
import {LocalDecodingState, LSHDecodingState, type LSHDecodingOptions, type LocalDecodingOptions} from './decoding.js';
import {localAttentionCore} from './local-attention.js';
import {lshAttentionCore} from './lsh-attention.js';
import {randomArray} from './testing/reference.js';

const tensors: tf.Tensor[] = [];
afterAll(() => tf.dispose(tensors));
const keep = <T extends tf.Tensor>(t: T): T => (tensors.push(t), t);

const [BATCH, HEADS, DIM] = [2, 2, 4];

function heads(length: number, seed: number): tf.Tensor4D {
  const shape: [number, number, number, number] = [BATCH, HEADS, length, DIM];
  return keep(tf.tensor4d(randomArray(shape, seed), shape));
}

/** x[:, :, start:end] */
function positions(x: tf.Tensor4D, start: number, end: number): tf.Tensor4D {
  return tf.slice(x, [0, 0, start, 0], [-1, -1, end - start, -1]);
}

/** A mask [batch, total] with `real` ones then zeros (the model's padding). */
function paddingMask(real: number, total: number): tf.Tensor2D {
  const row = [...Array(real).fill(1), ...Array(total - real).fill(0)];
  return tf.tensor2d([row, row], [BATCH, total], 'int32');
}

/** The model's padding rule for a layer of chunk `chunk` when the sequence is padded to a multiple of `multiple`. */
const modelLength = (length: number, multiple: number, minChunk: number): number =>
  length % multiple === 0 || length <= minChunk ? length : Math.ceil(length / multiple) * multiple;

type LSHCase = Omit<LSHDecodingOptions, 'numHeads' | 'headSize' | 'batch' | 'rotations' | 'seed'> & {
  numBuckets: number | number[];
  /** Pad the uncached sequence to a multiple of this (as the model does), with mask 0. */
  padTo?: number;
};

describe('LSHDecodingState', () => {
  const LENGTH = 26;
  const qk = heads(LENGTH, 11);
  const v = heads(LENGTH, 12);

  const cases: Array<[string, LSHCase]> = [
    ['1 round, 1 chunk before', {chunkLength: 4, numBuckets: 4, causal: true}],
    ['2 rounds, factorised buckets [2, 4]', {chunkLength: 4, numBuckets: [2, 4], numHashes: 2, causal: true}],
    ['3 rounds, 2 chunks before, 1 after, not causal', {chunkLength: 3, numBuckets: 4, numHashes: 3, numChunksBefore: 2, numChunksAfter: 1}],
    ['1 round, 3 chunks before (rolls past the chunk count)', {chunkLength: 4, numBuckets: 2, numChunksBefore: 3, causal: true}],
    ['same bucket only, 2 rounds', {chunkLength: 4, numBuckets: 4, numHashes: 2, sameBucketOnly: true, causal: true}],
    ['padded as the model pads (multiple of 8, chunk 4, 2 rounds)', {chunkLength: 4, numBuckets: 4, numHashes: 2, causal: true, padTo: 8}],
  ];

  for (const [name, c] of cases) {
    it(`gives the uncached forward's last position at every length: ${name}`, () => {
      const {padTo, ...options} = c;
      const rotations = keep(
        randomRotations({heads: HEADS, dim: DIM, numHashes: options.numHashes ?? 1, numBuckets: options.numBuckets, seed: 5}),
      );
      const state = new LSHDecodingState({...options, batch: BATCH, numHeads: HEADS, headSize: DIM, rotations, capacity: 3});
      let worst = 0;
      for (let t = 0; t < LENGTH; t++) {
        const total = padTo === undefined ? t + 1 : modelLength(t + 1, padTo, options.chunkLength!);
        const [qkRow, vRow] = [positions(qk, t, t + 1), positions(v, t, t + 1)];
        const step = state.step(qkRow, vRow, padTo === undefined ? {} : {sequenceLength: total});
        // The uncached call: the whole sequence so far, plus the padding the model would append.
        const whole = [positions(qk, 0, Math.min(total, LENGTH)), positions(v, 0, Math.min(total, LENGTH))];
        const padded = whole.map((x) => (x.shape[2] === total ? x : tf.pad(x, [[0, 0], [0, 0], [0, total - x.shape[2]], [0, 0]]))) as tf.Tensor4D[];
        const mask = total > t + 1 ? paddingMask(t + 1, total) : undefined;
        const {output} = lshAttentionCore(padded[0]!, padded[1]!, options, {rotations, ...(mask ? {attentionMask: mask} : {})});
        const last = positions(output, t, t + 1);
        worst = Math.max(worst, relativeError(step, last));
        tf.dispose([qkRow, vRow, step, ...whole, ...padded, mask!, output, last].filter((x) => x !== undefined));
      }
      expect(worst).toBeLessThan(1e-5);
      expect(state.length).toBe(LENGTH);
      state.dispose();
    });
  }

  it('matches after a bulk append of a prefix, and reads asynchronously to the same numbers', async () => {
    const options = {chunkLength: 4, numBuckets: 4, numHashes: 2, causal: true, batch: BATCH, numHeads: HEADS, headSize: DIM, seed: 9};
    const sync = new LSHDecodingState(options);
    const async = new LSHDecodingState(options);
    const [prefixQK, prefixV] = [positions(qk, 0, 17), positions(v, 0, 17)];
    sync.append(prefixQK, prefixV);
    await async.appendAsync(prefixQK, prefixV);
    for (let t = 17; t < LENGTH; t++) {
      const [qkRow, vRow] = [positions(qk, t, t + 1), positions(v, t, t + 1)];
      const a = sync.step(qkRow, vRow);
      const b = await async.stepAsync(qkRow, vRow);
      expect(relativeError(b, a)).toBe(0);
      const {output} = lshAttentionCore(positions(qk, 0, t + 1), positions(v, 0, t + 1), {chunkLength: 4, numBuckets: 4, numHashes: 2, causal: true}, {rotations: sync.rotations});
      const last = positions(output, t, t + 1);
      expect(relativeError(a, last)).toBeLessThan(1e-5);
      tf.dispose([qkRow, vRow, a, b, output, last]);
    }
    tf.dispose([prefixQK, prefixV]);
    sync.dispose();
    async.dispose();
  });

  it('copies a bounded number of key rows per step, whatever the length', () => {
    const [chunkLength, rounds, before] = [4, 2, 1];
    const state = new LSHDecodingState({chunkLength, numBuckets: 8, numHashes: rounds, numChunksBefore: before, causal: true, batch: 1, numHeads: 1, headSize: DIM, seed: 3});
    const long = keep(tf.tensor4d(randomArray([1, 1, 400, DIM], 21), [1, 1, 400, DIM]));
    const window = rounds * (before + 1) * chunkLength; // 16
    const perStep: number[] = [];
    for (const prefix of [20, 100, 399]) {
      const fresh = new LSHDecodingState({chunkLength, numBuckets: 8, numHashes: rounds, numChunksBefore: before, causal: true, batch: 1, numHeads: 1, headSize: DIM, seed: 3});
      const [q, val, row] = [positions(long, 0, prefix), positions(long, 0, prefix), positions(long, prefix, prefix + 1)];
      fresh.append(q, val);
      tf.dispose(fresh.step(row, row));
      perStep.push(fresh.lastStepRows);
      tf.dispose([q, val, row]);
      fresh.dispose();
    }
    for (const rows of perStep) expect(rows).toBeLessThanOrEqual(window);
    expect(perStep[2]).toBeGreaterThan(0);
    // Within one chunk the step is full attention over every stored position.
    const row = positions(long, 0, 1);
    tf.dispose(state.step(row, row));
    expect(state.lastStepRows).toBe(1);
    expect(state.gatheredRows).toBe(1);
    row.dispose();
    state.dispose();
  });

  it('leaks no tensors across steps', async () => {
    const state = new LSHDecodingState({chunkLength: 4, numBuckets: 4, numHashes: 2, batch: BATCH, numHeads: HEADS, headSize: DIM, seed: 1});
    const rows = Array.from({length: 12}, (_, t) => [positions(qk, t, t + 1), positions(v, t, t + 1)] as const);
    await expectNoLeaks(async () => {
      for (const [a, b] of rows.slice(0, 6)) tf.dispose(state.step(a, b));
      for (const [a, b] of rows.slice(6)) tf.dispose(await state.stepAsync(a, b));
    });
    tf.dispose(rows.flat());
    const before = tf.memory().numTensors;
    state.dispose();
    expect(tf.memory().numTensors).toBe(before - 1); // its rotations
  });

  it('rejects bad options and inputs with errors naming the argument, the value and the expectation', () => {
    const base = {batch: 1, numHeads: 2, headSize: 4, seed: 0};
    expect(() => new LSHDecodingState({...base} as LSHDecodingOptions)).toThrow(/^options\.numBuckets: expected a bucket count .*got undefined$/);
    expect(() => new LSHDecodingState({...base, numBuckets: 7})).toThrow(/numBuckets: expected an even integer >= 2.*got 7/);
    const rotations = keep(randomRotations({heads: 2, dim: 4, numHashes: 1, numBuckets: 4, seed: 0}));
    expect(() => new LSHDecodingState({...base, numBuckets: 4, rotations})).toThrow(
      'options.rotations / options.seed: expected exactly one of them, got both',
    );
    expect(() => new LSHDecodingState({...base, numBuckets: 8, seed: undefined, rotations})).toThrow(
      /^options\.rotations: expected a rank-4 float32 tensor of shape \[2, 4, 1, 4\].*got a float32 tensor of shape \[2, 4, 1, 2\]$/,
    );
    expect(() => new LSHDecodingState({...base, numBuckets: 4, numHashes: 2, duplicateAttentionCorrection: true})).toThrow(
      /^options\.duplicateAttentionCorrection: expected false.*got true$/,
    );
    expect(() => new LSHDecodingState({...base, numBuckets: 4, bogus: 1} as LSHDecodingOptions)).toThrow(/options\.bogus: expected one of the options/);
    const state = new LSHDecodingState({...base, numBuckets: 4});
    const two = keep(tf.zeros([1, 2, 2, 4])) as tf.Tensor4D;
    const one = keep(tf.zeros([1, 2, 1, 4])) as tf.Tensor4D;
    expect(() => state.step(two, one)).toThrow(/^queryKey: expected a rank-4 float32 tensor of shape \[1, 2, 1, 4\].*got a float32 tensor of shape \[1, 2, 2, 4\]$/);
    expect(() => state.step(one, one, {sequenceLength: 0})).toThrow('call.sequenceLength: expected an integer >= 1 (the positions after this step; padding comes after them), got 0');
    expect(state.length).toBe(0); // a rejected step stores nothing
    state.dispose();
    expect(() => state.step(one, one)).toThrow('LSHDecodingState: expected a live state, got one whose dispose() was called');
  });
});

describe('LocalDecodingState', () => {
  const LENGTH = 23;
  const q = heads(LENGTH, 31);
  const k = heads(LENGTH, 32);
  const v = heads(LENGTH, 33);

  const cases: Array<[string, Omit<LocalDecodingOptions, 'numHeads' | 'headSize'> & {padTo?: number}]> = [
    ['1 chunk before, causal', {chunkLength: 4, causal: true}],
    ['2 chunks before (the own chunk twice while there are 2 chunks), causal', {chunkLength: 3, numChunksBefore: 2, causal: true}],
    ['3 chunks before (rolls past the chunk count), causal', {chunkLength: 3, numChunksBefore: 3, causal: true}],
    ['1 before, 1 after, not causal', {chunkLength: 4, numChunksAfter: 1}],
    ['padded as the model pads (multiple of 8, chunk 4)', {chunkLength: 4, causal: true, padTo: 8}],
  ];

  for (const [name, c] of cases) {
    it(`gives the uncached forward's last position at every length: ${name}`, () => {
      const {padTo, ...options} = c;
      const state = new LocalDecodingState({...options, batch: BATCH, numHeads: HEADS, headSize: DIM});
      let worst = 0;
      for (let t = 0; t < LENGTH; t++) {
        const total = padTo === undefined ? t + 1 : modelLength(t + 1, padTo, options.chunkLength!);
        const rows = [q, k, v].map((x) => positions(x, t, t + 1));
        const step = state.step(rows[0]!, rows[1]!, rows[2]!, padTo === undefined ? {} : {sequenceLength: total});
        const whole = [q, k, v].map((x) => {
          const cut = positions(x, 0, Math.min(total, LENGTH));
          return cut.shape[2] === total ? cut : tf.pad(cut, [[0, 0], [0, 0], [0, total - cut.shape[2]], [0, 0]]);
        }) as tf.Tensor4D[];
        const mask = total > t + 1 ? paddingMask(t + 1, total) : undefined;
        const {output} = localAttentionCore(whole[0]!, whole[1]!, whole[2]!, options, mask ? {attentionMask: mask} : {});
        const last = positions(output, t, t + 1);
        worst = Math.max(worst, relativeError(step, last));
        tf.dispose([...rows, step, ...whole, output, last]);
        if (mask) mask.dispose();
      }
      expect(worst).toBeLessThan(1e-5);
      state.dispose();
    });
  }

  it('copies a bounded number of key rows per step and leaks nothing', async () => {
    const state = new LocalDecodingState({chunkLength: 4, numChunksBefore: 1, batch: BATCH, numHeads: HEADS, headSize: DIM, causal: true});
    const prefix = [k, v].map((x) => positions(x, 0, 20));
    state.append(prefix[0]!, prefix[1]!);
    await expectNoLeaks(async () => {
      for (let t = 20; t < LENGTH; t++) {
        const rows = [q, k, v].map((x) => positions(x, t, t + 1));
        tf.dispose(await state.stepAsync(rows[0]!, rows[1]!, rows[2]!));
        expect(state.lastStepRows).toBeLessThanOrEqual(BATCH * HEADS * 2 * 4);
        tf.dispose(rows);
      }
    });
    tf.dispose(prefix);
    state.dispose();
  });
});
