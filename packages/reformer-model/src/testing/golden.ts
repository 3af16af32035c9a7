// Test support (not part of the library): runs a Hugging Face reference case through the model and measures
// the errors the fixtures' README bounds.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {readSafetensorsFile, relativeError} from '@reformerjs/test-utils';
import {expect} from 'vitest';
import {loadCheckpoint} from '../checkpoint.js';
import type {ReformerConfigInit} from '../config.js';
import {ReformerForMaskedLM, ReformerModelWithLMHead} from '../heads.js';
import {disposeParameters, parameterSpecs} from '../parameters.js';

/** The fixtures' README: what a float32 implementation should meet against the float64 references. */
export const GOLDEN_TOLERANCE = {logits: 1e-4, hidden: 1e-4, loss: 1e-5, grad: 1e-3} as const;

export interface GoldenErrors {
  logits: number;
  /** Worst over HF's hidden_states. */
  hidden: number;
  /** Absent for inference-only cases. */
  loss?: number;
  /** Worst over the stored gradients. */
  grad?: number;
  worstGrad?: string;
  /** Gradients compared, and gradients the case stores. */
  gradsCompared?: number;
  gradsStored?: number;
  /** Problems that are not errors of size (missing outputs, unexpected gradients, leaks). */
  problems: string[];
}

export interface GoldenRunOptions {
  /** Fields of config.json to replace before building the model (e.g. num_buckets: null). */
  configOverrides?: ReformerConfigInit;
  /** Also run loss and gradients (cases made in HF's training mode store them). Default: when io has `loss`. */
  withGradients?: boolean;
}

/**
 * Loads the case in `dir` (config.json, model.safetensors through loadCheckpoint, io.safetensors), runs forward
 * with the stored rotations and attention mask, then loss and gradients with labels = input_ids, and returns the
 * relative errors. HF's hidden states of an automatically padded call hold the padded length; ours are cut back,
 * so they are compared with HF's first `length` positions.
 */
export async function runGoldenCase(dir: string, options: GoldenRunOptions = {}): Promise<GoldenErrors> {
  const io = readSafetensorsFile(join(dir, 'io.safetensors'));
  const loaded = await loadCheckpoint({
    config: readFileSync(join(dir, 'config.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))),
  });
  const config = options.configOverrides ? loaded.config.with(options.configOverrides) : loaded.config;
  const {parameters, head} = loaded;
  const model = head === 'lm' ? new ReformerModelWithLMHead(config, {parameters}) : new ReformerForMaskedLM(config, {parameters});
  const problems: string[] = [];
  const before = tf.memory().numTensors;
  try {
    const ids = io['input_ids'] as tf.Tensor2D;
    const [batch, length] = ids.shape;
    const rotations: Record<number, tf.Tensor4D> = {};
    for (const [name, t] of Object.entries(io)) {
      const m = /^rotations\.(\d+)$/.exec(name);
      if (m) rotations[Number(m[1])] = t as tf.Tensor4D;
    }
    const call = {attentionMask: io['attention_mask'] as tf.Tensor2D, rotations};

    const {logits, allHiddenStates} = model.forward(ids, {...call, outputHiddenStates: true});
    const errors: GoldenErrors = {logits: relativeError(logits, io['logits']!), hidden: 0, problems};
    const hidden = allHiddenStates ?? [];
    if (hidden.length !== config.numHiddenLayers + 1) problems.push(`${hidden.length} hidden states, expected ${config.numHiddenLayers + 1}`);
    hidden.forEach((h, i) => {
      const ref = io[`hidden.${i}`];
      if (ref === undefined) return void problems.push(`no hidden.${i} in the case`);
      const cut = tf.slice(ref, [0, 0, 0], [batch, length, ref.shape[2]!]); // HF's first `length` positions
      errors.hidden = Math.max(errors.hidden, relativeError(h, cut));
      cut.dispose();
    });
    tf.dispose([logits, ...hidden]);

    if (options.withGradients ?? io['loss'] !== undefined) {
      const {loss, grads} = model.gradients(ids, call);
      errors.loss = relativeError(loss.dataSync(), io['loss']!.dataSync());
      errors.grad = 0;
      errors.gradsCompared = 0;
      errors.gradsStored = Object.keys(io).filter((k) => k.startsWith('grad.')).length;
      for (const spec of parameterSpecs(config, head)) {
        const expected = io[`grad.${spec.name}`];
        const ours = grads[spec.name];
        if (expected === undefined) {
          if (ours !== undefined) problems.push(`a gradient for ${spec.name}, which HF does not have`);
          continue;
        }
        if (ours === undefined) {
          problems.push(`no gradient for ${spec.name}`);
          continue;
        }
        const oriented = spec.transposed ? tf.transpose(ours) : ours; // HF's [out, in]
        const error = relativeError(oriented, expected);
        if (spec.transposed) oriented.dispose();
        if (!(error <= errors.grad)) {
          errors.grad = error;
          errors.worstGrad = spec.name;
        }
        errors.gradsCompared++;
      }
      tf.dispose([loss, ...Object.values(grads)]);
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) problems.push(`${leaked} tensors leaked`);
    return errors;
  } finally {
    model.dispose();
    disposeParameters(parameters);
    tf.dispose(Object.values(io));
  }
}

export function formatErrors(e: GoldenErrors): string {
  const parts = [`logits ${e.logits.toExponential(2)}`, `hidden ${e.hidden.toExponential(2)}`];
  if (e.loss !== undefined) parts.push(`loss ${e.loss.toExponential(2)}`);
  if (e.grad !== undefined) parts.push(`grads ${e.grad.toExponential(2)} (${e.gradsCompared}/${e.gradsStored}, worst ${e.worstGrad})`);
  if (e.problems.length > 0) parts.push(`problems: ${e.problems.join('; ')}`);
  return parts.join(', ');
}

/** Every bound of the fixtures' README, and nothing else amiss. */
export function expectWithinTolerance(e: GoldenErrors, withGradients: boolean): void {
  expect(e.problems).toEqual([]);
  expect(e.logits).toBeLessThan(GOLDEN_TOLERANCE.logits);
  expect(e.hidden).toBeLessThan(GOLDEN_TOLERANCE.hidden);
  if (!withGradients) return;
  expect(e.loss).toBeLessThan(GOLDEN_TOLERANCE.loss);
  expect(e.grad, e.worstGrad).toBeLessThan(GOLDEN_TOLERANCE.grad);
  // Every stored gradient compared (HF stores none for lm_head.bias: transformers 5.x never uses it).
  expect(e.gradsCompared).toBe(e.gradsStored);
}
