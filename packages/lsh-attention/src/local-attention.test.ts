import * as tf from '@tensorflow/tfjs-core';
import {expectRelativeClose} from '@reformerjs/test-utils';
import {afterAll, describe, it} from 'vitest';
import {randomArray, refLocalAttention, type Heads} from './testing/reference.js';
import {fullAttentionCore} from './full-attention.js';
import {localAttentionCore} from './local-attention.js';

const made: tf.Tensor[] = [];
afterAll(() => tf.dispose(made));
const heads = (length: number, seed: number) => {
  const t = tf.tensor4d(randomArray([2, 2, length, 4], seed), [2, 2, length, 4]);
  made.push(t);
  return t;
};
const arr = (t: tf.Tensor) => t.arraySync() as Heads;

describe('localAttentionCore', () => {
  for (const [chunkLength, before, after] of [
    [4, 1, 0],
    [4, 0, 1],
    [3, 1, 1],
    [2, 2, 0],
    [4, 0, 0],
  ] as const) {
    for (const causal of [false, true]) {
      it(`matches the brute-force reference: chunk ${chunkLength}, window (${before}, ${after}), causal ${causal}`, () => {
        for (const length of [12, 10]) {
          const q = heads(length, length + 1);
          const k = heads(length, length + 2);
          const v = heads(length, length + 3);
          const rows = [Array(length).fill(1), [...Array(length - 3).fill(1), 0, 1, 0]];
          const mask = tf.tensor2d(rows, undefined, 'int32');
          const out = localAttentionCore(q, k, v, {chunkLength, numChunksBefore: before, numChunksAfter: after, causal}, {attentionMask: mask}).output;
          const expected = refLocalAttention(arr(q), arr(k), arr(v), {chunkLength, before, after, causal, mask: rows});
          expectRelativeClose(out, expected.flat(3), 1e-5, `length ${length}`);
          tf.dispose([mask, out]);
        }
      });
    }
  }

  it('falls back to full attention when the sequence fits in one chunk (HF)', () => {
    const q = heads(6, 1);
    const k = heads(6, 2);
    const v = heads(6, 3);
    const local = localAttentionCore(q, k, v, {chunkLength: 8, causal: true}).output;
    const full = fullAttentionCore(q, k, v, {causal: true}).output;
    expectRelativeClose(local, full, 1e-6, 'fallback');
    tf.dispose([local, full]);
  });
});
