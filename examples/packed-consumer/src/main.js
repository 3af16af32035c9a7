// The browser page: LSH attention and a tiny Reformer forward on whatever backend tfjs picks (webgl, else cpu).
// `virtual:reformerjs-packages` (vite.config.mjs) imports every installed @reformerjs library package whole, so
// the build has to bundle all of their code for the browser, not only what this page calls.
import * as tf from '@tensorflow/tfjs';
import {LSHSelfAttention} from '@reformerjs/lsh-attention';
import {ReformerConfig, ReformerModelWithLMHead} from '@reformerjs/reformer-model';
import packages from 'virtual:reformerjs-packages';

async function main() {
  await tf.ready();
  const attention = new LSHSelfAttention({hiddenSize: 16, numHeads: 2, headSize: 8, chunkLength: 8, numHashes: 2, numBuckets: 4, seed: 1});
  const x = tf.randomNormal([1, 32, 16]); // [batch, length, hidden]
  const {output} = attention.apply(x);

  const config = new ReformerConfig({
    vocab_size: 32, hidden_size: 16, num_attention_heads: 2, attention_head_size: 8, feed_forward_size: 32,
    attn_layers: ['local', 'lsh'], is_decoder: true, local_attn_chunk_length: 8, lsh_attn_chunk_length: 8,
    num_hashes: 2, num_buckets: 4, axial_pos_shape: [4, 8], axial_pos_embds_dim: [8, 8], max_position_embeddings: 32,
  });
  const model = new ReformerModelWithLMHead(config, {seed: 42});
  const ids = tf.tensor2d([Array.from({length: 32}, (_, i) => i)], [1, 32], 'int32');
  const {logits} = model.forward(ids, {seed: 0});

  document.querySelector('#result').textContent =
    `backend ${tf.getBackend()}: LSH attention [${output.shape}], logits [${logits.shape}]; ` +
    `packages: ${Object.entries(packages).map(([name, module]) => `${name} (${Object.keys(module).length} exports)`).join(', ')}`;
  tf.dispose([x, output, ids, logits]);
  attention.dispose();
  model.dispose();
}

main();
