// @reformerjs/lsh-hash: hash vectors into buckets, sort them by bucket, and undo the sort.
import * as tf from '@tensorflow/tfjs';
import {autoNumBuckets, gatherSorted, hashVectors, sortByBuckets, unsortByBuckets} from '@reformerjs/lsh-hash';

const [batch, heads, length, headSize] = [1, 2, 256, 32];
const queryKey = tf.randomNormal([batch, heads, length, headSize], 0, 1, 'float32', 3) as tf.Tensor4D;

// Hugging Face's default bucket count for 256 positions in chunks of 32: about 2 · 256 / 32.
const numBuckets = autoNumBuckets({sequenceLength: length, chunkLength: 32});
console.log('numBuckets:', numBuckets);

// Two rounds, each with its own random rotation drawn (in JavaScript) from the seed.
const {buckets, bucketsPerRound} = hashVectors(queryKey, {numBuckets, numHashes: 2, seed: 42});
console.log('buckets:', buckets.shape.join(' x '), 'with', bucketsPerRound, 'buckets per round');

// Sort every round by bucket (ties by position), gather the vectors in that order, then put them back.
const sort = sortByBuckets(buckets);
const sorted = gatherSorted(queryKey, sort); // [1, 2, 2 · 256, 32]: round 0's order, then round 1's
const restored = unsortByBuckets(sorted, sort); // [1, 2, 2 · 256, 32]: (round, position) order

// Round 0's slice of the restored tensor is the input again, exactly.
const round0 = tf.slice(restored, [0, 0, 0, 0], [batch, heads, length, headSize]);
const maxError = tf.tidy(() => tf.max(tf.abs(tf.sub(round0, queryKey))));
console.log('max |unsort(sort(x)) - x|:', (await maxError.data())[0]);

// In sorted order the bucket ids never decrease within a (batch, head) row: that is what makes chunks of
// neighbours. sortedIndices holds, per slot, the flat index r · length + t into that row's buckets.
const slots = 2 * length; // rounds · length
const [bucketIds, order] = [await buckets.data(), await sort.sortedIndices.data()];
let nonDecreasing = true;
for (let row = 0; row < batch * heads; row++) {
  for (let slot = 1; slot < slots; slot++) {
    const bucketAt = (s: number) => bucketIds[row * slots + order[row * slots + s]!]!;
    if (bucketAt(slot) < bucketAt(slot - 1)) nonDecreasing = false;
  }
}
console.log('sorted buckets never decrease:', nonDecreasing);

tf.dispose([queryKey, buckets, sort, sorted, restored, round0, maxError]);
