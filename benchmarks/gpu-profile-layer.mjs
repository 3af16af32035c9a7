// One LSH layer (4 heads of 64, LSH-4, causal, chunk 64) forward+backward at 64K tokens under tf.profile: GPU time per
// kernel, from timestamp queries. On the GPU machine, from the checkout root after `source .gpu/setup.sh`:
//   node benchmarks/gpu-profile-layer.mjs   (env: FUSED=off: the reference path; SUBGROUPS=on: subgroup lanes;
//                                            STORED=off: the backward recomputes its scores)
import {create, globals} from 'webgpu';
Object.assign(globalThis, globals);
globalThis.navigator = {gpu: create([])};
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
const {registerWebGPUBackend, registerWebGPUKernels, STORED_SCORES_FLAG, SUBGROUPS_FLAG, webgpuSubgroupsEnabled} = await import('@reformerjs/webgpu-kernels');
const {FUSED_KERNELS_FLAG} = await import('@reformerjs/lsh-hash');
registerWebGPUBackend();
await tf.setBackend('webgpu');
tf.env().set('WEBGPU_CPU_FORWARD', false);
registerWebGPUKernels();
tf.env().set(SUBGROUPS_FLAG, process.env.SUBGROUPS === 'on');
tf.env().set(STORED_SCORES_FLAG, process.env.STORED !== 'off');
tf.env().set(FUSED_KERNELS_FLAG, process.env.FUSED !== 'off');
const limits = tf.backend().device.limits;
console.log(`stored scores ${tf.env().getBool(STORED_SCORES_FLAG) ? "on" : "off"}; subgroup lanes ${webgpuSubgroupsEnabled() ? "on" : "off"}; fused ${tf.env().getBool(FUSED_KERNELS_FLAG) ? 'on' : 'off'}; workgroup storage ${limits.maxComputeWorkgroupStorageSize} B, storage binding ${limits.maxStorageBufferBindingSize} B`);
const {LSHSelfAttention} = await import('@reformerjs/lsh-attention');
const {autoNumBuckets} = await import('@reformerjs/lsh-hash');
const L = 65536;
const layer = new LSHSelfAttention({hiddenSize: 256, numHeads: 4, headSize: 64, causal: true, seed: 1, chunkLength: 64, numHashes: 4, numBuckets: autoNumBuckets({sequenceLength: L, chunkLength: 64})});
const x = tf.variable(tf.randomNormal([1, L, 256], 0, 1, 'float32', 3));
const weights = Object.values(layer.weights);
const step = () => {
  const {value, grads} = tf.variableGrads(() => tf.sum(layer.apply(x, {seed: 7}).output), [x, ...weights]);
  return [value, ...Object.values(grads)];
};
const wait = async (ts) => { const s = tf.tidy(() => tf.addN(ts.map((t) => tf.sum(t)))); await s.data(); s.dispose(); tf.dispose(ts); };
for (let i = 0; i < 3; i++) await wait(step());
let t0 = performance.now(); for (let i = 0; i < 3; i++) await wait(step()); console.log('fwd+bwd wall ms (mean of 3, with wait)', ((performance.now() - t0) / 3).toFixed(1));
const prof = await tf.profile(async () => { await wait(step()); });
const by = new Map();
for (const k of prof.kernels) { const e = by.get(k.name) ?? {ms: 0, n: 0, shapes: new Set()}; e.ms += Number(k.kernelTimeMs) || 0; e.n++; if (e.shapes.size < 3) e.shapes.add(JSON.stringify(k.inputShapes)); by.set(k.name, e); }
const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
console.log('kernels', prof.kernels.length, 'total kernel ms', rows.reduce((s, r) => s + r[1].ms, 0).toFixed(1));
for (const [name, e] of rows.slice(0, 25)) console.log(name.padEnd(34), e.ms.toFixed(2).padStart(9), 'ms', String(e.n).padStart(4), 'calls', [...e.shapes].join(' | ').slice(0, 150));
const top = [...prof.kernels].sort((a, b) => (Number(b.kernelTimeMs) || 0) - (Number(a.kernelTimeMs) || 0)).slice(0, 12);
for (const k of top) console.log('  top', k.name, Number(k.kernelTimeMs).toFixed(2), JSON.stringify(k.inputShapes), JSON.stringify(k.outputShapes));
process.exit(0);
