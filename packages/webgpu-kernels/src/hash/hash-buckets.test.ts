// The ReformerHashBuckets kernel (through hashVectors) against hashVectors' reference path on the same backend,
// against plain loops (float64 products, first maximum), on exact dyadic inputs where ties are real, and on the
// Hugging Face golden cases.
import * as tf from '@tensorflow/tfjs';
import {FUSED_KERNELS_FLAG, HASH_BUCKETS_KERNEL, fusedKernelAvailable, hashVectors, type NumBuckets} from '@reformerjs/lsh-hash';
import {goldenCaseNames, loadGoldenCase} from '@reformerjs/test-utils';
import {afterEach, describe, expect, it} from 'vitest';

import {withoutValidationErrors, words} from '../testing/gpu.js';

afterEach(() => tf.env().set(FUSED_KERNELS_FLAG, true));

type Shape = [number, number, number, number];


/** Standard normal-ish floats (sum of uniforms), reproducible. */
function gaussian(count: number, seed: number): Float32Array {
  const w = words(count * 4, seed);
  return Float32Array.from({length: count}, (_, i) => (w[4 * i]! + w[4 * i + 1]! + w[4 * i + 2]! + w[4 * i + 3]!) / 2 ** 32 - 2);
}

/** k/4 - 1 for k in 0..8: every dot product is exact in float32 whatever the order, so ties are real ties. */
function dyadic(count: number, seed: number): Float32Array {
  return Float32Array.from(words(count, seed), (v) => ((v >>> 24) % 9) / 4 - 1);
}

const factorsOf = (numBuckets: NumBuckets) => (typeof numBuckets === 'number' ? [numBuckets] : [...numBuckets]);

/**
 * hashVectors in plain loops, products in float64; `margin` also returns, per bucket, the gap between the winning
 * and the runner-up entry of each factor's [slice, -slice] (the smallest over factors).
 */
function loopBuckets(x: Float32Array, [batch, heads, length, dim]: Shape, rot: Float32Array, numHashes: number, factors: number[], mask?: Int32Array) {
  const half = factors.reduce((a, b) => a + b, 0) / 2;
  const count = factors.reduce((a, b) => a * b, 1);
  const padded = mask !== undefined && mask.some((m) => m === 0);
  const perRound = padded ? count + 1 : count;
  const buckets = new Int32Array(batch * heads * numHashes * length);
  const margins = new Float64Array(buckets.length);
  let o = 0;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let r = 0; r < numHashes; r++)
        for (let t = 0; t < length; t++, o++) {
          const rotated = new Float64Array(half);
          for (let c = 0; c < half; c++) {
            let acc = 0;
            for (let d = 0; d < dim; d++) acc += x[((b * heads + h) * length + t) * dim + d]! * rot[((h * dim + d) * numHashes + r) * half + c]!;
            rotated[c] = acc;
          }
          let bucket = 0;
          let stride = 1;
          let start = 0;
          let margin = Infinity;
          for (const f of factors) {
            const signed = [...rotated.slice(start, start + f / 2), ...rotated.slice(start, start + f / 2).map((v) => -v)];
            let arg = 0;
            for (let i = 1; i < signed.length; i++) if (signed[i]! > signed[arg]!) arg = i;
            const second = Math.max(...signed.filter((_, i) => i !== arg));
            margin = Math.min(margin, signed[arg]! - second);
            bucket += arg * stride;
            stride *= f;
            start += f / 2;
          }
          if (padded && mask![b * length + t] === 0) bucket = count;
          buckets[o] = bucket + r * perRound;
          margins[o] = margin;
        }
  return {buckets, margins};
}

type HashCase = {shape: Shape; numBuckets: NumBuckets; numHashes: number; mask?: Int32Array};

/** hashVectors (fused or reference, per the flag) read back; no validation error, no leaked tensor. */
async function hashOnGPU(x: Float32Array, rot: Float32Array, c: HashCase, fused: boolean): Promise<Int32Array> {
  tf.env().set(FUSED_KERNELS_FLAG, fused);
  expect(fusedKernelAvailable(HASH_BUCKETS_KERNEL)).toBe(fused);
  const half = factorsOf(c.numBuckets).reduce((a, b) => a + b, 0) / 2;
  const vectors = tf.tensor4d(x, c.shape);
  const rotations = tf.tensor4d(rot, [c.shape[1], c.shape[3], c.numHashes, half]);
  const mask = c.mask ? tf.tensor2d(c.mask, [c.shape[0], c.shape[2]], 'int32') : undefined;
  const before = tf.memory().numTensors;
  const {buckets} = await withoutValidationErrors(() =>
    hashVectors(vectors, {
      numBuckets: c.numBuckets,
      numHashes: c.numHashes,
      rotations,
      ...(mask ? {attentionMask: mask, hasPadding: c.mask!.includes(0)} : {}),
    }),
  );
  expect(buckets.shape).toEqual([c.shape[0], c.shape[1], c.numHashes, c.shape[2]]);
  expect(buckets.dtype).toBe('int32');
  const values = (await buckets.data()) as Int32Array;
  buckets.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([vectors, rotations, mask]);
  return values;
}

