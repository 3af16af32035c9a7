// @reformerjs/lsh-attention: LSH attention approximates full (shared query/key) attention, and more hash
// rounds approximate it better. Here on projected heads whose vectors form clusters, as trained queries do.
import * as tf from '@tensorflow/tfjs';
import {fullAttentionCore, lshAttentionCore} from '@reformerjs/lsh-attention';

const [batch, heads, length, headSize, clusters] = [1, 2, 512, 32, 16];

// Each position's query/key is one of 16 cluster centres plus a little noise: [batch, heads, length, headSize].
const queryKey = tf.tidy(() => {
  const centres = tf.randomNormal([clusters, headSize], 0, 1, 'float32', 1); // [clusters, headSize]
  const which = tf.randomUniform([batch * heads * length], 0, clusters, 'int32', 2); // [batch·heads·length]
  const noise = tf.randomNormal([batch * heads * length, headSize], 0, 0.1, 'float32', 3);
  return tf.reshape(tf.add(tf.gather(centres, which), noise), [batch, heads, length, headSize]) as tf.Tensor4D;
});
const value = tf.randomNormal([batch, heads, length, headSize], 0, 1, 'float32', 4) as tf.Tensor4D;

// What LSH approximates: every query against every earlier key, keys normalised as LSH normalises them.
const {output: full} = fullAttentionCore(queryKey, undefined, value, {causal: true, sharedQK: true});

for (const numHashes of [1, 2, 4]) {
  const {output} = lshAttentionCore(queryKey, value, {chunkLength: 32, numHashes, numBuckets: 16, causal: true}, {seed: 5});
  const distance = tf.tidy(() => tf.div(tf.norm(tf.sub(output, full)), tf.norm(full)));
  console.log(`LSH-${numHashes}: relative distance from full attention ${(await distance.data())[0]!.toFixed(4)}`);
  tf.dispose([output, distance]);
}

tf.dispose([queryKey, value, full]);
