import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';

/** Threads of a partial-reduction workgroup. */
export const PARTIAL_THREADS = 256;
/** Elements each partial-reduction workgroup reduces: 16 coalesced loads per thread. */
export const PARTIAL_SPAN = PARTIAL_THREADS * 16;

/**
 * First pass of a split sum: x seen as [rows, rowLength] float32 is cut into spans of PARTIAL_SPAN elements, one
 * workgroup per (row, span), and each span's sum (times `scale`, 1/rowLength for a mean) is written to
 * [rows, spansPerRow]. A second, short reduction over the spans finishes the job.
 */
export class PartialSumProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerPartialSum';
  dispatchLayout = {x: [0, 1]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [PARTIAL_THREADS, 1, 1];
  variableNames = ['x'];
  uniforms = 'rowLength : i32, spansPerRow : i32, numSpans : i32, scale : f32,';

  constructor(rows: number, spansPerRow: number) {
    this.outputShape = [rows, spansPerRow];
    this.dispatch = linearDispatch(rows * spansPerRow);
  }

  getUserCode(): string {
    return `
${WORKGROUP_INDEX_WGSL}
const THREADS = ${PARTIAL_THREADS};
const SPAN = ${PARTIAL_SPAN};
var<workgroup> partial : array<f32, THREADS>;

fn main(_globalIndex : i32) {
  let span = i32(uniformWorkgroupIndex());
  let t = i32(localIndex);
  var acc = 0.0;
  if (span < uniforms.numSpans) {
    let row = span / uniforms.spansPerRow;
    let start = (span % uniforms.spansPerRow) * SPAN;
    let end = min(start + SPAN, uniforms.rowLength);
    let base = row * uniforms.rowLength;
    for (var k = start + t; k < end; k += THREADS) { acc += x[base + k]; }
  }
  partial[t] = acc;
  for (var half = THREADS / 2; half > 0; half /= 2) {
    workgroupBarrier();
    if (t < half) { partial[t] += partial[t + half]; }
  }
  if (t == 0 && span < uniforms.numSpans) { result[span] = partial[0] * uniforms.scale; }
}
`;
  }
}
