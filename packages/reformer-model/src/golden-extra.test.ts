import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {describe, it} from 'vitest';
import type {ReformerConfigInit} from './config.js';
import {expectWithinTolerance, formatErrors, runGoldenCase} from './testing/golden.js';

// More cases from the same generator (fixtures/make_extra_cases.py): activations, local-only and mixed stacks,
// chunks after, six layers, three hash rounds, automatic buckets, three-axis axial embeddings, a chunked LM head,
// a sequence within one chunk, and HF's automatic padding in inference (`eval-*`, no gradients).
const dir = fileURLToPath(new URL('../fixtures/hf-extra', import.meta.url));
const cases = readdirSync(dir).sort();

// HF wrote the bucket count it chose into config.json; null makes this model choose it again.
const overrides: Record<string, ReformerConfigInit> = {'auto-buckets-6l': {num_buckets: null}};

describe.each(cases)('Hugging Face case %s', (name) => {
  const info = JSON.parse(readFileSync(join(dir, name, 'case.json'), 'utf8')) as {mode?: string};
  const withGradients = info.mode === undefined || info.mode === 'train';
  it(withGradients ? 'reproduces logits, hidden states, loss and gradients' : 'reproduces logits and hidden states (inference, padded by HF)', async () => {
    const errors = await runGoldenCase(join(dir, name), {configOverrides: overrides[name], withGradients});
    if (process.env.REFORMER_MODEL_REPORT) console.log(`${name} [${tf.getBackend()}]: ${formatErrors(errors)}`);
    expectWithinTolerance(errors, withGradients);
  });
});
