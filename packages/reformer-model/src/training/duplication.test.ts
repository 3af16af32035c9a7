import {expectNoLeaks, expectTensorEqual} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {
  duplicationAccuracy,
  duplicationBatch,
  duplicationSequenceAccuracy,
  duplicationTokens,
  type DuplicationOptions,
} from './duplication.js';

// The generator of the module comment, written again with BigInt arithmetic (no Math.imul, no >>> tricks).
const M32 = 2n ** 32n;
function hRef(x: bigint): bigint {
  x ^= x >> 16n;
  x = (x * 0x7feb352dn) % M32;
  x ^= x >> 15n;
  x = (x * 0x846ca68bn) % M32;
  x ^= x >> 16n;
  return x;
}
const absorbRef = (k: bigint, x: bigint): bigint => hRef((hRef(k ^ x) + 0x9e3779b9n) % M32);
const lo = (n: number): bigint => BigInt.asUintN(32, BigInt(n));
const hi = (n: number): bigint => BigInt.asUintN(32, BigInt(n) >> 32n);
function symbolRef(seed: number, index: number, row: number, j: number, n: number): number {
  const key = absorbRef(absorbRef(absorbRef(absorbRef(absorbRef(0x4455504cn, lo(seed)), hi(seed)), lo(index)), hi(index)), BigInt(row));
  const word = hRef(hRef((key + BigInt(j + 1) * 0x9e3779b9n) % M32));
  return 1 + Number((word * BigInt(n)) >> 32n);
}

