// The shared-QK keys kernel and its gradient against lsh-attention's reference path on the same backend (fused
// kernels switched off): values and gradients within 1e-5 relative, over ranks and head sizes, a zero vector
// among them (the epsilon alone under the square root).
import * as tf from '@tensorflow/tfjs';
import {FUSED_KERNELS_FLAG} from '@reformerjs/lsh-hash';
import {SHARED_QK_KEYS_GRAD_KERNEL, SHARED_QK_KEYS_KERNEL, sharedQKKeys} from '@reformerjs/lsh-attention';
import {relativeError} from '@reformerjs/test-utils';
import {afterEach, describe, expect, it} from 'vitest';
import {programsRun} from '../testing/gpu.js';

afterEach(() => tf.env().set(FUSED_KERNELS_FLAG, true));

/** The keys of x and the gradient of sum(keys · probe) with respect to x, read back. */
async function keysAndGradient(x: tf.Tensor, probe: tf.Tensor) {
  const {result, programs} = await programsRun(() => [sharedQKKeys(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(sharedQKKeys(v), probe)))(x)]);
  const values = await Promise.all(result.map((t) => t.data()));
  tf.dispose(result);
  return {values, programs};
}

describe('shared-QK keys kernel', () => {
  const cases = [
    {name: 'heads [batch, heads, length, headSize], head size 64', shape: [2, 3, 17, 64]},
    {name: 'vectors of 4', shape: [5, 4]},
    {name: 'one vector of 12, zero', shape: [1, 12], zero: true},
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const x = c.zero ? tf.zeros(c.shape) : tf.randomNormal(c.shape, 0, 2, 'float32', 1);
      const probe = tf.randomNormal(c.shape, 0, 1, 'float32', 2);
      const fused = await keysAndGradient(x, probe);
      expect(fused.programs).toEqual(expect.arrayContaining(['reformerSharedQKKeys']));
      tf.env().set(FUSED_KERNELS_FLAG, false);
      const reference = await keysAndGradient(x, probe);
      expect(reference.programs).not.toContain('reformerSharedQKKeys');
      ['keys', 'gradient'].forEach((name, i) => {
        expect(relativeError(fused.values[i]!, reference.values[i]!), name).toBeLessThan(1e-5);
      });
      tf.dispose([x, probe]);
    });
  }

  it('leaves head sizes that are not a multiple of 4 to the reference path', async () => {
    const x = tf.randomNormal([3, 6], 0, 1, 'float32', 3);
    const {result, programs} = await programsRun(() => sharedQKKeys(x));
    expect(programs).not.toContain('reformerSharedQKKeys');
    tf.dispose([x, result]);
  });

  it('rejects what the kernels cannot take, naming the input', () => {
    const odd = tf.zeros([3, 6]);
    const q = tf.zeros([3, 8]);
    const dk = tf.zeros([3, 4]);
    expect(() => tf.engine().runKernel(SHARED_QK_KEYS_KERNEL, {queryKey: odd}, {})).toThrow(/ReformerSharedQKKeys: queryKey: expected a float32 tensor \[\.\.\., headSize\] with headSize a positive multiple of 4, got float32 \[3, 6\]/);
    expect(() => tf.engine().runKernel(SHARED_QK_KEYS_GRAD_KERNEL, {dKeys: dk, queryKey: q}, {})).toThrow(/dKeys: expected float32 \[3, 8\] \(the shape of queryKey\), got float32 \[3, 4\]/);
    tf.dispose([odd, q, dk]);
  });
});
