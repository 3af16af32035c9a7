import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {chunkedArgmax, chunkedLmLoss, chunkedLmMetrics, chunkedLogits, type LmHeadWeights, type LmLossOptions} from './lm-head.js';
import {lmLossReference} from './reference.js';
import {checkGradients, expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';
import {randn} from './testing/fixtures.js';

const [B, L, D, V] = [2, 9, 5, 11];

function setup(seed: number) {
  const hidden = randn([B, L, D], seed, 1.5);
  const head: LmHeadWeights = {kernel: randn([D, V], seed + 1), bias: randn([V], seed + 2, 0.3)};
  // Deterministic labels in range, with two ignored ones.
  const labelValues = Array.from({length: B * L}, (_, i) => (i * 7 + seed) % V);
  labelValues[3] = -100;
  labelValues[12] = -100;
  const labels = tf.tensor2d(labelValues, [B, L], 'int32');
  // Score only the second half of each sequence, and weight one position double.
  const weightValues: number[] = Array.from({length: B * L}, (_, i) => (i % L >= L / 2 ? 1 : 0));
  weightValues[L - 1] = 2;
  const positionWeights = tf.tensor2d(weightValues, [B, L]);
  return {hidden, head, labels, labelValues, positionWeights, weightValues};
}

/** The loss from logits in float64: Σ w·(logsumexp − logit[label]) / Σ w over the scored positions. */
function bruteForceLoss(logits: Float32Array | Int32Array | Uint8Array, labels: number[], weights: number[] | null, shift: boolean): number {
  let num = 0;
  let den = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < (shift ? L - 1 : L); t++) {
      const j = b * L + t + (shift ? 1 : 0); // label and weight index
      const label = labels[j];
      if (label === -100) continue;
      const w = weights ? weights[j] : 1;
      const row = Array.from(logits.slice((b * L + t) * V, (b * L + t + 1) * V));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      num += w * (lse - row[label]);
      den += w;
    }
  }
  return den === 0 ? 0 : num / den;
}

describe('chunkedLmLoss', () => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matches a brute-force float64 softmax cross-entropy (shift %s, position weights %s)', (shift, weighted) => {
    tf.tidy(() => {
      const s = setup(1);
      const logits = chunkedLogits(s.hidden, s.head).dataSync();
      const opts: LmLossOptions = {chunkSize: 4, shift, positionWeights: weighted ? s.positionWeights : undefined};
      const want = bruteForceLoss(logits, s.labelValues, weighted ? s.weightValues : null, shift);
      const got = chunkedLmLoss(s.hidden, s.head, s.labels, opts).dataSync()[0];
      expect(Math.abs(got - want) / want).toBeLessThan(2e-6);
    });
  });

  it.each([0, 1, 4, 7, 9, 100])('gradients equal the full-logits autodiff reference, chunk size %i', (chunkSize) => {
    tf.tidy(() => {
      const s = setup(2);
      for (const shift of [false, true]) {
        const opts: LmLossOptions = {chunkSize, shift, positionWeights: s.positionWeights};
        const f = (fn: typeof chunkedLmLoss) => (h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => fn(h, {kernel: k, bias: b}, s.labels, opts);
        const got = tf.valueAndGrads(f(chunkedLmLoss))([s.hidden, s.head.kernel, s.head.bias]);
        const want = tf.valueAndGrads(f(lmLossReference))([s.hidden, s.head.kernel, s.head.bias]);
        expectRelativeClose(got.value, want.value, 2e-6, 'loss');
        ['dHidden', 'dKernel', 'dBias'].forEach((n, i) => expectRelativeClose(got.grads[i], want.grads[i], 2e-6, `${n}, shift ${shift}`));
      }
    });
  });

  it('passes a finite-difference gradient check (tiny shapes)', () => {
    tf.tidy(() => {
      const hidden = randn([1, 4, 3], 3);
      const kernel = randn([3, 5], 4);
      const bias = randn([5], 5);
      const labels = tf.tensor2d([[0, 4, 2, 1]], [1, 4], 'int32');
      const f = (h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => chunkedLmLoss(h, {kernel: k, bias: b}, labels, {chunkSize: 3, shift: true});
      checkGradients(f, [hidden, kernel, bias]);
    });
  });

  it('is 0 with zero gradients when every position has weight 0 (PyTorch would give NaN)', () => {
    tf.tidy(() => {
      const s = setup(3);
      const zero = tf.zeros([B, L]);
      const {value, grads} = tf.valueAndGrads((h: tf.Tensor) => chunkedLmLoss(h, s.head, s.labels, {chunkSize: 4, positionWeights: zero}))([s.hidden]);
      expect(value.dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(grads[0])).dataSync()[0]).toBe(0);
    });
  });

  it('a length-1 sequence under shift scores nothing: loss 0, gradients 0 of the right shapes', () => {
    tf.tidy(() => {
      const h = randn([2, 1, D], 8);
      const k = randn([D, V], 9);
      const b = randn([V], 10);
      const labels = tf.zeros([2, 1], 'int32');
      const {value, grads} = tf.valueAndGrads((x: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor) =>
        chunkedLmLoss(x, {kernel: kk, bias: bb}, labels, {shift: true, chunkSize: 4}),
      )([h, k, b]);
      expect(value.dataSync()[0]).toBe(0);
      expect(grads.map((g) => g.shape)).toEqual([[2, 1, D], [D, V], [V]]);
      grads.forEach((g) => expect(tf.max(tf.abs(g)).dataSync()[0]).toBe(0));
    });
  });

  it('leaks no tensors, forward or backward', async () => {
    const s = setup(4);
    await expectNoLeaks(() => {
      chunkedLmLoss(s.hidden, s.head, s.labels, {chunkSize: 4}).dispose();
      const {value, grads} = tf.valueAndGrads((h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
        chunkedLmLoss(h, {kernel: k, bias: b}, s.labels, {chunkSize: 4, shift: true, positionWeights: s.positionWeights}),
      )([s.hidden, s.head.kernel, s.head.bias]);
      [value, ...grads].forEach((t) => t.dispose());
    });
    [s.hidden, s.head.kernel, s.head.bias, s.labels, s.positionWeights].forEach((t) => t.dispose());
  });
});

