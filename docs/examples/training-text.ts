// Training on your own text with the library: a character vocabulary, windows of the text as batches, a
// causal LM loss, bits per character, and generation. (`reformer train --task text` does the same on the
// State of the Union addresses, with checkpoints; see the guide.)
import * as tf from '@tensorflow/tfjs';
import {generate, ReformerConfig, ReformerModelWithLMHead, ScheduledAdam, warmupRsqrtDecay} from '@reformerjs/reformer-model';

const text =
  'The Reformer replaces dot-product attention by one that uses locality-sensitive hashing, ' +
  'and uses reversible residual layers instead of the standard residuals. ' +
  'Similar vectors land in the same bucket, so each position attends only within its own chunk of the sorted order. ' +
  'The reversible layers store activations only once, so memory does not grow with the number of layers. ';

// Id 0 stands for no text (padding); then every distinct character, in code-point order.
const vocabulary: (string | null)[] = [null, ...[...new Set(text)].sort()];
const idOf = new Map(vocabulary.map((c, i) => [c, i]));
const encode = (s: string) => [...s].map((c) => idOf.get(c)!);
const decode = (ids: readonly number[]) => ids.map((i) => vocabulary[i] ?? '').join('');
console.log('vocabulary:', vocabulary.length, 'ids');

const windowLength = 64;
const config = new ReformerConfig({
  vocab_size: vocabulary.length, hidden_size: 32, num_attention_heads: 2, attention_head_size: 16, feed_forward_size: 64,
  attn_layers: ['local', 'lsh'], is_decoder: true,
  local_attn_chunk_length: 16, lsh_attn_chunk_length: 16, num_hashes: 2, num_buckets: 4,
  axial_pos_embds: false, max_position_embeddings: windowLength,
});
const model = new ReformerModelWithLMHead(config, {seed: 0});
// The CLI's schedule: linear warm-up to the peak rate, then 1/sqrt(step) decay.
const optimizer = new ScheduledAdam({learningRate: warmupRsqrtDecay({constant: 0.01 * Math.sqrt(10), warmupSteps: 10}), beta2: 0.98});

const ids = encode(text);
const batchAt = (step: number, batch: number): tf.Tensor2D => {
  // Windows at offsets spread over the text, a different set each step.
  const rows = Array.from({length: batch}, (_, row) => {
    const start = (step * 37 + row * 101) % (ids.length - windowLength);
    return ids.slice(start, start + windowLength);
  });
  return tf.tensor2d(rows, [batch, windowLength], 'int32');
};

const bitsPerCharacter: number[] = [];
for (let step = 0; step < 30; step++) {
  const batch = batchAt(step, 4);
  // The mean cross-entropy (nats) of predicting each character from the ones before it.
  const loss = optimizer.minimize(() => model.loss(batch, {seed: step}), true)!;
  bitsPerCharacter.push((await loss.data())[0]! / Math.LN2);
  tf.dispose([batch, loss]);
}
console.log('bits per character, first step:', bitsPerCharacter[0]!.toFixed(2));
console.log('bits per character, last step:', bitsPerCharacter[bitsPerCharacter.length - 1]!.toFixed(2));

const prompt = 'The re';
const generated = await generate(model, encode(prompt), {maxNewTokens: 40, temperature: 0.5, seed: 1});
console.log('generated:', JSON.stringify(prompt + decode(generated)));

model.dispose();
optimizer.dispose();
