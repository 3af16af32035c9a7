/**
 * float32 tensors stored as integers. tfjs-backend-webgpu's Cast from int32 or bool to float32 loses no precision,
 * so it keeps the integer buffer and only relabels the tensor; tfjs then declares that input of a program by the
 * buffer's type (`array<i32>`), and tfjs's programs convert on every read (most of them: its TransposeProgram fails to
 * compile on one). Ours read floats directly: the Sum, Mean and BatchMatMul wrappers hand such inputs to tfjs's
 * kernel, the Transpose wrapper converts as it copies, and the fused kernels convert them first.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend, WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {intUniforms} from './workgroup.js';

/** Whether `t` is held in a buffer of its own dtype (false for a float32 tensor cast from integers). */
export function storedAsDeclared(backend: WebGPUBackend, t: tf.TensorInfo): boolean {
  return backend.tensorMap.get(t.dataId)?.dtype === t.dtype;
}

/** A copy of integer data as float32, one element per thread. */
class ToFloatProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerToFloat';
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['x'];
  uniforms = 'size : i32,';

  constructor(shape: number[], size: number) {
    this.outputShape = shape;
    this.dispatch = [Math.ceil(size / 256), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) { result[index] = f32(x[index]); }
}
`;
  }
}

/**
 * The float32 `inputs` with float32 buffers: each one itself, or a converted copy where it is stored as integers.
 * `release()` disposes the copies once the caller's programs have been recorded.
 */
export function withFloatStorage(backend: WebGPUBackend, inputs: tf.TensorInfo[]): {inputs: tf.TensorInfo[]; release: () => void} {
  const copies: tf.TensorInfo[] = [];
  const converted = inputs.map((t) => {
    if (t.dtype !== 'float32' || storedAsDeclared(backend, t)) return t;
    const size = t.shape.reduce((product, n) => product * n, 1);
    const copy = backend.runWebGPUProgram(new ToFloatProgram(t.shape, size), [t], 'float32', intUniforms(size));
    copies.push(copy);
    return copy;
  });
  return {inputs: converted, release: () => copies.forEach((copy) => backend.disposeData(copy.dataId))};
}
