// Loading a Hugging Face Reformer checkpoint (config.json + model.safetensors, as save_pretrained writes
// them) and checking it against the logits Hugging Face computed. The checkpoint here is one of this
// project's reference cases (made with transformers 5.17); point `dir` at your own folder.
import {readFile} from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import {disposeParameters, loadCheckpoint, ReformerModelWithLMHead} from '@reformerjs/reformer-model';
import {parseSafetensors} from '@reformerjs/safetensors';

const dir = new URL('../../packages/test-utils/fixtures/hf-reformer/lsh-causal-2h/', import.meta.url);

const {config, parameters, head, warnings} = await loadCheckpoint({
  config: await readFile(new URL('config.json', dir), 'utf8'),
  weights: new Uint8Array(await readFile(new URL('model.safetensors', dir))),
});
console.log('head:', head, '| layers:', config.attnLayers.join(', '), '| warnings:', warnings.length);
const model = new ReformerModelWithLMHead(config, {parameters});

// The case also stores HF's inputs, the random rotations each LSH layer drew, and HF's logits.
const io = parseSafetensors(new Uint8Array(await readFile(new URL('io.safetensors', dir))));
const tensor = (name: string) => {
  const t = io.get(name);
  return t.dtype === 'I32' ? tf.tensor(t.toInt32(), [...t.shape], 'int32') : tf.tensor(t.toFloat32(), [...t.shape]);
};
const inputIds = tensor('input_ids') as tf.Tensor2D;
const rotations = {0: tensor('rotations.0') as tf.Tensor4D, 1: tensor('rotations.1') as tf.Tensor4D};
const expected = tensor('logits');

// Hash with HF's rotations instead of drawing new ones, so the two computations are the same function.
const {logits} = model.forward(inputIds, {rotations});
const relativeError = tf.tidy(() => tf.div(tf.norm(tf.sub(logits, expected)), tf.norm(expected)));
console.log('logits:', logits.shape.join(' x '));
console.log('relative error against Hugging Face below 1e-4:', (await relativeError.data())[0]! < 1e-4);

tf.dispose([inputIds, rotations[0], rotations[1], expected, logits, relativeError]);
model.dispose();
disposeParameters(parameters);
