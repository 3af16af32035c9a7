import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

/** Threads of a workgroup: one output column each. */
const THREADS = 64;

/**
 * The second pass of a layer norm's parameter gradients: from LayerNormParamPartialsProgram's [2, hidden, blocks],
 * the sums over blocks of part `part` (0: dGamma, 1: dBeta) as [hidden], one thread per column.
 */
export class BlockSumProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerLayerNormBlockSum';
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  variableNames = ['partials'];
  uniforms = 'hidden : i32, blocks : i32, part : i32,';

  constructor(hidden: number) {
    this.outputShape = [hidden];
    this.dispatch = [Math.ceil(hidden / THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(column : i32) {
  if (column >= uniforms.hidden) { return; }
  let first = (uniforms.part * uniforms.hidden + column) * uniforms.blocks;
  var sum = 0.0;
  for (var b = 0; b < uniforms.blocks; b++) { sum += partials[first + b]; }
  result[column] = sum;
}
`;
  }
}
