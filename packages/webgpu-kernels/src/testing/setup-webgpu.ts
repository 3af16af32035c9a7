// Vitest setup file of the `webgpu` project: Dawn (the `webgpu` npm package) provides navigator.gpu in Node,
// over Mesa's lavapipe on machines without a GPU. vitest.config.ts includes this project only when an adapter
// was found. The backend is registerWebGPUBackend()'s, so that the subgroup path runs where the adapter has
// subgroups (lavapipe has); tests switch SUBGROUPS_FLAG off to run the one-thread-per-row path. Small ops stay
// on the GPU (WEBGPU_CPU_FORWARD off) so that the kernels under test run there.
import * as tf from '@tensorflow/tfjs';
import {create, globals} from 'webgpu';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {value: {gpu: create([])}, configurable: true, writable: true});
await import('@tensorflow/tfjs-backend-webgpu');
const {registerWebGPUBackend, registerWebGPUKernels} = await import('../index.js');
registerWebGPUBackend();
tf.env().set('WEBGPU_CPU_FORWARD', false);
if (!(await tf.setBackend('webgpu'))) throw new Error("setup-webgpu: the 'webgpu' backend failed to initialise");
await tf.ready();
registerWebGPUKernels();
