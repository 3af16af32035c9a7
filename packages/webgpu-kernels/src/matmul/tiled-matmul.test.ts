// The split-K BatchMatMul (installed by registerWebGPUKernels in this project's setup) against float64 products
// written out in JavaScript: shapes that take the split path (partial tiles, slices that end mid-step, a batch
// of one) and shapes that fall back to tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend, WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import {relativeError} from '@reformerjs/test-utils';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {withoutValidationErrors} from '../testing/gpu.js';
import {splitKSlices} from './split-k-matmul-kernel.js';

/** Aᵀ B in float64 for A [k, m] and B [k, n], row-major. */
function productTransposedA(a: Float32Array, b: Float32Array, k: number, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let r = 0; r < k; r++) {
    for (let i = 0; i < m; i++) {
      const av = a[r * m + i]!;
      for (let j = 0; j < n; j++) out[i * n + j] += av * b[r * n + j]!;
    }
  }
  return out;
}

/** The names of the programs `fn` ran (shader keys before tfjs's suffix of shapes and types). */
async function programsRun<T>(fn: () => T): Promise<{result: T; programs: string[]}> {
  const spy = vi.spyOn(tf.backend() as WebGPUBackend, 'runWebGPUProgram');
  const result = await withoutValidationErrors(fn);
  return {result, programs: spy.mock.calls.map((call) => (call[0] as WebGPUProgram).shaderKey.split('_')[0]!)};
}

afterEach(() => vi.restoreAllMocks());

describe('split-K BatchMatMul', () => {
  const cases = [
    {name: 'one tile, slices of whole steps', k: 4096, m: 64, n: 64, batched: false},
    {name: 'partial tiles, slices ending mid-step', k: 2053, m: 68, n: 12, batched: false},
    {name: 'a batch of one', k: 3000, m: 128, n: 36, batched: true},
  ];
  for (const c of cases) {
    it(`${c.name}: k ${c.k}, ${c.m} × ${c.n} in ${splitKSlices(c.k, c.m, c.n)} slices`, async () => {
      const a = tf.randomNormal(c.batched ? [1, c.k, c.m] : [c.k, c.m], 0, 1, 'float32', 1);
      const b = tf.randomNormal(c.batched ? [1, c.k, c.n] : [c.k, c.n], 0, 1, 'float32', 2);
      const {result, programs} = await programsRun(() => tf.matMul(a, b, true, false));
      expect(programs).toContain('reformerSplitKMatMul');
      expect(result.shape).toEqual(c.batched ? [1, c.m, c.n] : [c.m, c.n]);
      const want = productTransposedA((await a.data()) as Float32Array, (await b.data()) as Float32Array, c.k, c.m, c.n);
      expect(relativeError(await result.data(), want)).toBeLessThan(1e-5);
      tf.dispose([a, b, result]);
    });
  }
  it('is the weight gradient of a projection', async () => {
    const x = tf.randomNormal([4096, 32], 0, 1, 'float32', 3);
    const w = tf.randomNormal([32, 16], 0, 1, 'float32', 4);
    const probe = tf.randomNormal([4096, 16], 0, 1, 'float32', 5);
    const {result, programs} = await programsRun(() => tf.grad((weights: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, weights), probe)))(w));
    expect(programs).toContain('reformerSplitKMatMul');
    const want = productTransposedA((await x.data()) as Float32Array, (await probe.data()) as Float32Array, 4096, 32, 16);
    expect(relativeError(await result.data(), want)).toBeLessThan(1e-5);
    tf.dispose([x, w, probe, result]);
  });
  it('leaves other products to tfjs', async () => {
    const tall = tf.randomNormal([4096, 64], 0, 1, 'float32', 6);
    const odd = tf.randomNormal([4096, 6], 0, 1, 'float32', 7);
    const short = tf.randomNormal([256, 64], 0, 1, 'float32', 8);
    const {result, programs} = await programsRun(() => [
      tf.matMul(tall, tf.randomNormal([64, 64]), false, false), // not transposed
      tf.matMul(odd, odd, true, false), // 6 columns: not vec4 rows
      tf.matMul(short, short, true, false), // too short to split
    ]);
    expect(programs).not.toContain('reformerSplitKMatMul');
    const o = (await odd.data()) as Float32Array;
    expect(relativeError(await result[1]!.data(), productTransposedA(o, o, 4096, 6, 6))).toBeLessThan(1e-5);
    tf.dispose([tall, odd, short, ...result]);
  });
});
