import * as tf from '@tensorflow/tfjs-core';
import {afterAll, describe, expect, it} from 'vitest';
import {ReformerConfig, type ReformerConfigInit} from './config.js';
import {ReformerForMaskedLM, ReformerModelWithLMHead} from './heads.js';
import {ReformerModel} from './model.js';
import {disposeParameters, initParameters} from './parameters.js';

const base: ReformerConfigInit = {
  vocab_size: 20,
  hidden_size: 8,
  num_attention_heads: 2,
  attention_head_size: 4,
  feed_forward_size: 12,
  attn_layers: ['lsh', 'local'],
  is_decoder: true,
  lsh_attn_chunk_length: 4,
  local_attn_chunk_length: 4,
  num_buckets: 4,
  max_position_embeddings: 16,
  axial_pos_embds: false,
};
const config = new ReformerConfig(base);
const model = new ReformerModelWithLMHead(config, {seed: 1});
const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]], [2, 8], 'int32');
afterAll(() => {
  model.dispose();
  ids.dispose();
});

describe('config errors surface from ReformerConfig', () => {
  it('names an unknown layer type', () => {
    expect(() => new ReformerConfig({...base, attn_layers: ['lsh', 'full']} as unknown as ReformerConfigInit)).toThrow(
      /ReformerConfig\.attn_layers\[1\]: expected 'lsh' or 'local', got "full"/,
    );
  });
  it('names a bad field', () => {
    expect(() => new ReformerConfig({...base, num_buckets: 3})).toThrow(/ReformerConfig\.num_buckets: expected an even integer/);
  });
});

