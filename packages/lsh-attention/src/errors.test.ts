import * as tf from '@tensorflow/tfjs-core';
import {afterAll, describe, expect, it} from 'vitest';
import {fullAttentionCore} from './full-attention.js';
import {LSHSelfAttention, LocalSelfAttention} from './layers.js';
import {localAttentionCore} from './local-attention.js';
import {lshAttentionCore} from './lsh-attention.js';
import {localSelfAttention, lshSelfAttention} from './self-attention.js';

const made: tf.Tensor[] = [];
afterAll(() => tf.dispose(made));
const t = <T extends tf.Tensor>(x: T): T => (made.push(x), x);

const head = {hiddenSize: 8, numHeads: 2, headSize: 4};
const hidden = t(tf.zeros([1, 8, 8])) as tf.Tensor3D;
const qk = t(tf.ones([8, 8])) as tf.Tensor2D;
const weights = {queryKey: qk, value: qk, output: qk};
const heads = t(tf.zeros([1, 2, 8, 4])) as tf.Tensor4D;
const lsh = (options: object, call: object = {seed: 1}, x: tf.Tensor = hidden, w: object = weights) =>
  lshSelfAttention(x as tf.Tensor3D, w as never, {...head, chunkLength: 4, numBuckets: 4, ...options} as never, call as never);

