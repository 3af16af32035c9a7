import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch} from '../common/workgroup.js';

/**
 * undo[row, sorted[row, s]] = s for permutations `sorted` [rows, rowLength] (here rows = batch * heads and
 * rowLength = numHashes * length): one thread per slot, a scatter, so no sort is needed for the inverse.
 *
 * Uniforms: rowLength.
 */
export class InversePermutationProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerInversePermutation';
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['sorted'];
  uniforms = 'rowLength : i32,';
  size = true;

  constructor(total: number) {
    this.outputShape = [total];
    this.dispatch = linearDispatch(Math.ceil(total / this.workgroupSize[0]));
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let rowStart = index - index % uniforms.rowLength;
  result[rowStart + sorted[index]] = index - rowStart;
}
`;
  }
}
