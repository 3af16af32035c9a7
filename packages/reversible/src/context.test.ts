import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {reversibleStack, type ReversibleContext, type ReversibleFunction, type ReversibleLayer} from './index.js';
import {expectNoLeaks, expectRelativeClose, relativeError} from '@reformerjs/test-utils';
import {denseBranch, denseWeights, seededTensor, seededValues, weightedLoss} from './testing/fixtures.js';

const SHAPE = [2, 6, 4]; // [batch, length, d]
const D = SHAPE[2];
const NUM_BUCKETS = 4;

/**
 * An LSH-like branch: hashes each row to a bucket with a random rotation and scales the row's output
 * by its bucket. Its rotation is deliberately drawn from a different seed when recomputing, as a
 * stand-in for any hash that would not reproduce exactly from a reconstructed input: only the stash
 * keeps the recompute identical to the forward.
 */
function bucketBranch(counter: {computed: number}, useStash: boolean): ReversibleFunction {
  const hash = (rows: tf.Tensor, ctx: ReversibleContext): tf.Tensor => {
    counter.computed++;
    const seed = ctx.seed + (ctx.isRecompute ? 1 : 0);
    const rotation = tf.tensor2d(seededValues(D * NUM_BUCKETS, seed), [D, NUM_BUCKETS]);
    return tf.argMax(tf.matMul(rows, rotation), 1); // [rows] int32
  };
  return (x, [w], ctx) => {
    const rows = tf.reshape(x, [-1, D]); // [rows, d]
    const buckets = useStash ? ctx.reuse('buckets', () => hash(rows, ctx)) : hash(rows, ctx); // [rows]
    const scale = tf.reshape(tf.add(1, tf.mul(0.5, tf.cast(buckets, 'float32'))), [-1, 1]); // [rows, 1]
    return tf.reshape(tf.mul(tf.tanh(tf.matMul(rows, w)), scale), x.shape);
  };
}

function stack(counter: {computed: number}, useStash: boolean): ReversibleLayer[] {
  return [0, 1, 2].map((i) => ({
    f: bucketBranch(counter, useStash),
    g: denseBranch(0.2),
    fWeights: [tf.tensor2d(seededValues(D * D, 50 + i, 0.8), [D, D])],
    gWeights: denseWeights(D, 60 + i),
  }));
}

function grads(x1: tf.Tensor, x2: tf.Tensor, layers: ReversibleLayer[], mode: 'reversible' | 'residual'): tf.Tensor[] {
  const weights = layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!]);
  return tf.grads((...args: tf.Tensor[]) => {
    const [a, b, ...w] = args;
    const rebuilt = layers.map((l, i) => ({...l, fWeights: [w[3 * i]], gWeights: w.slice(3 * i + 1, 3 * i + 3)}));
    const [y1, y2] = reversibleStack(a, b, rebuilt, {mode, seed: 17});
    return weightedLoss(y1, y2);
  })([x1, x2, ...weights]);
}

