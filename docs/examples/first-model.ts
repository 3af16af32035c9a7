// Getting started: a small causal Reformer, a few training steps on the paper's duplication task, and
// generation.
import * as tf from '@tensorflow/tfjs';
import {duplicationBatch, generate, ReformerConfig, ReformerModelWithLMHead} from '@reformerjs/reformer-model';

// Hugging Face's ReformerConfig fields: one LSH layer, d_model 32, sequences of 32 tokens (ids 0..15).
const config = new ReformerConfig({
  vocab_size: 16, hidden_size: 32, num_attention_heads: 2, attention_head_size: 16, feed_forward_size: 64,
  attn_layers: ['lsh'], is_decoder: true,
  lsh_attn_chunk_length: 8, num_hashes: 2, num_buckets: 8,
  axial_pos_embds: false, max_position_embeddings: 32,
});
const model = new ReformerModelWithLMHead(config, {seed: 0}); // HF's initialisation, drawn from the seed
const optimizer = tf.train.adam(0.01);

const losses: number[] = [];
for (let step = 0; step < 20; step++) {
  // Sequences `0 w 0 w`: a word w of 15 symbols from 1..15, then the word again.
  const {inputIds, lossWeights} = duplicationBatch({batch: 8, wordLength: 15, vocabSize: 15, seed: 0, index: step});
  // A causal LM loss over every position (labels default to the inputs, shifted by one).
  const loss = optimizer.minimize(() => model.loss(inputIds, {seed: step}), true)!;
  losses.push((await loss.data())[0]!);
  tf.dispose([inputIds, lossWeights, loss]);
}
console.log('loss at step 1:', losses[0]!.toFixed(3));
console.log('loss at step 20:', losses[losses.length - 1]!.toFixed(3));

// Greedy continuation of a prompt (token ids); generate returns the new ids only.
const continuation = await generate(model, [0, 3, 1, 4, 1, 5], {maxNewTokens: 10, temperature: 0});
console.log('generated ids:', continuation.join(' '));

model.dispose();
optimizer.dispose();
