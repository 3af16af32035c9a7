import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {reversibleStack, vjp, type ReversibleBranchVjp, type ReversibleFunction, type ReversibleLayer, type StackMode} from './index.js';
import {expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';
import {customOp, denseStack, disposeLayers, seededTensor, weightedLoss} from './testing/fixtures.js';

const SHAPE = [2, 4, 3]; // [batch, length, d]
const D = SHAPE[2];

function namedVariableGrads(
  x1: tf.Tensor,
  x2: tf.Tensor,
  layers: ReversibleLayer[],
  mode: StackMode,
): tf.NamedTensorMap {
  const {value, grads} = tf.variableGrads(() => {
    const [y1, y2] = reversibleStack(x1, x2, layers, {mode, seed: 9});
    return weightedLoss(y1, y2);
  });
  value.dispose();
  return grads;
}

describe('reversibleStack in training', () => {
  it('gives every tf.Variable weight its gradient under tf.variableGrads, equal to residual mode', () => {
    const x1 = seededTensor(SHAPE, 1);
    const x2 = seededTensor(SHAPE, 2);
    const layers = denseStack(2, D, {dropout: 0.2, variables: true});
    const rev = namedVariableGrads(x1, x2, layers, 'reversible');
    const res = namedVariableGrads(x1, x2, layers, 'residual');
    const names = layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!].map((w) => (w as tf.Variable).name));
    expect(Object.keys(rev).sort()).toEqual([...names].sort());
    for (const name of names) {
      expectRelativeClose(rev[name], res[name], 1e-5, name);
    }
    tf.dispose([x1, x2, ...Object.values(rev), ...Object.values(res)]);
    disposeLayers(layers);
  });

  it('trains with optimizer.minimize the same way in both modes, without leaking tensors', () => {
    const x1 = seededTensor(SHAPE, 3);
    const x2 = seededTensor(SHAPE, 4);
    const run = (mode: StackMode): {losses: number[]; weights: tf.Tensor[]; counts: number[]} => {
      const layers = denseStack(3, D, {dropout: 0.2, variables: true});
      const optimizer = tf.train.adam(0.05);
      const losses: number[] = [];
      const counts: number[] = [];
      for (let step = 0; step < 4; step++) {
        const loss = optimizer.minimize(() => {
          // A new step seed per step: new dropout masks, as in real training.
          const [y1, y2] = reversibleStack(x1, x2, layers, {mode, seed: 1000 + step});
          return weightedLoss(y1, y2);
        }, true)!;
        losses.push(loss.dataSync()[0]);
        loss.dispose();
        counts.push(tf.memory().numTensors);
      }
      const weights = layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!]).map((w) => tf.clone(w));
      optimizer.dispose();
      disposeLayers(layers);
      return {losses, weights, counts};
    };
    const rev = run('reversible');
    const res = run('residual');
    // Adam's slots appear at the first step; after that the count must not move.
    expect(new Set(rev.counts.slice(1)).size).toBe(1);
    expect(new Set(res.counts.slice(1)).size).toBe(1);
    rev.losses.forEach((l, i) => expect(Math.abs(l - res.losses[i]) / Math.abs(res.losses[i])).toBeLessThan(1e-5));
    rev.weights.forEach((w, i) => expectRelativeClose(w, res.weights[i], 1e-5, `weight ${i}`));
    expect(rev.losses[3]).toBeLessThan(rev.losses[0]);
    tf.dispose([x1, x2, ...rev.weights, ...res.weights]);
  });

  it('leaks no tensors across forward and backward, or in inference, in either mode', async () => {
    const x1 = seededTensor(SHAPE, 5);
    const x2 = seededTensor(SHAPE, 6);
    const layers = denseStack(3, D, {dropout: 0.2});
    for (const mode of ['reversible', 'residual'] as const) {
      await expectNoLeaks(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const [y1, y2] = reversibleStack(a, b, layers, {mode, seed: 2});
          return weightedLoss(y1, y2);
        })([x1, x2]),
      );
      // Without a tape, only the two outputs are new.
      await expectNoLeaks(() => reversibleStack(x1, x2, layers, {mode, seed: 2}));
    }
    tf.dispose([x1, x2]);
    disposeLayers(layers);
  });

  it('adds up the gradients of a weight shared by several layers and by f and g', () => {
    const x1 = seededTensor(SHAPE, 7);
    const x2 = seededTensor(SHAPE, 8);
    const [w, b] = [tf.variable(seededTensor([D, D], 9, 0.7)), tf.variable(seededTensor([D], 10, 0.2))];
    const shared = denseStack(1, D)[0];
    disposeLayers([shared]);
    const layers = [0, 1].map(() => ({f: shared.f, g: shared.g, fWeights: [w, b], gWeights: [w, b]}));
    const rev = namedVariableGrads(x1, x2, layers, 'reversible');
    const res = namedVariableGrads(x1, x2, layers, 'residual');
    expectRelativeClose(rev[w.name], res[w.name], 1e-5, 'shared w');
    expectRelativeClose(rev[b.name], res[b.name], 1e-5, 'shared b');
    tf.dispose([x1, x2, w, b, ...Object.values(rev), ...Object.values(res)]);
  });
});

