import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {reversibleStack, type StackMode} from './index.js';
import {allWeights, denseStack, disposeLayers, seededTensor, weightedLoss} from './testing/fixtures.js';

// Many rows and a narrow width: activations (rows x d) dwarf the weights (d x d per branch), so the
// peak measures activations, which is what the reversible stack saves.
const SHAPE = [1, 256, 8]; // [batch, length, d]
const ACTIVATION_BYTES = 256 * 8 * 4;

/** Peak bytes above the starting point during one forward + backward (logical bytes, tf.profile). */
async function peakTrainingBytes(depth: number, mode: StackMode): Promise<number> {
  const x1 = seededTensor(SHAPE, 1);
  const x2 = seededTensor(SHAPE, 2);
  const layers = denseStack(depth, SHAPE[2], {dropout: 0.1});
  const xs = [x1, x2, ...allWeights(layers)];
  const start = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const grads = tf.grads((...args: tf.Tensor[]) => {
      const [a, b, ...w] = args;
      const rebuilt = layers.map((l, i) => ({...l, fWeights: w.slice(4 * i, 4 * i + 2), gWeights: w.slice(4 * i + 2, 4 * i + 4)}));
      const [y1, y2] = reversibleStack(a, b, rebuilt, {mode, seed: 1});
      return weightedLoss(y1, y2);
    })(xs);
    tf.dispose(grads);
  });
  tf.dispose([x1, x2]);
  disposeLayers(layers);
  return info.peakBytes - start;
}

describe('training memory', () => {
  it('does not grow with depth in reversible mode, and does in residual mode', async () => {
    const rev2 = await peakTrainingBytes(2, 'reversible');
    const rev8 = await peakTrainingBytes(8, 'reversible');
    const res2 = await peakTrainingBytes(2, 'residual');
    const res8 = await peakTrainingBytes(8, 'residual');
    expect(rev8 / rev2).toBeLessThan(1.3);
    expect(res8 / res2).toBeGreaterThan(2.5);
    // Six more layers of residual activations: at least one saved activation per branch per layer.
    expect(res8 - res2).toBeGreaterThan(6 * 2 * ACTIVATION_BYTES);
    expect(rev8).toBeLessThan(res8 / 2);
  });
});
