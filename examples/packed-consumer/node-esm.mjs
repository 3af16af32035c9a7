// Node, ESM: loads every package through `import` (so their ESM builds), runs the shared computations on the
// wasm backend, then checks that import and require resolve every installed library package to the files its
// exports map names and give the same named exports. Exits 1 on any failure.
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as lshHash from '@reformerjs/lsh-hash';
import * as lshAttention from '@reformerjs/lsh-attention';
import * as reversible from '@reformerjs/reversible';
import * as chunkedFfn from '@reformerjs/chunked-ffn';
import * as safetensors from '@reformerjs/safetensors';
import * as reformerModel from '@reformerjs/reformer-model';
import shared from './computations.cjs';

const {check, runComputations, installedLibraries, exportNames} = shared;
const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);

try {
  check(await tf.setBackend('wasm'), 'the wasm backend did not initialise');
  await tf.ready();
  const lines = await runComputations(tf, {lshHash, lshAttention, reversible, chunkedFfn, safetensors, reformerModel}, '[esm, wasm]');

  for (const pkg of installedLibraries(here)) {
    const entry = pkg.exports?.['.'] ?? {};
    check(typeof entry.import === 'string' && typeof entry.require === 'string', `${pkg.name}: exports['.'] needs an import and a require condition, got ${JSON.stringify(entry)}`);
    const esmFile = fileURLToPath(import.meta.resolve(pkg.name));
    const cjsFile = require.resolve(pkg.name);
    check(esmFile.endsWith(`/${pkg.name}/${entry.import.replace(/^\.\//, '')}`), `${pkg.name}: import resolved to ${esmFile}, expected its exports' import file ${entry.import}`);
    check(cjsFile.endsWith(`/${pkg.name}/${entry.require.replace(/^\.\//, '')}`), `${pkg.name}: require resolved to ${cjsFile}, expected its exports' require file ${entry.require}`);
    const esmNames = exportNames(await import(pkg.name));
    const cjsNames = exportNames(require(pkg.name));
    check(esmNames.length > 0, `${pkg.name}: the ESM build exports nothing`);
    const onlyEsm = esmNames.filter((n) => !cjsNames.includes(n));
    const onlyCjs = cjsNames.filter((n) => !esmNames.includes(n));
    check(onlyEsm.length + onlyCjs.length === 0, `${pkg.name}: ESM and CJS exports differ (only ESM: ${onlyEsm.join(', ') || '-'}; only CJS: ${onlyCjs.join(', ') || '-'})`);
    lines.push(`[esm] ${pkg.name}: ${esmNames.length} exports, the same from import (${entry.import}) and require (${entry.require})`);
  }
  for (const line of lines) console.log(line);
} catch (error) {
  console.error(`node-esm.mjs: FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
}
