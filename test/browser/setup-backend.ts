// Vitest setup file of the browser projects (vitest.browser.ts): selects the tfjs backend the project names
// (webgl or webgpu) in Chromium before any test runs. `@tensorflow/tfjs` (not tfjs-core alone) is imported
// because it registers the gradients, and the webgl backend. The wasm backend is registered too, as in Node
// (packages/test-utils/src/setup-backend.ts), for the tests that compare backends; its .wasm files are served
// from node_modules by vitest's server.
import * as tf from '@tensorflow/tfjs';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import {inject} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    tfjsBackend: 'webgl' | 'webgpu';
  }
}
declare const __REFORMERJS_BROWSER_ROOT__: string;

setWasmPaths(`/@fs${__REFORMERJS_BROWSER_ROOT__}/node_modules/@tensorflow/tfjs-backend-wasm/dist/`);

const backend = inject('tfjsBackend');
if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
if (!(await tf.setBackend(backend))) {
  throw new Error(`browser setup: tfjs backend '${backend}' failed to initialise in ${navigator.userAgent}`);
}
await tf.ready();
