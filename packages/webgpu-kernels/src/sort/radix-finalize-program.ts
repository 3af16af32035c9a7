import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch} from '../common/workgroup.js';
import type {RadixPlan} from './plan.js';

/**
 * The radix sort's result: slot s of row r holds the position that the row's last needed pass left there (the
 * passes a row skipped wrote nothing), plus the round's start, round * length (row = (batch, head, round)).
 * One thread per slot. Output: sortedIndices, [rows * length] (= [batch, heads, numHashes * length]).
 *
 * Inputs: [order0, ..., order{passes-1}, header]. Uniforms: rowLength, numHashes, headerOffset.
 */
export class RadixFinalizeProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames: string[];
  uniforms = 'rowLength : i32, numHashes : i32, headerOffset : i32,';
  size = true;

  constructor(private readonly plan: RadixPlan) {
    const total = plan.rows * plan.length;
    this.outputShape = [total];
    this.dispatch = linearDispatch(Math.ceil(total / this.workgroupSize[0]));
    this.variableNames = [...Array.from({length: plan.passes}, (_, p) => `order${p}`), 'header'];
    this.shaderKey = `reformerRadixFinalize_d${plan.digitBits}_p${plan.passes}`;
  }

  getUserCode(): string {
    const {digitBits, passes} = this.plan;
    const pick = Array.from({length: passes}, (_, p) => `    case ${p}u: { position = order${p}[index]; }`).join('\n');
    return `
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let row = u32(index / uniforms.rowLength);
  let at = u32(uniforms.headerOffset) + 2u * row;
  let range = bitcast<u32>(header[at + 1u]) - bitcast<u32>(header[at]);
  // The last pass p with a bit of the range at or above p * digitBits (pass 0 always runs).
  var last = 0u;
  for (var p = 1u; p < ${passes}u; p++) {
    if ((range >> (p * ${digitBits}u)) != 0u) { last = p; }
  }
  var position = 0;
  switch (last) {
${pick}
    default: { position = order0[index]; }
  }
  let round = i32(row) % uniforms.numHashes;
  result[index] = round * uniforms.rowLength + position;
}
`;
  }
}
