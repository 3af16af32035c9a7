import {join} from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {goldenCaseNames, goldenFixturesDir} from '@reformerjs/test-utils';
import {describe, it} from 'vitest';
import {expectWithinTolerance, formatErrors, runGoldenCase} from './testing/golden.js';

describe.each(goldenCaseNames())('Hugging Face case %s', (name) => {
  it('reproduces logits, hidden states, loss and every stored gradient', async () => {
    const errors = await runGoldenCase(join(goldenFixturesDir, name), {withGradients: true});
    if (process.env.REFORMER_MODEL_REPORT) console.log(`${name} [${tf.getBackend()}]: ${formatErrors(errors)}`);
    expectWithinTolerance(errors, true);
  });
});
