/**
 * The `ReformerLayerNorm` kernel and its gradient kernel for the `webgpu` backend (contract: LAYER_NORM_KERNEL and
 * LAYER_NORM_GRAD_KERNEL in @reformerjs/chunked-ffn's kernels.ts), with the gradient registration that connects them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL, type LayerNormAttrs} from '@reformerjs/chunked-ffn';

import {withFloatStorage} from '../common/float-storage.js';
import {withShape} from '../common/workgroup.js';
import {BlockSumProgram} from './block-sum-program.js';
import {LayerNormProgram} from './layer-norm-program.js';
import {LayerNormParamPartialsProgram} from './param-partials-program.js';

type KernelArgs = {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap};

const describe = (t: tf.TensorInfo | undefined): string => (t ? `${t.dtype} [${t.shape.join(', ')}]` : 'none');

/** The rows and hidden size of `x`, after checking what the programs assume of it and of `others`. */
function rowsOf(kernel: string, x: tf.TensorInfo | undefined, others: Record<string, {tensor: tf.TensorInfo | undefined; shape: 'x' | 'hidden'}>) {
  const hidden = x?.shape[x.shape.length - 1] ?? 0;
  if (x === undefined || x.dtype !== 'float32' || hidden === 0 || hidden % 4 !== 0) {
    throw new Error(`${kernel}: x: expected a float32 tensor [..., hidden] with hidden a positive multiple of 4, got ${describe(x)}`);
  }
  for (const [name, {tensor, shape}] of Object.entries(others)) {
    const want = shape === 'x' ? x.shape : [hidden];
    if (tensor === undefined || tensor.dtype !== 'float32' || !tf.util.arraysEqual(tensor.shape, want)) {
      throw new Error(`${kernel}: ${name}: expected float32 [${want.join(', ')}] (${shape === 'x' ? "x's shape" : "x's last axis"}), got ${describe(tensor)}`);
    }
  }
  return {rows: tf.util.sizeFromShape(x.shape) / hidden, hidden};
}

const uniformsOf = (rows: number, eps: number) => [
  {type: 'int32', data: [rows]},
  {type: 'float32', data: [eps]},
];

function layerNorm({inputs, backend, attrs}: KernelArgs): tf.TensorInfo {
  const {x, gamma, beta} = inputs as Record<string, tf.TensorInfo | undefined>;
  const {rows, hidden} = rowsOf(LAYER_NORM_KERNEL, x, {gamma: {tensor: gamma, shape: 'hidden'}, beta: {tensor: beta, shape: 'hidden'}});
  const webgpu = backend as unknown as WebGPUBackend;
  const floats = withFloatStorage(webgpu, [withShape(x!, [rows, hidden]), gamma!, beta!]);
  const {eps} = attrs as unknown as LayerNormAttrs;
  const out = webgpu.runWebGPUProgram(new LayerNormProgram(rows, hidden, false), floats.inputs, 'float32', uniformsOf(rows, eps)); // [rows, hidden]
  floats.release();
  return withShape(out, x!.shape);
}

function layerNormGrad({inputs, backend, attrs}: KernelArgs): tf.TensorInfo[] {
  const {dy, x, gamma} = inputs as Record<string, tf.TensorInfo | undefined>;
  const {rows, hidden} = rowsOf(LAYER_NORM_GRAD_KERNEL, x, {dy: {tensor: dy, shape: 'x'}, gamma: {tensor: gamma, shape: 'hidden'}});
  const webgpu = backend as unknown as WebGPUBackend;
  const floats = withFloatStorage(webgpu, [withShape(dy!, [rows, hidden]), withShape(x!, [rows, hidden]), gamma!]);
  const [dyRows, xRows, gammaFloats] = floats.inputs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const {eps} = attrs as unknown as LayerNormAttrs;
  const dx = webgpu.runWebGPUProgram(new LayerNormProgram(rows, hidden, true), [dyRows, xRows, gammaFloats], 'float32', uniformsOf(rows, eps)); // [rows, hidden]
  const partialsProgram = new LayerNormParamPartialsProgram(rows, hidden);
  const blocks = partialsProgram.outputShape[2]!;
  const partials = webgpu.runWebGPUProgram(partialsProgram, [dyRows, xRows], 'float32', [...uniformsOf(rows, eps), {type: 'int32', data: [blocks]}]); // [2, hidden, blocks]
  const [dGamma, dBeta] = [0, 1].map((part) =>
    webgpu.runWebGPUProgram(new BlockSumProgram(hidden), [partials], 'float32', [
      {type: 'int32', data: [hidden]},
      {type: 'int32', data: [blocks]},
      {type: 'int32', data: [part]},
    ]),
  ); // each [hidden]
  webgpu.disposeData(partials.dataId);
  floats.release();
  return [withShape(dx, x!.shape), dGamma!, dBeta!];
}

/** The forward's gradient runs the gradient kernel. */
const gradient: tf.GradConfig = {
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, gamma] = saved as [tf.Tensor, tf.Tensor];
    const [dx, dGamma, dBeta] = tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, {dy: dy as tf.Tensor, x, gamma}, attrs) as tf.Tensor[];
    return {x: () => dx!, gamma: () => dGamma!, beta: () => dBeta!};
  },
};

export const layerNormKernels: {kernels: tf.KernelConfig[]; gradients: tf.GradConfig[]} = {
  kernels: [
    {kernelName: LAYER_NORM_KERNEL, backendName: 'webgpu', kernelFunc: layerNorm as unknown as tf.KernelFunc},
    {kernelName: LAYER_NORM_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: layerNormGrad as unknown as tf.KernelFunc},
  ],
  gradients: [gradient],
};
