// Getting started: one LSH self-attention layer on a random sequence.
import * as tf from '@tensorflow/tfjs'; // a backend, and the gradients for training
import {LSHSelfAttention} from '@reformerjs/lsh-attention';

// d_model 64 split into 4 heads of 16; causal (a decoder); positions are sorted by bucket and cut into
// chunks of 32, each attending to itself and the chunk before; 2 hash rounds into 8 buckets each.
const attention = new LSHSelfAttention({
  hiddenSize: 64, numHeads: 4, headSize: 16,
  chunkLength: 32, numHashes: 2, numBuckets: 8, causal: true, seed: 1,
});

const x = tf.randomNormal([2, 256, 64], 0, 1, 'float32', 7) as tf.Tensor3D; // [batch, length, hiddenSize]
const {output, buckets} = attention.apply(x, {returnBuckets: true});

console.log('output shape:', output.shape.join(' x ')); // like the input
console.log('buckets shape:', buckets!.shape.join(' x ')); // batch x heads x rounds x length
const [lowest, highest] = [tf.min(buckets!), tf.max(buckets!)];
// Round r numbers its buckets from r * 8, so two rounds give ids 0..15.
console.log('bucket ids:', (await lowest.data())[0], 'to', (await highest.data())[0]);

tf.dispose([x, output, buckets!, lowest, highest]);
attention.dispose(); // its weights are tf.Variables
