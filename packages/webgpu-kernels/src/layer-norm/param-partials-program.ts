import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import type {RowLanes} from '../common/row-lanes.js';
import {rowLanes} from '../common/row-lanes.js';
import {layerNormPreludeWgsl} from './layer-norm-program.js';

/** Blocks of rows at most: a block's partial sums are one column of the output, which BlockSumProgram adds up. */
const MAX_BLOCKS = 1024;
/** Rows of a block at least: a workgroup's loop, long enough to amortise its launch. */
const MIN_BLOCK_ROWS = 16;

/** The rows per block of `rows` rows. */
export function blockRows(rows: number): number {
  return Math.max(MIN_BLOCK_ROWS, Math.ceil(rows / MAX_BLOCKS));
}

/**
 * The first pass of a layer norm's parameter gradients, inputs (dy, x) [rows, hidden] float32: one workgroup per
 * block of `rowsPerBlock` rows, taking them one at a time (the row's lanes of common/row-lanes.ts are the whole
 * workgroup) and accumulating in registers each thread's columns of Σ dy · x̂ and Σ dy. Output [2, hidden, blocks]:
 * the block's sums for dGamma, then for dBeta, blocks innermost so that BlockSumProgram reads each column's run.
 */
export class LayerNormParamPartialsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames = ['dy', 'x'];
  variableComponents = [4, 4];
  uniforms = 'rows : i32, eps : f32, blocks : i32,';
  private readonly lanes: RowLanes;

  constructor(
    private readonly rows: number,
    private readonly hidden: number,
  ) {
    const lanes = rowLanes(hidden / 4).lanes;
    this.lanes = {lanes, rowsPerGroup: 1, threads: lanes};
    const blocks = Math.ceil(rows / blockRows(rows));
    this.outputShape = [2, hidden, blocks];
    this.workgroupSize = [lanes, 1, 1];
    this.dispatch = [blocks, 1, 1];
    this.shaderKey = `reformerLayerNormParamPartials_h${hidden}_b${blockRows(rows)}`;
  }

  getUserCode(): string {
    return `
${layerNormPreludeWgsl(this.lanes, this.hidden)}
const BLOCK_ROWS = ${blockRows(this.rows)};

fn main(index : i32) {
  let block = index / LANES;
  let lane = index % LANES;
  var dGamma : array<vec4<f32>, PER_LANE>;
  var dBeta : array<vec4<f32>, PER_LANE>;
  for (var k = 0; k < PER_LANE; k++) {
    dGamma[k] = vec4<f32>(0.0);
    dBeta[k] = vec4<f32>(0.0);
  }
  for (var r = 0; r < BLOCK_ROWS; r++) {
    let row = block * BLOCK_ROWS + r;
    let inside = row < uniforms.rows;
    let mean = rowMean(row, lane, inside);
    var squares = 0.0;
    if (inside) {
      for (var k = 0; k < PER_LANE; k++) {
        let c = x[row * D4 + lane + k * LANES] - mean;
        squares += dot(c, c);
      }
    }
    let invStd = inverseSqrt(rowSum(vec3<f32>(squares, 0.0, 0.0)).x / HIDDEN + uniforms.eps);
    if (inside) {
      for (var k = 0; k < PER_LANE; k++) {
        let i = row * D4 + lane + k * LANES;
        dGamma[k] += dy[i] * (x[i] - mean) * invStd;
        dBeta[k] += dy[i];
      }
    }
  }
  if (block >= uniforms.blocks) { return; }
  for (var k = 0; k < PER_LANE; k++) {
    let column = (lane + k * LANES) * 4;
    for (var e = 0; e < 4; e++) {
      result[(column + e) * uniforms.blocks + block] = dGamma[k][e];
      result[(i32(HIDDEN) + column + e) * uniforms.blocks + block] = dBeta[k][e];
    }
  }
}
`;
  }
}
