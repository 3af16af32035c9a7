// The parameters of Hugging Face's Reformer models, under HF's names, and HF's initialisation.
// Names and shapes were checked against checkpoints written by transformers 5.17 (the golden cases).

import * as tf from '@tensorflow/tfjs-core';
import type {ReformerConfig} from './config.js';

/**
 * Which model the parameters belong to: `lm` is HF's ReformerModelWithLMHead (causal LM), `masked-lm`
 * ReformerForMaskedLM, `none` the bare ReformerModel. Both heads have the same parameters.
 */
export type ReformerHead = 'lm' | 'masked-lm' | 'none';

export const REFORMER_HEADS: readonly ReformerHead[] = Object.freeze(['lm', 'masked-lm', 'none']);

export type ParameterInit = {kind: 'normal'; std: number} | {kind: 'zeros'} | {kind: 'ones'};

export interface ParameterSpec {
  /**
   * HF's parameter name within ReformerModelWithLMHead / ReformerForMaskedLM (`reformer.` prefix). A bare
   * ReformerModel stores the same parameters without the prefix: see {@link checkpointName}.
   */
  name: string;
  /** The shape in this project (Linear weights `[in, out]`, so that `x @ W` applies them). */
  shape: number[];
  /** The shape HF stores (PyTorch Linear weights `[out, in]`). */
  checkpointShape: number[];
  /** True for Linear weights, whose two axes are swapped between `shape` and `checkpointShape`. */
  transposed: boolean;
  /** HF's `_init_weights` for this parameter. */
  init: ParameterInit;
}

/** Parameters keyed by HF name (with the `reformer.` prefix), in this project's orientation. */
export type ReformerParameters = Record<string, tf.Variable>;

/** HF's `base_model_prefix`: the attribute holding the ReformerModel inside the head models. */
export const BASE_MODEL_PREFIX = 'reformer.';

/** The name a parameter has in a checkpoint of the given head's model (bare ReformerModel: no prefix). */
export function checkpointName(name: string, head: ReformerHead): string {
  return head === 'none' && name.startsWith(BASE_MODEL_PREFIX) ? name.slice(BASE_MODEL_PREFIX.length) : name;
}

function checkHead(head: unknown, fn: string): asserts head is ReformerHead {
  if (!(REFORMER_HEADS as readonly unknown[]).includes(head)) {
    throw new Error(`${fn}: head: expected one of ${REFORMER_HEADS.map((h) => `'${h}'`).join(', ')}, got ${JSON.stringify(head)}`);
  }
}

/**
 * Every parameter HF's model for `head` has under `config`, in the order of HF's `named_parameters()`
 * (embeddings, layers, final LayerNorm, head). The LM head's bias appears once, as `lm_head.bias`: HF ties
 * `lm_head.decoder.bias` to it and writes only `lm_head.bias`. The decoder weight is never tied to the word
 * embeddings (it reads `2 * hidden_size` features, they have `hidden_size`).
 */
