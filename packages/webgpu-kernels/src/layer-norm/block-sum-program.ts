import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

/** Threads of a workgroup: they share one output column's blocks, then add their sums as a tree. */
const THREADS = 64;

/**
 * The second pass of a layer norm's parameter gradients: from LayerNormParamPartialsProgram's [2, hidden, blocks],
 * the sums over blocks of part `part` (0: dGamma, 1: dBeta) as [hidden], one workgroup per column.
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
    this.dispatch = [hidden, 1, 1];
  }

  getUserCode(): string {
    return `
const THREADS = ${THREADS};
var<workgroup> threadSums : array<f32, THREADS>;

fn main(index : i32) {
  let t = i32(localIndex);
  let column = index / THREADS;
  let first = (uniforms.part * uniforms.hidden + column) * uniforms.blocks;
  var sum = 0.0;
  for (var b = t; b < uniforms.blocks; b += THREADS) { sum += partials[first + b]; }
  threadSums[t] = sum;
  for (var half = THREADS / 2; half > 0; half /= 2) {
    workgroupBarrier();
    if (t < half) { threadSums[t] += threadSums[t + half]; }
  }
  if (t == 0) { result[column] = threadSums[0]; }
}
`;
  }
}
