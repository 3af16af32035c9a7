import * as tf from '@tensorflow/tfjs-core';
import {expectTensorEqual} from '@reformerjs/test-utils';
import {describe, it} from 'vitest';
import {applyMasks, MASK_VALUE, SELF_MASK_VALUE} from './masks.js';

describe('applyMasks', () => {
  // Query positions (rows) and key positions (columns); logits = 10 * query + key.
  const qPos = [0, 2, 3];
  const kPos = [3, 0, 2, 1];
  const dots = tf.tensor2d(qPos.flatMap((q) => kPos.map((k) => 10 * q + k)), [3, 4]);
  const queries = tf.tensor2d(qPos, [3, 1], 'int32');
  const keys = tf.tensor2d(kPos, [1, 4], 'int32');
  const valid = [1, 1, 0, 1];
  const keyValid = tf.tensor2d(valid, [1, 4], 'int32');

  /** The rule, element by element: disallowed pairs replaced by -1e9, then self replaced by -1e5. */
  function expected(causal: boolean, useValid: boolean, selfMask: boolean): number[] {
    return qPos.flatMap((q) =>
      kPos.map((k, j) => {
        let v = 10 * q + k;
        if ((causal && k > q) || (useValid && valid[j] === 0)) v = MASK_VALUE;
        if (selfMask && q === k) v = SELF_MASK_VALUE;
        return v;
      }),
    );
  }

  for (const causal of [false, true]) {
    for (const useValid of [false, true]) {
      for (const selfMask of [false, true]) {
        it(`replaces logits (causal ${causal}, padding ${useValid}, self mask ${selfMask})`, () => {
          const out = applyMasks(dots, {
            queryPositions: queries,
            keyPositions: keys,
            causal,
            keyValid: useValid ? keyValid : undefined,
            selfMask,
          });
          expectTensorEqual(out, expected(causal, useValid, selfMask), 'masked logits');
          if (out !== dots) out.dispose();
        });
      }
    }
  }

  it('applies the self mask after the others, so a token with no other target keeps -1e5 (attends to itself)', () => {
    // Query 2 sees key 2 (itself, padding does not apply to it here) and nothing else once causal and padding act.
    const out = applyMasks(tf.tensor2d([[5, 7, 9]]), {
      queryPositions: tf.tensor2d([[2]], undefined, 'int32'),
      keyPositions: tf.tensor2d([[3, 2, 1]], undefined, 'int32'),
      causal: true,
      keyValid: tf.tensor2d([[1, 0, 0]], undefined, 'int32'),
      selfMask: true,
    });
    expectTensorEqual(out, [MASK_VALUE, SELF_MASK_VALUE, MASK_VALUE], 'row');
    out.dispose();
  });

  it('masks keys of another bucket when buckets are given', () => {
    const out = applyMasks(tf.tensor2d([[1, 2, 3]]), {
      queryPositions: tf.tensor2d([[5]], undefined, 'int32'),
      keyPositions: tf.tensor2d([[0, 1, 2]], undefined, 'int32'),
      causal: false,
      queryBuckets: tf.tensor2d([[4]], undefined, 'int32'),
      keyBuckets: tf.tensor2d([[4, 3, 4]], undefined, 'int32'),
      selfMask: true,
    });
    expectTensorEqual(out, [1, MASK_VALUE, 3], 'row');
    out.dispose();
  });
});