export function parameterSpecs(config: ReformerConfig, head: ReformerHead): ParameterSpec[] {
  checkHead(head, 'parameterSpecs');
  const hidden = config.hiddenSize;
  const allHead = config.allHeadSize;
  const ff = config.feedForwardSize;
  const vocab = config.vocabSize;
  const weightInit: ParameterInit = {kind: 'normal', std: config.initializerRange};
  const specs: ParameterSpec[] = [];

  const plain = (name: string, shape: number[], init: ParameterInit): void => {
    specs.push({name, shape: [...shape], checkpointShape: [...shape], transposed: false, init});
  };
  // PyTorch's nn.Linear(in, out) stores its weight [out, in].
  const linear = (name: string, inFeatures: number, outFeatures: number): void => {
    specs.push({
      name,
      shape: [inFeatures, outFeatures],
      checkpointShape: [outFeatures, inFeatures],
      transposed: true,
      init: weightInit,
    });
  };
  const layerNorm = (prefix: string, width: number): void => {
    plain(`${prefix}.weight`, [width], {kind: 'ones'});
    plain(`${prefix}.bias`, [width], {kind: 'zeros'});
  };

  plain('reformer.embeddings.word_embeddings.weight', [vocab, hidden], weightInit);
  if (config.axialPosEmbds) {
    // One weight per axis, broadcastable against the others: axis a has shape [1, .., n_a, .., 1, dim_a].
    const axes = config.axialPosShape;
    config.axialPosEmbdsDim.forEach((dim, axis) => {
      const shape = axes.map((n, a) => (a === axis ? n : 1));
      plain(`reformer.embeddings.position_embeddings.weights.${axis}`, [...shape, dim], {
        kind: 'normal',
        std: config.axialNormStd,
      });
    });
  } else {
    plain('reformer.embeddings.position_embeddings.embedding.weight', [config.maxPositionEmbeddings, hidden], weightInit);
  }

  config.attnLayers.forEach((kind, i) => {
    const layer = `reformer.encoder.layers.${i}`;
    layerNorm(`${layer}.attention.layer_norm`, hidden);
    const projections = kind === 'lsh' ? ['query_key', 'value'] : ['query', 'key', 'value'];
    for (const p of projections) linear(`${layer}.attention.self_attention.${p}.weight`, hidden, allHead);
    linear(`${layer}.attention.output.dense.weight`, allHead, hidden);
    layerNorm(`${layer}.feed_forward.layer_norm`, hidden);
    linear(`${layer}.feed_forward.dense.dense.weight`, hidden, ff);
    plain(`${layer}.feed_forward.dense.dense.bias`, [ff], {kind: 'zeros'});
    linear(`${layer}.feed_forward.output.dense.weight`, ff, hidden);
    plain(`${layer}.feed_forward.output.dense.bias`, [hidden], {kind: 'zeros'});
  });
  // The reversible stack's two halves are concatenated before the final LayerNorm.
  layerNorm('reformer.encoder.layer_norm', 2 * hidden);

  if (head !== 'none') {
    linear('lm_head.decoder.weight', 2 * hidden, vocab);
    plain('lm_head.bias', [vocab], {kind: 'zeros'});
  }
  return specs;
}

let modelCounter = 0;

// FNV-1a over the name, mixed with the seed: each parameter gets its own stream, which does not move when
// parameters are added or removed elsewhere (a head, a layer of another kind).
function parameterSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h ^ Math.floor(seed / 2 ** 32), 0x01000193) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  // tf.randomNormal treats a seed of 0 as no seed at all.
  return h === 0 ? 1 : h;
}

/**
 * Creates every parameter of `head`'s model with HF's initialisation: normal(0, initializer_range) for
 * Linear and embedding weights, normal(0, axial_norm_std) for axial position weights, LayerNorm weights
 * ones and biases zeros, other biases zeros. The normals are drawn in JavaScript from `seed` (one stream
 * per parameter, derived from the seed and its name), so every backend gets the same values.
 *
 * Each tf.Variable is trainable and registered under a name unique to this call (`reformer_<n>/<HF name>`),
 * since tfjs variable names are global; the record is keyed by HF names. Dispose with
 * {@link disposeParameters}.
 */
export function initParameters(config: ReformerConfig, head: ReformerHead, seed: number): ReformerParameters {
  checkHead(head, 'initParameters');
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`initParameters: seed: expected a safe integer, got ${String(seed)}`);
  }
  const specs = parameterSpecs(config, head);
  const prefix = nextVariablePrefix();
  const params: ReformerParameters = {};
  try {
    for (const spec of specs) {
      const value = tf.tidy(() => {
        switch (spec.init.kind) {
          case 'zeros':
            return tf.zeros(spec.shape, 'float32');
          case 'ones':
            return tf.ones(spec.shape, 'float32');
          case 'normal':
            // tf.randomNormal with a seed draws on the CPU in JS (seedrandom's alea), whatever the backend.
            return tf.randomNormal(spec.shape, 0, spec.init.std, 'float32', parameterSeed(seed, spec.name));
        }
      });
      params[spec.name] = tf.variable(value, true, `${prefix}${spec.name}`, 'float32');
      value.dispose();
    }
  } catch (e) {
    disposeParameters(params);
    throw e;
  }
  return params;
}

/** A fresh prefix for the global tfjs variable names of one model's parameters. */
export function nextVariablePrefix(): string {
  // Variables registered by anything else under the same name would make tf.variable throw: skip those.
  const registered = tf.engine().registeredVariables;
  let prefix: string;
  do {
    prefix = `reformer_${modelCounter++}/`;
  } while (Object.keys(registered).some((name) => name.startsWith(prefix)));
  return prefix;
}

/** Disposes every variable of `params` (unregistering its global name). */
export function disposeParameters(params: ReformerParameters): void {
  for (const v of Object.values(params)) if (!v.isDisposed) v.dispose();
}
