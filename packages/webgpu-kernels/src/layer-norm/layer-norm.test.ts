// The layer-norm kernels against chunked-ffn's reference path on the same backend (fused kernels switched off):
// the output, the gradients of x, gamma and beta through autodiff, and layerNormBackward's hand-written ones,
// within 1e-5 relative, over ranks, hidden sizes (lanes of one, several and all of a workgroup's threads, several
// vec4s per lane) and row counts (one block of rows, several, a last one cut short).
import * as tf from '@tensorflow/tfjs';
import {FUSED_KERNELS_FLAG, LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL, chunkedFeedForward, layerNorm, layerNormBackward} from '@reformerjs/chunked-ffn';
import {relativeError} from '@reformerjs/test-utils';
import {afterEach, describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';

afterEach(() => tf.env().set(FUSED_KERNELS_FLAG, true));

/** layerNorm's output, its gradients by autodiff of sum(output · probe), and layerNormBackward's, read back. */
async function layerNormAndGradients(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, probe: tf.Tensor, eps: number) {
  const {result, programs} = await programsRun(() => {
    const output = layerNorm(x, gamma, beta, eps);
    const auto = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b, eps), probe)))([x, gamma, beta]);
    const hand = layerNormBackward(probe, x, gamma as tf.Tensor1D, eps);
    return [output, ...auto, hand.dx, hand.dGamma, hand.dBeta];
  });
  const values = await Promise.all(result.map((t) => t.data()));
  tf.dispose(result);
  return {values, programs};
}

const NAMES = ['output', 'dx', 'dGamma', 'dBeta', 'backward dx', 'backward dGamma', 'backward dBeta'];

describe('layer-norm kernels', () => {
  const cases = [
    {name: '[batch, length, hidden], hidden 256: rows of 64 lanes, four a workgroup', shape: [2, 37, 256]},
    {name: 'hidden 512: two vec4s per lane, 1100 rows (several blocks, the last cut short)', shape: [1100, 512]},
    {name: 'hidden 8: two lanes a row, 128 rows a workgroup', shape: [300, 8]},
    {name: 'hidden 4, one row, a mean 50 times its spread', shape: [1, 4], offset: 100},
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const hidden = c.shape[c.shape.length - 1]!;
      const x = tf.add(tf.randomNormal(c.shape, 0, 2, 'float32', 1), c.offset ?? 0);
      const gamma = tf.randomNormal([hidden], 1, 0.5, 'float32', 2);
      const beta = tf.randomNormal([hidden], 0, 0.5, 'float32', 3);
      const probe = tf.randomNormal(c.shape, 0, 1, 'float32', 4);
      const eps = 1e-5;
      const fused = await layerNormAndGradients(x, gamma, beta, probe, eps);
      expect(fused.programs).toEqual(expect.arrayContaining(['reformerLayerNorm', 'reformerLayerNormParamPartials', 'reformerLayerNormBlockSum']));
      tf.env().set(FUSED_KERNELS_FLAG, false);
      const reference = await layerNormAndGradients(x, gamma, beta, probe, eps);
      expect(reference.programs).not.toContain('reformerLayerNorm');
      NAMES.forEach((name, i) => expect(relativeError(fused.values[i]!, reference.values[i]!), name).toBeLessThan(1e-5));
      tf.dispose([x, gamma, beta, probe]);
    });
  }

  it('runs the chunked feed-forward on the kernels, with the reference path\'s output and gradients', async () => {
    const [batch, length, hidden, dFF] = [1, 40, 16, 32];
    const x = tf.randomNormal([batch, length, hidden], 0, 1, 'float32', 5);
    const weights = {
      layerNormGamma: tf.randomNormal([hidden], 1, 0.3, 'float32', 6),
      layerNormBeta: tf.randomNormal([hidden], 0, 0.3, 'float32', 7),
      denseKernel: tf.randomNormal([hidden, dFF], 0, 0.3, 'float32', 8),
      denseBias: tf.randomNormal([dFF], 0, 0.1, 'float32', 9),
      outputKernel: tf.randomNormal([dFF, hidden], 0, 0.3, 'float32', 10),
      outputBias: tf.randomNormal([hidden], 0, 0.1, 'float32', 11),
    };
    const list = Object.values(weights);
    const run = async () => {
      const {result, programs} = await programsRun(() =>
        tf.grads((input: tf.Tensor, ...w: tf.Tensor[]) => {
          const [layerNormGamma, layerNormBeta, denseKernel, denseBias, outputKernel, outputBias] = w as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const out = chunkedFeedForward(input, {layerNormGamma, layerNormBeta, denseKernel, denseBias, outputKernel, outputBias}, {chunkSize: 16});
          return tf.sum(tf.square(out));
        })([x, ...list]),
      );
      const values = await Promise.all(result.map((t) => t.data()));
      tf.dispose(result);
      return {values, programs};
    };
    const fused = await run();
    expect(fused.programs).toContain('reformerLayerNorm');
    tf.env().set(FUSED_KERNELS_FLAG, false);
    const reference = await run();
    expect(reference.programs).not.toContain('reformerLayerNorm');
    fused.values.forEach((v, i) => expect(relativeError(v, reference.values[i]!), `gradient ${i}`).toBeLessThan(1e-5));
    tf.dispose([x, ...list]);
  });

  it('leaves hidden sizes that are not a multiple of 4, and empty inputs, to the reference path', async () => {
    for (const shape of [[3, 6], [0, 8]]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 12);
      const hidden = shape[1]!;
      const {result, programs} = await programsRun(() => layerNorm(x, tf.ones([hidden]), tf.zeros([hidden]), 1e-12));
      expect(programs).not.toContain('reformerLayerNorm');
      expect(result.shape).toEqual(shape);
      tf.dispose([x, result]);
    }
  });

  it('rejects what the kernels cannot take, naming the input', () => {
    const odd = tf.zeros([3, 6]);
    const x = tf.zeros([3, 8]);
    const short = tf.zeros([4]);
    expect(() => tf.engine().runKernel(LAYER_NORM_KERNEL, {x: odd, gamma: short, beta: short}, {eps: 1e-5})).toThrow(
      /ReformerLayerNorm: x: expected a float32 tensor \[\.\.\., hidden\] with hidden a positive multiple of 4, got float32 \[3, 6\]/,
    );
    expect(() => tf.engine().runKernel(LAYER_NORM_KERNEL, {x, gamma: short, beta: short}, {eps: 1e-5})).toThrow(/gamma: expected float32 \[8\] \(x's last axis\), got float32 \[4\]/);
    expect(() => tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, {dy: odd, x, gamma: tf.ones([8])}, {eps: 1e-5})).toThrow(/dy: expected float32 \[3, 8\] \(x's shape\), got float32 \[3, 6\]/);
    tf.dispose([odd, x, short]);
  });
});
