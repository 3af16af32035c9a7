// The vec4 Tile (installed by registerWebGPUKernels in this project's setup) against tiles written out in
// JavaScript: a scalar broadcast (the gradient of a sum over everything), rows and columns broadcast (sums and means
// over one axis), wrapped vec4 rows, integers, and the shapes that fall back to tfjs's kernel.
import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';

/** x [shape] tiled by reps, element by element. */
function tiled(values: ArrayLike<number>, shape: number[], reps: number[]): number[] {
  const outShape = shape.map((size, axis) => size * reps[axis]!);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((size, n) => size * n, 1));
  const out: number[] = [];
  const size = outShape.reduce((total, n) => total * n, 1);
  for (let index = 0; index < size; index++) {
    let rest = index;
    let source = 0;
    for (let axis = outShape.length - 1; axis >= 0; axis--) {
      source += ((rest % outShape[axis]!) % shape[axis]!) * strides[axis]!;
      rest = Math.floor(rest / outShape[axis]!);
    }
    out.push(values[source]!);
  }
  return out;
}

describe('vec4 Tile', () => {
  const cases: Array<{name: string; shape: number[]; reps: number[]; dtype?: 'int32'; vec4: boolean}> = [
    {name: 'one element to 1000 (the gradient of a sum over everything)', shape: [1], reps: [1000], vec4: true},
    {name: 'a column broadcast over rows of 12 (a mean over the last axis)', shape: [5, 1], reps: [1, 12], vec4: true},
    {name: 'a row of 8 repeated 7 times (a sum over the first axis)', shape: [1, 8], reps: [7, 1], vec4: true},
    {name: 'vec4 rows wrapped on every axis', shape: [2, 3, 1, 8], reps: [2, 1, 3, 2], vec4: true},
    {name: 'integers', shape: [3, 1], reps: [2, 4], dtype: 'int32', vec4: true},
    {name: 'an innermost axis of 2: tfjs', shape: [3, 2], reps: [2, 2], vec4: false},
    {name: 'an output row of 6: tfjs', shape: [1, 1], reps: [2, 6], vec4: false},
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const size = c.shape.reduce((total, n) => total * n, 1);
      const values = Array.from({length: size}, (_, i) => (c.dtype ? i * 3 - 5 : i * 0.5 - 1.25));
      const x = tf.tensor(values, c.shape, c.dtype ?? 'float32');
      const {result, programs} = await programsRun(() => tf.tile(x, c.reps));
      expect(programs.includes('reformerVec4Tile')).toBe(c.vec4);
      expect(result.dtype).toBe(c.dtype ?? 'float32');
      expect(Array.from(await result.data())).toEqual(tiled(values, c.shape, c.reps));
      tf.dispose([x, result]);
    });
  }

  it('converts a float32 tensor stored as integers (a cast from int32)', async () => {
    const ints = tf.tensor([[1], [-2]], [2, 1], 'int32');
    const {result, programs} = await programsRun(() => tf.tile(tf.cast(ints, 'float32'), [1, 4]));
    expect(programs).toContain('reformerVec4Tile');
    expect(Array.from(await result.data())).toEqual([1, 1, 1, 1, -2, -2, -2, -2]);
    tf.dispose([ints, result]);
  });

  it('serves the gradient of a sum', async () => {
    const x = tf.randomNormal([6, 8], 0, 1, 'float32', 1);
    const {result, programs} = await programsRun(() => tf.grad((v: tf.Tensor) => tf.mul(tf.sum(v), 3))(x));
    expect(programs).toContain('reformerVec4Tile');
    expect(Array.from(await result.data())).toEqual(Array(48).fill(3));
    tf.dispose([x, result]);
  });
});
