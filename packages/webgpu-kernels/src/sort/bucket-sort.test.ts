// The ReformerBucketSort kernel against a plain JavaScript stable sort and against sortByBuckets' reference path
// (topk) on the same backend: both paths of the kernel (whole-row bitonic sort, radix sort), 1 to many rows,
// lengths from 1 to past 2^17, bucket patterns that stress stability and the radix passes.
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {BUCKET_SORT_KERNEL, FUSED_KERNELS_FLAG, fusedKernelAvailable, sortByBuckets} from '@reformerjs/lsh-hash';
import {afterEach, describe, expect, it} from 'vitest';

import {withoutValidationErrors, words} from '../testing/gpu.js';

import {sortWithPlan} from './bucket-sort-kernel.js';
import {bitonicCapacity, planSort, type RadixPlan, type SortLimits} from './plan.js';

afterEach(() => tf.env().set(FUSED_KERNELS_FLAG, true));

type Shape = [number, number, number, number];


const size = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

/** Bucket patterns over [batch, heads, numHashes, length]; round r's buckets offset by r * perRound. */
const patterns = {
  random: (shape: Shape, perRound: number, seed = 1) => {
    const [, , numHashes, length] = shape;
    const w = words(size(shape), seed);
    return Int32Array.from(w, (v, i) => (v % perRound) + (Math.floor(i / length) % numHashes) * perRound);
  },
  allEqual: (shape: Shape) => new Int32Array(size(shape)).fill(7),
  ascending: (shape: Shape) => Int32Array.from({length: size(shape)}, (_, i) => i % shape[3]),
  descending: (shape: Shape) => Int32Array.from({length: size(shape)}, (_, i) => shape[3] - (i % shape[3])),
  /** Arbitrary int32 values, the extremes included: every radix pass is needed. */
  wide: (shape: Shape, seed = 2) => {
    const out = Int32Array.from(words(size(shape), seed), (v) => v | 0);
    out[0] = -(2 ** 31);
    out[out.length - 1] = 2 ** 31 - 1;
    return out;
  },
  /** Few distinct values spread over a range just wider than 2^12 and 2^24 (rows needing 2 and 3 passes). */
  spread: (shape: Shape, seed = 3) => {
    const [, , numHashes, length] = shape;
    const w = words(size(shape), seed);
    return Int32Array.from(w, (v, i) => {
      const row = Math.floor(i / length);
      const span = row % 3 === 0 ? 5000 : row % 3 === 1 ? 2 ** 26 + 3 : 40;
      return (v % 16) * Math.floor(span / 15) - (row % numHashes) * 1000;
    });
  },
};

/** Each (batch, head): flat indices r * length + t ordered by (round, bucket, position), and the inverse. */
function jsSort(values: Int32Array, shape: Shape): {sorted: Int32Array; undo: Int32Array} {
  const [, , numHashes, length] = shape;
  const sorted = new Int32Array(values.length);
  const undo = new Int32Array(values.length);
  const rows = values.length / length;
  const order = new Int32Array(length);
  for (let row = 0; row < rows; row++) {
    const start = row * length;
    for (let t = 0; t < length; t++) order[t] = t;
    order.sort((a, b) => values[start + a]! - values[start + b]! || a - b);
    const round = row % numHashes;
    const rowStart = (row - round) * length; // the (batch, head)'s first slot
    for (let s = 0; s < length; s++) {
      sorted[start + s] = round * length + order[s]!;
      undo[rowStart + round * length + order[s]!] = round * length + s;
    }
  }
  return {sorted, undo};
}

const device = () => (tf.backend() as WebGPUBackend).device;