const cases: Array<[string, HashCase]> = [
  ['2 buckets, one position', {shape: [1, 1, 1, 4], numBuckets: 2, numHashes: 1}],
  ['8 buckets, 2 rounds', {shape: [2, 2, 100, 16], numBuckets: 8, numHashes: 2}],
  ['64 buckets (argMax over 64), dim 64', {shape: [1, 2, 130, 64], numBuckets: 64, numHashes: 3}],
  ['odd dim, dim > one k tile', {shape: [1, 3, 70, 45], numBuckets: 16, numHashes: 2}],
  ['250 buckets (several column chunks, a partial one)', {shape: [1, 1, 64, 32], numBuckets: 250, numHashes: 2}],
  ['factors [2, 4]', {shape: [2, 2, 40, 16], numBuckets: [2, 4], numHashes: 1}],
  ['factors [8, 16, 4]', {shape: [1, 2, 65, 24], numBuckets: [8, 16, 4], numHashes: 2}],
  ['padding, int32 mask', {shape: [2, 2, 50, 16], numBuckets: 8, numHashes: 4, mask: Int32Array.from({length: 100}, (_, i) => (i % 50 < 43 ? 1 : 0))}],
  ['mask without zeros (no padding bucket)', {shape: [1, 1, 33, 8], numBuckets: 4, numHashes: 2, mask: new Int32Array(33).fill(1)}],
];

describe('ReformerHashBuckets', () => {
  it.each(cases)('%s: random inputs give the reference path\'s buckets', async (_name, c) => {
    const [, heads, , dim] = c.shape;
    const half = factorsOf(c.numBuckets).reduce((a, b) => a + b, 0) / 2;
    const x = gaussian(c.shape.reduce((a, b) => a * b, 1), 11);
    const rot = gaussian(heads * dim * c.numHashes * half, 12);
    const fused = await hashOnGPU(x, rot, c, true);
    const reference = await hashOnGPU(x, rot, c, false);
    const truth = loopBuckets(x, c.shape, rot, c.numHashes, factorsOf(c.numBuckets), c.mask);
    let differFromReference = 0;
    let differFromTruth = 0;
    for (let i = 0; i < fused.length; i++) {
      if (fused[i] !== reference[i]) differFromReference++;
      // Against float64 products only a near tie (a gap within float32 rounding of the sums) may differ.
      if (fused[i] !== truth.buckets[i] && !(truth.margins[i]! < 1e-5 * Math.sqrt(dim))) differFromTruth++;
    }
    expect(differFromTruth, 'buckets that differ from the float64 argmax by more than a near tie').toBe(0);
    expect(differFromReference, `buckets that differ from the reference path (of ${fused.length})`).toBe(0);
  });

  it.each(cases)('%s: exact dyadic inputs, ties included, give the first maximum', async (_name, c) => {
    const [, heads, , dim] = c.shape;
    const half = factorsOf(c.numBuckets).reduce((a, b) => a + b, 0) / 2;
    const x = dyadic(c.shape.reduce((a, b) => a * b, 1), 21);
    const rot = dyadic(heads * dim * c.numHashes * half, 22);
    const fused = await hashOnGPU(x, rot, c, true);
    const {buckets} = loopBuckets(x, c.shape, rot, c.numHashes, factorsOf(c.numBuckets), c.mask);
    expect(Array.from(fused)).toEqual(Array.from(buckets));
  });

  it('a tape through the buckets passes the kernel with zero gradients, as ArgMax does on the reference path', async () => {
    const vectors = tf.tensor4d(gaussian(2 * 16 * 8, 51), [1, 2, 16, 8]);
    const hash = (v: tf.Tensor) => hashVectors(v as tf.Tensor4D, {numBuckets: [4, 6], numHashes: 2, seed: 3}).buckets;
    // The loss reaches the buckets through a cast: d/dv sum(v) · Σ buckets = Σ buckets everywhere, plus zero through them.
    const g = tf.grad((v: tf.Tensor) => tf.mul(tf.sum(v), tf.sum(tf.cast(hash(v), 'float32'))))(vectors);
    const buckets = hash(vectors);
    const total = ((await buckets.data()) as Int32Array).reduce((a, b) => a + b, 0);
    expect(Array.from(await g.data())).toEqual(new Array(vectors.size).fill(total));
    tf.dispose([vectors, g, buckets]);
  });

  it('zero vectors hash to bucket 0 of their round (every entry ties)', async () => {
    const c: HashCase = {shape: [1, 1, 5, 8], numBuckets: 64, numHashes: 2};
    const fused = await hashOnGPU(new Float32Array(40), gaussian(8 * 2 * 32, 3), c, true);
    expect(Array.from(fused)).toEqual([0, 0, 0, 0, 0, 64, 64, 64, 64, 64]);
  });

  it('one row of 2048 positions, 128 buckets, 2 rounds, dim 64 matches the reference path', async () => {
    const c: HashCase = {shape: [1, 1, 2048, 64], numBuckets: 128, numHashes: 2};
    const x = gaussian(2048 * 64, 31);
    const rot = gaussian(64 * 2 * 64, 32);
    const fused = await hashOnGPU(x, rot, c, true);
    const reference = await hashOnGPU(x, rot, c, false);
    let differ = 0;
    for (let i = 0; i < fused.length; i++) if (fused[i] !== reference[i]) differ++;
    expect(differ).toBe(0);
  });
});

