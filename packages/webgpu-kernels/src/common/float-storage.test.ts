// Every program of this package that reads floats, given float32 tensors stored as integers (what tfjs's webgpu
// Cast from int32 produces: the integer buffer, relabelled): the same numbers as float-stored copies of the same
// values, and no validation error (a program that declared such an input as floats would not compile, and tfjs
// would leave its output as garbage). Each case reuses a shape the kernel's own tests compile.
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {hashVectors} from '@reformerjs/lsh-hash';
import {lshAttentionCore, sharedQKKeys} from '@reformerjs/lsh-attention';
import {relativeError} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {PARTIAL_SPAN} from '../reduce/partial-reduce-program.js';
import {programsRun} from '../testing/gpu.js';
import {storedAsDeclared} from './float-storage.js';

/** Integers in [-8, 8) of `shape`, as a float32 tensor stored as int32 and as a float-stored copy. */
function integerFloats(shape: number[], seed: number): {cast: tf.Tensor; copy: tf.Tensor} {
  const ints = tf.randomUniformInt(shape, -8, 8, seed);
  const cast = tf.cast(ints, 'float32');
  const copy = tf.add(cast, 0); // an element-wise op writes a float buffer
  ints.dispose();
  expect(storedAsDeclared(tf.backend() as WebGPUBackend, cast)).toBe(false);
  expect(storedAsDeclared(tf.backend() as WebGPUBackend, copy)).toBe(true);
  return {cast, copy};
}

/** Runs `op` on the cast and on the copy; expects the same values (within `tolerance`) and no validation error. */
async function expectSameOnBoth(shape: number[], op: (x: tf.Tensor) => tf.Tensor | tf.Tensor[], tolerance = 0) {
  const {cast, copy} = integerFloats(shape, 7);
  const results: ArrayLike<number>[][] = [];
  for (const x of [cast, copy]) {
    const {result} = await programsRun(() => op(x));
    const outputs = Array.isArray(result) ? result : [result];
    results.push(await Promise.all(outputs.map((t) => t.data())));
    tf.dispose(outputs);
  }
  const [fromCast, fromCopy] = results;
  fromCast!.forEach((values, i) => expect(relativeError(values, fromCopy![i]!)).toBeLessThanOrEqual(tolerance));
  tf.dispose([cast, copy]);
}

describe('float32 tensors stored as integers', () => {
  it('split Sum and Mean (tfjs reduces them, in another order)', () =>
    expectSameOnBoth([2, 2 * PARTIAL_SPAN + 5], (x) => [tf.sum(x, 1), tf.mean(x)], 1e-6));
  it("a bool mask cast to float32 and summed over a long row (a masked loss's normaliser)", async () => {
    const mask = tf.cast(tf.greater(tf.randomNormal([1, 2 * PARTIAL_SPAN + 5], 0, 1, 'float32', 9), 0), 'float32');
    expect(storedAsDeclared(tf.backend() as WebGPUBackend, mask)).toBe(false);
    const {result} = await programsRun(() => tf.sum(mask));
    const ones = Array.from(await mask.data()).filter((v) => v === 1).length;
    expect(await result.data()).toEqual(new Float32Array([ones]));
    tf.dispose([mask, result]);
  });
  it('tall matmul and weight gradient (tfjs multiplies them)', () =>
    expectSameOnBoth([8192, 64], (x) => [tf.matMul(x, tf.ones([64, 32])), tf.matMul(x, tf.ones([8192, 8]), true, false)]));
  it('Transpose of rows (converted as they are copied)', () => expectSameOnBoth([2, 7, 3, 8], (x) => tf.transpose(x, [0, 2, 1, 3])));
  it('shared-QK keys and their gradient', () =>
    expectSameOnBoth([2, 3, 17, 64], (x) => [sharedQKKeys(x), tf.grad((v: tf.Tensor) => tf.sum(sharedQKKeys(v)))(x)], 1e-6));
  it('hashing', () =>
    expectSameOnBoth([2, 2, 32, 16], (x) => hashVectors(x as tf.Tensor4D, {numBuckets: 4, numHashes: 2, seed: 3}).buckets));
  it('chunked attention and its gradient', () =>
    expectSameOnBoth([2, 2, 32, 16], (x) => {
      const buckets = tf.zeros([2, 2, 4, 32], 'int32') as tf.Tensor4D;
      const attend = (q: tf.Tensor) => lshAttentionCore(q as tf.Tensor4D, q as tf.Tensor4D, {chunkLength: 8, numHashes: 4, numBuckets: 4}, {buckets}).output;
      const outputs = [attend(x), tf.grad((q: tf.Tensor) => tf.sum(attend(q)))(x)];
      buckets.dispose();
      return outputs;
    }, 1e-6));
});