describe('chunkedLogits, chunkedArgmax, chunkedLmMetrics', () => {
  it('logits and argmax equal the unchunked ones; metrics equal brute force', () => {
    tf.tidy(() => {
      const s = setup(5);
      const full = tf.reshape(tf.add(tf.matMul(tf.reshape(s.hidden, [B * L, D]) as tf.Tensor2D, s.head.kernel as tf.Tensor2D), s.head.bias), [B, L, V]); // [batch, length, vocab]
      for (const chunkSize of [0, 2, 4, 9]) {
        expectRelativeClose(chunkedLogits(s.hidden, s.head, {chunkSize}), full, 1e-6, `logits, chunk ${chunkSize}`);
        expect(Array.from(chunkedArgmax(s.hidden, s.head, {chunkSize}).dataSync())).toEqual(Array.from(tf.argMax(full, 2).dataSync()));
      }
      const logits = full.dataSync();
      const predictions = tf.argMax(full, 2).dataSync();
      for (const shift of [false, true]) {
        const m = chunkedLmMetrics(s.hidden, s.head, s.labels, {chunkSize: 4, shift, positionWeights: s.positionWeights});
        let correct = 0;
        let total = 0;
        for (let b = 0; b < B; b++)
          for (let t = 0; t < (shift ? L - 1 : L); t++) {
            const j = b * L + t + (shift ? 1 : 0);
            if (s.labelValues[j] === -100) continue;
            total += s.weightValues[j];
            if (predictions[b * L + t] === s.labelValues[j]) correct += s.weightValues[j];
          }
        expect(m.weightSum.dataSync()[0]).toBe(total);
        expect(m.accuracy.dataSync()[0]).toBeCloseTo(correct / total, 6);
        const want = bruteForceLoss(logits, s.labelValues, s.weightValues, shift);
        expect(Math.abs(m.loss.dataSync()[0] - want) / want).toBeLessThan(2e-6);
      }
    });
  });

  it('leak no tensors', async () => {
    const s = setup(6);
    await expectNoLeaks(() => {
      chunkedLogits(s.hidden, s.head, {chunkSize: 4}).dispose();
      chunkedArgmax(s.hidden, s.head, {chunkSize: 4}).dispose();
      const m = chunkedLmMetrics(s.hidden, s.head, s.labels, {chunkSize: 4, shift: true});
      [m.loss, m.accuracy, m.weightSum].forEach((t) => t.dispose());
    });
    [s.hidden, s.head.kernel, s.head.bias, s.labels, s.positionWeights].forEach((t) => t.dispose());
  });
});

