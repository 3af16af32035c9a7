import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {SUPPORTED_ACTIVATIONS, type ActivationName} from './activations.js';
import {
  chunkedFeedForward,
  FEED_FORWARD_WEIGHT_NAMES,
  feedForwardBackward,
  feedForwardForward,
  feedForwardValueAndBackward,
  type FeedForwardOptions,
  type FeedForwardWeights,
} from './feed-forward.js';
import {feedForwardReference} from './reference.js';
import {checkGradients, expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';
import {disposeAll, makeFeedForwardWeights, randn} from './testing/fixtures.js';

type FFN = (x: tf.Tensor, w: FeedForwardWeights, o: FeedForwardOptions) => tf.Tensor;

/** Value and gradients (x, then every weight) of sum(ffn(x) · r), r fixed so dy is not all ones. */
function valueAndGrads(ffn: FFN, x: tf.Tensor, w: FeedForwardWeights, opts: FeedForwardOptions, r: tf.Tensor): tf.Tensor[] {
  const f = (...inputs: tf.Tensor[]) => {
    const ws = Object.fromEntries(FEED_FORWARD_WEIGHT_NAMES.map((n, i) => [n, inputs[i + 1]])) as unknown as FeedForwardWeights;
    return tf.sum(tf.mul(ffn(inputs[0], ws, opts), r)) as tf.Scalar;
  };
  const {value, grads} = tf.valueAndGrads(f)([x, ...FEED_FORWARD_WEIGHT_NAMES.map((n) => w[n])]);
  return [value, ...grads];
}

const names = ['value', 'dx', ...FEED_FORWARD_WEIGHT_NAMES.map((n) => `d${n}`)];

function expectMatchesReference(opts: FeedForwardOptions, shape: [number, number, number], dFF: number, seed: number, tol = 2e-6): void {
  tf.tidy(() => {
    const x = randn(shape, seed, 2);
    const w = makeFeedForwardWeights(shape[2], dFF, seed * 10);
    const r = randn(shape, seed + 1);
    const chunkedOut = chunkedFeedForward(x, w, opts);
    expectRelativeClose(chunkedOut, feedForwardReference(x, w, opts), tol, 'output');
    const got = valueAndGrads(chunkedFeedForward, x, w, opts, r);
    const want = valueAndGrads(feedForwardReference, x, w, opts, r);
    got.forEach((g, i) => expectRelativeClose(g, want[i], tol, `${names[i]} (${JSON.stringify(opts)})`));
  });
}

describe('chunkedFeedForward', () => {
  // 11 positions: 3 and 4 do not divide it, 11 and 64 give one chunk, 0 means no chunking.
  it.each([0, 1, 3, 4, 11, 64])('equals the unchunked autodiff reference, value and every gradient, chunk size %i', (chunkSize) => {
    expectMatchesReference({activation: 'gelu', layerNormEps: 1e-5, chunkSize}, [2, 11, 6], 16, 1);
  });

  it.each(SUPPORTED_ACTIVATIONS)('with activation %s, equals the reference (chunk size 3)', (activation) => {
    expectMatchesReference({activation: activation as ActivationName, chunkSize: 3}, [1, 7, 4], 10, 2);
  });

  it.each([0, 3, 5])('with dropout, equals the reference with the same masks (chunk size %i)', (chunkSize) => {
    expectMatchesReference({activation: 'silu', dropout: 0.3, seed: 1234, chunkSize}, [2, 9, 5], 12, 3);
  });

  it('dropout: same seed same output, another seed another; the output does not depend on the chunk size', () => {
    tf.tidy(() => {
      const x = randn([2, 8, 4], 4);
      const w = makeFeedForwardWeights(4, 12, 40);
      const run = (seed: number, chunkSize: number) => chunkedFeedForward(x, w, {dropout: 0.5, seed, chunkSize});
      const a = run(7, 3).dataSync();
      expect(Array.from(run(7, 3).dataSync())).toEqual(Array.from(a));
      expect(Array.from(run(8, 3).dataSync())).not.toEqual(Array.from(a));
      expectRelativeClose(run(7, 5), run(7, 3), 1e-6, 'chunk 5 vs 3');
      // The output mask zeroes about half of the outputs.
      const zeros = Array.from(a).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(a.length / 4);
      expect(zeros).toBeLessThan((3 * a.length) / 4);
    });
  });

  it('passes finite-difference gradient checks (tiny shapes)', () => {
    tf.tidy(() => {
      for (const [activation, chunkSize] of [['tanh', 2], ['gelu_new', 0], ['mish', 2], ['quick_gelu', 0], ['sigmoid', 2]] as const) {
        const x = randn([1, 3, 4], 5);
        const w = makeFeedForwardWeights(4, 6, 50);
        const r = randn([1, 3, 4], 6);
        const opts: FeedForwardOptions = {activation, chunkSize, layerNormEps: 1e-5};
        const f = (...inputs: tf.Tensor[]) => {
          const ws = Object.fromEntries(FEED_FORWARD_WEIGHT_NAMES.map((n, i) => [n, inputs[i + 1]])) as unknown as FeedForwardWeights;
          return tf.sum(tf.mul(chunkedFeedForward(inputs[0], ws, opts), r)) as tf.Scalar;
        };
        checkGradients(f, [x, ...FEED_FORWARD_WEIGHT_NAMES.map((n) => w[n])]);
      }
    });
  });

  it('feedForwardForward and feedForwardBackward give the same as the custom gradient', () => {
    tf.tidy(() => {
      const opts: FeedForwardOptions = {activation: 'relu', chunkSize: 4, dropout: 0.2, seed: 9};
      const x = randn([2, 10, 5], 7);
      const w = makeFeedForwardWeights(5, 8, 70);
      const dy = randn([2, 10, 5], 8);
      expectRelativeClose(feedForwardForward(x, w, opts), chunkedFeedForward(x, w, opts), 0, 'forward');
      const {dx, grads} = feedForwardBackward(x, w, dy, opts);
      const auto = valueAndGrads(chunkedFeedForward, x, w, opts, dy);
      expectRelativeClose(dx, auto[1], 0, 'dx');
      FEED_FORWARD_WEIGHT_NAMES.forEach((n, i) => expectRelativeClose(grads[n], auto[i + 2], 0, n));
    });
  });

  it('feedForwardValueAndBackward gives feedForwardForward and feedForwardBackward in one pass', () => {
    tf.tidy(() => {
      const opts: FeedForwardOptions = {activation: 'gelu', chunkSize: 4, dropout: 0.2, seed: 11};
      const x = randn([2, 10, 5], 12);
      const w = makeFeedForwardWeights(5, 8, 80);
      const dy = randn([2, 10, 5], 13);
      const both = feedForwardValueAndBackward(x, w, dy, opts);
      const apart = feedForwardBackward(x, w, dy, opts);
      expectRelativeClose(both.output, feedForwardForward(x, w, opts), 0, 'output');
      expectRelativeClose(both.dx, apart.dx, 0, 'dx');
      FEED_FORWARD_WEIGHT_NAMES.forEach((n) => expectRelativeClose(both.grads[n], apart.grads[n], 0, n));
      expect(feedForwardBackward(x, w, dy, opts)).not.toHaveProperty('output');
    });
  });

  it("can run inside another custom gradient's backward without nesting tapes (a reversible block)", () => {
    tf.tidy(() => {
      const opts: FeedForwardOptions = {activation: 'gelu', chunkSize: 3};
      const x = randn([1, 7, 4], 9);
      const w = makeFeedForwardWeights(4, 8, 90);
      const weightList = FEED_FORWARD_WEIGHT_NAMES.map((n) => w[n]);
      // y = x + F(x), with its own backward: dx = dy + F'(x)ᵀ dy.
      const residual = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const inputs = args.slice(0, -1) as tf.Tensor[];
        (args[args.length - 1] as tf.GradSaveFunc)(inputs);
        const ws = (list: tf.Tensor[]) => Object.fromEntries(FEED_FORWARD_WEIGHT_NAMES.map((n, i) => [n, list[i + 1]])) as unknown as FeedForwardWeights;
        return {
          value: tf.add(inputs[0], feedForwardForward(inputs[0], ws(inputs), opts)),
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
            const g = feedForwardBackward(saved[0], ws(saved), dy, opts);
            return [tf.add(dy, g.dx), ...FEED_FORWARD_WEIGHT_NAMES.map((n) => g.grads[n])];
          },
        };
      });
      const got = tf.grads((...i: tf.Tensor[]) => tf.sum(tf.square(residual(...i))))([x, ...weightList]);
      const want = tf.grads((...i: tf.Tensor[]) => {
        const ws = Object.fromEntries(FEED_FORWARD_WEIGHT_NAMES.map((n, k) => [n, i[k + 1]])) as unknown as FeedForwardWeights;
        return tf.sum(tf.square(tf.add(i[0], feedForwardReference(i[0], ws, opts))));
      })([x, ...weightList]);
      got.forEach((g, i) => expectRelativeClose(g, want[i], 2e-6, `grad ${i}`));
    });
  });

  it('trains variables: tf.variableGrads reaches every weight', () => {
    const w = makeFeedForwardWeights(4, 8, 100);
    const vars = Object.fromEntries(FEED_FORWARD_WEIGHT_NAMES.map((n) => [n, tf.variable(w[n], true, `ffn-test-${n}`)])) as unknown as FeedForwardWeights;
    const x = randn([1, 5, 4], 10);
    const {value, grads} = tf.variableGrads(() => tf.sum(tf.square(chunkedFeedForward(x, vars, {chunkSize: 2}))) as tf.Scalar);
    expect(Object.keys(grads).sort()).toEqual(FEED_FORWARD_WEIGHT_NAMES.map((n) => `ffn-test-${n}`).sort());
    [value, x, ...Object.values(grads)].forEach((t) => t.dispose());
    disposeAll(w);
    disposeAll(vars);
  });

  it('leaks no tensors in forward, backward, or under tf.grads', async () => {
    const x = randn([2, 9, 4], 11);
    const w = makeFeedForwardWeights(4, 8, 110);
    const dy = randn([2, 9, 4], 12);
    const opts: FeedForwardOptions = {activation: 'gelu', chunkSize: 4, dropout: 0.1, seed: 3};
    await expectNoLeaks(() => {
      chunkedFeedForward(x, w, opts).dispose();
      feedForwardForward(x, w, opts).dispose();
      const g = feedForwardBackward(x, w, dy, opts);
      g.dx.dispose();
      disposeAll(g.grads);
      valueAndGrads(chunkedFeedForward, x, w, opts, dy).forEach((t) => t.dispose());
    });
    [x, dy].forEach((t) => t.dispose());
    disposeAll(w);
  });
});

