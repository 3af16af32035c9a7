import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

export type RoundSumSpec = {
  /** The rows of the records (a group, written to rows rowOffset.. of the output). */
  rows: number;
  rounds: number;
  length: number;
  headSize: number;
  /** The rows of the output, which is passed in preallocated when the records cover a group of them. */
  outputRows: number;
  /** vec4s per (row, round, position) record of the input, and the record's first vec4 to read. */
  recordVec4s: number;
  offsetVec4s: number;
  /**
   * Weight each round by its share of the softmax mass, sum_r · exp(max_r − max) / Σ, from the (max_r, sum_r) pair in
   * the record's vec4 at index headSize / 4 (the forward program's layout): combineRounds' exp(lse_r − logsumexp(lse)).
   * Otherwise a plain sum (the gradients of the rounds).
   */
  weighted: boolean;
};

/**
 * Sums records [rows, rounds, P, recordVec4s] (vec4) over rounds into rows rowOffset.. of [outputRows, P, headSize],
 * one thread per output vec4. Used for the forward's round combination and for summing each round's gradient.
 */
export class RoundSumProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  variableNames = ['records'];
  variableComponents = [4];
  outputComponent = 4;
  uniforms = 'rowOffset : i32, groupVec4s : i32,';

  constructor(private readonly spec: RoundSumSpec) {
    this.outputShape = [spec.outputRows, spec.length, spec.headSize];
    this.dispatchLayout = {x: [0, 1, 2]};
    const vec4s = (spec.rows * spec.length * spec.headSize) / 4;
    this.dispatch = [Math.ceil(vec4s / this.workgroupSize[0]), 1, 1];
    this.shaderKey = `reformerRoundSum_r${spec.rounds}_d${spec.headSize}_s${spec.recordVec4s}_o${spec.offsetVec4s}_${spec.weighted ? 'lse' : 'plain'}`;
  }

  getUserCode(): string {
    const s = this.spec;
    const d4 = s.headSize / 4;
    return `
const D4 = ${d4};
const ROUNDS = ${s.rounds};
const RECORD = ${s.recordVec4s};
const OFFSET = ${s.offsetVec4s};

// The padded length comes from the output shape [rows, P, headSize], so one pipeline serves every length.
fn recordBase(row : i32, round : i32, position : i32) -> i32 {
  return ((row * ROUNDS + round) * uniforms.outShape.y + position) * RECORD;
}

fn main(index : i32) {
  if (index >= uniforms.groupVec4s) { return; }
  let d = index % D4;
  let position = (index / D4) % uniforms.outShape.y;
  let row = index / (D4 * uniforms.outShape.y);
  var total = vec4<f32>(0.0);
  ${
    s.weighted
      ? `var top = -3.0e38;
  for (var r = 0; r < ROUNDS; r++) { top = max(top, records[recordBase(row, r, position) + D4].x); }
  var norm = 0.0;
  for (var r = 0; r < ROUNDS; r++) {
    let normaliser = records[recordBase(row, r, position) + D4];
    let weight = normaliser.y * exp(normaliser.x - top);
    norm += weight;
    total += weight * records[recordBase(row, r, position) + OFFSET + d];
  }
  total = total / norm;`
      : `for (var r = 0; r < ROUNDS; r++) { total += records[recordBase(row, r, position) + OFFSET + d]; }`
  }
  result[uniforms.rowOffset * uniforms.outShape.y * D4 + index] = total;
}
`;
  }
}
