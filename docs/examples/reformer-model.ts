// @reformerjs/reformer-model: a Reformer from Hugging Face's config, a forward pass, a loss with gradients,
// and a checkpoint saved and loaded back in Hugging Face's format.
import * as tf from '@tensorflow/tfjs';
import {disposeParameters, loadCheckpoint, ReformerConfig, ReformerModelWithLMHead, saveCheckpoint} from '@reformerjs/reformer-model';

// HF's default layer pattern (local and LSH alternating), small: 4 layers, d_model 32, axial positions.
const config = new ReformerConfig({
  vocab_size: 64, hidden_size: 32, num_attention_heads: 2, attention_head_size: 16, feed_forward_size: 64,
  attn_layers: ['local', 'lsh', 'local', 'lsh'], is_decoder: true,
  local_attn_chunk_length: 16, lsh_attn_chunk_length: 16, num_hashes: 2, num_buckets: 4,
  axial_pos_embds: true, axial_pos_shape: [8, 8], axial_pos_embds_dim: [8, 24], max_position_embeddings: 64,
  chunk_size_feed_forward: 16, chunk_size_lm_head: 16,
});
const model = new ReformerModelWithLMHead(config, {seed: 1});

// Any length up to max_position_embeddings: 50 is padded to 64 inside and cut back.
const ids = tf.randomUniform([2, 50], 0, 64, 'int32', 2) as tf.Tensor2D;
const {logits} = model.forward(ids, {seed: 3}); // the seed fixes the LSH rotations
console.log('logits:', logits.shape.join(' x '));

// The loss and its gradients, keyed by Hugging Face parameter name.
const {loss, grads} = model.gradients(ids, {seed: 3});
console.log('loss:', (await loss.data())[0]!.toFixed(3), 'with', Object.keys(grads).length, 'gradients');
console.log('a gradient:', 'reformer.encoder.layers.1.attention.self_attention.query_key.weight' in grads);

// config.json and model.safetensors as text and bytes (write them with fs, or offer them for download).
const saved = await saveCheckpoint(config, model.parameters);
const half = await saveCheckpoint(config, model.parameters, {dtype: 'float16'});
console.log('checkpoint bytes: float32', saved.weights.length, '/ float16', half.weights.length);

// Load it back: the same logits for the same seed.
const loaded = await loadCheckpoint({config: saved.configJson, weights: saved.weights});
const reloaded = new ReformerModelWithLMHead(loaded.config, {parameters: loaded.parameters});
const {logits: again} = reloaded.forward(ids, {seed: 3});
const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(logits, again))));
console.log('reloaded model gives the same logits:', (await difference.data())[0] === 0);

tf.dispose([ids, logits, loss, ...Object.values(grads), again, difference]);
model.dispose();
reloaded.dispose();
disposeParameters(loaded.parameters); // parameters passed to a model stay the caller's
