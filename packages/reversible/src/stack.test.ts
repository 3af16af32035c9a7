import * as tf from '@tensorflow/tfjs-core';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {reconstructInputs, reversibleStack, type ReversibleLayer, type StackMode} from './index.js';
import {checkGradients, expectRelativeClose, expectTensorEqual, relativeError} from '@reformerjs/test-utils';
import {allWeights, denseStack, disposeLayers, seededTensor, weightedLoss} from './testing/fixtures.js';

// Reconstructed activations differ from the stored ones by float32 rounding, amplified a little by
// each layer's Jacobian: measured about 1e-7 at 3 layers and 2e-6 at 8 (relative, L2), on cpu and wasm.
const GRAD_TOL = 1e-5;

const SHAPE = [2, 3, 4]; // [batch, length, d]
const D = SHAPE[2];

function lossGrads(
  x1: tf.Tensor,
  x2: tf.Tensor,
  layers: ReversibleLayer[],
  mode: StackMode,
  seed: number,
): {loss: number; grads: tf.Tensor[]} {
  const xs = [x1, x2, ...allWeights(layers)];
  const {value, grads} = tf.valueAndGrads((...args: tf.Tensor[]) => {
    const [a, b] = args;
    let k = 2;
    // Rebuild the layers around the differentiated copies of the weights.
    const rebuilt = layers.map((l) => {
      const fw = args.slice(k, k + (l.fWeights ?? []).length);
      k += fw.length;
      const gw = args.slice(k, k + (l.gWeights ?? []).length);
      k += gw.length;
      return {f: l.f, g: l.g, fWeights: fw, gWeights: gw};
    });
    const [y1, y2] = reversibleStack(a, b, rebuilt, {mode, seed});
    return weightedLoss(y1, y2);
  })(xs);
  const loss = value.dataSync()[0];
  value.dispose();
  return {loss, grads};
}

describe('reversibleStack', () => {
  let x1: tf.Tensor;
  let x2: tf.Tensor;
  beforeEach(() => {
    x1 = seededTensor(SHAPE, 1);
    x2 = seededTensor(SHAPE, 2);
  });
  afterEach(() => tf.dispose([x1, x2]));

  it('gives the same outputs in reversible and residual mode, dropout on', () => {
    const layers = denseStack(3, D, {dropout: 0.3});
    const [r1, r2] = reversibleStack(x1, x2, layers, {seed: 7});
    const [p1, p2] = reversibleStack(x1, x2, layers, {mode: 'residual', seed: 7});
    expectTensorEqual(r1, p1, 'y1');
    expectTensorEqual(r2, p2, 'y2');
    expect(r1.shape).toEqual(SHAPE);
    // A different seed draws different masks.
    const [q1] = reversibleStack(x1, x2, layers, {seed: 8});
    expect(relativeError(q1, r1)).toBeGreaterThan(1e-3);
    tf.dispose([r1, r2, p1, p2, q1]);
    disposeLayers(layers);
  });

  for (const dropout of [0, 0.3]) {
    it(`has the gradients of plain autodiff for inputs and every weight (dropout ${dropout})`, () => {
      const layers = denseStack(3, D, {dropout});
      const rev = lossGrads(x1, x2, layers, 'reversible', 11);
      const res = lossGrads(x1, x2, layers, 'residual', 11);
      expect(rev.loss).toBe(res.loss);
      expect(rev.grads).toHaveLength(2 + 3 * 4);
      rev.grads.forEach((g, i) => {
        expect(g.shape, `grad ${i}`).toEqual(res.grads[i].shape);
        expect(tf.max(tf.abs(res.grads[i])).dataSync()[0], `grad ${i} is not trivially zero`).toBeGreaterThan(1e-3);
        expectRelativeClose(g, res.grads[i], GRAD_TOL, `grad ${i}`);
      });
      tf.dispose([...rev.grads, ...res.grads]);
      disposeLayers(layers);
    });
  }

  it('reconstructs each layer\'s inputs in the backward to float32 rounding, dropout on', () => {
    const layers = denseStack(4, D, {dropout: 0.3});
    const seed = 21;
    // The true inputs of layer i are the outputs of layers 0..i-1 (same indices, so same seeds).
    const truth = layers.map((_, i) =>
      i === 0 ? [tf.clone(x1), tf.clone(x2)] : reversibleStack(x1, x2, layers.slice(0, i), {mode: 'residual', seed}),
    );
    const seen: number[] = [];
    const errors: number[] = [];
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const [y1, y2] = reversibleStack(a, b, layers, {
        seed,
        onReconstruct: (layer, r1, r2) => {
          seen.push(layer);
          // Collected, not asserted here: an assertion thrown inside the backward would abort it.
          errors.push(relativeError(r1, truth[layer][0]), relativeError(r2, truth[layer][1]));
        },
      });
      return weightedLoss(y1, y2);
    })([x1, x2]);
    expect(seen).toEqual([3, 2, 1, 0]);
    for (const e of errors) {
      expect(e).toBeLessThan(1e-6);
    }
    tf.dispose([...grads, ...truth.flat()]);
    disposeLayers(layers);
  });

  it('reconstructInputs inverts the forward with the same seed, and not with another', () => {
    const layers = denseStack(4, D, {dropout: 0.3});
    const [y1, y2] = reversibleStack(x1, x2, layers, {seed: 5});
    const [r1, r2] = reconstructInputs(y1, y2, layers, {seed: 5});
    expectRelativeClose(r1, x1, 1e-6, 'x1');
    expectRelativeClose(r2, x2, 1e-6, 'x2');
    const [w1] = reconstructInputs(y1, y2, layers, {seed: 6});
    expect(relativeError(w1, x1)).toBeGreaterThan(1e-2);
    tf.dispose([y1, y2, r1, r2, w1]);
    disposeLayers(layers);
  });

  it('matches central finite differences on a tiny stack (dropout on)', () => {
    const a = seededTensor([1, 2, 2], 3);
    const b = seededTensor([1, 2, 2], 4);
    const layers = denseStack(2, 2, {dropout: 0.25, seed: 300});
    // The loss as a function of x1, x2 and every weight: all of them are checked.
    const loss = (p: tf.Tensor, q: tf.Tensor, ...w: tf.Tensor[]): tf.Scalar => {
      const rebuilt = layers.map((l, i) => ({...l, fWeights: w.slice(4 * i, 4 * i + 2), gWeights: w.slice(4 * i + 2, 4 * i + 4)}));
      const [y1, y2] = reversibleStack(p, q, rebuilt, {seed: 3});
      return weightedLoss(y1, y2);
    };
    checkGradients(loss, [a, b, ...allWeights(layers)], {eps: 1e-2, tol: 5e-3});
    tf.dispose([a, b]);
    disposeLayers(layers);
  });
});
