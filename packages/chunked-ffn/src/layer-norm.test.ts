import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {layerNorm, layerNormBackward, layerNormParts} from './layer-norm.js';
import {expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';
import {randn} from './testing/fixtures.js';

describe('layerNorm', () => {
  it('matches a hand computation (biased variance, eps inside the root)', () => {
    tf.tidy(() => {
      const row = [1, 2, 3, 6];
      const mean = 3;
      const variance = (4 + 1 + 0 + 9) / 4; // 3.5
      const eps = 0.5;
      const gamma = [1, 2, 0.5, -1];
      const beta = [0, 1, -1, 2];
      const want = row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[i] + beta[i]);
      const got = layerNorm(tf.tensor2d([row]), tf.tensor1d(gamma), tf.tensor1d(beta), eps);
      expectRelativeClose(got, want, 1e-6, 'layerNorm');
    });
  });

  it('hand-written backward equals autodiff for x, gamma and beta', () => {
    tf.tidy(() => {
      const x = randn([6, 8], 1, 3);
      const gamma = randn([8], 2);
      const beta = randn([8], 3);
      const dy = randn([6, 8], 4);
      const eps = 1e-5;
      const auto = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b, eps), dy)))([x, gamma, beta]);
      const hand = layerNormBackward(dy, x, gamma as tf.Tensor1D, eps);
      expectRelativeClose(hand.dx, auto[0], 1e-5, 'dx');
      expectRelativeClose(hand.dGamma, auto[1], 1e-5, 'dGamma');
      expectRelativeClose(hand.dBeta, auto[2], 1e-6, 'dBeta');
    });
  });

  it('takes vectors of any rank: [batch, length, hidden], weight gradients summed over both', () => {
    tf.tidy(() => {
      const x = randn([2, 3, 8], 5, 2);
      const gamma = randn([8], 6);
      const beta = randn([8], 7);
      const dy = randn([2, 3, 8], 8);
      const auto = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b, 1e-12), dy)))([x, gamma, beta]);
      const hand = layerNormBackward(dy, x, gamma as tf.Tensor1D, 1e-12);
      expect(hand.dx.shape).toEqual([2, 3, 8]);
      expectRelativeClose(hand.dx, auto[0], 1e-5, 'dx');
      expectRelativeClose(hand.dGamma, auto[1], 1e-5, 'dGamma');
      expectRelativeClose(hand.dBeta, auto[2], 1e-6, 'dBeta');
    });
  });

  it('does not leak', async () => {
    const x = randn([3, 4], 1);
    const g = tf.ones([4]);
    const b = tf.zeros([4]);
    await expectNoLeaks(() => {
      layerNorm(x, g, b, 1e-12).dispose();
      const p = layerNormParts(x, 1e-12);
      const grads = layerNormBackward(x, x, g as tf.Tensor1D, 1e-12);
      [p.normalized, p.invStd, grads.dx, grads.dGamma, grads.dBeta].forEach((t) => t.dispose());
    });
    [x, g, b].forEach((t) => t.dispose());
  });
});
