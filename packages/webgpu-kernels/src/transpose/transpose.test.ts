// The vec4-row Transpose (installed by registerWebGPUKernels in this project's setup) against transposes written
// out in JavaScript: the head splits and merges of attention, axes of one element, merged axes, integers, and the
// permutations that fall back to tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';
import {collapsePermutation} from './transpose-kernel.js';

/** x [shape] transposed by perm, element by element. */
function transposed(values: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((size, n) => size * n, 1));
  const outShape = perm.map((axis) => shape[axis]!);
  const out: number[] = [];
  const size = outShape.reduce((total, n) => total * n, 1);
  for (let index = 0; index < size; index++) {
    let rest = index;
    let source = 0;
    for (let axis = outShape.length - 1; axis >= 0; axis--) {
      source += (rest % outShape[axis]!) * strides[perm[axis]!]!;
      rest = Math.floor(rest / outShape[axis]!);
    }
    out.push(values[source]!);
  }
  return out;
}

describe('collapsePermutation', () => {
  it('drops axes of one element and merges axes that stay adjacent', () => {
    expect(collapsePermutation([1, 5, 3, 8], [0, 2, 1, 3])).toEqual({shape: [5, 3, 8], perm: [1, 0, 2]});
    expect(collapsePermutation([2, 3, 4, 8], [2, 3, 0, 1])).toEqual({shape: [6, 32], perm: [1, 0]});
    expect(collapsePermutation([2, 1, 3, 8], [1, 0, 2, 3])).toEqual({shape: [48], perm: [0]});
  });
});

describe('vec4-row Transpose', () => {
  const cases: Array<{name: string; shape: number[]; perm: number[]; dtype?: 'int32'; rows: boolean}> = [
    {name: 'heads split: [batch, length, heads, headSize] to [batch, heads, length, headSize]', shape: [2, 7, 3, 8], perm: [0, 2, 1, 3], rows: true},
    {name: 'heads merged, batch of one', shape: [1, 3, 9, 4], perm: [0, 2, 1, 3], rows: true},
    {name: 'four axes moved', shape: [2, 3, 5, 2, 12], perm: [3, 2, 0, 1, 4], rows: true},
    {name: 'integers', shape: [3, 5, 4], perm: [1, 0, 2], dtype: 'int32', rows: true},
    {name: 'the innermost axis moves: tfjs', shape: [3, 5, 4], perm: [0, 2, 1], rows: false},
    {name: 'an innermost axis of 6: tfjs', shape: [4, 5, 6], perm: [1, 0, 2], rows: false},
    {name: 'five axes after collapsing: tfjs', shape: [2, 3, 2, 3, 2, 4], perm: [4, 2, 0, 3, 1, 5], rows: false},
    {name: 'empty: tfjs', shape: [0, 3, 4], perm: [1, 0, 2], rows: false},
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const x = c.dtype === 'int32' ? tf.randomUniformInt(c.shape, -1000, 1000, 3) : tf.randomNormal(c.shape, 0, 1, 'float32', 3);
      const {result, programs} = await programsRun(() => tf.transpose(x, c.perm));
      expect(programs.includes('reformerPermuteRows')).toBe(c.rows);
      expect(result.dtype).toBe(x.dtype);
      expect(result.shape).toEqual(c.perm.map((axis) => c.shape[axis]!));
      expect(Array.from(await result.data())).toEqual(transposed(await x.data(), c.shape, c.perm));
      tf.dispose([x, result]);
    });
  }
});
