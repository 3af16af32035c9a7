import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {COORDS4_WGSL} from '../common/coords.js';

/** The most axes a permutation of rows may have once collapsed (see `collapsePermutation`). */
export const MAX_PERMUTED_AXES = 4;

/**
 * A transpose that keeps the innermost axis in place, as a copy of vec4 rows: the data seen as [..., n / 4] vec4s,
 * one thread per output vec4, which reads the input vec4 its coordinates map to. Reads and writes are contiguous
 * along the innermost axis (tfjs's TransposeProgram moves one float per thread through index arithmetic on every
 * axis). The axes, at most MAX_PERMUTED_AXES, are padded in front with axes of one element.
 *
 * The copy converts to the output's type: a float32 tensor cast from int32 keeps its integer buffer, which tfjs
 * declares as `i32` (tfjs's own TransposeProgram fails to compile on one).
 *
 * Uniforms: `outDims`, the output's axes in vec4s (innermost last); `inStrides`, for each output axis the input's
 * stride of the axis it comes from, in vec4s; `vec4s`, the output's size in vec4s.
 */
export class PermuteRowsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerPermuteRows';
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['x'];
  variableComponents = [4];
  outputComponent = 4;
  uniforms = 'outDims : vec4<i32>, inStrides : vec4<i32>, vec4s : i32,';

  constructor(
    outputShape: number[],
    private readonly dtype: 'float32' | 'int32',
  ) {
    this.outputShape = outputShape;
    const vec4s = outputShape.reduce((size, n) => size * n, 1) / 4;
    this.dispatch = [Math.ceil(vec4s / this.workgroupSize[0]), 1, 1];
  }

  getUserCode(): string {
    return `
${COORDS4_WGSL}
fn main(index : i32) {
  if (index >= uniforms.vec4s) { return; }
  let source = offset4(coords4(index, uniforms.outDims), uniforms.inStrides);
  result[index] = vec4<${this.dtype === 'int32' ? 'i32' : 'f32'}>(x[source]);
}
`;
  }
}