describe('the model class must fit the config', () => {
  it('needs a causal config for the causal LM and a bidirectional one for the masked LM', () => {
    expect(() => new ReformerModelWithLMHead(config.with({is_decoder: false}))).toThrow(
      /ReformerModelWithLMHead: config\.is_decoder: expected true \(causal attention\), got false/,
    );
    expect(() => new ReformerForMaskedLM(config)).toThrow(/ReformerForMaskedLM: config\.is_decoder: expected false .*, got true/);
  });
  it('refuses chunks after with a causal mask, as HF does', () => {
    expect(() => new ReformerModelWithLMHead(config.with({lsh_num_chunks_after: 1}))).toThrow(
      /config\.lsh_num_chunks_after: expected 0 with a causal mask \(as HF requires\), got 1/,
    );
  });
  it('wants a ReformerConfig, not its JSON', () => {
    expect(() => new ReformerModel(base as unknown as ReformerConfig)).toThrow(/config: expected a ReformerConfig \(ReformerConfig\.fromJSON/);
    expect(() => new ReformerModelWithLMHead(base as unknown as ReformerConfig)).toThrow(/^config: expected a ReformerConfig/);
    expect(() => new ReformerForMaskedLM(undefined as unknown as ReformerConfig)).toThrow(/^config: expected a ReformerConfig .*, got undefined/);
  });
});

describe('parameters', () => {
  it('names a missing parameter', () => {
    const params = initParameters(config, 'lm', 0);
    const {['lm_head.decoder.weight']: dropped, ...rest} = params;
    try {
      expect(() => new ReformerModelWithLMHead(config, {parameters: rest})).toThrow(
        /options\.parameters\['lm_head\.decoder\.weight'\]: expected a float32 tf\.Variable of shape \[16, 20\] .*got none/,
      );
    } finally {
      dropped!.dispose();
      disposeParameters(rest);
    }
  });
  it('names a parameter of the wrong shape, and an unknown one', () => {
    const params = initParameters(config, 'lm', 0);
    const name = 'reformer.encoder.layers.0.attention.self_attention.query_key.weight';
    const good = params[name]!;
    try {
      params[name] = tf.variable(tf.zeros([8, 6]));
      expect(() => new ReformerModelWithLMHead(config, {parameters: params})).toThrow(
        new RegExp(`options\\.parameters\\['${name.replace(/\./g, '\\.')}'\\]: expected a float32 tf\\.Variable of shape \\[8, 8\\].*got a float32 tensor of shape \\[8, 6\\]`),
      );
      params[name]!.dispose();
      params[name] = good;
      params['reformer.encoder.layers.9.extra'] = tf.variable(tf.zeros([1]));
      expect(() => new ReformerModelWithLMHead(config, {parameters: params})).toThrow(
        /options\.parameters\['reformer\.encoder\.layers\.9\.extra'\]: expected only the parameters of ReformerModelWithLMHead/,
      );
    } finally {
      disposeParameters(params);
    }
  });
  it('rejects unknown constructor options', () => {
    expect(() => new ReformerModelWithLMHead(config, {sed: 1} as never)).toThrow(/options\.sed: expected one of the options parameters, seed/);
    expect(() => new ReformerModelWithLMHead(config, {lmHeadBias: 'yes'} as never)).toThrow(/options\.lmHeadBias: expected true or false, got "yes"/);
  });
});

describe('inputs', () => {
  it('wants int32 ids', () => {
    const floats = tf.cast(ids, 'float32');
    expect(() => model.forward(floats as tf.Tensor2D)).toThrow(/inputIds: expected dtype int32 \(token ids\), got float32/);
    floats.dispose();
  });
  it('wants [batch, length] ids', () => {
    const flat = tf.tensor1d([1, 2, 3], 'int32');
    expect(() => model.forward(flat as unknown as tf.Tensor2D)).toThrow(/inputIds: expected an int32 tensor of shape \[batch, length\] \(rank 2\), got an int32 tensor of shape \[3\]/);
    flat.dispose();
    expect(() => model.forward([[1, 2]] as unknown as tf.Tensor2D)).toThrow(/inputIds: expected an int32 tf\.Tensor of shape \[batch, length\], got an array/);
  });
  it('names an id out of the vocabulary, with its position', () => {
    const bad = tf.tensor2d([[1, 2, 3, 20]], [1, 4], 'int32');
    const negative = tf.tensor2d([[1, -1]], [1, 2], 'int32');
    expect(() => model.forward(bad)).toThrow(/inputIds: expected token ids in \[0, 20\) \(vocab_size\), got 20 at \[0, 3\]/);
    expect(() => model.loss(negative)).toThrow(/inputIds: expected token ids in \[0, 20\) \(vocab_size\), got -1 at \[0, 1\]/);
    tf.dispose([bad, negative]);
  });
  it('names a sequence longer than max_position_embeddings', () => {
    const long = tf.zeros([1, 17], 'int32') as tf.Tensor2D;
    expect(() => model.forward(long)).toThrow(/inputIds: expected a sequence length <= max_position_embeddings \(16\), got 17 \(shape \[1, 17\]\)/);
    long.dispose();
  });
  it('names a sequence longer than the axial grid', () => {
    const axial = new ReformerModelWithLMHead(
      config.with({axial_pos_embds: true, axial_pos_shape: [2, 4], axial_pos_embds_dim: [4, 4]}),
      {seed: 0},
    );
    const long = tf.zeros([1, 9], 'int32') as tf.Tensor2D;
    try {
      expect(() => axial.forward(long)).toThrow(/inputIds: expected a sequence length <= 8, the positions of axial_pos_shape \[2, 4\], got 9/);
    } finally {
      axial.dispose();
      long.dispose();
    }
  });
  it('names an attention mask whose shape is not that of the ids', () => {
    const mask = tf.ones([2, 7], 'int32') as tf.Tensor2D;
    const strings = tf.tensor2d([['a', 'b']]);
    expect(() => model.forward(ids, {attentionMask: mask})).toThrow(/attentionMask: expected shape \[2, 8\] to match inputIds \(\[batch, length\]\), got \[2, 7\]/);
    expect(() => model.forward(ids, {attentionMask: strings as tf.Tensor2D})).toThrow(/attentionMask: expected an int32, float32 or bool tensor of shape \[2, 8\]/);
    tf.dispose([mask, strings]);
  });
  it('names bad labels', () => {
    const short = tf.zeros([2, 7], 'int32') as tf.Tensor2D;
    const outside = tf.fill([2, 8], 25, 'int32') as tf.Tensor2D;
    expect(() => model.loss(ids, {labels: short})).toThrow(/labels: expected shape \[2, 8\] to match inputIds \(\[batch, length\]\), got \[2, 7\]/);
    expect(() => model.loss(ids, {labels: outside})).toThrow(/labels: expected values in \[0, 20\) \(the vocabulary size\) or ignoreIndex -100, got 25 at \[0, 1\]/);
    tf.dispose([short, outside]);
  });
  it('names rotations for a layer that does not hash, or of the wrong shape', () => {
    const rotation = tf.zeros([2, 4, 1, 2]) as tf.Tensor4D;
    const wrong = tf.zeros([2, 5, 1, 2]) as tf.Tensor4D;
    expect(() => model.forward(ids, {rotations: {1: rotation}})).toThrow(/options\.rotations\[1\]: expected the index of an LSH layer \(0\), got layer 1 \('local'\)/);
    expect(() => model.forward(ids, {rotations: {0: wrong}})).toThrow(
      /options\.rotations\[0\]: expected a float32 tensor \[num_attention_heads 2, attention_head_size 4, num_hashes 1, rotationSize\/2\], got a float32 tensor of shape \[2, 5, 1, 2\]/,
    );
    tf.dispose([rotation, wrong]);
  });
  it('names unknown and ill-typed options', () => {
    expect(() => model.forward(ids, {labels: ids} as never)).toThrow(/options\.labels: expected one of the options attentionMask, rotations, seed/);
    expect(() => model.forward(ids, {seed: -1})).toThrow(/options\.seed: expected a non-negative safe integer, got -1/);
    expect(() => model.forward(ids, {training: 1} as never)).toThrow(/options\.training: expected true or false, got 1/);
  });
  it('refuses a disposed model', () => {
    const gone = new ReformerModelWithLMHead(config, {seed: 0});
    gone.dispose();
    expect(() => gone.forward(ids)).toThrow(/ReformerModelWithLMHead: expected a live model, got one whose dispose\(\) was called/);
  });
});
