import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

/** Second pass of SplitKMatMulProgram: the sum of [slices, size] float32 over its slices, a vec4 per thread. */
export class SliceSumProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerSliceSum';
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['partials'];
  variableComponents = [4];
  outputComponent = 4;
  uniforms = 'size4 : i32, slices : i32,';

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    const vec4s = outputShape.reduce((a, b) => a * b, 1) / 4;
    this.dispatch = [Math.ceil(vec4s / 256), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.size4) { return; }
  var total = vec4<f32>(0.0);
  for (var s = 0; s < uniforms.slices; s++) { total += partials[s * uniforms.size4 + index]; }
  result[index] = total;
}
`;
  }
}