// Each case: what is wrong, the call, and the message (argument name, value received, what was expected).
const cases: Array<[string, () => unknown, string | RegExp]> = [
  ['hidden of the wrong rank', () => lsh({}, {seed: 1}, t(tf.zeros([8, 8]))),
    'hidden: expected a rank-3 float32 tensor of shape [batch, length, 8] ([batch, length, hiddenSize]), got a float32 tensor of shape [8, 8]'],
  ['hidden whose width is not hiddenSize', () => lsh({}, {seed: 1}, t(tf.zeros([1, 8, 6]))),
    /^hidden: expected .*\[batch, length, 8\].*got a float32 tensor of shape \[1, 8, 6\]$/],
  ['int32 hidden', () => lsh({}, {seed: 1}, t(tf.zeros([1, 8, 8], 'int32'))),
    /^hidden: expected a float32 tensor .*got a int32 tensor of shape \[1, 8, 8\]$/],
  ['weights whose head size does not match the options', () => lsh({}, {seed: 1}, hidden, {...weights, queryKey: t(tf.zeros([8, 12]))}),
    'weights.queryKey: expected a rank-2 float32 tensor of shape [8, 8] ([hiddenSize, numHeads*headSize]), got a float32 tensor of shape [8, 12]'],
  ['an output weight of the wrong shape', () => lsh({}, {seed: 1}, hidden, {...weights, output: t(tf.zeros([8, 6]))}),
    /^weights\.output: expected .*\[8, 8\] \(\[numHeads\*headSize, hiddenSize\]\), got a float32 tensor of shape \[8, 6\]$/],
  ['a missing weight', () => lsh({}, {seed: 1}, hidden, {queryKey: qk, output: qk}),
    'weights.value: expected a rank-2 float32 tensor of shape [8, 8] ([hiddenSize, numHeads*headSize]), got undefined'],
  ['an odd bucket count', () => lsh({numBuckets: 7}),
    'options.numBuckets: expected an even integer >= 2 or a non-empty list of them, got 7'],
  ['a non-integer bucket count', () => lsh({numBuckets: 2.5}),
    'options.numBuckets: expected an even integer >= 2 or a non-empty list of them, got 2.5'],
  ['an odd bucket factor', () => lsh({numBuckets: [2, 3]}),
    /^options\.numBuckets: expected an even integer >= 2 or a non-empty list of them, got \[2, 3\] \(factor 1 is 3/],
  ['rotations of the wrong shape', () => lsh({numHashes: 2}, {rotations: t(tf.zeros([2, 4, 2, 3]))}),
    'call.rotations: expected a rank-4 float32 tensor of shape [2, 4, 2, 2] ([numHeads, headSize, numHashes, rotationSize/2]), got a float32 tensor of shape [2, 4, 2, 3]'],
  ['rotations for another head size', () => lsh({}, {rotations: t(tf.zeros([2, 5, 1, 2]))}),
    /^call\.rotations: expected .*\[2, 4, 1, 2\].*got a float32 tensor of shape \[2, 5, 1, 2\]$/],
  ['a zero chunk length', () => lsh({chunkLength: 0}), 'options.chunkLength: expected a positive integer, got 0'],
  ['a negative chunk length', () => lsh({chunkLength: -4}), 'options.chunkLength: expected a positive integer, got -4'],
  ['a fractional chunk length', () => lsh({chunkLength: 2.5}), 'options.chunkLength: expected a positive integer, got 2.5'],
  ['a chunk length given as a string', () => lsh({chunkLength: '4'}), 'options.chunkLength: expected a positive integer, got "4"'],
  ['a local chunk length that is not a positive integer', () =>
    localSelfAttention(hidden, {query: qk, key: qk, value: qk, output: qk}, {...head, chunkLength: 1.5}),
    'options.chunkLength: expected a positive integer, got 1.5'],
  ['negative chunks before', () => lsh({numChunksBefore: -1}), 'options.numChunksBefore: expected a non-negative integer, got -1'],
  ['zero hash rounds', () => lsh({numHashes: 0}), 'options.numHashes: expected a positive integer, got 0'],
  ['a dropout rate of 1', () => lsh({dropout: 1}), 'options.dropout: expected a number in [0, 1), got 1'],
  ['a misspelt option', () => lsh({chunk_length: 4}), /^options\.chunk_length: expected one of the options .*got unknown option "chunk_length"$/],
  ['a mask of the wrong shape', () => lsh({}, {seed: 1, attentionMask: t(tf.ones([1, 7], 'int32'))}),
    'call.attentionMask: expected a rank-2 int32 or float32 or bool tensor of shape [1, 8] ([batch, length]), got a int32 tensor of shape [1, 7]'],
  ['buckets of the wrong shape', () => lsh({numHashes: 2}, {buckets: t(tf.zeros([1, 2, 1, 8], 'int32'))}),
    'call.buckets: expected a rank-4 int32 tensor of shape [1, 2, 2, 8] ([batch, numHeads, numHashes, length]), got a int32 tensor of shape [1, 2, 1, 8]'],
  ['float buckets', () => lsh({}, {buckets: t(tf.zeros([1, 2, 1, 8]))}),
    /^call\.buckets: expected a int32 tensor .*got a float32 tensor of shape \[1, 2, 1, 8\]$/],
  ['no seed, rotations or buckets', () => lsh({}, {}),
    'call.seed: expected an integer seed when neither call.rotations nor call.buckets is given, got undefined'],
  ['a fractional seed', () => lsh({}, {seed: 0.5}), 'call.seed: expected an integer seed, got 0.5'],
  ['training with dropout but no dropout seed', () => lsh({dropout: 0.1}, {seed: 1, training: true}),
    'call.dropoutSeed: expected an integer seed when training with dropout > 0, got undefined'],
  ['an unknown call option', () => lsh({}, {seed: 1, mask: hidden}), /^call\.mask: expected one of .*got unknown option "mask"$/],
  ['a core input of the wrong rank', () => lshAttentionCore(t(tf.zeros([2, 8, 4])) as never, heads, {}, {seed: 1}),
    'queryKey: expected a rank-4 float32 tensor of shape [batch, heads, length, headSize], got a float32 tensor of shape [2, 8, 4]'],
  ['core values that do not match the queries', () => lshAttentionCore(heads, t(tf.zeros([1, 2, 8, 5])) as tf.Tensor4D, {}, {seed: 1}),
    'value: expected a rank-4 float32 tensor of shape [1, 2, 8, 4] ([batch, heads, length, headSize]), got a float32 tensor of shape [1, 2, 8, 5]'],
  ['local keys that do not match the queries', () => localAttentionCore(heads, t(tf.zeros([1, 1, 8, 4])) as tf.Tensor4D, heads),
    /^key: expected .*\[1, 2, 8, 4\].*got a float32 tensor of shape \[1, 1, 8, 4\]$/],
  ['full attention without keys and without sharedQK', () => fullAttentionCore(heads, undefined, heads),
    'key: expected a rank-4 float32 tensor of shape [1, 2, 8, 4] ([batch, heads, length, headSize]), got undefined'],
  ['a layer without hiddenSize', () => new LSHSelfAttention({numHeads: 2, headSize: 4} as never),
    'options.hiddenSize: expected a positive integer (required), got undefined'],
  ['a layer given a weight of the wrong shape', () => new LocalSelfAttention(head, {key: t(tf.zeros([4, 8])) as tf.Tensor2D}),
    /^weights\.key: expected .*\[8, 8\].*got a float32 tensor of shape \[4, 8\]$/],
  ['a layer used after dispose()', () => {
    const layer = new LSHSelfAttention({...head, chunkLength: 4});
    layer.dispose();
    return layer.apply(hidden);
  }, 'LSHSelfAttention: used after dispose()'],
];

describe('bad input gives an error naming the argument, the value and what was expected', () => {
  for (const [what, run, message] of cases) {
    it(what, () => {
      const before = tf.memory().numTensors - made.length;
      expect(run).toThrow(message);
      // Nothing leaks on the way out (the test's own bad inputs aside).
      expect(tf.memory().numTensors - made.length).toBe(before);
    });
  }
});
