import * as tf from '@tensorflow/tfjs-core';
import {checkGradients, expectRelativeClose, expectTensorEqual} from '@reformerjs/test-utils';
import {describe, it} from 'vitest';
import {randomArray} from './testing/reference.js';
import {combineRounds} from './combine-rounds.js';

describe('combineRounds', () => {
  const [batch, heads, rounds, length, dim] = [2, 1, 3, 4, 2];
  const outValues = randomArray([batch, heads, rounds * length, dim], 1);
  const lseValues = randomArray([batch, heads, rounds * length], 2, 3);
  const outputs = tf.tensor4d(outValues, [batch, heads, rounds * length, dim]);
  const lse = tf.tensor3d(lseValues, [batch, heads, rounds * length]);

  it('weights each round by exp(lse_r - logsumexp_r(lse)) (brute force)', () => {
    const expected: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < length; t++) {
        const l = Array.from({length: rounds}, (_, r) => lseValues[b * rounds * length + r * length + t]!);
        const m = Math.max(...l);
        const total = m + Math.log(l.reduce((s, x) => s + Math.exp(x - m), 0));
        for (let d = 0; d < dim; d++) {
          let v = 0;
          for (let r = 0; r < rounds; r++) v += Math.exp(l[r]! - total) * outValues[((b * rounds + r) * length + t) * dim + d]!;
          expected.push(v);
        }
      }
    }
    const combined = combineRounds(outputs, lse, rounds);
    expectRelativeClose(combined, expected, 1e-6, 'combined');
    combined.dispose();
  });

  it('passes one round through unchanged', () => {
    const combined = combineRounds(outputs, lse, 1);
    expectTensorEqual(combined, outputs, 'one round');
    combined.dispose();
  });

  it('weights sum to one even when every lse sits at a mask value', () => {
    const same = tf.tile(tf.tensor4d([1, 2], [1, 1, 1, 2]), [1, 1, 3, 1]) as tf.Tensor4D;
    const lseAtMask = tf.tensor3d([-1e5, -1e5 + Math.log(2), -1e5 + Math.log(3)], [1, 1, 3]);
    const combined = combineRounds(same, lseAtMask, 3);
    expectRelativeClose(combined, [1, 2], 1e-7, 'a token that attended only to itself in every round');
    tf.dispose([same, lseAtMask, combined]);
  });

  it('is differentiable in outputs and logsumexp', () => {
    const w = tf.tensor4d(randomArray([batch, heads, length, dim], 3), [batch, heads, length, dim]);
    checkGradients((o, l) => tf.sum(tf.mul(combineRounds(o as tf.Tensor4D, l as tf.Tensor3D, rounds), w)), [outputs, lse]);
    w.dispose();
  });
});
