import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

/**
 * Each query's softmax normaliser over every key it saw in any round, rows rowOffset.. of [outputRows, P, 2]: (max logit, sum of
 * exp(logit − max)), combined from the forward program's per-round pairs. The backward recomputes probabilities
 * as exp(logit − max) / sum, exact even when the max is a mask value.
 */
export class RoundNormaliserProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  variableNames = ['records'];
  variableComponents = [4];
  outputComponent = 2;
  uniforms = 'rowOffset : i32, groupPairs : i32,';

  constructor(private readonly spec: {rows: number; outputRows: number; rounds: number; length: number; headSize: number}) {
    this.outputShape = [spec.outputRows, spec.length, 2];
    this.dispatchLayout = {x: [0, 1, 2]};
    this.dispatch = [Math.ceil((spec.rows * spec.length) / this.workgroupSize[0]), 1, 1];
    this.shaderKey = `reformerRoundNormaliser_r${spec.rounds}_d${spec.headSize}`;
  }

  getUserCode(): string {
    const s = this.spec;
    return `
const ROUNDS = ${s.rounds};
const D4 = ${s.headSize / 4};

// The padded length comes from the output shape [rows, P, 2].
fn roundNormaliser(row : i32, round : i32, position : i32) -> vec4<f32> {
  return records[((row * ROUNDS + round) * uniforms.outShape.y + position) * (D4 + 1) + D4];
}

fn main(index : i32) {
  if (index >= uniforms.groupPairs) { return; }
  let position = index % uniforms.outShape.y;
  let row = index / uniforms.outShape.y;
  var top = -3.0e38;
  for (var r = 0; r < ROUNDS; r++) { top = max(top, roundNormaliser(row, r, position).x); }
  var total = 0.0;
  for (var r = 0; r < ROUNDS; r++) {
    let normaliser = roundNormaliser(row, r, position);
    total += normaliser.y * exp(normaliser.x - top);
  }
  result[uniforms.rowOffset * uniforms.outShape.y + index] = vec2<f32>(top, total);
}
`;
  }
}
