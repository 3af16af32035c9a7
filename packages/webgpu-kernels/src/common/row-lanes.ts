/**
 * Programs that reduce along rows of vec4s (a vector's norm, a layer norm's statistics) give each row `lanes`
 * neighbouring threads: lane l reads the row's vec4s l, l + lanes, ..., so a warp reads contiguous memory, and the
 * lanes add their partial sums through workgroup memory (rowSum). A workgroup holds `rowsPerGroup` rows.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {largestDivisorAtMost} from './sizes.js';

/** The threads of a workgroup at most. */
const MAX_THREADS = 256;
/** The threads of one row at most. */
const MAX_LANES = 64;

export type RowLanes = {lanes: number; rowsPerGroup: number; threads: number};

/** The lanes of a row of `vec4s` vec4s (a divisor of it, so every lane reads as many) and the rows per workgroup. */
export function rowLanes(vec4s: number): RowLanes {
  const lanes = largestDivisorAtMost(vec4s, MAX_LANES);
  const rowsPerGroup = Math.floor(MAX_THREADS / lanes);
  return {lanes, rowsPerGroup, threads: lanes * rowsPerGroup};
}

/**
 * WGSL: the constants LANES and PER_LANE (vec4s per lane) and `rowSum(value)`, the sum of `value` (of `type`) over
 * the lanes of the calling thread's row. Every thread of the workgroup must call it (it has barriers); it may be
 * called again, in a loop.
 */
export function rowSumWgsl(l: RowLanes, vec4s: number, type: string): string {
  return `
const LANES = ${l.lanes};
const PER_LANE = ${vec4s / l.lanes};
var<workgroup> rowPartials : array<${type}, ${l.threads}>;

fn rowSum(value : ${type}) -> ${type} {
  let t = i32(localIndex);
  workgroupBarrier(); // a previous call's reads are done
  rowPartials[t] = value;
  workgroupBarrier();
  var total = ${type}(0.0);
  let first = t - t % LANES;
  for (var j = 0; j < LANES; j++) { total += rowPartials[first + j]; }
  return total;
}
`;
}

/**
 * A program whose output is `rows` rows of `width` floats (vec4 components), each row taken by its lanes: the
 * workgroup size and dispatch that follow from rowLanes. Subclasses give the inputs, uniforms, key and WGSL.
 */
export abstract class RowLanesProgram implements WebGPUProgram {
  outputShape: number[];
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  outputComponent = 4;
  protected readonly lanes: RowLanes;
  abstract shaderKey: string;
  abstract variableNames: string[];
  abstract variableComponents: number[];
  abstract uniforms: string;

  constructor(rows: number, width: number) {
    this.outputShape = [rows, width];
    this.lanes = rowLanes(width / 4);
    this.workgroupSize = [this.lanes.threads, 1, 1];
    this.dispatch = [Math.ceil(rows / this.lanes.rowsPerGroup), 1, 1];
  }

  abstract getUserCode(): string;
}