describe('chunkedFeedForward rejects bad input', () => {
  const ok = () => ({x: tf.zeros([2, 5, 4]), w: makeFeedForwardWeights(4, 8, 1)});
  const withInputs = (fn: (x: tf.Tensor, w: FeedForwardWeights) => void) => {
    const {x, w} = ok();
    try {
      fn(x, w);
    } finally {
      x.dispose();
      disposeAll(w);
    }
  };

  it('x of the wrong rank or dtype', () =>
    withInputs((_x, w) => {
      const x2 = tf.zeros([5, 4]);
      const xi = tf.zeros([2, 5, 4], 'int32');
      expect(() => chunkedFeedForward(x2, w)).toThrow('x: expected rank 3 [batch, length, hidden], got rank 2 with shape [5, 4]');
      expect(() => chunkedFeedForward(xi, w)).toThrow('x: expected dtype float32, got int32');
      expect(() => chunkedFeedForward(undefined as unknown as tf.Tensor, w)).toThrow('x: expected a tf.Tensor, got undefined');
      [x2, xi].forEach((t) => t.dispose());
    }));

  it('weights whose shapes do not match x or each other (both shapes in the message)', () =>
    withInputs((x, w) => {
      const bad = tf.zeros([5, 8]);
      const bias = tf.zeros([7]);
      const out = tf.zeros([8, 5]);
      const gamma = tf.zeros([3]);
      expect(() => chunkedFeedForward(x, {...w, denseKernel: bad})).toThrow(
        "weights.denseKernel: expected shape [4, *] to match x's hidden size 4 (x: [2, 5, 4]), got [5, 8]",
      );
      expect(() => chunkedFeedForward(x, {...w, denseBias: bias})).toThrow(
        'weights.denseBias: expected shape [8] to match denseKernel [4, 8] ([hidden, dFF]), got [7]',
      );
      expect(() => chunkedFeedForward(x, {...w, outputKernel: out})).toThrow(
        'weights.outputKernel: expected shape [8, 4] to match denseKernel [4, 8] ([hidden, dFF]), got [8, 5]',
      );
      expect(() => chunkedFeedForward(x, {...w, layerNormGamma: gamma})).toThrow(
        "weights.layerNormGamma: expected shape [4] to match x's hidden size 4 (x: [2, 5, 4]), got [3]",
      );
      expect(() => chunkedFeedForward(x, {...w, outputBias: undefined} as unknown as FeedForwardWeights)).toThrow(
        'weights.outputBias: expected a tf.Tensor, got undefined',
      );
      [bad, bias, out, gamma].forEach((t) => t.dispose());
    }));

  it('chunk size negative or not an integer', () =>
    withInputs((x, w) => {
      expect(() => chunkedFeedForward(x, w, {chunkSize: -2})).toThrow('chunkSize: expected a non-negative integer (0 = no chunking), got -2');
      expect(() => chunkedFeedForward(x, w, {chunkSize: 2.5})).toThrow('chunkSize: expected a non-negative integer (0 = no chunking), got 2.5');
    }));

  it('unknown activation, listing the supported ones', () =>
    withInputs((x, w) => {
      expect(() => chunkedFeedForward(x, w, {activation: 'GELU' as ActivationName})).toThrow(
        'activation: expected one of relu, relu6, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, quick_gelu, silu, swish, mish, tanh, sigmoid, got "GELU"',
      );
    }));

  it('dropout out of range, or without a seed', () =>
    withInputs((x, w) => {
      expect(() => chunkedFeedForward(x, w, {dropout: 1, seed: 1})).toThrow('dropout: expected a probability in [0, 1), got 1');
      expect(() => chunkedFeedForward(x, w, {dropout: -0.1, seed: 1})).toThrow('dropout: expected a probability in [0, 1), got -0.1');
      expect(() => chunkedFeedForward(x, w, {dropout: 0.1})).toThrow('seed: expected a non-negative safe integer when dropout > 0, got undefined');
    }));

  it('negative layer-norm eps', () =>
    withInputs((x, w) => {
      expect(() => chunkedFeedForward(x, w, {layerNormEps: -1})).toThrow('layerNormEps: expected a finite number >= 0, got -1');
    }));

  it('feedForwardBackward with dy of the wrong shape', () =>
    withInputs((x, w) => {
      const dy = tf.zeros([2, 4, 4]);
      expect(() => feedForwardBackward(x, w, dy)).toThrow('dy: expected shape [2, 5, 4] to match x [2, 5, 4], got [2, 4, 4]');
      dy.dispose();
    }));
});
