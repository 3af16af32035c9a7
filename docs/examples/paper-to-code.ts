// Three equations of the paper, computed by hand with tfjs ops and by the function that implements them.
import * as tf from '@tensorflow/tfjs';
import {hashVectors, randomRotations} from '@reformerjs/lsh-hash';
import {sharedQKKeys} from '@reformerjs/lsh-attention';
import {reversibleStack, type ReversibleFunction} from '@reformerjs/reversible';

const sameValues = async (a: tf.Tensor, b: tf.Tensor, tolerance = 0) => {
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const within = (await difference.data())[0]! <= tolerance;
  difference.dispose();
  return within;
};

// Section 2, angular LSH: h(x) = argmax([xR; −xR]) for a random R of shape [d, b/2].
const x = tf.randomNormal([1, 1, 64, 16], 0, 1, 'float32', 1) as tf.Tensor4D; // [batch, heads, length, d]
const rotations = randomRotations({heads: 1, dim: 16, numHashes: 1, numBuckets: 8, seed: 7}); // [heads, d, rounds, b/2]
const byHand = tf.tidy(() => {
  const xR = tf.matMul(tf.reshape(x, [64, 16]), tf.reshape(rotations, [16, 4])); // [length, b/2]
  const h = tf.argMax(tf.concat([xR, tf.neg(xR)], 1), 1); // [length]: buckets 0..7
  return tf.reshape(h, [1, 1, 1, 64]); // [batch, heads, rounds, length], hashVectors' layout
});
const {buckets} = hashVectors(x, {numBuckets: 8, numHashes: 1, rotations});
console.log('hashVectors is argmax([xR; -xR]):', await sameValues(buckets, byHand));

// Section 2, shared-QK attention: keys are the queries normalised, k = q / ‖q‖ (scaled here as Hugging Face does:
// q · rsqrt(mean(q²) + 1e-6) / sqrt(d)).
const keysByHand = tf.tidy(() => tf.div(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), Math.sqrt(16)));
const keys = sharedQKKeys(x);
console.log('sharedQKKeys is the normalised query:', await sameValues(keys, keysByHand, 1e-6));

// Section 3, reversible layers: y1 = x1 + F(x2), y2 = x2 + G(y1).
const weightF = tf.randomNormal([16, 16], 0, 0.3, 'float32', 2);
const weightG = tf.randomNormal([16, 16], 0, 0.3, 'float32', 3);
const dense = (v: tf.Tensor, w: tf.Tensor) => tf.reshape(tf.tanh(tf.matMul(tf.reshape(v, [-1, 16]), w)), v.shape); // tanh(v W)
const branch: ReversibleFunction = (v, [w]) => dense(v, w!);
const [x1, x2] = [tf.randomNormal([2, 8, 16], 0, 1, 'float32', 4), tf.randomNormal([2, 8, 16], 0, 1, 'float32', 5)];
const [y1, y2] = reversibleStack(x1, x2, [{f: branch, g: branch, fWeights: [weightF], gWeights: [weightG]}]);
const y1ByHand = tf.tidy(() => tf.add(x1, dense(x2, weightF)));
const y2ByHand = tf.tidy(() => tf.add(x2, dense(y1ByHand, weightG)));
console.log('reversibleStack is y1 = x1 + F(x2), y2 = x2 + G(y1):', (await sameValues(y1, y1ByHand, 1e-6)) && (await sameValues(y2, y2ByHand, 1e-6)));

tf.dispose([x, rotations, byHand, buckets, keysByHand, keys, weightF, weightG, x1, x2, y1, y2, y1ByHand, y2ByHand]);
