import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

/**
 * The per-query numbers the backward programs need, [rows, P, 4]: the normaliser's max and 1 / sum (to recompute
 * probabilities P_ij = exp(s_ij − max) / sum) and delta_i = dOutput_i · output_i, the term of the softmax
 * gradient that every logit of row i shares (dS_ij = P_ij (dOutput_i · v_j − delta_i)). One input instead of two
 * keeps the backward programs within 8 storage buffers.
 */
export class RowStatsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  variableNames = ['dOutput', 'output', 'normaliser'];
  variableComponents = [4, 4, 2];
  outputComponent = 4;
  size = true;

  constructor(private readonly spec: {rows: number; length: number; headSize: number}) {
    this.outputShape = [spec.rows, spec.length, 4];
    this.dispatchLayout = {x: [0, 1]};
    this.dispatch = [Math.ceil((spec.rows * spec.length) / this.workgroupSize[0]), 1, 1];
    this.shaderKey = `reformerRowStats_d${spec.headSize}`;
  }

  getUserCode(): string {
    return `
const D4 = ${this.spec.headSize / 4};

fn main(index : i32) {
  // uniforms.size counts output vec4s (tfjs divides by outputComponent).
  if (index >= uniforms.size) { return; }
  var total = 0.0;
  for (var d = 0; d < D4; d++) { total += dot(dOutput[index * D4 + d], output[index * D4 + d]); }
  let n = normaliser[index];
  result[index] = vec4<f32>(n.x, 1.0 / n.y, total, 0.0);
}
`;
  }
}
