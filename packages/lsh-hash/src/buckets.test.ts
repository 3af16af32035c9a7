import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {hashVectors} from './buckets.js';
import {randomRotations} from './rotations.js';

/** Values k/4 for small integers k: every dot product below is exact in float32, ties included. */
function dyadic(shape: number[], seed: number): {values: Float32Array; tensor: tf.Tensor} {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = ((s >>> 24) % 9) / 4 - 1;
  }
  return {values, tensor: tf.tensor(values, shape)};
}

/** Hugging Face's _hash_vectors, in plain loops. */
function referenceBuckets(
  x: Float32Array,
  [batch, heads, length, dim]: number[],
  rot: Float32Array,
  numHashes: number,
  factors: number[],
  mask?: number[],
): {buckets: number[]; perRound: number} {
  const half = factors.reduce((a, b) => a + b, 0) / 2;
  const count = factors.reduce((a, b) => a * b, 1);
  const padded = mask !== undefined && mask.some((m) => m === 0);
  const perRound = padded ? count + 1 : count;
  const out: number[] = [];
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let r = 0; r < numHashes; r++)
        for (let t = 0; t < length; t++) {
          const rotated: number[] = [];
          for (let c = 0; c < half; c++) {
            let acc = 0;
            for (let d = 0; d < dim; d++) {
              acc += x[((b * heads + h) * length + t) * dim + d] * rot[((h * dim + d) * numHashes + r) * half + c];
            }
            rotated.push(acc);
          }
          let bucket = 0;
          let stride = 1;
          let start = 0;
          for (const f of factors) {
            const slice = rotated.slice(start, start + f / 2);
            const signed = [...slice, ...slice.map((v) => -v)];
            let arg = 0;
            for (let i = 1; i < signed.length; i++) if (signed[i] > signed[arg]) arg = i; // first maximum
            bucket += arg * stride;
            stride *= f;
            start += f / 2;
          }
          if (padded && mask![b * length + t] === 0) bucket = count;
          out.push(bucket + r * perRound);
        }
  return {buckets: out, perRound};
}