// A tanh with a hand-written gradient, saved output only.
const customTanh = customOp((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = tf.tanh(x);
  save([y]);
  return {value: y, gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(saved)))};
});

const CHUNK_ROWS = 3;

// tanh(x W1) W2 on [rows, d], applied CHUNK_ROWS rows at a time; its backward recomputes each chunk
// and differentiates it with the nested-safe `vjp`, as a chunked feed-forward layer would.
function ffnChunk(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor): tf.Tensor {
  return tf.matMul(tf.tanh(tf.matMul(x, w1)), w2);
}
const chunkedFfn = customOp((x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, save: tf.GradSaveFunc) => {
  const rows = x.shape[0];
  // x is usually an intermediate that is gone by the backward: keep it (w1, w2 are weights).
  save([x]);
  const starts = Array.from({length: Math.ceil(rows / CHUNK_ROWS)}, (_, i) => i * CHUNK_ROWS);
  const piece = (t: tf.Tensor, s: number) => tf.slice(t, [s, 0], [Math.min(CHUNK_ROWS, rows - s), -1]); // [chunk, d]
  const value = tf.concat(starts.map((s) => ffnChunk(piece(x, s), w1, w2)), 0); // [rows, d]
  const gradFunc = (dy: tf.Tensor, [savedX]: tf.Tensor[]): tf.Tensor[] => {
    const dxs: tf.Tensor[] = [];
    let dw1 = tf.zerosLike(w1);
    let dw2 = tf.zerosLike(w2);
    for (const s of starts) {
      const xc = piece(savedX, s);
      const {grads} = vjp(() => ffnChunk(xc, w1, w2), [xc, w1, w2], piece(dy, s));
      dxs.push(grads[0]);
      dw1 = tf.add(dw1, grads[1]);
      dw2 = tf.add(dw2, grads[2]);
    }
    return [tf.concat(dxs, 0), dw1, dw2]; // [rows, d], [d, h], [h, d]
  };
  return {value, gradFunc};
});

function ffnBranch(chunked: boolean): ReversibleFunction {
  return (x, [w1, w2]) => {
    const rows = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]); // [rows, d]
    const out = chunked ? chunkedFfn(rows, w1, w2) : ffnChunk(rows, w1, w2); // [rows, d]
    return tf.reshape(out, x.shape);
  };
}

const tanhBranch: ReversibleFunction = (x, [w], ctx) => {
  const rows = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]); // [rows, d]
  return tf.reshape(tf.dropout(customTanh(tf.matMul(rows, w)), 0.2, undefined, ctx.seed), x.shape);
};

describe('branches that contain their own tf.customGrad ops', () => {
  it('differentiate through a hand-written gradient and a chunked FFN with a nested backward', () => {
    const x1 = seededTensor(SHAPE, 11);
    const x2 = seededTensor(SHAPE, 12);
    const hidden = 5;
    const weights = [0, 1].map((i) => ({
      fW: tf.variable(seededTensor([D, D], 20 + i, 0.7)),
      w1: tf.variable(seededTensor([D, hidden], 30 + i, 0.7)),
      w2: tf.variable(seededTensor([hidden, D], 40 + i, 0.7)),
    }));
    const stackOf = (chunked: boolean): ReversibleLayer[] =>
      weights.map(({fW, w1, w2}) => ({f: tanhBranch, g: ffnBranch(chunked), fWeights: [fW], gWeights: [w1, w2]}));
    const rev = namedVariableGrads(x1, x2, stackOf(true), 'reversible');
    const res = namedVariableGrads(x1, x2, stackOf(true), 'residual');
    const plain = namedVariableGrads(x1, x2, stackOf(false), 'residual');
    const names = weights.flatMap((w) => [w.fW.name, w.w1.name, w.w2.name]);
    expect(Object.keys(rev).sort()).toEqual([...names].sort());
    for (const name of names) {
      expectRelativeClose(res[name], plain[name], 1e-6, `${name} custom vs plain`);
      expectRelativeClose(rev[name], res[name], 1e-5, `${name} reversible vs residual`);
    }
    tf.dispose([x1, x2, ...Object.values(rev), ...Object.values(res), ...Object.values(plain)]);
    tf.dispose(weights.flatMap((w) => [w.fW, w.w1, w.w2]));
  });
});

