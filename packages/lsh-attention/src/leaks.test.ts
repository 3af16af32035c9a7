import * as tf from '@tensorflow/tfjs-core';
import {expectNoLeaks} from '@reformerjs/test-utils';
import {afterAll, describe, it} from 'vitest';
import {FullSelfAttention, LocalSelfAttention, LSHSelfAttention} from './layers.js';
import {fullSelfAttention, localSelfAttention, lshSelfAttention} from './self-attention.js';

const head = {hiddenSize: 8, numHeads: 2, headSize: 4};
const hidden = tf.randomNormal([2, 10, 8], 0, 1, 'float32', 1) as tf.Tensor3D;
const mask = tf.tensor2d([Array(10).fill(1), [...Array(8).fill(1), 0, 0]], undefined, 'int32');
const w = (seed: number) => tf.randomNormal([8, 8], 0, 0.5, 'float32', seed) as tf.Tensor2D;
const weights = {queryKey: w(2), query: w(3), key: w(4), value: w(5), output: w(6)};
afterAll(() => tf.dispose([hidden, mask, ...Object.values(weights)]));

/** Forward and backward with respect to the input and every weight; returns nothing, so all must be freed. */
function forwardBackward(f: (x: tf.Tensor3D, ws: tf.Tensor2D[]) => tf.Tensor, ws: tf.Tensor2D[]): void {
  const grads = tf.grads((x, ...rest) => tf.sum(f(x as tf.Tensor3D, rest as tf.Tensor2D[])) as tf.Scalar);
  tf.dispose(grads([hidden, ...ws]));
}

describe('no tensor leaks: numTensors is the same before and after a forward and backward pass', () => {
  it('LSH, hashing from a seed, masks, both paper options, dropout, returned buckets', async () => {
    const o = {...head, chunkLength: 4, numHashes: 3, numBuckets: [2, 2], causal: true, dropout: 0.2,
      duplicateAttentionCorrection: true, sameBucketOnly: true};
    await expectNoLeaks(() =>
      forwardBackward((x, [queryKey, value, output]) => {
        const {output: out, buckets} = lshSelfAttention(x, {queryKey: queryKey!, value: value!, output: output!}, o, {
          seed: 3, attentionMask: mask, training: true, dropoutSeed: 1, returnBuckets: true,
        });
        buckets!.dispose();
        return out;
      }, [weights.queryKey, weights.value, weights.output]),
    );
  });

  it('LSH falling back to full attention (one chunk)', async () => {
    await expectNoLeaks(() =>
      forwardBackward((x, [queryKey, value, output]) =>
        lshSelfAttention(x, {queryKey: queryKey!, value: value!, output: output!}, {...head, chunkLength: 16}, {attentionMask: mask}).output,
      [weights.queryKey, weights.value, weights.output]),
    );
  });

  it('local and full attention', async () => {
    const qkv = [weights.query, weights.key, weights.value, weights.output];
    await expectNoLeaks(() => {
      forwardBackward((x, [query, key, value, output]) =>
        localSelfAttention(x, {query: query!, key: key!, value: value!, output: output!}, {...head, chunkLength: 4, causal: true}, {attentionMask: mask}).output,
      qkv);
      forwardBackward((x, [query, key, value, output]) =>
        fullSelfAttention(x, {query: query!, key: key!, value: value!, output: output!}, {...head, causal: true}, {attentionMask: mask}).output,
      qkv);
    });
  });

  it('layer classes: apply, variableGrads, dispose', async () => {
    await expectNoLeaks(() => {
      const layers = [
        new LSHSelfAttention({...head, chunkLength: 4, numHashes: 2, numBuckets: 4}),
        new LocalSelfAttention({...head, chunkLength: 4}),
        new FullSelfAttention({...head, sharedQK: true}),
      ];
      for (const layer of layers) {
        const {value, grads} = tf.variableGrads(() => tf.sum(layer.apply(hidden, {attentionMask: mask}).output) as tf.Scalar);
        tf.dispose([value, ...Object.values(grads)]);
        layer.dispose();
      }
    });
  });
});
