import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {sortByBuckets} from './sort.js';

/** Pseudo-random integers in [0, n), reproducible. */
function randomInts(count: number, n: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.floor((s / 2 ** 32) * n);
  }
  return out;
}

/** Offset buckets [batch, heads, numHashes, length] with round r in [r * perRound, (r + 1) * perRound). */
function offsetBuckets(batch: number, heads: number, numHashes: number, length: number, perRound: number, seed: number): Int32Array {
  const raw = randomInts(batch * heads * numHashes * length, perRound, seed);
  return raw.map((v, i) => v + Math.floor(i / length) % numHashes * perRound);
}

/** Brute force: each (b, h) row's flat indices r*L+t stably sorted by (round, bucket, position). */
function referenceSort(buckets: Int32Array, batch: number, heads: number, numHashes: number, length: number) {
  const n = numHashes * length;
  const sorted: number[] = [];
  const undo: number[] = [];
  for (let row = 0; row < batch * heads; row++) {
    const idx = Array.from({length: n}, (_, i) => i);
    const key = (i: number) => buckets[row * n + i];
    idx.sort((a, b) => Math.floor(a / length) - Math.floor(b / length) || key(a) - key(b) || a - b);
    const inv = new Array<number>(n);
    idx.forEach((flat, slot) => (inv[flat] = slot));
    sorted.push(...idx);
    undo.push(...inv);
  }
  return {sorted, undo};
}

describe('sortByBuckets', () => {
  it.each([
    [2, 3, 2, 16, 4],
    [1, 2, 4, 13, 5], // odd length, a padding-sized round
    [1, 1, 1, 40, 2], // many ties
    [2, 1, 3, 9, 64], // more buckets than positions
  ])('matches a brute-force stable sort (batch %i, heads %i, rounds %i, length %i, %i buckets per round)', async (batch, heads, numHashes, length, perRound) => {
    const values = offsetBuckets(batch, heads, numHashes, length, perRound, batch * 1000 + length);
    const buckets = tf.tensor4d(values, [batch, heads, numHashes, length], 'int32');
    const sort = sortByBuckets(buckets);
    const ref = referenceSort(values, batch, heads, numHashes, length);
    expect(sort.sortedIndices.shape).toEqual([batch, heads, numHashes * length]);
    expect(sort.sortedIndices.dtype).toBe('int32');
    expect(sort.undoSortedIndices.dtype).toBe('int32');
    expect(Array.from(await sort.sortedIndices.data())).toEqual(ref.sorted);
    expect(Array.from(await sort.undoSortedIndices.data())).toEqual(ref.undo);
    tf.dispose([buckets, sort]);
  });

  it('orders equal buckets by position (all buckets equal gives the identity)', async () => {
    const buckets = tf.tensor4d([0, 0, 0, 0, 0, 7, 7, 7, 7, 7], [1, 1, 2, 5], 'int32');
    const sort = sortByBuckets(buckets);
    expect(Array.from(await sort.sortedIndices.data())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    tf.dispose([buckets, sort]);
  });

  it('is exact where a float32 composite key would collide (2 rounds × 2^17 positions × 128 buckets = 2^25)', async () => {
    const numHashes = 2;
    const length = 2 ** 17;
    const perRound = 128;
    const n = numHashes * length;
    const values = offsetBuckets(1, 1, numHashes, length, perRound, 77);
    // A naive key (offset bucket) * n + flat index loses positions in float32: show that it would.
    let collisions = 0;
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const k = Math.fround(values[i] * n + i);
      if (seen.has(k)) collisions++;
      seen.add(k);
    }
    expect(collisions).toBeGreaterThan(0);

    // Counting sort as the reference: O(n), stable by construction.
    const counts = new Int32Array(numHashes * perRound + 1);
    for (let i = 0; i < n; i++) counts[values[i] + 1]++;
    for (let k = 1; k < counts.length; k++) counts[k] += counts[k - 1];
    const sortedRef = new Int32Array(n);
    const undoRef = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const slot = counts[values[i]]++;
      sortedRef[slot] = i;
      undoRef[i] = slot;
    }
    const buckets = tf.tensor4d(values, [1, 1, numHashes, length], 'int32');
    const sort = sortByBuckets(buckets);
    const sorted = await sort.sortedIndices.data();
    const undo = await sort.undoSortedIndices.data();
    let sortedMismatch = 0;
    let undoMismatch = 0;
    for (let i = 0; i < n; i++) {
      if (sorted[i] !== sortedRef[i]) sortedMismatch++;
      if (undo[i] !== undoRef[i]) undoMismatch++;
    }
    expect(sortedMismatch).toBe(0);
    expect(undoMismatch).toBe(0);
    tf.dispose([buckets, sort]);
  });

  it('leaks no tensors', () => {
    const buckets = tf.tensor4d(offsetBuckets(1, 2, 2, 8, 4, 1), [1, 2, 2, 8], 'int32');
    const before = tf.memory().numTensors;
    const sort = sortByBuckets(buckets);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(sort);
    expect(tf.memory().numTensors).toBe(before);
    buckets.dispose();
  });

  it('rejects bad input', () => {
    const b3 = tf.zeros([1, 2, 8], 'int32');
    const f4 = tf.zeros([1, 1, 1, 8], 'float32');
    expect(() => sortByBuckets(b3 as never)).toThrow(/buckets: expected a rank-4 tensor \[batch, heads, numHashes, length\], got shape \[1, 2, 8\]/);
    expect(() => sortByBuckets(f4 as tf.Tensor4D)).toThrow(/buckets: expected dtype int32, got float32/);
    expect(() => sortByBuckets(undefined as never)).toThrow(/buckets: expected a rank-4 tensor .*got undefined/);
    tf.dispose([b3, f4]);
  });
});
