import * as tf from '@tensorflow/tfjs-core';
import {checkGradients, expectTensorEqual} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {windowChunks} from './testing/reference.js';
import {cutAxis, lookAdjacent, mergeChunks, padAxis, paddedLength, splitChunks} from './chunking.js';

describe('chunking', () => {
  it('pads lengths up to the next chunk multiple', () => {
    expect([1, 4, 5, 8, 9].map((n) => paddedLength(n, 4))).toEqual([4, 4, 8, 8, 12]);
  });

  it('pads and cuts an axis, and splits and merges chunks', () => {
    const x = tf.reshape(tf.range(0, 2 * 3 * 5), [2, 3, 5]);
    const padded = padAxis(x, 2, 8);
    expect(padded.shape).toEqual([2, 3, 8]);
    expect(Array.from(padded.dataSync().slice(0, 8))).toEqual([0, 1, 2, 3, 4, 0, 0, 0]);
    expectTensorEqual(cutAxis(padded, 2, 5), x, 'cut back');
    const chunks = splitChunks(padded, 4);
    expect(chunks.shape).toEqual([2, 3, 2, 4]);
    expectTensorEqual(mergeChunks(chunks), padded, 'merged');
    tf.dispose([x, padded, chunks]);
  });

  // Chunk c of [1, 1, chunks, chunkLength] holds the values c*10 + t, so the result names its sources.
  for (const [chunks, before, after] of [
    [4, 1, 0],
    [4, 0, 1],
    [5, 2, 1],
    [3, 1, 1],
    [2, 3, 0],
    [1, 1, 1],
  ] as const) {
    it(`looks ${before} chunk(s) back and ${after} ahead over ${chunks} chunks with HF's wrap-around`, () => {
      const values = Array.from({length: chunks * 2}, (_, i) => Math.floor(i / 2) * 10 + (i % 2));
      const x = tf.tensor4d(values, [1, 1, chunks, 2]);
      const y = lookAdjacent(x, before, after);
      const window = before + 1 + after;
      expect(y.shape).toEqual([1, 1, chunks, window * 2]);
      const expected: number[] = [];
      for (let c = 0; c < chunks; c++) {
        for (const w of windowChunks(c, before, after, chunks)) expected.push(w * 10, w * 10 + 1);
      }
      expectTensorEqual(y, expected, 'window');
      tf.dispose([x, y]);
    });
  }

  it('keeps trailing axes and is differentiable (slice and concat only)', () => {
    const x = tf.randomNormal([1, 2, 3, 2, 2], 0, 1, 'float32', 1);
    const weights = tf.randomNormal([1, 2, 3, 6, 2], 0, 1, 'float32', 2);
    checkGradients((t) => tf.sum(tf.mul(lookAdjacent(t, 1, 1), weights)), [x]);
    tf.dispose([x, weights]);
  });
});
