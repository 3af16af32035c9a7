'use strict';
// Node, CommonJS: loads every package through `require` (so their CJS builds) and runs the shared
// computations on the cpu backend. Exits 1 on any failure.
const tf = require('@tensorflow/tfjs');
const lshHash = require('@reformerjs/lsh-hash');
const lshAttention = require('@reformerjs/lsh-attention');
const reversible = require('@reformerjs/reversible');
const chunkedFfn = require('@reformerjs/chunked-ffn');
const safetensors = require('@reformerjs/safetensors');
const reformerModel = require('@reformerjs/reformer-model');
const {check, runComputations, installedLibraries} = require('./computations.cjs');

async function main() {
  check(await tf.setBackend('cpu'), 'the cpu backend did not initialise');
  const lines = await runComputations(tf, {lshHash, lshAttention, reversible, chunkedFfn, safetensors, reformerModel}, '[cjs, cpu]');
  for (const pkg of installedLibraries(__dirname)) {
    const file = require.resolve(pkg.name);
    check(file.endsWith('.cjs'), `${pkg.name}: require resolved to ${file}, expected its CJS build`);
  }
  for (const line of lines) console.log(line);
}

main().catch((error) => {
  console.error(`node-cjs.cjs: FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
});
