/**
 * The `ReformerCrossEntropy` kernel and its logits-gradient kernel for the `webgpu` backend (contract:
 * CROSS_ENTROPY_KERNEL and CROSS_ENTROPY_GRAD_KERNEL in @reformerjs/chunked-ffn's kernels.ts). The chunked LM loss
 * calls both directly (its backward is hand-written), so no gradient is registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {CROSS_ENTROPY_GRAD_KERNEL, CROSS_ENTROPY_KERNEL} from '@reformerjs/chunked-ffn';

import {withFloatStorage} from '../common/float-storage.js';
import {intUniforms} from '../common/workgroup.js';
import {CrossEntropyProgram} from './cross-entropy-program.js';

type KernelArgs = {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend};

const describe = (t: tf.TensorInfo | undefined): string => (t ? `${t.dtype} [${t.shape.join(', ')}]` : 'none');

/** Runs the program after checking what it assumes of its inputs. */
function run(kernel: string, inputs: tf.NamedTensorInfoMap, backend: tf.KernelBackend, gradient: boolean): tf.TensorInfo {
  const {logits, targets, weights, scale} = inputs as Record<string, tf.TensorInfo | undefined>;
  const fail = (name: string, want: string, got: tf.TensorInfo | undefined) => {
    throw new Error(`${kernel}: ${name}: expected ${want}, got ${describe(got)}`);
  };
  if (logits === undefined || logits.dtype !== 'float32' || logits.shape.length !== 2) fail('logits', 'float32 [rows, vocab]', logits);
  const [rows, vocab] = logits!.shape as [number, number];
  if (targets === undefined || targets.dtype !== 'int32' || !tf.util.arraysEqual(targets.shape, [rows])) fail('targets', `int32 [${rows}]`, targets);
  if (weights === undefined || weights.dtype !== 'float32' || !tf.util.arraysEqual(weights.shape, [rows])) fail('weights', `float32 [${rows}]`, weights);
  if (gradient && (scale === undefined || scale.dtype !== 'float32' || scale.shape.length !== 0)) fail('scale', 'a float32 scalar', scale);
  const webgpu = backend as unknown as WebGPUBackend;
  const floats = withFloatStorage(webgpu, gradient ? [logits!, weights!, scale!] : [logits!, weights!]);
  const [logitsFloats, weightsFloats, scaleFloats] = floats.inputs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo?];
  const programInputs = [logitsFloats, targets!, weightsFloats, ...(scaleFloats ? [scaleFloats] : [])];
  const out = webgpu.runWebGPUProgram(new CrossEntropyProgram(rows, vocab, gradient), programInputs, 'float32', intUniforms(rows, vocab)); // [rows] or [rows, vocab]
  floats.release();
  return out;
}

const kernelConfig = (kernelName: string, gradient: boolean): tf.KernelConfig => ({
  kernelName,
  backendName: 'webgpu',
  kernelFunc: (({inputs, backend}: KernelArgs) => run(kernelName, inputs, backend, gradient)) as unknown as tf.KernelFunc,
});

export const crossEntropyKernels: {kernels: tf.KernelConfig[]; gradients: tf.GradConfig[]} = {
  kernels: [kernelConfig(CROSS_ENTROPY_KERNEL, false), kernelConfig(CROSS_ENTROPY_GRAD_KERNEL, true)],
  gradients: [],
};
