// The split Sum and Mean (installed by registerWebGPUKernels in this project's setup) against float64 sums
// written out in JavaScript, on shapes that take the split path and shapes that fall back to tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import {relativeError} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';
import {PARTIAL_SPAN} from './partial-reduce-program.js';

/** Float64 sums (or means) of x over its innermost `reduced` elements per row. */
function rowReductions(values: Float32Array, rowLength: number, mean: boolean): number[] {
  const out: number[] = [];
  for (let start = 0; start < values.length; start += rowLength) {
    let total = 0;
    for (let k = start; k < start + rowLength; k++) total += values[k]!;
    out.push(mean ? total / rowLength : total);
  }
  return out;
}

describe('split Sum and Mean', () => {
  const long = 3 * PARTIAL_SPAN + 17; // spans of which the last is partial
  const cases: Array<{name: string; shape: number[]; rowLength: number; mean: boolean; split: boolean; op: (x: tf.Tensor) => tf.Tensor; outShape: number[]}> = [
    {name: 'sum of everything', shape: [1, long], rowLength: long, mean: false, split: true, op: (x) => tf.sum(x), outShape: []},
    {name: 'sum over the last axis, kept', shape: [3, long], rowLength: long, mean: false, split: true, op: (x) => tf.sum(x, -1, true), outShape: [3, 1]},
    {name: 'mean over two innermost axes', shape: [2, 5, 2 * PARTIAL_SPAN], rowLength: 10 * PARTIAL_SPAN, mean: true, split: true, op: (x) => tf.mean(x, [1, 2]), outShape: [2]},
    {name: 'mean of everything, kept', shape: [4, 3, PARTIAL_SPAN + 1], rowLength: 12 * (PARTIAL_SPAN + 1), mean: true, split: true, op: (x) => tf.mean(x, undefined, true), outShape: [1, 1, 1]},
    {name: 'short rows fall back', shape: [4, PARTIAL_SPAN], rowLength: PARTIAL_SPAN, mean: false, split: false, op: (x) => tf.sum(x, 1), outShape: [4]},
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const x = tf.randomNormal(c.shape, 1, 2, 'float32', 5);
      const {result, programs} = await programsRun(() => c.op(x));
      expect(result.shape).toEqual(c.outShape);
      expect(programs.includes('reformerPartialSum')).toBe(c.split);
      const want = rowReductions((await x.data()) as Float32Array, c.rowLength, c.mean);
      expect(relativeError(await result.data(), want)).toBeLessThan(1e-5);
      tf.dispose([x, result]);
    });
  }
  it('leaves reductions over outer axes and integer sums to tfjs', async () => {
    const x = tf.randomNormal([2 * PARTIAL_SPAN + 3, 2], 0, 1, 'float32', 6);
    const ints = tf.ones([1, 2 * PARTIAL_SPAN + 3], 'int32');
    const {result, programs} = await programsRun(() => [tf.sum(x, 0), tf.sum(ints)]);
    expect(programs).not.toContain('reformerPartialSum');
    const values = (await x.data()) as Float32Array;
    const columns = [0, 1].map((c) => values.reduce((total, v, i) => (i % 2 === c ? total + v : total), 0));
    expect(relativeError(await result[0]!.data(), columns)).toBeLessThan(1e-5);
    expect(Array.from(await result[1]!.data())).toEqual([2 * PARTIAL_SPAN + 3]);
    tf.dispose([x, ints, ...result]);
  });
});
