import * as tf from '@tensorflow/tfjs-core';
import {hashVectors, randomRotations} from '@reformerjs/lsh-hash';
import {expectRelativeClose, expectTensorEqual} from '@reformerjs/test-utils';
import {afterAll, describe, expect, it} from 'vitest';
import {randomArray, refFullAttention, refLSHAttention, rng, type Heads, type RefLSHOptions} from './testing/reference.js';
import {fullAttentionCore} from './full-attention.js';
import {lshAttentionCore} from './lsh-attention.js';

const tensors: tf.Tensor[] = [];
afterAll(() => tf.dispose(tensors));
const keep = <T extends tf.Tensor>(t: T): T => (tensors.push(t), t);

function heads(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return keep(tf.tensor4d(randomArray(shape, seed), shape));
}

/** Buckets [batch, heads, rounds, length] drawn uniformly from `perRound` buckets, round offsets included. */
function randomBuckets(shape: [number, number, number, number], perRound: number, seed: number): tf.Tensor4D {
  const r = rng(seed);
  const [b, h, rounds, length] = shape;
  const values: number[] = [];
  for (let i = 0; i < b * h; i++)
    for (let round = 0; round < rounds; round++)
      for (let t = 0; t < length; t++) values.push(round * perRound + Math.floor(r() * perRound));
  return keep(tf.tensor4d(values, [b, h, rounds, length], 'int32'));
}

function maskOf(rows: number[][]): tf.Tensor2D {
  return keep(tf.tensor2d(rows, undefined, 'int32'));
}

const arr = (t: tf.Tensor) => t.arraySync() as Heads;

