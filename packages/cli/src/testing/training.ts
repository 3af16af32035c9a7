// Helpers of the training tests: tiny configs that train in milliseconds on the cpu backend.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

/** A duplication model of a few thousand parameters: |w| = 7 (length 16), 2 hash rounds, dropout on. */
export const TINY_DUPLICATION = {
  model: {
    vocab_size: 10,
    hidden_size: 8,
    num_attention_heads: 2,
    attention_head_size: 4,
    feed_forward_size: 8,
    attn_layers: ['lsh'],
    lsh_attn_chunk_length: 4,
    num_hashes: 2,
    num_buckets: 4,
    max_position_embeddings: 16,
    hidden_dropout_prob: 0.1,
    lsh_attention_probs_dropout_prob: 0.1,
  },
  training: {wordLength: 7, symbols: 9, batch: 2, logEvery: 2, saveEvery: 3, evalSamples: 4, warmupSteps: 4, learningRate: 0.01},
};

/** A text model: windows of 16 characters, a local and an LSH layer. */
export const TINY_TEXT = {
  model: {
    vocab_size: 128,
    hidden_size: 8,
    num_attention_heads: 2,
    attention_head_size: 4,
    feed_forward_size: 8,
    attn_layers: ['local', 'lsh'],
    local_attn_chunk_length: 4,
    lsh_attn_chunk_length: 4,
    num_hashes: 1,
    num_buckets: 4,
    max_position_embeddings: 16,
  },
  training: {length: 16, batch: 2, logEvery: 1, saveEvery: 2, evalSamples: 2, warmupSteps: 2},
};

/** Writes `config` as JSON into `dir/name` and returns the path. */
export function writeConfig(dir: string, name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}
