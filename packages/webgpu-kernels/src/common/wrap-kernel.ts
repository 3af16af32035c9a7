/**
 * Replacing a kernel tfjs-backend-webgpu registered with one that takes a faster path for some inputs and calls
 * the replaced kernel for the rest, or for everything while FUSED_KERNELS_FLAG is off (as the packages' own fused
 * kernels, so that "fused off" is tfjs as published).
 */
import * as tf from '@tensorflow/tfjs-core';
import {FUSED_KERNELS_FLAG} from '@reformerjs/lsh-hash';

export type KernelArgs = {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap};
export type WebGPUKernel = (args: KernelArgs) => tf.TensorInfo;

/** The wrappers installed, so that installing twice wraps once. */
const wrappers = new WeakSet<tf.KernelFunc>();

/**
 * Replaces the `webgpu` kernels `names` with `wrap(originals)`, one wrapper per name in the same order. Does
 * nothing when they are already wrapped, or when tfjs-backend-webgpu has not registered them (not imported yet).
 */
export function wrapWebGPUKernels(names: readonly string[], wrap: (originals: WebGPUKernel[]) => WebGPUKernel[]): void {
  const configs = names.map((name) => tf.getKernel(name, 'webgpu'));
  if (configs.some((config) => config === undefined || wrappers.has(config.kernelFunc))) return;
  const replacements = wrap(configs.map((config) => config!.kernelFunc as unknown as WebGPUKernel));
  names.forEach((name, i) => {
    const [original, replacement] = [configs[i]!.kernelFunc as unknown as WebGPUKernel, replacements[i]!];
    const kernelFunc = ((args: KernelArgs) => (tf.env().getBool(FUSED_KERNELS_FLAG) ? replacement : original)(args)) as unknown as tf.KernelFunc;
    wrappers.add(kernelFunc);
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({kernelName: name, backendName: 'webgpu', kernelFunc});
  });
}