/** sortByBuckets (fused or reference, per the flag) read back; no validation error, no leaked tensor. */
async function sortOnGPU(values: Int32Array, shape: Shape, fused = true) {
  tf.env().set(FUSED_KERNELS_FLAG, fused);
  expect(fusedKernelAvailable(BUCKET_SORT_KERNEL)).toBe(fused);
  const buckets = tf.tensor4d(values, shape, 'int32');
  const before = tf.memory().numTensors;
  const sort = await withoutValidationErrors(() => sortByBuckets(buckets));
  expect(sort.sortedIndices.shape).toEqual([shape[0], shape[1], shape[2] * shape[3]]);
  expect(sort.undoSortedIndices.shape).toEqual([shape[0], shape[1], shape[2] * shape[3]]);
  expect(sort.sortedIndices.dtype).toBe('int32');
  const [sorted, undo] = (await Promise.all([sort.sortedIndices.data(), sort.undoSortedIndices.data()])) as Int32Array[];
  tf.dispose(sort);
  expect(tf.memory().numTensors).toBe(before);
  buckets.dispose();
  return {sorted: sorted!, undo: undo!};
}

/** The kernel's programs with an explicit plan. */
async function sortWith(values: Int32Array, shape: Shape, plan: RadixPlan) {
  const buckets = tf.tensor4d(values, shape, 'int32');
  const before = tf.memory().numTensors;
  const outputs = await withoutValidationErrors(() =>
    sortWithPlan(tf.backend() as WebGPUBackend, buckets, plan).map((info) => tf.engine().makeTensorFromTensorInfo(info)),
  );
  const [sorted, undo] = (await Promise.all(outputs.map((t) => t.data()))) as Int32Array[];
  tf.dispose(outputs);
  expect(tf.memory().numTensors).toBe(before);
  buckets.dispose();
  return {sorted: sorted!, undo: undo!};
}

/** First mismatch as a readable message, or undefined; arrays of 2^17+ entries make toEqual's diff slow. */
function firstMismatch(actual: Int32Array, expected: Int32Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `index ${i}: ${actual[i]}, expected ${expected[i]}`;
  }
  return undefined;
}

function expectSame(actual: {sorted: Int32Array; undo: Int32Array}, expected: {sorted: Int32Array; undo: Int32Array}) {
  expect(firstMismatch(actual.sorted, expected.sorted), 'sortedIndices').toBeUndefined();
  expect(firstMismatch(actual.undo, expected.undo), 'undoSortedIndices').toBeUndefined();
}

const limits = (): SortLimits => device().limits;

describe('ReformerBucketSort: whole-row path', () => {
  it.each<[string, Shape, keyof typeof patterns, number]>([
    ['one position', [1, 1, 1, 1], 'random', 4],
    ['two positions', [1, 1, 2, 2], 'descending', 0],
    ['odd length, several rows', [2, 3, 2, 13], 'random', 5],
    ['more buckets than positions', [2, 1, 3, 9], 'random', 64],
    ['all equal', [1, 2, 2, 300], 'allEqual', 0],
    ['already sorted', [1, 1, 2, 257], 'ascending', 0],
    ['reversed', [2, 1, 1, 1000], 'descending', 0],
    ['arbitrary int32 keys', [1, 2, 1, 777], 'wide', 0],
  ])('%s %j (%s) matches a JS stable sort and the reference path', async (_name, shape, pattern, perRound) => {
    expect(planSort(shape, limits()).kind).toBe('bitonic');
    const values = patterns[pattern](shape, perRound);
    const fused = await sortOnGPU(values, shape);
    expectSame(fused, jsSort(values, shape));
    expectSame(fused, await sortOnGPU(values, shape, false));
  });

  it('at the capacity: one row of the largest whole-row length', async () => {
    const shape: Shape = [1, 1, 1, bitonicCapacity(limits())];
    expect(planSort(shape, limits()).kind).toBe('bitonic');
    const values = patterns.random(shape, 1000, 9);
    expectSame(await sortOnGPU(values, shape), jsSort(values, shape));
  });
});