describe('hashVectors', () => {
  const cases: Array<{name: string; shape: number[]; numHashes: number; numBuckets: number | number[]}> = [
    {name: 'single count', shape: [2, 3, 7, 5], numHashes: 3, numBuckets: 8},
    {name: 'two buckets', shape: [1, 2, 9, 4], numHashes: 2, numBuckets: 2},
    {name: 'factors [2, 4]', shape: [2, 2, 6, 4], numHashes: 2, numBuckets: [2, 4]},
    {name: 'factors [4, 2, 6]', shape: [1, 2, 10, 3], numHashes: 1, numBuckets: [4, 2, 6]},
  ];

  it.each(cases)('matches a loop reference exactly ($name)', async ({shape, numHashes, numBuckets}) => {
    const factors = typeof numBuckets === 'number' ? [numBuckets] : numBuckets;
    const half = factors.reduce((a, b) => a + b, 0) / 2;
    const x = dyadic(shape, 1);
    const rot = dyadic([shape[1], shape[3], numHashes, half], 2);
    const {buckets, bucketsPerRound} = hashVectors(x.tensor as tf.Tensor4D, {
      numBuckets,
      numHashes,
      rotations: rot.tensor as tf.Tensor4D,
    });
    const ref = referenceBuckets(x.values, shape, rot.values, numHashes, factors);
    expect(buckets.dtype).toBe('int32');
    expect(buckets.shape).toEqual([shape[0], shape[1], numHashes, shape[2]]);
    expect(bucketsPerRound).toBe(ref.perRound);
    expect(Array.from(await buckets.data())).toEqual(ref.buckets);
    tf.dispose([x.tensor, rot.tensor, buckets]);
  });

  it('adds a padding bucket only when the mask has a zero somewhere in the batch', async () => {
    const shape = [2, 2, 6, 4];
    const x = dyadic(shape, 3);
    const rot = dyadic([2, 4, 3, 2], 4);
    const maskValues = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]; // second sequence padded at its tail
    const mask = tf.tensor2d(maskValues, [2, 6], 'int32');
    const padded = hashVectors(x.tensor as tf.Tensor4D, {numBuckets: 4, numHashes: 3, rotations: rot.tensor as tf.Tensor4D, attentionMask: mask});
    const ref = referenceBuckets(x.values, shape, rot.values, 3, [4], maskValues);
    expect(padded.bucketsPerRound).toBe(5);
    expect(Array.from(await padded.buckets.data())).toEqual(ref.buckets);

    const ones = tf.ones([2, 6], 'float32');
    const unpadded = hashVectors(x.tensor as tf.Tensor4D, {numBuckets: 4, numHashes: 3, rotations: rot.tensor as tf.Tensor4D, attentionMask: ones});
    expect(unpadded.bucketsPerRound).toBe(4);
    expect(Array.from(await unpadded.buckets.data())).toEqual(referenceBuckets(x.values, shape, rot.values, 3, [4]).buckets);

    // hasPadding skips the read; `true` reserves the bucket as asked.
    const told = hashVectors(x.tensor as tf.Tensor4D, {numBuckets: 4, numHashes: 3, rotations: rot.tensor as tf.Tensor4D, attentionMask: mask, hasPadding: true});
    expect(told.bucketsPerRound).toBe(5);
    expect(Array.from(await told.buckets.data())).toEqual(ref.buckets);
    const boolMask = tf.cast(mask, 'bool');
    const fromBool = hashVectors(x.tensor as tf.Tensor4D, {numBuckets: 4, numHashes: 3, rotations: rot.tensor as tf.Tensor4D, attentionMask: boolMask});
    expect(Array.from(await fromBool.buckets.data())).toEqual(ref.buckets);
    tf.dispose([x.tensor, rot.tensor, mask, ones, boolMask, padded.buckets, unpadded.buckets, told.buckets, fromBool.buckets]);
  });

  it('with a seed, hashes with randomRotations of that seed', async () => {
    const x = tf.randomNormal([1, 2, 16, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
    const opts = {numBuckets: [2, 4] as number[], numHashes: 2};
    const rotations = randomRotations({heads: 2, dim: 8, numHashes: 2, numBuckets: [2, 4], seed: 17});
    const a = hashVectors(x, {...opts, seed: 17});
    const b = hashVectors(x, {...opts, rotations});
    const c = hashVectors(x, {...opts, seed: 17});
    expect(await a.buckets.data()).toEqual(await b.buckets.data());
    expect(await a.buckets.data()).toEqual(await c.buckets.data());
    tf.dispose([x, rotations, a.buckets, b.buckets, c.buckets]);
  });

  it('keeps round r in [r * bucketsPerRound, (r + 1) * bucketsPerRound)', async () => {
    const x = tf.randomNormal([2, 2, 32, 8], 0, 1, 'float32', 6) as tf.Tensor4D;
    const {buckets, bucketsPerRound} = hashVectors(x, {numBuckets: 6, numHashes: 4, seed: 1});
    const values = (await buckets.array()) as number[][][][];
    values.flat(1).forEach((rounds) => rounds.forEach((row, r) => row.forEach((v) => {
      expect(v).toBeGreaterThanOrEqual(r * bucketsPerRound);
      expect(v).toBeLessThan((r + 1) * bucketsPerRound);
    })));
    tf.dispose([x, buckets]);
  });

  it('is angular: positive scaling keeps the bucket, negation moves it by half the count', async () => {
    const x = tf.randomNormal([1, 1, 24, 6], 0, 1, 'float32', 7) as tf.Tensor4D;
    const opts = {numBuckets: 8, numHashes: 1, seed: 3};
    const [base, scaled, negated] = [x, tf.mul(x, 3.5) as tf.Tensor4D, tf.neg(x) as tf.Tensor4D].map((v) => hashVectors(v, opts).buckets);
    const b = await base.data();
    expect(await scaled.data()).toEqual(b);
    expect(Array.from(await negated.data())).toEqual(Array.from(b, (v) => (v + 4) % 8));
    tf.dispose([x, base, scaled, negated]);
  });

  it('leaks no tensors (seeded and padded)', () => {
    const x = tf.randomNormal([2, 2, 8, 4], 0, 1, 'float32', 8) as tf.Tensor4D;
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1]], [2, 8], 'int32');
    const before = tf.memory().numTensors;
    const {buckets} = hashVectors(x, {numBuckets: [2, 4], numHashes: 2, seed: 1, attentionMask: mask});
    expect(tf.memory().numTensors).toBe(before + 1);
    buckets.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask]);
  });

  describe('bad input', () => {
    const x = () => tf.zeros([1, 2, 4, 3]) as tf.Tensor4D;
    const expectThrow = (make: () => unknown, message: RegExp) => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        expect(make).toThrow(message);
      });
      expect(tf.memory().numTensors).toBe(before);
    };

    it('wrong rank of vectors', () => {
      expectThrow(
        () => hashVectors(tf.zeros([2, 4, 3]) as never, {numBuckets: 4, numHashes: 1, seed: 0}),
        /vectors: expected a rank-4 tensor \[batch, heads, length, dim\], got shape \[2, 4, 3\]/,
      );
      expectThrow(() => hashVectors([1, 2] as never, {numBuckets: 4, numHashes: 1, seed: 0}), /vectors: expected a rank-4 tensor .*got \[1, 2\]/);
    });

    it('int vectors', () => {
      expectThrow(() => hashVectors(tf.zeros([1, 1, 2, 2], 'int32') as tf.Tensor4D, {numBuckets: 4, numHashes: 1, seed: 0}), /vectors: expected dtype float32, got int32/);
    });

    it('rotations of the wrong shape say expected and got', () => {
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 2, rotations: tf.zeros([2, 3, 2, 4]) as tf.Tensor4D}),
        /rotations: expected shape \[2, 3, 2, 2\] .*got \[2, 3, 2, 4\]/,
      );
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, rotations: tf.zeros([2, 3, 2]) as never}),
        /rotations: expected a rank-4 tensor .*got shape \[2, 3, 2\]/,
      );
    });

    it.each([
      [7, /numBuckets: expected an even integer >= 2 or a non-empty list of them, got 7/],
      [4.5, /numBuckets: .*got 4\.5/],
      [0, /numBuckets: .*got 0/],
      [1, /numBuckets: .*got 1/],
      [[2, 3], /numBuckets: .*got \[2, 3\]/],
    ])('numBuckets %j', (numBuckets, message) => {
      expectThrow(() => hashVectors(x(), {numBuckets: numBuckets as never, numHashes: 1, seed: 0}), message);
    });

    it.each([0, -1, 1.5, Number.NaN, '2'])('numHashes %j', (numHashes) => {
      expectThrow(() => hashVectors(x(), {numBuckets: 4, numHashes: numHashes as never, seed: 0}), /numHashes: expected a positive integer, got /);
    });

    it('both or neither of rotations and seed', () => {
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 1, rotations: tf.zeros([2, 3, 1, 2]) as tf.Tensor4D}),
        /rotations \/ seed: expected exactly one of them, got both \(seed 1\)/,
      );
      expectThrow(() => hashVectors(x(), {numBuckets: 4, numHashes: 1}), /rotations \/ seed: expected exactly one of them, got neither/);
      expectThrow(() => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 0.5}), /seed: expected a safe integer .*got 0\.5/);
    });

    it('mask of the wrong shape or values', () => {
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 0, attentionMask: tf.ones([1, 5])}),
        /attentionMask: expected shape \[1, 4\] \(\[batch, length\] of vectors\), got \[1, 5\]/,
      );
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 0, attentionMask: tf.ones([1, 1, 4])}),
        /attentionMask: expected a rank-2 tensor \[batch, length\], got shape \[1, 1, 4\]/,
      );
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 0, attentionMask: tf.tensor2d([[1, 0.5, 1, 1]])}),
        /attentionMask: expected only 0 \(padding\) and 1 \(keep\), got 0\.5 at flat index 1/,
      );
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 0, hasPadding: true}),
        /hasPadding: got true, but no attentionMask was given/,
      );
      expectThrow(
        () => hashVectors(x(), {numBuckets: 4, numHashes: 1, seed: 0, attentionMask: tf.ones([1, 4]), hasPadding: 1 as never}),
        /hasPadding: expected a boolean or undefined, got 1/,
      );
    });

    it('options that are not an object', () => {
      expectThrow(() => hashVectors(x(), null as never), /options: expected \{numBuckets, numHashes, rotations \| seed\}, got null/);
    });
  });
});
