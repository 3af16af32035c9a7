// The cross-entropy kernels against chunked-ffn's reference path on the same backend (fused kernels switched off):
// per-row weighted losses and the logits' gradient within 1e-5 relative, over vocabulary sizes (fewer than a
// workgroup's threads, not a multiple of 4, several strides), targets outside the vocabulary and zero weights;
// then the chunked LM loss and its gradients, with weights cast from booleans (floats stored as integers).
import * as tf from '@tensorflow/tfjs';
import {CROSS_ENTROPY_GRAD_KERNEL, CROSS_ENTROPY_KERNEL, FUSED_KERNELS_FLAG, chunkedLmLoss, crossEntropyLogitsGrad, weightedCrossEntropy} from '@reformerjs/chunked-ffn';
import {relativeError} from '@reformerjs/test-utils';
import {afterEach, describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';

afterEach(() => tf.env().set(FUSED_KERNELS_FLAG, true));

/** Both functions' results read back, and the programs they ran. */
async function lossAndGrad(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, scale: tf.Scalar) {
  const {result, programs} = await programsRun(() => [weightedCrossEntropy(logits, targets, weights), crossEntropyLogitsGrad(logits, targets, weights, scale)]);
  const values = await Promise.all(result.map((t) => t.data()));
  tf.dispose(result);
  return {values, programs};
}

describe('cross-entropy kernels', () => {
  const cases = [
    {name: 'vocabulary 320 (five strides of the workgroup), 37 rows', rows: 37, vocab: 320},
    {name: 'vocabulary 258 (not a multiple of 4), 5 rows', rows: 5, vocab: 258},
    {name: 'vocabulary 7 (fewer than the threads), 3 rows', rows: 3, vocab: 7},
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const logits = tf.randomNormal([c.rows, c.vocab], 0, 3, 'float32', 1) as tf.Tensor2D;
      // Every third target is outside the vocabulary (a one-hot row of zeros), every fourth weight 0.
      const targets = tf.tensor1d(Array.from({length: c.rows}, (_, r) => (r % 3 === 2 ? c.vocab + r : (r * 7) % c.vocab)), 'int32');
      const weights = tf.tensor1d(Array.from({length: c.rows}, (_, r) => (r % 4 === 3 ? 0 : 0.5 + r / c.rows)));
      const scale = tf.scalar(0.25);
      const fused = await lossAndGrad(logits, targets, weights, scale);
      expect(fused.programs).toEqual(['reformerCrossEntropy', 'reformerCrossEntropy']);
      tf.env().set(FUSED_KERNELS_FLAG, false);
      const reference = await lossAndGrad(logits, targets, weights, scale);
      expect(reference.programs).not.toContain('reformerCrossEntropy');
      ['losses', 'logits gradient'].forEach((name, i) => expect(relativeError(fused.values[i]!, reference.values[i]!), name).toBeLessThan(1e-5));
      tf.dispose([logits, targets, weights, scale]);
    });
  }

  it('runs the chunked LM loss on the kernels, with the reference path\'s loss and gradients', async () => {
    const [batch, length, hidden, vocab] = [2, 23, 8, 19];
    const x = tf.randomNormal([batch, length, hidden], 0, 1, 'float32', 2);
    const kernel = tf.randomNormal([hidden, vocab], 0, 0.5, 'float32', 3);
    const bias = tf.randomNormal([vocab], 0, 0.1, 'float32', 4);
    const labels = tf.tensor2d(Array.from({length: batch * length}, (_, i) => (i % 5 === 0 ? -100 : (i * 3) % vocab)), [batch, length], 'int32');
    const run = async () => {
      const {result, programs} = await programsRun(() => {
        const {value, grads} = tf.valueAndGrads((h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => chunkedLmLoss(h, {kernel: k, bias: b}, labels, {chunkSize: 10, validateLabels: false}))([x, kernel, bias]);
        return [value, ...grads];
      });
      const values = await Promise.all(result.map((t) => t.data()));
      tf.dispose(result);
      return {values, programs};
    };
    const fused = await run();
    expect(fused.programs).toContain('reformerCrossEntropy');
    tf.env().set(FUSED_KERNELS_FLAG, false);
    const reference = await run();
    ['loss', 'dHidden', 'dKernel', 'dBias'].forEach((name, i) => expect(relativeError(fused.values[i]!, reference.values[i]!), name).toBeLessThan(1e-5));
    tf.dispose([x, kernel, bias, labels]);
  });

  it('rejects what the kernels cannot take, naming the input', () => {
    const logits = tf.zeros([3, 5]);
    const targets = tf.zeros([3], 'int32');
    const weights = tf.ones([3]);
    expect(() => tf.engine().runKernel(CROSS_ENTROPY_KERNEL, {logits, targets: tf.zeros([3]), weights}, {})).toThrow(
      /ReformerCrossEntropy: targets: expected int32 \[3\], got float32 \[3\]/,
    );
    expect(() => tf.engine().runKernel(CROSS_ENTROPY_KERNEL, {logits: tf.zeros([3, 5, 1]), targets, weights}, {})).toThrow(/logits: expected float32 \[rows, vocab\], got float32 \[3, 5, 1\]/);
    expect(() => tf.engine().runKernel(CROSS_ENTROPY_GRAD_KERNEL, {logits, targets, weights, scale: tf.ones([1])}, {})).toThrow(
      /ReformerCrossEntropyGrad: scale: expected a float32 scalar, got float32 \[1\]/,
    );
    tf.dispose([logits, targets, weights]);
  });
});
