import * as tf from '@tensorflow/tfjs-core';
import {expectRelativeClose, expectTensorEqual, loadGoldenCase} from '@reformerjs/test-utils';
import {afterAll, describe, expect, it} from 'vitest';
import {FullSelfAttention, LocalSelfAttention, LSHSelfAttention} from './layers.js';
import {lshSelfAttention} from './self-attention.js';

const head = {hiddenSize: 8, numHeads: 2, headSize: 4};
const hidden = tf.randomNormal([2, 10, 8], 0, 1, 'float32', 1) as tf.Tensor3D;
afterAll(() => hidden.dispose());

describe('layer classes', () => {
  it('build from a plain options object and apply to a tensor', () => {
    const layers = [
      new LSHSelfAttention({...head, chunkLength: 4, numHashes: 2, numBuckets: 4, causal: true}),
      new LocalSelfAttention({...head, chunkLength: 4, causal: true}),
      new FullSelfAttention({...head}),
      new FullSelfAttention({...head, sharedQK: true}),
    ];
    for (const layer of layers) {
      const {output} = layer.apply(hidden);
      expect(output.shape).toEqual([2, 10, 8]);
      output.dispose();
      layer.dispose();
    }
  });

  it('fill in defaults and expose weights in [in, out] orientation', () => {
    const layer = new LSHSelfAttention({...head});
    expect(layer.options).toMatchObject({
      chunkLength: 64, numChunksBefore: 1, numChunksAfter: 0, numHashes: 1, numBuckets: undefined, causal: false,
      dropout: 0, duplicateAttentionCorrection: false, sameBucketOnly: false, seed: 0, initializerRange: 0.02,
    });
    const {queryKey, value, output} = layer.weights;
    expect([queryKey.shape, value.shape, output.shape]).toEqual([[8, 8], [8, 8], [8, 8]]);
    expect(queryKey).toBeInstanceOf(tf.Variable);
    layer.dispose();
  });

  it('initialise weights from the seed, and advance the hash seed per call (call k uses seed + k)', () => {
    const o = {...head, chunkLength: 4, numHashes: 2, numBuckets: 4, seed: 40};
    const a = new LSHSelfAttention(o);
    const b = new LSHSelfAttention(o);
    expectTensorEqual(a.weights.queryKey, b.weights.queryKey, 'same seed, same weights');
    const first = a.apply(hidden, {returnBuckets: true});
    const second = a.apply(hidden, {returnBuckets: true});
    expect([first.seed, second.seed, a.callCount]).toEqual([40, 41, 2]);
    const {seed: _s, initializerRange: _i, ...functional} = a.options;
    for (const [result, seed] of [[first, 40], [second, 41]] as const) {
      const direct = lshSelfAttention(hidden, a.weights, functional, {seed, returnBuckets: true});
      expectTensorEqual(result.output, direct.output, `call with seed ${seed}`);
      expectTensorEqual(result.buckets!, direct.buckets!, `buckets of seed ${seed}`);
      tf.dispose([direct.output, direct.buckets!]);
    }
    // A recompute with the first call's buckets and dropout seed gives the first call's output.
    const again = b.apply(hidden, {buckets: first.buckets, dropoutSeed: first.dropoutSeed});
    expectTensorEqual(again.output, first.output, 'recompute');
    tf.dispose([first.output, first.buckets!, second.output, second.buckets!, again.output]);
    a.dispose();
    b.dispose();
  });

  it('reproduce dropout from the returned dropout seed', () => {
    const layer = new LocalSelfAttention({...head, chunkLength: 4, dropout: 0.3});
    const a = layer.apply(hidden, {training: true});
    const b = layer.apply(hidden, {training: true});
    const again = layer.apply(hidden, {training: true, dropoutSeed: a.dropoutSeed});
    expect(a.dropoutSeed).not.toBe(b.dropoutSeed);
    expectTensorEqual(again.output, a.output, 'same dropout seed');
    tf.dispose([a.output, b.output, again.output]);
    layer.dispose();
  });

  it('take Hugging Face weights (transposed) and reproduce its LSH layer', () => {
    const golden = loadGoldenCase('lsh-causal-2h');
    try {
      const c = golden.config;
      const p = 'reformer.encoder.layers.0.attention';
      const t = (n: string) => tf.transpose(golden.weights[`${p}.${n}.weight`]!) as tf.Tensor2D;
      const given = {queryKey: t('self_attention.query_key'), value: t('self_attention.value'), output: t('output.dense')};
      const layer = new LSHSelfAttention(
        {
          hiddenSize: c.hidden_size as number, numHeads: c.num_attention_heads as number, headSize: c.attention_head_size as number,
          chunkLength: c.lsh_attn_chunk_length as number, numHashes: c.num_hashes as number, numBuckets: c.num_buckets as number,
          causal: true,
        },
        given,
      );
      tf.dispose(Object.values(given)); // the layer keeps its own copies
      const {output} = layer.apply(golden.io['attn_in.0'] as tf.Tensor3D, {
        rotations: golden.io['rotations.0'] as tf.Tensor4D,
        attentionMask: golden.io.attention_mask,
      });
      expectRelativeClose(output, golden.io['attn_out.0']!, 1e-5, 'layer 0');
      output.dispose();
      layer.dispose();
    } finally {
      golden.dispose();
    }
  });

  it('train: an optimizer step through variableGrads reaches every weight and lowers a loss', () => {
    const layer = new LSHSelfAttention({...head, chunkLength: 4, numHashes: 2, numBuckets: 4, causal: true, initializerRange: 0.3});
    const target = tf.randomNormal([2, 10, 8], 0, 1, 'float32', 9);
    const buckets = layer.apply(hidden, {returnBuckets: true});
    buckets.output.dispose();
    const loss = () => tf.mean(tf.square(tf.sub(layer.apply(hidden, {buckets: buckets.buckets}).output, target))) as tf.Scalar;
    const {value, grads} = tf.variableGrads(loss, Object.values(layer.weights) as tf.Variable[]);
    expect(Object.keys(grads).length).toBe(3);
    for (const g of Object.values(grads)) expect(tf.norm(g).dataSync()[0]).toBeGreaterThan(0);
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 5; i++) optimizer.minimize(loss, false, Object.values(layer.weights) as tf.Variable[]);
    const after = loss();
    expect(after.dataSync()[0]).toBeLessThan(value.dataSync()[0]!);
    tf.dispose([value, ...Object.values(grads), after, target, buckets.buckets!]);
    optimizer.dispose();
    layer.dispose();
  });
});