describe('duplicationBatch: sequences 0 w 0 w', () => {
  it('has the layout of the paper and weights exactly on the second w', async () => {
    const W = 6;
    const {inputIds, lossWeights} = duplicationBatch({batch: 3, wordLength: W, vocabSize: 9, seed: 5, index: 2});
    expect(inputIds.shape).toEqual([3, 14]);
    expect(inputIds.dtype).toBe('int32');
    expect(lossWeights.shape).toEqual([3, 14]);
    expect(lossWeights.dtype).toBe('float32');
    const ids = (await inputIds.array()) as number[][];
    for (const row of ids) {
      expect(row[0]).toBe(0);
      expect(row[W + 1]).toBe(0);
      const first = row.slice(1, W + 1);
      expect(row.slice(W + 2)).toEqual(first);
      for (const s of first) expect(s >= 1 && s <= 9).toBe(true);
    }
    // 1 exactly at positions W+2 .. 2W+1 (the labels of the copied half).
    const expectedRow = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    expectTensorEqual(lossWeights, [...expectedRow, ...expectedRow, ...expectedRow], 'lossWeights');
    tf.dispose([inputIds, lossWeights]);
  });

  it("defaults to the paper's task: |w| = 511 (length 1024), symbols 1..127, all used", async () => {
    const {inputIds, lossWeights} = duplicationBatch({batch: 4, seed: 0, index: 0});
    expect(inputIds.shape).toEqual([4, 1024]);
    const ids = await inputIds.data();
    const counts = new Array<number>(128).fill(0);
    for (let b = 0; b < 4; b++) for (let j = 1; j <= 511; j++) counts[ids[b * 1024 + j]!]!++;
    expect(counts[0]).toBe(0);
    expect(counts.slice(1).every((c) => c > 0)).toBe(true);
    expect((await tf.sum(lossWeights).data())[0]).toBe(4 * 511);
    tf.dispose([inputIds, lossWeights]);
  });

  it('follows the documented generator (checked against a BigInt rewrite) and a pinned stream', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [1, 7],
      [-1, 3],
      [2 ** 40 + 3, 2 ** 33 + 1],
      [Number.MAX_SAFE_INTEGER, 12345],
    ];
    for (const [seed, index] of cases) {
      const tokens = duplicationTokens({batch: 2, wordLength: 5, vocabSize: 127, seed, index});
      for (let row = 0; row < 2; row++) {
        for (let j = 0; j < 5; j++) {
          const expected = symbolRef(seed, index, row, j, 127);
          expect(tokens[row * 12 + 1 + j]).toBe(expected);
          expect(tokens[row * 12 + 7 + j]).toBe(expected);
        }
      }
    }
    // Pinned: any change to the generator changes these.
    const pinned = duplicationTokens({batch: 2, wordLength: 12, seed: 0, index: 0});
    expect(Array.from(pinned.slice(1, 13))).toEqual([11, 43, 126, 30, 88, 83, 58, 39, 93, 93, 104, 38]);
    expect(Array.from(pinned.slice(27, 39))).toEqual([119, 100, 5, 44, 101, 4, 74, 98, 8, 22, 28, 29]);
    expect(Array.from(duplicationTokens({batch: 1, wordLength: 8, seed: 2024, index: 123456, vocabSize: 5}))).toEqual([
      0, 5, 2, 2, 5, 4, 5, 3, 4, 0, 5, 2, 2, 5, 4, 5, 3, 4,
    ]);
  });

  it('is deterministic in (seed, index, row) and nothing else', () => {
    const base: DuplicationOptions = {batch: 4, wordLength: 20, vocabSize: 50, seed: 11, index: 3};
    const a = duplicationTokens(base);
    expect(duplicationTokens(base)).toEqual(a);
    expect(duplicationTokens({...base, index: 4})).not.toEqual(a);
    expect(duplicationTokens({...base, seed: 12})).not.toEqual(a);
    // Row r does not depend on the batch size, and a word's prefix not on the word length.
    const wider = duplicationTokens({...base, batch: 6});
    expect(wider.slice(0, a.length)).toEqual(a);
    const longer = duplicationTokens({...base, batch: 1, wordLength: 30});
    expect(Array.from(longer.slice(1, 21))).toEqual(Array.from(a.slice(1, 21)));
    // Rows differ from each other.
    expect(Array.from(a.slice(1, 21))).not.toEqual(Array.from(a.slice(43, 63)));
  });

  it('gives the same numbers on the cpu and wasm backends', async () => {
    const original = tf.getBackend();
    const results: number[][] = [];
    try {
      for (const backend of ['cpu', 'wasm']) {
        expect(await tf.setBackend(backend)).toBe(true);
        const {inputIds, lossWeights} = duplicationBatch({batch: 2, wordLength: 31, seed: 99, index: 17});
        results.push([...(await inputIds.data()), ...(await lossWeights.data())]);
        tf.dispose([inputIds, lossWeights]);
      }
    } finally {
      await tf.setBackend(original);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('rejects bad options', () => {
    const ok: DuplicationOptions = {batch: 2, seed: 0, index: 0};
    expect(() => duplicationBatch({...ok, batch: 0})).toThrow(/options\.batch: expected an integer >= 1, got 0/);
    expect(() => duplicationBatch({...ok, wordLength: 2.5})).toThrow(/options\.wordLength: expected an integer >= 1, got 2\.5/);
    expect(() => duplicationBatch({...ok, vocabSize: 0})).toThrow(/options\.vocabSize: expected an integer >= 1 and <= 2097152, got 0/);
    expect(() => duplicationBatch({...ok, seed: 0.5})).toThrow(/options\.seed: expected a safe integer, got 0\.5/);
    expect(() => duplicationBatch({...ok, index: -1})).toThrow(/options\.index: expected an integer >= 0, got -1/);
    expect(() => duplicationBatch({batch: 2, seed: 0} as DuplicationOptions)).toThrow(/options\.index: expected an integer >= 0, got undefined/);
    expect(() => duplicationBatch({...ok, length: 10} as DuplicationOptions)).toThrow(/options\.length: expected one of the options/);
  });
});

describe('duplicationAccuracy', () => {
  /** The prediction at t of a model that knows the sequence: token t + 1 (the last position predicts 0). */
  async function perfectPredictions(inputIds: tf.Tensor2D): Promise<{ids: Int32Array; predictions: Int32Array}> {
    const [batch, length] = inputIds.shape;
    const ids = (await inputIds.data()) as Int32Array;
    const predictions = new Int32Array(batch * length);
    for (let b = 0; b < batch; b++) for (let t = 0; t + 1 < length; t++) predictions[b * length + t] = ids[b * length + t + 1]!;
    return {ids, predictions};
  }

  it('is 1 for a perfect predictor and counts only the copied half', async () => {
    const W = 10;
    const batch = duplicationBatch({batch: 3, wordLength: W, vocabSize: 20, seed: 1, index: 0});
    const L = 2 * W + 2;
    const {predictions} = await perfectPredictions(batch.inputIds);
    const read = async (p: Int32Array) => {
      const t = tf.tensor2d(p, [3, L], 'int32');
      const acc = duplicationAccuracy(t, batch);
      const seq = duplicationSequenceAccuracy(t, batch);
      const out = [(await acc.data())[0], (await seq.data())[0]];
      tf.dispose([t, acc, seq]);
      return out;
    };
    expect(await read(predictions)).toEqual([1, 1]);

    // Wrong everywhere except the predictions of the copied half (t = W+1 .. 2W): still 1.
    const onlyCopied = predictions.map((v, i) => (i % L >= W + 1 && i % L <= 2 * W ? v : 0));
    expect(await read(onlyCopied)).toEqual([1, 1]);
    // Right everywhere except the copied half: 0.
    const notCopied = predictions.map((v, i) => (i % L >= W + 1 && i % L <= 2 * W ? 0 : v));
    expect(await read(notCopied)).toEqual([0, 0]);
    // One miss in row 1: 29 of 30 tokens, 2 of 3 sequences.
    const oneMiss = predictions.slice();
    oneMiss[L + W + 3] = 0;
    const [acc, seq] = await read(oneMiss);
    expect(acc).toBeCloseTo(29 / 30, 6);
    expect(seq).toBeCloseTo(2 / 3, 6);
    tf.dispose([batch.inputIds, batch.lossWeights]);
  });

  it('is about 1/N for a constant predictor (N = 127)', async () => {
    const batch = duplicationBatch({batch: 16, seed: 3, index: 0});
    const constant = tf.fill([16, 1024], 1, 'int32');
    const acc = duplicationAccuracy(constant, batch);
    const value = (await acc.data())[0]!;
    // 8176 scored tokens: the standard deviation of the hit rate is about 0.001 around 1/127 = 0.00787.
    expect(Math.abs(value - 1 / 127)).toBeLessThan(0.004);
    expect(value).toBeGreaterThan(0);
    tf.dispose([constant, acc, batch.inputIds, batch.lossWeights]);
  });

  it('leaks nothing and rejects predictions of the wrong shape', async () => {
    const batch = duplicationBatch({batch: 2, wordLength: 4, seed: 0, index: 0});
    const good = tf.zeros([2, 10], 'int32');
    await expectNoLeaks(() => {
      tf.dispose([duplicationAccuracy(good, batch), duplicationSequenceAccuracy(good, batch)]);
    });
    await expectNoLeaks(() => {
      const b = duplicationBatch({batch: 2, wordLength: 4, seed: 0, index: 1});
      tf.dispose([b.inputIds, b.lossWeights]);
    });
    const bad = tf.zeros([2, 9], 'int32');
    expect(() => duplicationAccuracy(bad, batch)).toThrow(
      /predictions: expected an int32 \(or float32\) tensor of shape \[2, 10\] \(the batch's shape\): the argmax at each position, got an int32 tensor of shape \[2, 9\]/,
    );
    expect(() => duplicationAccuracy(good, {inputIds: batch.inputIds} as never)).toThrow(/batch\.lossWeights: expected a float32 tensor \[batch, length\], got undefined/);
    tf.dispose([good, bad, batch.inputIds, batch.lossWeights]);
  });
});
