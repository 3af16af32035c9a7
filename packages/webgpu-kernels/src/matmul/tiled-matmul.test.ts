// The tiled BatchMatMul (installed by registerWebGPUKernels in this project's setup) against float64 products
// written out in JavaScript: weight gradients Aᵀ B split along K (partial tiles, slices that end mid-step, a batch
// of one), tall products A B and A Bᵀ, a projection's gradients, and shapes that fall back to tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import {relativeError} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';
import {splitKSlices} from './tiled-matmul-kernel.js';

/** op(A) op(B) in float64 for row-major A and B, op transposing where asked. */
function product(a: Float32Array, b: Float32Array, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let r = 0; r < k; r++) total += a[transposeA ? r * m + i : i * k + r]! * b[transposeB ? j * k + r : r * n + j]!;
      out[i * n + j] = total;
    }
  }
  return out;
}

describe('tiled BatchMatMul: weight gradients split along K', () => {
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
      expect(programs).toContain('reformerTiledMatMul');
      expect(result.shape).toEqual(c.batched ? [1, c.m, c.n] : [c.m, c.n]);
      const want = product((await a.data()) as Float32Array, (await b.data()) as Float32Array, c.m, c.n, c.k, true, false);
      expect(relativeError(await result.data(), want)).toBeLessThan(1e-5);
      tf.dispose([a, b, result]);
    });
  }
  it('is the weight gradient of a projection', async () => {
    const x = tf.randomNormal([4096, 32], 0, 1, 'float32', 3);
    const w = tf.randomNormal([32, 16], 0, 1, 'float32', 4);
    const probe = tf.randomNormal([4096, 16], 0, 1, 'float32', 5);
    const {result, programs} = await programsRun(() => tf.grad((weights: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, weights), probe)))(w));
    expect(programs).toContain('reformerTiledMatMul');
    const want = product((await x.data()) as Float32Array, (await probe.data()) as Float32Array, 32, 16, 4096, true, false);
    expect(relativeError(await result.data(), want)).toBeLessThan(1e-5);
    tf.dispose([x, w, probe, result]);
  });
  it('leaves other products to tfjs', async () => {
    const tall = tf.randomNormal([4096, 64], 0, 1, 'float32', 6);
    const odd = tf.randomNormal([4096, 6], 0, 1, 'float32', 7);
    const short = tf.randomNormal([256, 64], 0, 1, 'float32', 8);
    const {result, programs} = await programsRun(() => [
      tf.matMul(tall, tf.randomNormal([64, 64]), false, false), // 4096 rows: not tall enough
      tf.matMul(odd, odd, true, false), // 6 columns: not vec4 rows
      tf.matMul(short, short, true, false), // too short to split
    ]);
    expect(programs).not.toContain('reformerTiledMatMul');
    const o = (await odd.data()) as Float32Array;
    expect(relativeError(await result[1]!.data(), product(o, o, 6, 6, 4096, true, false))).toBeLessThan(1e-5);
    tf.dispose([tall, odd, short, ...result]);
  });
});

describe('tiled BatchMatMul: tall products', () => {
  const cases = [
    {name: 'A B', m: 8192, k: 64, n: 32, transposeB: false},
    {name: 'A Bᵀ, a partial tile', m: 8192, k: 36, n: 68, transposeB: true},
  ];
  for (const c of cases) {
    it(`${c.name}: [${c.m}, ${c.k}] by ${c.transposeB ? `[${c.n}, ${c.k}]ᵀ` : `[${c.k}, ${c.n}]`}`, async () => {
      const a = tf.randomNormal([c.m, c.k], 0, 1, 'float32', 11);
      const b = tf.randomNormal(c.transposeB ? [c.n, c.k] : [c.k, c.n], 0, 1, 'float32', 12);
      const {result, programs} = await programsRun(() => tf.matMul(a, b, false, c.transposeB));
      expect(programs).toContain('reformerTiledMatMul');
      expect(result.shape).toEqual([c.m, c.n]);
      const want = product((await a.data()) as Float32Array, (await b.data()) as Float32Array, c.m, c.n, c.k, false, c.transposeB);
      expect(relativeError(await result.data(), want)).toBeLessThan(1e-5);
      tf.dispose([a, b, result]);
    });
  }
  it("is a projection's forward and both its gradients", async () => {
    const [rows, inner, outer] = [8192, 32, 16];
    const x = tf.randomNormal([rows, inner], 0, 1, 'float32', 13);
    const w = tf.randomNormal([inner, outer], 0, 1, 'float32', 14);
    const probe = tf.randomNormal([rows, outer], 0, 1, 'float32', 15);
    const {result, programs} = await programsRun(() => tf.grads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xs, ws), probe)))([x, w]));
    expect(programs.filter((p) => p === 'reformerTiledMatMul').length).toBe(3); // x W, probe Wᵀ, xᵀ probe
    const [xv, wv, pv] = (await Promise.all([x.data(), w.data(), probe.data()])) as Float32Array[];
    expect(relativeError(await result[0]!.data(), product(pv!, wv!, rows, inner, outer, false, true))).toBeLessThan(1e-5);
    expect(relativeError(await result[1]!.data(), product(xv!, pv!, inner, outer, rows, true, false))).toBeLessThan(1e-5);
    tf.dispose([x, w, probe, ...result]);
  });
});