describe('a branch that supplies its own output and gradients (gVjp)', () => {
  // ffnBranch's chunk function, its gradient by the nested-safe vjp, counted: what a chunked layer would compute
  // in one pass (output and gradients of each chunk together).
  let hookCalls = 0;
  const ffnVjp: ReversibleBranchVjp = (x, [w1, w2], _ctx, dy) => {
    hookCalls++;
    const rows = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]); // [rows, d]
    const {value, grads} = vjp(() => ffnChunk(rows, w1!, w2!), [rows, w1!, w2!], tf.reshape(dy, rows.shape));
    return {value: tf.reshape(value, x.shape), grads: [tf.reshape(grads[0]!, x.shape), grads[1]!, grads[2]!]};
  };

  it('gives the gradients of the default path (vjp over the branch) and is what the backward calls', () => {
    const x1 = seededTensor(SHAPE, 13);
    const x2 = seededTensor(SHAPE, 14);
    const weights = [0, 1].map((i) => ({
      fW: tf.variable(seededTensor([D, D], 50 + i, 0.7)),
      w1: tf.variable(seededTensor([D, 5], 60 + i, 0.7)),
      w2: tf.variable(seededTensor([5, D], 70 + i, 0.7)),
    }));
    const stackOf = (withHook: boolean): ReversibleLayer[] =>
      weights.map(({fW, w1, w2}) => ({f: tanhBranch, g: ffnBranch(true), fWeights: [fW], gWeights: [w1, w2], ...(withHook ? {gVjp: ffnVjp} : {})}));
    hookCalls = 0;
    const hooked = namedVariableGrads(x1, x2, stackOf(true), 'reversible');
    expect(hookCalls).toBe(2); // once per layer, in the backward
    const plain = namedVariableGrads(x1, x2, stackOf(false), 'reversible');
    for (const name of Object.keys(plain)) expectRelativeClose(hooked[name], plain[name], 1e-6, name);
    expect(Object.keys(hooked).sort()).toEqual(Object.keys(plain).sort());
    tf.dispose([x1, x2, ...Object.values(hooked), ...Object.values(plain)]);
    tf.dispose(weights.flatMap((w) => [w.fW, w.w1, w.w2]));
  });

  it('must return a value of x\'s shape and one gradient of the right shape per input', () => {
    const x1 = seededTensor(SHAPE, 15);
    const x2 = seededTensor(SHAPE, 16);
    const fW = tf.variable(seededTensor([D, D], 80, 0.7));
    const w1 = tf.variable(seededTensor([D, 5], 81, 0.7));
    const w2 = tf.variable(seededTensor([5, D], 82, 0.7));
    const withHook = (gVjp: ReversibleBranchVjp): ReversibleLayer[] => [{f: tanhBranch, g: ffnBranch(false), fWeights: [fW], gWeights: [w1, w2], gVjp}];
    const grads = (gVjp: ReversibleBranchVjp) => () => namedVariableGrads(x1, x2, withHook(gVjp), 'reversible');
    const shortGrads: ReversibleBranchVjp = (x, w, ctx, dy) => ({...ffnVjp(x, w, ctx, dy), grads: [tf.zerosLike(x)]});
    expect(grads(shortGrads)).toThrow("layers[0].gVjp(...).grads: expected 3 gradients (x's, then one per weight), got 1");
    const wrongShape: ReversibleBranchVjp = (x, w, ctx, dy) => {
      const r = ffnVjp(x, w, ctx, dy);
      return {value: r.value, grads: [r.grads[0]!, tf.zeros([2, 2]), r.grads[2]!]};
    };
    expect(grads(wrongShape)).toThrow('layers[0].gVjp(...).grads[1]: expected a tensor of shape [3,5] (weights[0]), got shape [2,2]');
    const noValue = ((x: tf.Tensor) => ({grads: [x]})) as unknown as ReversibleBranchVjp;
    expect(grads(noValue)).toThrow('layers[0].gVjp(...).value: expected a tf.Tensor of shape [2,4,3], got undefined');
    expect(() => reversibleStack(x1, x2, [{f: tanhBranch, g: tanhBranch, gVjp: 3 as unknown as ReversibleBranchVjp}])).toThrow(
      'layers[0].gVjp: expected a function (x, weights, ctx, dy) => {value, grads} or nothing, got 3',
    );
    tf.dispose([x1, x2, fW, w1, w2]);
  });
});
