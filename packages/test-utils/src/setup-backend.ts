// Vitest setup file: selects the tfjs backend named by TFJS_BACKEND (cpu or wasm) before any test runs.
// `@tensorflow/tfjs` (not tfjs-core alone) is imported because it registers the gradients.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const backend = process.env.TFJS_BACKEND ?? 'cpu';
if (!(await tf.setBackend(backend))) {
  throw new Error(`TFJS_BACKEND: backend '${backend}' failed to initialise (expected cpu or wasm)`);
}
await tf.ready();
