// Which tokens share buckets: the buckets the first (LSH) layer of a model hashes a sequence into, read from a
// forward pass that is given the rotations to hash with, so the picture shows exactly what that layer did.
import * as tf from '@tensorflow/tfjs';
import {layerNorm} from '@reformerjs/chunked-ffn';
import {bucketCount, hashVectors, randomRotations, type NumBuckets} from '@reformerjs/lsh-hash';
import type {ReformerModelWithLMHead} from '@reformerjs/reformer-model';

export interface BucketPicture {
  length: number;
  heads: number;
  rounds: number;
  chunkLength: number;
  bucketsPerRound: number;
  /** bucket[(head · rounds + round) · length + position], 0 .. bucketsPerRound − 1 (round offsets removed). */
  buckets: Int32Array;
}

const LAYER = 'reformer.encoder.layers.0.attention';

/**
 * Hashes `ids` ([1, length]) as layer 0 does: its input is the embeddings (both reversible streams start as
 * them; HF's hidden_states[0]), layer-normalised and projected by the shared query/key weights, then hashed
 * with the rotations the forward was given.
 */
export async function bucketPicture(model: ReformerModelWithLMHead, ids: tf.Tensor2D, seed: number): Promise<BucketPicture> {
  const config = model.config;
  if (config.attnLayers[0] !== 'lsh') throw new Error('bucketPicture: layer 0 of the model is not an LSH layer');
  const [heads, headSize, rounds] = [config.numAttentionHeads, config.attentionHeadSize, config.numHashes];
  const numBuckets = config.numBuckets as NumBuckets; // the demo's config fixes it (null would mean: per length)
  const length = ids.shape[1];
  const rotations = randomRotations({heads, dim: headSize, numHashes: rounds, numBuckets, seed}); // [heads, headSize, rounds, b/2]
  const p = model.parameters;
  const buckets = tf.tidy(() => {
    const {logits, allHiddenStates} = model.forward(ids, {outputHiddenStates: true, rotations: {0: rotations}, validateInputs: false});
    logits.dispose();
    const embeddings = allHiddenStates![0]!; // [1, length, hidden]
    const normed = layerNorm(embeddings, p[`${LAYER}.layer_norm.weight`]!, p[`${LAYER}.layer_norm.bias`]!, config.layerNormEps);
    const projected = tf.matMul(tf.reshape(normed, [length, config.hiddenSize]), p[`${LAYER}.self_attention.query_key.weight`]!); // [length, heads·headSize]
    const queryKey = tf.transpose(tf.reshape(projected, [1, length, heads, headSize]), [0, 2, 1, 3]) as tf.Tensor4D; // [1, heads, length, headSize]
    return hashVectors(queryKey, {numBuckets, numHashes: rounds, rotations}).buckets; // [1, heads, rounds, length]
  });
  rotations.dispose();
  const values = (await buckets.data()) as Int32Array;
  buckets.dispose();
  const bucketsPerRound = bucketCount(numBuckets);
  const plain = values.map((b, i) => b - Math.floor(i / length) % rounds * bucketsPerRound);
  return {length, heads, rounds, chunkLength: config.lshAttnChunkLength, bucketsPerRound, buckets: plain};
}

/**
 * The share of the pairs a copy needs that hash into one bucket in at least one round: for sequences `0 w 0 w`,
 * the query at W+1+j (the second copy's j-th token, or its separator for j = 0) predicts w_{j+1}, which sits at
 * position j+1 of the first copy. Counted over heads and j = 0 .. W−1.
 */
export function sharedPairShare(picture: BucketPicture, wordLength: number): number {
  const {length, heads, rounds, buckets} = picture;
  let shared = 0;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < wordLength; j++) {
      const [query, source] = [wordLength + 1 + j, j + 1];
      let any = false;
      for (let r = 0; r < rounds; r++) {
        const row = (h * rounds + r) * length;
        if (buckets[row + query] === buckets[row + source]) any = true;
      }
      if (any) shared++;
    }
  }
  return shared / (heads * wordLength);
}
