// The device-side Sum and Mean gradients (installed by registerWebGPUKernels in this project's setup) against
// the gradient written out in JavaScript: d/dx sum(reduce(x) · probe) is probe repeated over the reduced axes
// (divided by their size for Mean).
import * as tf from '@tensorflow/tfjs';
import {relativeError} from '@reformerjs/test-utils';
import {describe, expect, it} from 'vitest';
import {reductionGradients} from './reductions.js';

const SHAPE = [2, 3, 5];

/** probe (laid out in the reduced shape, keepDims or not) repeated over `axes` of SHAPE, over `divisor`. */
function expected(probe: ArrayLike<number>, axes: number[], divisor: number): number[] {
  const strides = SHAPE.map((_, i) => SHAPE.slice(i + 1).reduce((a, b) => a * b, 1));
  const keptShape = SHAPE.map((s, i) => (axes.includes(i) ? 1 : s));
  const keptStrides = keptShape.map((_, i) => keptShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  for (let flat = 0; flat < SHAPE.reduce((a, b) => a * b, 1); flat++) {
    let source = 0;
    SHAPE.forEach((_, i) => {
      const coordinate = Math.floor(flat / strides[i]!) % SHAPE[i]!;
      if (!axes.includes(i)) source += coordinate * keptStrides[i]!;
    });
    out.push(probe[source]! / divisor);
  }
  return out;
}

describe('device-side Sum and Mean gradients', () => {
  it('are the registered ones', () => {
    for (const gradient of reductionGradients) expect(tf.getGradient(gradient.kernelName)?.gradFunc).toBe(gradient.gradFunc);
  });
  const cases: Array<{name: string; axes: number[]; mean: boolean; op: (t: tf.Tensor) => tf.Tensor}> = [
    {name: 'sum over the last axis', axes: [2], mean: false, op: (t) => tf.sum(t, -1)},
    {name: 'sum over two axes, kept', axes: [0, 2], mean: false, op: (t) => tf.sum(t, [0, 2], true)},
    {name: 'sum of everything', axes: [0, 1, 2], mean: false, op: (t) => tf.sum(t)},
    {name: 'mean over the last axis, kept', axes: [2], mean: true, op: (t) => tf.mean(t, -1, true)},
    {name: 'mean over the first axis', axes: [0], mean: true, op: (t) => tf.mean(t, 0)},
  ];
  it('reduces rank 5 over its last axis (the webgpu Tile kernel cannot broadcast rank 5 in Node)', async () => {
    const x = tf.randomNormal([2, 1, 3, 2, 4], 0, 1, 'float32', 3);
    const probe = tf.randomNormal([2, 1, 3, 2, 1], 0, 1, 'float32', 4);
    const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sum(t, -1, true), probe)))(x);
    const p = await probe.data();
    const want = Array.from({length: x.size}, (_, i) => p[Math.floor(i / 4)]!);
    expect(relativeError(await gradient.data(), want)).toBeLessThan(1e-6);
    tf.dispose([x, probe, gradient]);
  });
  for (const c of cases) {
    it(c.name, async () => {
      const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 1);
      const probe = tf.randomNormal(c.op(x).shape, 0, 1, 'float32', 2);
      const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(c.op(t), probe)))(x);
      const divisor = c.mean ? c.axes.reduce((size, a) => size * SHAPE[a]!, 1) : 1;
      expect(relativeError(await gradient.data(), expected(await probe.data(), c.axes, divisor))).toBeLessThan(1e-6);
      tf.dispose([x, probe, gradient]);
    });
  }
});