describe('LM head rejects bad input', () => {
  const run = (fn: (s: ReturnType<typeof setup>) => void) => {
    const s = setup(7);
    try {
      fn(s);
    } finally {
      [s.hidden, s.head.kernel, s.head.bias, s.labels, s.positionWeights].forEach((t) => t.dispose());
    }
  };

  it('labels of the wrong dtype', () =>
    run((s) => {
      const f = tf.cast(s.labels, 'float32');
      expect(() => chunkedLmLoss(s.hidden, s.head, f)).toThrow('labels: expected dtype int32, got float32');
      f.dispose();
    }));

  it('labels out of range, with the value and where it is', () =>
    run((s) => {
      const bad = tf.tensor2d([...s.labelValues.slice(0, 5), V, ...s.labelValues.slice(6)], [B, L], 'int32');
      expect(() => chunkedLmLoss(s.hidden, s.head, bad)).toThrow(`labels: expected values in [0, ${V}) (the vocabulary size) or ignoreIndex -100, got ${V} at [0, 5]`);
      const neg = tf.tensor2d([-1, ...s.labelValues.slice(1)], [B, L], 'int32');
      expect(() => chunkedLmMetrics(s.hidden, s.head, neg)).toThrow('got -1 at [0, 0]');
      // Under shift, label 0 is never used, so it is not checked.
      expect(() => chunkedLmLoss(s.hidden, s.head, neg, {shift: true}).dispose()).not.toThrow();
      [bad, neg].forEach((t) => t.dispose());
    }));

  it('labels of the wrong shape or rank', () =>
    run((s) => {
      const short = tf.zeros([B, L - 1], 'int32');
      const flat = tf.zeros([B * L], 'int32');
      expect(() => chunkedLmLoss(s.hidden, s.head, short)).toThrow(`labels: expected shape [${B}, ${L}] ([batch, length]) to match hidden [${B}, ${L}, ${D}], got [${B}, ${L - 1}]`);
      expect(() => chunkedLmLoss(s.hidden, s.head, flat)).toThrow(`labels: expected rank 2 [batch, length], got rank 1 with shape [${B * L}]`);
      [short, flat].forEach((t) => t.dispose());
    }));

  it('hidden of the wrong rank', () =>
    run((s) => {
      const h2 = tf.zeros([L, D]);
      expect(() => chunkedLmLoss(h2, s.head, s.labels)).toThrow(`hidden: expected rank 3 [batch, length, hidden], got rank 2 with shape [${L}, ${D}]`);
      expect(() => chunkedLogits(h2, s.head)).toThrow('hidden: expected rank 3');
      h2.dispose();
    }));

  it('head weights that do not match (both shapes in the message)', () =>
    run((s) => {
      const k = tf.zeros([D + 1, V]);
      const b = tf.zeros([V + 1]);
      const k1 = tf.zeros([D, 1]);
      const b1 = tf.zeros([1]);
      expect(() => chunkedLmLoss(s.hidden, {kernel: k, bias: s.head.bias}, s.labels)).toThrow(
        `head.kernel: expected shape [${D}, *] ([hidden, vocab]) to match hidden's size ${D} (hidden: [${B}, ${L}, ${D}]), got [${D + 1}, ${V}]`,
      );
      expect(() => chunkedLmLoss(s.hidden, {kernel: s.head.kernel, bias: b}, s.labels)).toThrow(
        `head.bias: expected shape [${V}] ([vocab]) to match head.kernel [${D}, ${V}], got [${V + 1}]`,
      );
      expect(() => chunkedArgmax(s.hidden, {kernel: k1, bias: b1})).toThrow(`head.kernel: expected a vocabulary of at least 2 (shape [hidden, vocab]), got [${D}, 1]`);
      [k, b, k1, b1].forEach((t) => t.dispose());
    }));

  it('position weights of the wrong shape or dtype', () =>
    run((s) => {
      const pw = tf.ones([B, L + 1]);
      const pi = tf.ones([B, L], 'int32');
      expect(() => chunkedLmLoss(s.hidden, s.head, s.labels, {positionWeights: pw})).toThrow(
        `positionWeights: expected shape [${B}, ${L}] ([batch, length]) to match labels [${B}, ${L}], got [${B}, ${L + 1}]`,
      );
      expect(() => chunkedLmLoss(s.hidden, s.head, s.labels, {positionWeights: pi})).toThrow('positionWeights: expected dtype float32, got int32');
      [pw, pi].forEach((t) => t.dispose());
    }));

  it('chunk size negative or not an integer', () =>
    run((s) => {
      expect(() => chunkedLmLoss(s.hidden, s.head, s.labels, {chunkSize: -1})).toThrow('chunkSize: expected a non-negative integer (0 = no chunking), got -1');
      expect(() => chunkedLogits(s.hidden, s.head, {chunkSize: 0.5})).toThrow('chunkSize: expected a non-negative integer (0 = no chunking), got 0.5');
    }));
});