describe('ReformerBucketSort: radix path', () => {
  it('one row just past the whole-row capacity matches the reference path', async () => {
    const shape: Shape = [1, 1, 1, bitonicCapacity(limits()) + 1];
    expect(planSort(shape, limits()).kind).toBe('radix');
    const values = patterns.random(shape, 2049, 4);
    const fused = await sortOnGPU(values, shape);
    expectSame(fused, jsSort(values, shape));
    expectSame(fused, await sortOnGPU(values, shape, false));
  });

  it('one row of 2^17 + 5 positions, 2 rounds, 2048 + 1 buckets per round (past float32 keys)', async () => {
    const shape: Shape = [1, 1, 2, 2 ** 17 + 5];
    const values = patterns.random(shape, 2049, 5);
    expectSame(await sortOnGPU(values, shape), jsSort(values, shape));
  });

  it.each<[string, Shape, keyof typeof patterns, number]>([
    ['many rows', [2, 3, 4, 5000], 'random', 513],
    ['all equal', [1, 1, 2, 9000], 'allEqual', 0],
    ['already sorted', [1, 2, 1, 8500], 'ascending', 0],
    ['reversed', [1, 1, 1, 20000], 'descending', 0],
    ['arbitrary int32 keys (three passes)', [1, 2, 1, 7000], 'wide', 0],
    ['rows needing one, two and three passes', [1, 1, 3, 6000], 'spread', 0],
  ])('%s %j (%s) matches a JS stable sort', async (_name, shape, pattern, perRound) => {
    expect(planSort(shape, limits()).kind).toBe('radix');
    const values = patterns[pattern](shape, perRound);
    expectSame(await sortOnGPU(values, shape), jsSort(values, shape));
  });

  // Plans a device would not pick at these sizes: small tiles and digits, several tiles per block, rows that span
  // several blocks, every pass count.
  it.each<[string, Shape, Partial<RadixPlan>, keyof typeof patterns]>([
    ['8-bit digits, 4 tiles per block', [1, 2, 2, 3000], {digitBits: 8, tile: 512, tilesPerBlock: 4}, 'wide'],
    ['8-bit digits, a partial last block', [1, 1, 3, 2600], {digitBits: 8, tile: 512, tilesPerBlock: 2}, 'spread'],
    ['11-bit digits, 1 tile per block', [2, 1, 1, 4099], {digitBits: 11, tile: 1024, tilesPerBlock: 1}, 'random'],
    ['length shorter than a tile', [3, 1, 2, 100], {digitBits: 8, tile: 512, tilesPerBlock: 1}, 'wide'],
    ['one position per row', [2, 2, 2, 1], {digitBits: 8, tile: 512, tilesPerBlock: 1}, 'wide'],
  ])('%s: %j', async (_name, shape, override, pattern) => {
    const [batch, heads, numHashes, length] = shape;
    const plan: RadixPlan = {
      kind: 'radix',
      rows: batch * heads * numHashes,
      length,
      numHashes,
      digitBits: 8,
      passes: 0,
      tile: 512,
      tilesPerBlock: 1,
      blocks: 0,
      ...override,
    };
    plan.passes = Math.ceil(32 / plan.digitBits);
    plan.blocks = Math.ceil(length / (plan.tile * plan.tilesPerBlock));
    const values = patterns[pattern](shape, 300);
    expectSame(await sortWith(values, shape, plan), jsSort(values, shape));
  });
});

describe('ReformerBucketSort: dispatch above 65535 workgroups', () => {
  // The workgroup-index helper that every tiled program (the hash kernel's too) uses to find its unit of work.
  it('65600 rows of one position (tfjs reshapes the dispatch to two dimensions)', async () => {
    const shape: Shape = [1, 2, 32800, 1];
    const values = patterns.wide(shape, 6);
    expectSame(await sortOnGPU(values, shape), jsSort(values, shape));
  });
});

describe('ReformerBucketSort: arguments', () => {
  it('an empty input gives empty outputs', async () => {
    const shape: Shape = [1, 2, 3, 0];
    const {sorted, undo} = await sortOnGPU(new Int32Array(0), shape);
    expect(sorted.length).toBe(0);
    expect(undo.length).toBe(0);
  });

  it('rejects non-int32 and wrong-rank buckets, naming the argument', () => {
    const floats = tf.zeros([1, 1, 1, 4]);
    const rank3 = tf.zeros([1, 1, 4], 'int32');
    expect(() => tf.engine().runKernel(BUCKET_SORT_KERNEL, {buckets: floats}, {})).toThrow(/buckets: expected dtype int32, got float32/);
    expect(() => tf.engine().runKernel(BUCKET_SORT_KERNEL, {buckets: rank3}, {})).toThrow(/buckets: expected a rank-4 tensor .* got shape \[1, 1, 4\]/);
    tf.dispose([floats, rank3]);
  });
});