describe('ReversibleContext.reuse', () => {
  it('hands the recompute the state the forward computed, so gradients match plain autodiff', () => {
    const x1 = seededTensor(SHAPE, 1);
    const x2 = seededTensor(SHAPE, 2);
    const counter = {computed: 0};
    const layers = stack(counter, true);
    const before = tf.memory().numTensors;
    const rev = grads(x1, x2, layers, 'reversible');
    // Computed once per layer in the forward; the recompute read the stash.
    expect(counter.computed).toBe(3);
    // The stash was disposed with the backward.
    expect(tf.memory().numTensors).toBe(before + rev.length);
    const res = grads(x1, x2, layers, 'residual');
    rev.forEach((g, i) => expectRelativeClose(g, res[i], 1e-5, `grad ${i}`));

    // The same branch without the stash recomputes other buckets, and the gradients go wrong: the
    // check above is sensitive to the stash.
    const unstashed = stack({computed: 0}, false);
    const wrong = grads(x1, x2, unstashed, 'reversible');
    expect(Math.max(...wrong.map((g, i) => relativeError(g, res[i])))).toBeGreaterThan(1e-2);

    tf.dispose([x1, x2, ...rev, ...res, ...wrong]);
    tf.dispose(layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!]));
    tf.dispose(unstashed.flatMap((l) => [...l.fWeights!, ...l.gWeights!]));
  });

  it('keeps nothing when no gradient is recorded, and computes every time in residual mode', () => {
    const x1 = seededTensor(SHAPE, 3);
    const x2 = seededTensor(SHAPE, 4);
    const counter = {computed: 0};
    const layers = stack(counter, true);
    const before = tf.memory().numTensors;
    for (const mode of ['reversible', 'residual'] as const) {
      const [y1, y2] = reversibleStack(x1, x2, layers, {mode, seed: 1});
      tf.dispose([y1, y2]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(counter.computed).toBe(6);
    tf.dispose([x1, x2]);
    tf.dispose(layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!]));
  });

  it('may stash a tensor it did not create, such as its own input', async () => {
    const x1 = seededTensor(SHAPE, 7);
    const x2 = seededTensor(SHAPE, 8);
    // Gates each element on the sign its input had in the forward.
    const gated: ReversibleFunction = (x, [w], ctx) => {
      const forwardInput = ctx.reuse('input', () => x);
      const gate = tf.step(forwardInput); // 1 where > 0, else 0
      const rows = tf.reshape(x, [-1, D]); // [rows, d]
      return tf.mul(tf.reshape(tf.tanh(tf.matMul(rows, w)), x.shape), gate);
    };
    const layers: ReversibleLayer[] = [0, 1, 2].map((i) => ({
      f: gated,
      g: gated,
      fWeights: [tf.tensor2d(seededValues(D * D, 70 + i, 0.8), [D, D])],
      gWeights: [tf.tensor2d(seededValues(D * D, 80 + i, 0.8), [D, D])],
    }));
    const weights = layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!]);
    const run = (mode: 'reversible' | 'residual') =>
      tf.grads((...args: tf.Tensor[]) => {
        const [a, b, ...w] = args;
        const rebuilt = layers.map((l, i) => ({...l, fWeights: [w[2 * i]], gWeights: [w[2 * i + 1]]}));
        const [y1, y2] = reversibleStack(a, b, rebuilt, {mode, seed: 4});
        return weightedLoss(y1, y2);
      })([x1, x2, ...weights]);
    await expectNoLeaks(() => run('reversible'));
    const rev = run('reversible');
    const res = run('residual');
    rev.forEach((g, i) => expectRelativeClose(g, res[i], 1e-5, `grad ${i}`));
    tf.dispose([x1, x2, ...weights, ...rev, ...res]);
  });

  it('tells f and g which layer, seed and pass they are in', () => {
    const x = seededTensor([1, 2], 5);
    const calls: Array<{layer: number; seed: number; isRecompute: boolean}> = [];
    const spy: ReversibleFunction = (x, _w, ctx) => {
      calls.push({layer: ctx.layer, seed: ctx.seed, isRecompute: ctx.isRecompute});
      return tf.mul(x, 0.5);
    };
    const layers = [0, 1].map(() => ({f: spy, g: spy}));
    const g = tf.grad((a: tf.Tensor) => {
      const [y1, y2] = reversibleStack(a, a, layers, {seed: 3});
      return tf.add(tf.sum(y1), tf.sum(y2));
    })(x);
    const forward = calls.filter((c) => !c.isRecompute);
    const recompute = calls.filter((c) => c.isRecompute);
    expect(forward.map((c) => c.layer)).toEqual([0, 0, 1, 1]);
    // The backward goes from the last layer, g before f, with the seeds the forward used.
    expect(recompute.map((c) => c.layer)).toEqual([1, 1, 0, 0]);
    expect(recompute.map((c) => c.seed)).toEqual([forward[3].seed, forward[2].seed, forward[1].seed, forward[0].seed]);
    expect(new Set(forward.map((c) => c.seed)).size).toBe(4);
    tf.dispose([x, g]);
  });

  it('rejects a key used twice in one call, and a recompute that asks for a key the forward did not stash', () => {
    const x = seededTensor([1, 2], 6);
    const twice: ReversibleFunction = (x, _w, ctx) => {
      ctx.reuse('k', () => tf.zeros([1]));
      ctx.reuse('k', () => tf.zeros([1]));
      return tf.clone(x);
    };
    expect(() => reversibleStack(x, x, [{f: twice, g: twice}])).toThrow(
      "layers[0].f: ctx.reuse key: expected each key once per call, got 'k' a second time",
    );
    const wandering: ReversibleFunction = (x, _w, ctx) => {
      ctx.reuse(ctx.isRecompute ? 'other' : 'k', () => tf.zeros([1]));
      return tf.mul(x, 2);
    };
    const identity: ReversibleFunction = (x) => tf.clone(x);
    expect(() =>
      tf.grad((a: tf.Tensor) => tf.sum(reversibleStack(a, a, [{f: wandering, g: identity}])[0]))(x),
    ).toThrow("layers[0].f: ctx.reuse key: expected one of the keys stashed in the forward ('k'), got 'other'");
    const notTensor: ReversibleFunction = (x, _w, ctx) => {
      ctx.reuse('k', () => 3 as unknown as tf.Tensor);
      return x;
    };
    expect(() => reversibleStack(x, x, [{f: notTensor, g: identity}])).toThrow(
      "layers[0].f: ctx.reuse('k'): expected compute to return a tf.Tensor, got 3",
    );
    x.dispose();
  });
});
