import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {rowLanes, type RowLanes} from '../common/row-lanes.js';
import {layerNormPreludeWgsl} from './layer-norm-program.js';

/** Blocks of rows at most: a block's partial sums are one column of the output, which BlockSumProgram adds up. */
const MAX_BLOCKS = 1024;
/** Rows each row slot of a workgroup takes in turn at least: a loop long enough to amortise the launch. */
const MIN_TURNS = 4;

/** Turns of a workgroup's row slots for `rows` rows: each block has rowsPerGroup × turns rows. */
export function blockTurns(rows: number, rowsPerGroup: number): number {
  return Math.max(MIN_TURNS, Math.ceil(rows / (MAX_BLOCKS * rowsPerGroup)));
}

/**
 * The first pass of a layer norm's parameter gradients, inputs (dy, x) [rows, hidden] float32: one workgroup per
 * block of rows, its row slots (common/row-lanes.ts) taking the block's rows in turn and accumulating in registers
 * each thread's columns of Σ dy · x̂ and Σ dy; the slots' sums are then added through workgroup memory. Output
 * [2, hidden, blocks]: the block's sums for dGamma, then for dBeta, blocks innermost (BlockSumProgram's rows).
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
  private readonly turns: number;

  constructor(
    rows: number,
    private readonly hidden: number,
  ) {
    this.lanes = rowLanes(hidden / 4);
    this.turns = blockTurns(rows, this.lanes.rowsPerGroup);
    const blocks = Math.ceil(rows / (this.lanes.rowsPerGroup * this.turns));
    this.outputShape = [2, hidden, blocks];
    this.workgroupSize = [this.lanes.threads, 1, 1];
    this.dispatch = [blocks, 1, 1];
    this.shaderKey = `reformerLayerNormParamPartials_h${hidden}_t${this.turns}`;
  }

  getUserCode(): string {
    return `
${layerNormPreludeWgsl(this.lanes, this.hidden)}
const SLOTS = ${this.lanes.rowsPerGroup};
const TURNS = ${this.turns};
var<workgroup> slotSums : array<vec4<f32>, ${this.lanes.threads}>;

// The sum of a thread's value over the row slots of its lane, in the threads of slot 0.
fn slotSum(value : vec4<f32>, t : i32) -> vec4<f32> {
  workgroupBarrier();
  slotSums[t] = value;
  workgroupBarrier();
  var total = vec4<f32>(0.0);
  for (var s = 0; s < SLOTS; s++) { total += slotSums[s * LANES + t % LANES]; }
  return total;
}

fn main(index : i32) {
  let t = i32(localIndex);
  let block = index / (SLOTS * LANES);
  let slot = t / LANES;
  let lane = t % LANES;
  var dGamma : array<vec4<f32>, PER_LANE>;
  var dBeta : array<vec4<f32>, PER_LANE>;
  for (var k = 0; k < PER_LANE; k++) {
    dGamma[k] = vec4<f32>(0.0);
    dBeta[k] = vec4<f32>(0.0);
  }
  for (var turn = 0; turn < TURNS; turn++) {
    let row = (block * TURNS + turn) * SLOTS + slot;
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
  for (var k = 0; k < PER_LANE; k++) {
    let gammaSum = slotSum(dGamma[k], t);
    let betaSum = slotSum(dBeta[k], t);
    if (slot == 0 && block < uniforms.blocks) {
      let column = (lane + k * LANES) * 4;
      for (var e = 0; e < 4; e++) {
        result[(column + e) * uniforms.blocks + block] = gammaSum[e];
        result[(i32(HIDDEN) + column + e) * uniforms.blocks + block] = betaSum[e];
      }
    }
  }
}
`;
  }
}
