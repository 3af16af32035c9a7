import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {randomRotations, seededNormals, seededWords} from './rotations.js';

const hex = (words: Uint32Array) => Array.from(words, (w) => `0x${w.toString(16).padStart(8, '0')}`);

describe('seededWords (counter-mode SplitMix32)', () => {
  // Pinned: recomputed independently in Python from the algorithm in the module comment / README.
  // If these change, every stored seed gives different rotations: bump the major version.
  it('is pinned for known seeds', () => {
    expect(hex(seededWords(0, 4))).toEqual(['0x64625032', '0xd9c0799c', '0xaf362e10', '0x7fa88912']);
    expect(hex(seededWords(42, 4))).toEqual(['0xfc5baa75', '0xd86e85a7', '0xc76824ee', '0x0288c5b9']);
    expect(hex(seededWords(-1, 2))).toEqual(['0xb04c63ab', '0x107ba0d0']);
    expect(hex(seededWords(2 ** 40 + 5, 2))).toEqual(['0xa82090b2', '0xebf240c3']);
  });

  it('is counter-based: a longer draw starts with the shorter one', () => {
    expect(Array.from(seededWords(9, 1000)).slice(0, 10)).toEqual(Array.from(seededWords(9, 10)));
  });
});

describe('seededNormals', () => {
  it('is pinned for seed 1 (Box–Muller over the pinned words)', () => {
    const expected = [-0.17330673266268876, -0.23648654765639635, -1.0731106572008167, -0.23963607380756807, 2.266321963070575, -0.3621355139017863];
    const got = seededNormals(1, 6);
    expected.forEach((e, i) => expect(got[i]).toBe(Math.fround(e)));
  });

  it('gives the same numbers for the same seed and different numbers for another seed', () => {
    expect(seededNormals(123, 64)).toEqual(seededNormals(123, 64));
    const a = seededNormals(123, 64);
    const b = seededNormals(124, 64);
    expect(a.filter((v, i) => v === b[i]).length).toBe(0);
  });

  it('handles odd counts as a prefix of the even draw', () => {
    expect(Array.from(seededNormals(5, 7))).toEqual(Array.from(seededNormals(5, 8)).slice(0, 7));
    expect(seededNormals(5, 0).length).toBe(0);
  });

  it('is standard normal on a large draw: mean ≈ 0, variance ≈ 1, neighbouring seeds uncorrelated', () => {
    const n = 200_000;
    const z = seededNormals(2024, n);
    const w = seededNormals(2025, n);
    let mean = 0;
    for (const v of z) mean += v;
    mean /= n;
    let variance = 0;
    let within1 = 0;
    let fourth = 0;
    let cross = 0;
    for (let i = 0; i < n; i++) {
      const d = z[i] - mean;
      variance += d * d;
      fourth += d ** 4;
      cross += z[i] * w[i];
      if (Math.abs(z[i]) < 1) within1++;
    }
    variance /= n;
    // Bounds are 5 standard errors wide.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(fourth / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n)); // kurtosis of a normal
    expect(Math.abs(within1 / n - 0.682689)).toBeLessThan(5 * Math.sqrt(0.2167 / n));
    expect(Math.abs(cross / n)).toBeLessThan(5 / Math.sqrt(n));
  });

  it('rejects bad seeds and counts', () => {
    expect(() => seededNormals(1.5, 4)).toThrow(/seed: expected a safe integer \(\|seed\| < 2\^53\), got 1\.5/);
    expect(() => seededNormals(2 ** 53, 4)).toThrow(/seed: expected a safe integer .*got 9007199254740992/);
    expect(() => seededNormals(1, -1)).toThrow(/count: expected an integer in \[0, 2\^32\), got -1/);
    expect(() => seededWords(1, 2.5)).toThrow(/count: expected an integer in \[0, 2\^32\), got 2\.5/);
  });
});

describe('randomRotations', () => {
  it('has shape [heads, dim, numHashes, rotationSize / 2], row-major from seededNormals', async () => {
    const r = randomRotations({heads: 2, dim: 3, numHashes: 4, numBuckets: 8, seed: 11});
    expect(r.shape).toEqual([2, 3, 4, 4]);
    expect(r.dtype).toBe('float32');
    expect(Array.from(await r.data())).toEqual(Array.from(seededNormals(11, 2 * 3 * 4 * 4)));
    r.dispose();
  });

  it('sizes the last axis by the sum of factors for a factor list', () => {
    const r = randomRotations({heads: 1, dim: 2, numHashes: 3, numBuckets: [2, 4], seed: 0});
    expect(r.shape).toEqual([1, 2, 3, 3]);
    r.dispose();
  });

  it('gives the same tensor for the same seed and a different one for another seed', async () => {
    const opts = {heads: 2, dim: 4, numHashes: 2, numBuckets: 4, seed: 99};
    const [a, b, c] = [randomRotations(opts), randomRotations(opts), randomRotations({...opts, seed: 100})];
    expect(await a.data()).toEqual(await b.data());
    expect(await a.data()).not.toEqual(await c.data());
    tf.dispose([a, b, c]);
  });

  it.each([
    [{heads: 0}, /heads: expected a positive integer, got 0/],
    [{dim: 2.5}, /dim: expected a positive integer, got 2\.5/],
    [{numHashes: -1}, /numHashes: expected a positive integer, got -1/],
    [{numBuckets: 3}, /numBuckets: expected an even integer >= 2 or a non-empty list of them, got 3/],
    [{numBuckets: [2, 5]}, /numBuckets: .*got \[2, 5\]/],
    [{seed: 0.5}, /seed: expected a safe integer .*got 0\.5/],
    [{seed: undefined}, /seed: expected a safe integer .*got undefined/],
  ])('rejects %j', (override, message) => {
    const base = {heads: 1, dim: 2, numHashes: 1, numBuckets: 4, seed: 0};
    expect(() => randomRotations({...base, ...override} as never)).toThrow(message);
  });
});
