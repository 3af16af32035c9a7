import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {COORDS4_WGSL} from '../common/coords.js';

/** The most axes a tile may have (padded in front with axes of one element). */
export const MAX_TILE_AXES = 4;

/**
 * Tile as a copy of vec4s: one thread per output vec4 (four consecutive elements of the innermost axis, whose size
 * is a multiple of 4), which reads the input element (`broadcastInner`: an innermost axis of one element, splat) or
 * input vec4 (an innermost axis that is a multiple of 4) its coordinates wrap to. tfjs's TileProgram moves one
 * element per thread; the gradients of Sum and Mean broadcast through Tile (gradients/reductions.ts), 64 MiB for an
 * LSH layer's loss at 64K tokens. Converts to the output's type, as PermuteRowsProgram does.
 *
 * Uniforms: `outDims`, the output's axes (innermost in vec4s); `inDims`, the input's (innermost in vec4s, or 1);
 * `inStrides`, the input's strides in its own elements (vec4s, or scalars when `broadcastInner`); `vec4s`, the
 * output's size in vec4s.
 */
export class Vec4TileProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['x'];
  variableComponents: number[];
  outputComponent = 4;
  uniforms = 'outDims : vec4<i32>, inDims : vec4<i32>, inStrides : vec4<i32>, vec4s : i32,';

  constructor(
    outputShape: number[],
    private readonly dtype: 'float32' | 'int32',
    private readonly broadcastInner: boolean,
  ) {
    this.outputShape = outputShape;
    const vec4s = outputShape.reduce((size, n) => size * n, 1) / 4;
    this.dispatch = [Math.ceil(vec4s / this.workgroupSize[0]), 1, 1];
    this.variableComponents = [broadcastInner ? 1 : 4];
    this.shaderKey = `reformerVec4Tile_${broadcastInner ? 'splat' : 'rows'}`;
  }

  getUserCode(): string {
    const type = this.dtype === 'int32' ? 'i32' : 'f32';
    return `
${COORDS4_WGSL}
fn main(index : i32) {
  if (index >= uniforms.vec4s) { return; }
  let source = offset4(coords4(index, uniforms.outDims) % uniforms.inDims, uniforms.inStrides);
  result[index] = ${this.broadcastInner ? `vec4<${type}>(${type}(x[source]))` : `vec4<${type}>(x[source])`};
}
`;
  }
}
