/**
 * The `ReformerSharedQKKeys` kernel and its gradient for the `webgpu` backend (contract: SHARED_QK_KEYS_KERNEL in
 * @reformerjs/lsh-attention's key-scaling.ts), with the gradient registration that connects them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {SHARED_QK_KEYS_GRAD_KERNEL, SHARED_QK_KEYS_KERNEL} from '@reformerjs/lsh-attention';

import {withFloatStorage} from '../common/float-storage.js';
import {intUniforms, withShape} from '../common/workgroup.js';
import {SharedQKKeysProgram} from './shared-qk-keys-program.js';

type KernelArgs = {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend};

/** The vectors of `x` and their size, after checking what the program assumes. */
function vectorsOf(kernel: string, name: string, x: tf.TensorInfo | undefined): {vectors: number; headSize: number} {
  const headSize = x?.shape[x.shape.length - 1] ?? 0;
  if (x === undefined || x.dtype !== 'float32' || headSize === 0 || headSize % 4 !== 0) {
    const got = x ? `${x.dtype} [${x.shape.join(', ')}]` : 'none';
    throw new Error(`${kernel}: ${name}: expected a float32 tensor [..., headSize] with headSize a positive multiple of 4, got ${got}`);
  }
  return {vectors: tf.util.sizeFromShape(x.shape) / headSize, headSize};
}

function run(backend: tf.KernelBackend, inputs: tf.TensorInfo[], vectors: number, headSize: number, gradient: boolean, shape: number[]): tf.TensorInfo {
  const webgpu = backend as unknown as WebGPUBackend;
  const floats = withFloatStorage(webgpu, inputs);
  const flat = floats.inputs.map((x) => withShape(x, [vectors, headSize]));
  const out = webgpu.runWebGPUProgram(new SharedQKKeysProgram(vectors, headSize, gradient), flat, 'float32', intUniforms(vectors)); // [vectors, headSize]
  floats.release();
  return withShape(out, shape);
}

function sharedQKKeys({inputs, backend}: KernelArgs): tf.TensorInfo {
  const queryKey = inputs.queryKey as tf.TensorInfo | undefined;
  const {vectors, headSize} = vectorsOf(SHARED_QK_KEYS_KERNEL, 'queryKey', queryKey);
  return run(backend, [queryKey!], vectors, headSize, false, queryKey!.shape);
}

function sharedQKKeysGrad({inputs, backend}: KernelArgs): tf.TensorInfo {
  const {dKeys, queryKey} = inputs as {dKeys?: tf.TensorInfo; queryKey?: tf.TensorInfo};
  const {vectors, headSize} = vectorsOf(SHARED_QK_KEYS_GRAD_KERNEL, 'queryKey', queryKey);
  if (dKeys === undefined || dKeys.dtype !== 'float32' || !tf.util.arraysEqual(dKeys.shape, queryKey!.shape)) {
    const got = dKeys ? `${dKeys.dtype} [${dKeys.shape.join(', ')}]` : 'none';
    throw new Error(`${SHARED_QK_KEYS_GRAD_KERNEL}: dKeys: expected float32 [${queryKey!.shape.join(', ')}] (the shape of queryKey), got ${got}`);
  }
  return run(backend, [dKeys, queryKey!], vectors, headSize, true, queryKey!.shape);
}

const gradient: tf.GradConfig = {
  kernelName: SHARED_QK_KEYS_KERNEL,
  inputsToSave: ['queryKey'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [queryKey] = saved as [tf.Tensor];
    return {queryKey: () => tf.engine().runKernel(SHARED_QK_KEYS_GRAD_KERNEL, {dKeys: dy as tf.Tensor, queryKey}, {}) as tf.Tensor};
  },
};

export const sharedQKKeysKernels: {kernels: tf.KernelConfig[]; gradients: tf.GradConfig[]} = {
  kernels: [
    {kernelName: SHARED_QK_KEYS_KERNEL, backendName: 'webgpu', kernelFunc: sharedQKKeys as unknown as tf.KernelFunc},
    {kernelName: SHARED_QK_KEYS_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: sharedQKKeysGrad as unknown as tf.KernelFunc},
  ],
  gradients: [gradient],
};
