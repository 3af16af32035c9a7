import * as tf from '@tensorflow/tfjs-core';
import {checkGradients, expectTensorEqual} from '@reformerjs/test-utils';
import {afterAll, describe, it} from 'vitest';
import {rng} from './testing/reference.js';
import {fullSelfAttention, localSelfAttention, lshSelfAttention} from './self-attention.js';

// Finite differences in float32 on small shapes: batch 2, length 10 (padded to 12 inside), hidden 8, 2 heads of 4.
const [batch, length, hiddenSize, numHeads, headSize] = [2, 10, 8, 2, 4];
const head = {hiddenSize, numHeads, headSize};
const made: tf.Tensor[] = [];
afterAll(() => tf.dispose(made));
const normal = (shape: number[], seed: number, std = 1) => {
  const t = tf.randomNormal(shape, 0, std, 'float32', seed);
  made.push(t);
  return t;
};
const hidden = normal([batch, length, hiddenSize], 1) as tf.Tensor3D;
const w = (seed: number, out = false) => normal(out ? [numHeads * headSize, hiddenSize] : [hiddenSize, numHeads * headSize], seed, 0.6);
const readout = normal([batch, length, hiddenSize], 99, 0.1);
const mask = tf.tensor2d([Array(length).fill(1), [...Array(length - 3).fill(1), 0, 1, 0]], undefined, 'int32');
made.push(mask);
const loss = (out: tf.Tensor) => tf.sum(tf.mul(out, readout)) as tf.Scalar;

function buckets(rounds: number, perRound: number, seed: number): tf.Tensor4D {
  const r = rng(seed);
  const values = Array.from({length: batch * numHeads * rounds * length}, (_, i) => {
    const round = Math.floor(i / length) % rounds;
    return round * perRound + Math.floor(r() * perRound);
  });
  const t = tf.tensor4d(values, [batch, numHeads, rounds, length], 'int32');
  made.push(t);
  return t;
}

const checks = {eps: 1e-2, tol: 1e-2, samples: 12};

describe('gradients (finite differences, float32) with respect to the input and every weight', () => {
  it('LSH: three rounds, causal, padding mask, length not a chunk multiple', () => {
    const given = buckets(3, 4, 5);
    const o = {...head, chunkLength: 4, numHashes: 3, numBuckets: 4, causal: true};
    checkGradients(
      (x, queryKey, value, output) =>
        loss(lshSelfAttention(x as tf.Tensor3D, {queryKey, value, output} as never, o, {buckets: given, attentionMask: mask}).output),
      [hidden, w(2), w(3), w(4, true)],
      checks,
    );
  });

  it('LSH: two rounds, window (1, 1), duplicate-attention correction, same-bucket restriction', () => {
    const given = buckets(2, 2, 6);
    const o = {
      ...head,
      chunkLength: 4,
      numChunksBefore: 1,
      numChunksAfter: 1,
      numHashes: 2,
      numBuckets: 2,
      duplicateAttentionCorrection: true,
      sameBucketOnly: true,
    };
    checkGradients(
      (x, queryKey, value, output) =>
        loss(lshSelfAttention(x as tf.Tensor3D, {queryKey, value, output} as never, o, {buckets: given, attentionMask: mask}).output),
      [hidden, w(7), w(8), w(9, true)],
      checks,
    );
  });

  it('LSH: training with attention dropout (a fixed dropout seed)', () => {
    const given = buckets(2, 4, 10);
    const o = {...head, chunkLength: 4, numHashes: 2, numBuckets: 4, causal: true, dropout: 0.3};
    checkGradients(
      (x, queryKey, value, output) =>
        loss(
          lshSelfAttention(x as tf.Tensor3D, {queryKey, value, output} as never, o, {
            buckets: given,
            training: true,
            dropoutSeed: 4,
          }).output,
        ),
      [hidden, w(11), w(12), w(13, true)],
      checks,
    );
  });

  it('local: causal, padding mask, window (1, 1)', () => {
    const o = {...head, chunkLength: 4, numChunksBefore: 1, numChunksAfter: 1, causal: true};
    checkGradients(
      (x, query, key, value, output) =>
        loss(localSelfAttention(x as tf.Tensor3D, {query, key, value, output} as never, o, {attentionMask: mask}).output),
      [hidden, w(14), w(15), w(16), w(17, true)],
      checks,
    );
  });

  it('full: separate queries and keys, causal, padding mask', () => {
    const o = {...head, causal: true};
    checkGradients(
      (x, query, key, value, output) =>
        loss(fullSelfAttention(x as tf.Tensor3D, {query, key, value, output} as never, o, {attentionMask: mask}).output),
      [hidden, w(18), w(19), w(20), w(21, true)],
      checks,
    );
  });

  it('full: shared QK', () => {
    const o = {...head, sharedQK: true};
    checkGradients(
      (x, queryKey, value, output) =>
        loss(fullSelfAttention(x as tf.Tensor3D, {queryKey, value, output} as never, o, {attentionMask: mask}).output),
      [hidden, w(22), w(23), w(24, true)],
      checks,
    );
  });

  it('LSH hashing inside the differentiated function: detached, and the gradients are those of its buckets given', () => {
    const o = {...head, chunkLength: 4, numHashes: 2, numBuckets: 4, causal: true};
    const ws = [w(25), w(26), w(27, true)];
    const hashedBuckets = lshSelfAttention(hidden, {queryKey: ws[0], value: ws[1], output: ws[2]} as never, o, {
      seed: 8, attentionMask: mask, returnBuckets: true,
    });
    made.push(hashedBuckets.output, hashedBuckets.buckets!);
    const gradsWith = (call: object) =>
      tf.grads((x, queryKey, value, output) =>
        loss(lshSelfAttention(x as tf.Tensor3D, {queryKey, value, output} as never, o, {attentionMask: mask, ...call}).output),
      )([hidden, ...ws]);
    const hashed = gradsWith({seed: 8});
    const given = gradsWith({buckets: hashedBuckets.buckets});
    hashed.forEach((g, i) => expectTensorEqual(g, given[i]!, `gradient ${i}`));
    tf.dispose([...hashed, ...given]);
  });
});
