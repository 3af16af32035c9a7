// Generating text from the model the demo ships (docs/public/models/sotu-small), in Node: the checkpoint and the
// character vocabulary that `reformer train --task text` saved, loaded from disk.
import {readFile} from 'node:fs/promises';
import '@tensorflow/tfjs'; // a backend
import {disposeParameters, generate, loadCheckpoint, ReformerModelWithLMHead} from '@reformerjs/reformer-model';

const dir = new URL('../public/models/sotu-small/', import.meta.url);
const {config, parameters} = await loadCheckpoint({
  config: await readFile(new URL('config.json', dir), 'utf8'),
  weights: new Uint8Array(await readFile(new URL('model.safetensors', dir))),
});
const model = new ReformerModelWithLMHead(config, {parameters});
console.log(`model: ${config.attnLayers.length} layers (${config.attnLayers.join(', ')}), d_model ${config.hiddenSize}, vocab ${config.vocabSize}`);

// vocab.json: {"kind": "characters", "tokens": [null, "\n", " ", ...]}; id i is tokens[i], null for padding.
const {tokens} = JSON.parse(await readFile(new URL('vocab.json', dir), 'utf8')) as {tokens: (string | null)[]};
const idOf = new Map(tokens.map((token, id) => [token, id]));
const prompt = 'The state of the Union is ';
const ids = Array.from(prompt, (c) => idOf.get(c)!);

// Greedy (temperature 0): the most likely character at every step, so the output is the same on every run.
const continuation = await generate(model, ids, {maxNewTokens: 60, temperature: 0});
console.log('generated:', JSON.stringify(prompt + continuation.map((id) => tokens[id] ?? '').join('')));

model.dispose();
disposeParameters(parameters);