describe('lshAttentionCore', () => {
  const shape: [number, number, number, number] = [2, 2, 16, 4];
  const qk = heads(shape, 1);
  const v = heads(shape, 2);

  it('equals full shared-QK attention when every token shares one bucket and the window covers the sequence', () => {
    const mask = maskOf([Array(16).fill(1), [...Array(11).fill(1), ...Array(5).fill(0)]]);
    for (const causal of [false, true]) {
      const full = fullAttentionCore(qk, undefined, v, {sharedQK: true, causal}, {attentionMask: mask}).output;
      for (const [numHashes, before, after] of [
        [1, 1, 0],
        [2, 1, 0],
        [3, 0, 1],
      ] as const) {
        const buckets = keep(tf.zeros([2, 2, numHashes, 16], 'int32')) as tf.Tensor4D;
        const lsh = lshAttentionCore(
          qk,
          v,
          {chunkLength: 8, numChunksBefore: before, numChunksAfter: after, numHashes, numBuckets: 2, causal},
          {buckets, attentionMask: mask},
        ).output;
        expectRelativeClose(lsh, full, 1e-5, `causal ${causal}, ${numHashes} rounds, window (${before}, ${after})`);
        lsh.dispose();
      }
      full.dispose();
    }
  });

  it('equals full shared-QK attention when 2 buckets are drawn but every vector hashes alike', () => {
    // Positive vectors and an all-ones rotation: every projection is positive, so every bucket is 0.
    const positive = keep(tf.abs(qk));
    const rotations = keep(tf.ones([2, 4, 2, 1])) as tf.Tensor4D;
    const mask = maskOf([Array(16).fill(1), [...Array(13).fill(1), 0, 0, 0]]);
    const full = fullAttentionCore(positive, undefined, v, {sharedQK: true, causal: true}, {attentionMask: mask}).output;
    const lsh = lshAttentionCore(
      positive,
      v,
      {chunkLength: 8, numHashes: 2, numBuckets: 2, causal: true},
      {rotations, attentionMask: mask, hasPadding: true, returnBuckets: true},
    );
    // Real tokens in bucket 0 of each round, padding in the extra bucket 2: offsets 0 and 3.
    const expectedBuckets = [0, 1].flatMap((b) =>
      [0, 1].flatMap(() => [0, 3].flatMap((offset) => Array.from({length: 16}, (_, t) => offset + (b === 1 && t >= 13 ? 2 : 0)))),
    );
    expectTensorEqual(lsh.buckets!, expectedBuckets, 'buckets');
    expectRelativeClose(lsh.output, full, 1e-5, 'output');
    tf.dispose([full, lsh.output, lsh.buckets!]);
  });

  it('equals full shared-QK attention for a sequence no longer than one chunk (HF fallback)', () => {
    const full = fullAttentionCore(qk, undefined, v, {sharedQK: true, causal: true}).output;
    const lsh = lshAttentionCore(qk, v, {chunkLength: 16, numHashes: 2, numBuckets: 4, causal: true}, {seed: 3});
    expectRelativeClose(lsh.output, full, 1e-6, 'fallback');
    expect(lsh.buckets).toBeUndefined();
    tf.dispose([full, lsh.output]);
  });

  const cases: Array<[string, Omit<RefLSHOptions, 'mask'> & {numBuckets: number}, boolean]> = [
    ['one round, causal', {chunkLength: 4, before: 1, after: 0, numHashes: 1, numBuckets: 4, causal: true}, false],
    ['three rounds, causal, padding mask', {chunkLength: 4, before: 1, after: 0, numHashes: 3, numBuckets: 4, causal: true}, true],
    ['two rounds, bidirectional, window (1, 1), padding mask', {chunkLength: 4, before: 1, after: 1, numHashes: 2, numBuckets: 4, causal: false}, true],
    ['two rounds, window (2, 0)', {chunkLength: 2, before: 2, after: 0, numHashes: 2, numBuckets: 6, causal: true}, false],
    [
      'three rounds, duplicate-attention correction',
      {chunkLength: 4, before: 1, after: 0, numHashes: 3, numBuckets: 2, causal: true, duplicateAttentionCorrection: true},
      true,
    ],
    [
      'two rounds, window (1, 1), duplicate-attention correction and same-bucket restriction',
      {chunkLength: 4, before: 1, after: 1, numHashes: 2, numBuckets: 4, causal: false, duplicateAttentionCorrection: true, sameBucketOnly: true},
      true,
    ],
    ['same-bucket restriction', {chunkLength: 4, before: 1, after: 0, numHashes: 2, numBuckets: 2, causal: true, sameBucketOnly: true}, false],
  ];
  for (const [label, o, masked] of cases) {
    it(`matches the brute-force reference: ${label}`, () => {
      for (const length of [16, 13]) {
        const q = heads([2, 2, length, 4], 10 + length);
        const val = heads([2, 2, length, 4], 20 + length);
        const buckets = randomBuckets([2, 2, o.numHashes, length], o.numBuckets, 30 + length);
        const maskRows = [Array(length).fill(1), [...Array(length - 4).fill(1), 0, 1, 0, 0]];
        const mask = masked ? maskOf(maskRows) : undefined;
        const out = lshAttentionCore(
          q,
          val,
          {
            chunkLength: o.chunkLength,
            numChunksBefore: o.before,
            numChunksAfter: o.after,
            numHashes: o.numHashes,
            numBuckets: o.numBuckets,
            causal: o.causal,
            duplicateAttentionCorrection: o.duplicateAttentionCorrection ?? false,
            sameBucketOnly: o.sameBucketOnly ?? false,
          },
          {buckets, attentionMask: mask},
        ).output;
        const expected = refLSHAttention(arr(q), arr(val), buckets.arraySync() as number[][][][], {
          ...o,
          mask: masked ? maskRows : undefined,
        });
        expectRelativeClose(out, expected.flat(3), 2e-5, `${label}, length ${length}`);
        out.dispose();
      }
    });
  }

  it('the correction changes the output only with several rounds, and is 0 with one', () => {
    const buckets = randomBuckets([2, 2, 1, 16], 4, 5);
    const o = {chunkLength: 4, numHashes: 1, numBuckets: 4};
    const plain = lshAttentionCore(qk, v, o, {buckets}).output;
    const corrected = lshAttentionCore(qk, v, {...o, duplicateAttentionCorrection: true}, {buckets}).output;
    expectTensorEqual(corrected, plain, 'one round');
    tf.dispose([plain, corrected]);
  });

  it('hashes with the given rotations exactly as lsh-hash does, and returns those buckets', () => {
    const mask = maskOf([Array(16).fill(1), [...Array(12).fill(1), 0, 0, 0, 0]]);
    const rotations = keep(randomRotations({heads: 2, dim: 4, numHashes: 3, numBuckets: [2, 4], seed: 7}));
    const o = {chunkLength: 4, numHashes: 3, numBuckets: [2, 4], causal: true};
    const hashed = hashVectors(qk, {numBuckets: [2, 4], numHashes: 3, rotations, attentionMask: mask}).buckets;
    const result = lshAttentionCore(qk, v, o, {rotations, attentionMask: mask, returnBuckets: true});
    expectTensorEqual(result.buckets!, hashed, 'buckets');
    const reused = lshAttentionCore(qk, v, o, {buckets: result.buckets, attentionMask: mask}).output;
    expectTensorEqual(reused, result.output, 'output with the returned buckets');
    const fromSeed = lshAttentionCore(qk, v, o, {seed: 7, attentionMask: mask, returnBuckets: true});
    expectTensorEqual(fromSeed.buckets!, hashed, 'buckets drawn from the seed of the rotations');
    tf.dispose([hashed, result.output, result.buckets!, reused, fromSeed.output, fromSeed.buckets!]);
  });

  it('pads a length that is not a chunk multiple exactly as explicit padding with a mask would', () => {
    const length = 13;
    const q = heads([2, 2, length, 4], 41);
    const val = heads([2, 2, length, 4], 42);
    const o = {chunkLength: 4, numHashes: 2, numBuckets: 4, causal: true};
    const result = lshAttentionCore(q, val, o, {seed: 5, returnBuckets: true});
    expect(result.buckets!.shape).toEqual([2, 2, 2, length]);
    // The same sequence padded by the caller, with the padding masked and sorted last in each round.
    const buckets = result.buckets!;
    const roundMax = tf.max(buckets, 3, true);
    const paddedBuckets = tf.concat([buckets, tf.tile(roundMax, [1, 1, 1, 3])], 3) as tf.Tensor4D;
    const padded = lshAttentionCore(tf.pad(q, [[0, 0], [0, 0], [0, 3], [0, 0]]), tf.pad(val, [[0, 0], [0, 0], [0, 3], [0, 0]]), o, {
      buckets: paddedBuckets,
      attentionMask: maskOf([0, 1].map(() => [...Array(length).fill(1), 0, 0, 0])),
    }).output;
    expectRelativeClose(result.output, tf.slice(padded, [0, 0, 0, 0], [2, 2, length, 4]), 1e-6, 'padded');
    tf.dispose([result.output, buckets, roundMax, paddedBuckets, padded]);
  });

  it('draws the same rotations from the same seed and different ones from another', () => {
    const o = {chunkLength: 4, numHashes: 2, numBuckets: 8};
    const a = lshAttentionCore(qk, v, o, {seed: 11, returnBuckets: true});
    const b = lshAttentionCore(qk, v, o, {seed: 11, returnBuckets: true});
    const c = lshAttentionCore(qk, v, o, {seed: 12, returnBuckets: true});
    expectTensorEqual(b.output, a.output, 'same seed');
    expect(Array.from(c.buckets!.dataSync())).not.toEqual(Array.from(a.buckets!.dataSync()));
    tf.dispose([a.output, a.buckets!, b.output, b.buckets!, c.output, c.buckets!]);
  });

  it('chooses the bucket count automatically when numBuckets is omitted (HF rule)', () => {
    const result = lshAttentionCore(qk, v, {chunkLength: 4}, {seed: 1, returnBuckets: true});
    // 16 / 4 chunks -> 2 * 4 = 8 buckets per round.
    expect(Math.max(...(result.buckets!.dataSync() as Int32Array))).toBeLessThan(8);
    tf.dispose([result.output, result.buckets!]);
  });

  it('applies attention dropout only when training, reproducibly from dropoutSeed', () => {
    const o = {chunkLength: 4, numHashes: 2, numBuckets: 4, dropout: 0.5};
    const buckets = randomBuckets([2, 2, 2, 16], 4, 9);
    const plain = lshAttentionCore(qk, v, {...o, dropout: 0}, {buckets}).output;
    const eval_ = lshAttentionCore(qk, v, o, {buckets}).output;
    const a = lshAttentionCore(qk, v, o, {buckets, training: true, dropoutSeed: 3}).output;
    const b = lshAttentionCore(qk, v, o, {buckets, training: true, dropoutSeed: 3}).output;
    expectTensorEqual(eval_, plain, 'not training');
    expectTensorEqual(b, a, 'same dropout seed');
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(plain.dataSync()));
    tf.dispose([plain, eval_, a, b]);
  });
});

describe('fullAttentionCore', () => {
  it('matches the brute-force reference, shared-QK or not, with causal and padding masks', () => {
    const shape: [number, number, number, number] = [2, 2, 7, 4];
    const q = heads(shape, 51);
    const k = heads(shape, 52);
    const v = heads(shape, 53);
    const rows = [Array(7).fill(1), [1, 1, 1, 0, 1, 0, 0]];
    for (const causal of [false, true]) {
      for (const sharedQK of [false, true]) {
        const out = fullAttentionCore(q, sharedQK ? undefined : k, v, {causal, sharedQK}, {attentionMask: maskOf(rows)}).output;
        const expected = refFullAttention(arr(q), sharedQK ? undefined : arr(k), arr(v), {causal, mask: rows});
        expectRelativeClose(out, expected.flat(3), 1e-5, `causal ${causal}, sharedQK ${sharedQK}`);
        out.dispose();
      }
    }
  });
});
