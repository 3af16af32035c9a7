'use strict';
// Small real computations over the installed packages, shared by node-esm.mjs and node-cjs.cjs. Each of those
// loads the packages its own way (import, require) and passes the modules in, so the same numbers are checked
// against the ESM build and against the CJS build of every package. Anything wrong throws.

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function checkTensor(name, tensor, shape, dtype = 'float32') {
  check(
    JSON.stringify(tensor.shape) === JSON.stringify(shape),
    `${name}: expected shape [${shape}], got [${tensor.shape}]`,
  );
  check(tensor.dtype === dtype, `${name}: expected dtype ${dtype}, got ${tensor.dtype}`);
  const values = tensor.dataSync();
  for (let i = 0; i < values.length; i++) {
    check(Number.isFinite(values[i]), `${name}: expected finite values, got ${values[i]} at flat index ${i}`);
  }
  return values;
}

function maxAbsDifference(name, a, b) {
  check(
    JSON.stringify(a.shape) === JSON.stringify(b.shape),
    `${name}: shapes differ: [${a.shape}] and [${b.shape}]`,
  );
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

function checkClose(name, a, b, tolerance) {
  const diff = maxAbsDifference(name, a, b);
  check(diff <= tolerance, `${name}: expected max |difference| <= ${tolerance}, got ${diff}`);
  return diff;
}

const TINY_MODEL = {
  vocab_size: 32,
  hidden_size: 16,
  num_attention_heads: 2,
  attention_head_size: 8,
  feed_forward_size: 32,
  attn_layers: ['local', 'lsh'],
  is_decoder: true,
  local_attn_chunk_length: 8,
  lsh_attn_chunk_length: 8,
  num_hashes: 2,
  num_buckets: 4,
  axial_pos_embds: true,
  axial_pos_shape: [4, 8],
  axial_pos_embds_dim: [8, 8],
  max_position_embeddings: 32,
  chunk_size_feed_forward: 8,
  chunk_size_lm_head: 8,
};

/**
 * tf: the @tensorflow/tfjs module with its backend already set. m: {lshHash, lshAttention, reversible,
 * chunkedFfn, safetensors, reformerModel}, the package modules. Returns one line per check.
 */
async function runComputations(tf, m, label) {
  const results = [];
  const note = (line) => results.push(`${label} ${line}`);
  const tensorsBefore = tf.memory().numTensors;

  // @reformerjs/lsh-hash: buckets in range; sorting by bucket and unsorting gives the input back exactly.
  tf.tidy(() => {
    const x = tf.randomNormal([1, 2, 24, 8], 0, 1, 'float32', 11); // [batch, heads, length, dim]
    const {buckets, bucketsPerRound} = m.lshHash.hashVectors(x, {numBuckets: 8, numHashes: 2, seed: 3});
    const ids = checkTensor('lsh-hash buckets', buckets, [1, 2, 2, 24], 'int32');
    check(bucketsPerRound === 8, `lsh-hash bucketsPerRound: expected 8, got ${bucketsPerRound}`);
    for (const id of ids) check(id >= 0 && id < 16, `lsh-hash buckets: expected ids in [0, 16), got ${id}`);
    const sort = m.lshHash.sortByBuckets(buckets);
    const sorted = m.lshHash.gatherSorted(x, sort); // [batch, heads, numHashes * length, dim]
    const restored = m.lshHash.unsortByBuckets(sorted, sort); // [batch, heads, numHashes * length, dim]
    checkClose('lsh-hash unsort(sort(x))', restored, tf.concat([x, x], 2), 0);
    note('lsh-hash: 2 rounds of 8 buckets, sort/unsort round trip exact');
  });

  // @reformerjs/lsh-attention: the layer and the functional form agree; shapes and values are sound.
  {
    const options = {hiddenSize: 16, numHeads: 2, headSize: 8, chunkLength: 8, numHashes: 2, numBuckets: 4, causal: true};
    const layer = new m.lshAttention.LSHSelfAttention({...options, seed: 1});
    tf.tidy(() => {
      const x = tf.randomNormal([2, 30, 16], 0, 1, 'float32', 5); // [batch, length, hidden]: padded to 32 inside
      const mask = tf.ones([2, 30], 'int32');
      const {output, buckets} = layer.apply(x, {attentionMask: mask, returnBuckets: true});
      checkTensor('lsh-attention output', output, [2, 30, 16]);
      checkTensor('lsh-attention buckets', buckets, [2, 2, 2, 30], 'int32');
      const {output: functional} = m.lshAttention.lshSelfAttention(x, layer.weights, options, {attentionMask: mask, seed: 1});
      const diff = checkClose('lsh-attention layer vs function', output, functional, 1e-5);
      note(`lsh-attention: LSHSelfAttention [2, 30, 16], layer = function to ${diff.toExponential(1)}`);
    });
    layer.dispose();
  }

  // @reformerjs/reversible: the reversible stack gives the residual stack's output and gradients.
  tf.tidy(() => {
    const d = 4;
    const dense = (x, [w]) => tf.reshape(tf.tanh(tf.matMul(tf.reshape(x, [-1, d]), w)), x.shape); // [batch, length, d]
    const weights = [0, 1, 2, 3].map((i) => tf.randomNormal([d, d], 0, 0.5, 'float32', 20 + i));
    const layers = [0, 1].map((i) => ({f: dense, g: dense, fWeights: [weights[2 * i]], gWeights: [weights[2 * i + 1]]}));
    const x = tf.randomNormal([1, 6, d], 0, 1, 'float32', 9); // [batch, length, d]
    const run = (mode) =>
      tf.grads((input, ...ws) => {
        const used = [0, 1].map((i) => ({...layers[i], fWeights: [ws[2 * i]], gWeights: [ws[2 * i + 1]]}));
        const [y1, y2] = m.reversible.reversibleStack(input, input, used, {mode, seed: 4});
        return tf.sum(tf.square(tf.add(y1, y2)));
      })([x, ...weights]);
    const reversibleGrads = run('reversible');
    const residualGrads = run('residual');
    let worst = 0;
    reversibleGrads.forEach((g, i) => {
      checkTensor(`reversible gradient ${i}`, g, i === 0 ? [1, 6, d] : [d, d]);
      worst = Math.max(worst, checkClose(`reversible vs residual gradient ${i}`, g, residualGrads[i], 1e-4));
    });
    note(`reversible: 2-layer stack, reversible = residual gradients to ${worst.toExponential(1)}`);
  });

  // @reformerjs/chunked-ffn: the chunked feed-forward equals the unchunked reference.
  tf.tidy(() => {
    const weights = {
      layerNormGamma: tf.ones([8]),
      layerNormBeta: tf.zeros([8]),
      denseKernel: tf.randomNormal([8, 16], 0, 0.3, 'float32', 30),
      denseBias: tf.randomNormal([16], 0, 0.1, 'float32', 31),
      outputKernel: tf.randomNormal([16, 8], 0, 0.3, 'float32', 32),
      outputBias: tf.randomNormal([8], 0, 0.1, 'float32', 33),
    };
    const x = tf.randomNormal([2, 10, 8], 0, 1, 'float32', 34); // [batch, length, hidden]
    const chunked = m.chunkedFfn.chunkedFeedForward(x, weights, {chunkSize: 3, activation: 'gelu'});
    checkTensor('chunked-ffn output', chunked, [2, 10, 8]);
    const reference = m.chunkedFfn.feedForwardReference(x, weights, {activation: 'gelu'});
    const diff = checkClose('chunked-ffn chunked vs reference', chunked, reference, 1e-5);
    note(`chunked-ffn: chunks of 3 = reference to ${diff.toExponential(1)}`);
  });

  // @reformerjs/safetensors: write and read back.
  {
    const bytes = m.safetensors.serializeSafetensors(
      {a: {dtype: 'F32', shape: [2, 2], data: [1, -2, 3.5, 0]}, b: {dtype: 'I32', shape: [3], data: [7, 8, 9]}},
      {format: 'pt'},
    );
    check(bytes instanceof Uint8Array, 'safetensors: serializeSafetensors must return a Uint8Array');
    const file = m.safetensors.parseSafetensors(bytes);
    check(JSON.stringify([...file.names].sort()) === '["a","b"]', `safetensors: names ${JSON.stringify(file.names)}`);
    check(JSON.stringify([...file.get('a').toFloat32()]) === '[1,-2,3.5,0]', 'safetensors: tensor a changed in the round trip');
    check(JSON.stringify([...file.get('b').toInt32()]) === '[7,8,9]', 'safetensors: tensor b changed in the round trip');
    check(file.metadata.format === 'pt', 'safetensors: metadata lost in the round trip');
    note(`safetensors: ${bytes.length}-byte file written and read back`);
  }

  // @reformerjs/reformer-model: a tiny causal LM (local + LSH layers): forward, a checkpoint round trip
  // through the safetensors format, and the loss with a gradient for every parameter.
  {
    const config = new m.reformerModel.ReformerConfig(TINY_MODEL);
    const model = new m.reformerModel.ReformerModelWithLMHead(config, {seed: 42});
    const ids = tf.tensor2d([Array.from({length: 32}, (_, i) => (i * 7) % 32)], [1, 32], 'int32');
    const {logits} = model.forward(ids, {seed: 0});
    checkTensor('reformer-model logits', logits, [1, 32, 32]);

    const saved = await m.reformerModel.saveCheckpoint(config, model.parameters);
    const loaded = await m.reformerModel.loadCheckpoint({config: saved.configJson, weights: saved.weights});
    check(loaded.head === 'lm', `reformer-model: expected the checkpoint's head to be 'lm', got ${loaded.head}`);
    const reloaded = new m.reformerModel.ReformerModelWithLMHead(loaded.config, {parameters: loaded.parameters});
    const {logits: again} = reloaded.forward(ids, {seed: 0});
    const diff = checkClose('reformer-model logits after a checkpoint round trip', logits, again, 1e-5);

    const {loss, grads} = model.gradients(ids, {seed: 0});
    const lossValue = loss.dataSync()[0];
    check(Number.isFinite(lossValue) && lossValue > 0, `reformer-model loss: expected a positive finite number, got ${lossValue}`);
    // lm_head.bias is left out of the logits by default (transformers 5), so it alone gets no gradient.
    const names = Object.keys(model.parameters).filter((name) => name !== m.reformerModel.LM_HEAD_BIAS);
    check(names.length > 10, `reformer-model: expected more than 10 parameters, got ${names.length}`);
    for (const name of names) {
      check(grads[name] !== undefined, `reformer-model: no gradient for ${name}`);
      checkTensor(`reformer-model gradient of ${name}`, grads[name], model.parameters[name].shape);
    }
    note(
      `reformer-model: logits [1, 32, 32], checkpoint round trip to ${diff.toExponential(1)}, ` +
        `loss ${lossValue.toFixed(3)} with ${names.length} finite gradients`,
    );
    tf.dispose([ids, logits, again, loss, ...Object.values(grads)]);
    reloaded.dispose();
    m.reformerModel.disposeParameters(loaded.parameters);
    model.dispose();
  }

  const leaked = tf.memory().numTensors - tensorsBefore;
  check(leaked === 0, `expected every tensor to be disposed, ${leaked} left`);
  return results;
}

/**
 * The installed @reformerjs library packages (every tarball the check installed lands in node_modules/@reformerjs),
 * each with its package.json, from `dir` (the example's root).
 */
function installedLibraries(dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const scope = path.join(dir, 'node_modules', '@reformerjs');
  check(fs.existsSync(scope), `no @reformerjs packages are installed in ${dir}`);
  return fs
    .readdirSync(scope)
    .map((name) => JSON.parse(fs.readFileSync(path.join(scope, name, 'package.json'), 'utf8')))
    .filter((pkg) => pkg.exports || pkg.main); // the libraries: the CLI has only a bin
}

/** Value exports of a module namespace or CJS exports object, sorted, without the interop keys. */
function exportNames(module) {
  return Object.keys(module)
    .filter((key) => key !== 'default' && key !== '__esModule' && key !== 'module.exports')
    .sort();
}

module.exports = {check, runComputations, installedLibraries, exportNames};