describe('ReformerHashBuckets: golden buckets of Hugging Face Reformer', () => {
  it.each(goldenCaseNames())('%s: the fused kernel reproduces buckets.<layer> exactly', async (name) => {
    const golden = loadGoldenCase(name);
    try {
      const config = golden.config as {num_attention_heads: number; attention_head_size: number; num_hashes: number; num_buckets: NumBuckets};
      const mask = golden.io.attention_mask!;
      for (const layer of golden.info.lsh_layers as number[]) {
        const attnIn = golden.io[`attn_in.${layer}`]!;
        const weight = golden.weights[`reformer.encoder.layers.${layer}.attention.self_attention.query_key.weight`]!;
        const [batch, length, hidden] = attnIn.shape as [number, number, number];
        const heads = config.num_attention_heads;
        const headSize = config.attention_head_size;
        tf.env().set(FUSED_KERNELS_FLAG, true);
        const buckets = await withoutValidationErrors(() =>
          tf.tidy(() => {
          const flat = tf.matMul(tf.reshape(attnIn, [batch * length, hidden]), weight, false, true); // [batch*length, heads*headSize]
          const qk = tf.transpose(tf.reshape(flat, [batch, length, heads, headSize]), [0, 2, 1, 3]); // [batch, heads, length, headSize]
          return hashVectors(qk as tf.Tensor4D, {
            numBuckets: config.num_buckets,
            numHashes: config.num_hashes,
            rotations: golden.io[`rotations.${layer}`] as tf.Tensor4D,
            attentionMask: mask,
            hasPadding: (golden.info.pad as number) > 0,
          }).buckets;
          }),
        );
        const expected = await golden.io[`buckets.${layer}`]!.data();
        expect(Array.from(await buckets.data()), `${name} buckets.${layer}`).toEqual(Array.from(expected));
        buckets.dispose();
      }
    } finally {
      golden.dispose();
    }
  });
});

describe('ReformerHashBuckets: arguments', () => {
  it('names the argument, the value and what was expected', () => {
    const vectors = tf.zeros([1, 2, 8, 4]);
    const rotations = tf.zeros([2, 4, 1, 4]);
    const run = (inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => () => tf.engine().runKernel(HASH_BUCKETS_KERNEL, inputs, attrs);
    expect(run({vectors, rotations}, {factors: [8], padded: false})()).toBeInstanceOf(tf.Tensor);
    expect(run({vectors, rotations}, {factors: [7], padded: false})).toThrow(/factors: expected a non-empty list of even integers >= 2, got \[7\]/);
    expect(run({vectors, rotations}, {factors: [4], padded: false})).toThrow(/rotations: expected shape \[2, 4, numHashes, 2\].*got \[2, 4, 1, 4\]/);
    expect(run({vectors, rotations}, {factors: [8], padded: true})).toThrow(/attentionMask: expected a \[1, 8\] tensor when padded, got none/);
    expect(run({vectors: tf.zeros([2, 8, 4]), rotations}, {factors: [8], padded: false})).toThrow(/vectors: expected a float32 tensor \[batch, heads, length, dim\], got float32 \[2, 8, 4\]/);
    tf.dispose([vectors, rotations]);
    tf.disposeVariables();
  });
});
