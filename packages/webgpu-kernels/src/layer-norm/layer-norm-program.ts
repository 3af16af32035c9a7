import {RowLanesProgram, rowSumWgsl, type RowLanes} from '../common/row-lanes.js';

/**
 * WGSL of every layer-norm program: the constants D4 and HIDDEN, rowSum over vec3 sums (common/row-lanes.ts), and
 * `rowMean(row, lane, inside)`, the mean of row `row` of x ([rows, D4] vec4): the first of two passes (the second
 * sums squares of centred values, with no cancellation when the mean is large against the spread). Call rowMean
 * from every thread (rowSum has barriers).
 */
export function layerNormPreludeWgsl(lanes: RowLanes, hidden: number): string {
  return `
const D4 = ${hidden / 4};
const HIDDEN = ${hidden}.0;
${rowSumWgsl(lanes, hidden / 4, 'vec3<f32>')}
fn rowMean(row : i32, lane : i32, inside : bool) -> f32 {
  var sum = 0.0;
  if (inside) {
    for (var k = 0; k < PER_LANE; k++) { sum += dot(x[row * D4 + lane + k * LANES], vec4<f32>(1.0)); }
  }
  return rowSum(vec3<f32>(sum, 0.0, 0.0)).x / HIDDEN;
}
`;
}

/**
 * Layer norm over rows [rows, hidden] float32 (hidden a multiple of 4), each row a row of common/row-lanes.ts.
 * Forward, inputs (x, gamma, beta): (x − mean) · invStd · gamma + beta. With `gradient`, inputs (dy, x, gamma): dx =
 * invStd · (g − mean(g) − x̂ · mean(g · x̂)) with g = dy · gamma, x̂ = (x − mean) · invStd. Two passes of sums per row
 * (the mean; then the centred squares, and for the gradient Σg and Σg·(x − mean)), then the output: one dispatch in
 * place of the reference path's nine (forward) or eleven (gradient) element-wise ops and reductions.
 */
export class LayerNormProgram extends RowLanesProgram {
  shaderKey: string;
  variableNames: string[];
  variableComponents = [4, 4, 4];
  uniforms = 'rows : i32, eps : f32,';

  constructor(
    rows: number,
    private readonly hidden: number,
    private readonly gradient: boolean,
  ) {
    super(rows, hidden);
    this.variableNames = gradient ? ['dy', 'x', 'gamma'] : ['x', 'gamma', 'beta'];
    this.shaderKey = `reformerLayerNorm_h${hidden}_${gradient ? 'grad' : 'forward'}`;
  }

  getUserCode(): string {
    const g = this.gradient;
    return `
${layerNormPreludeWgsl(this.lanes, this.hidden)}
fn main(index : i32) {
  let row = index / LANES;
  let lane = index % LANES;
  let inside = row < uniforms.rows;
  let mean = rowMean(row, lane, inside);
  var sums = vec3<f32>(0.0); // (Σ(x − mean)², Σg, Σg·(x − mean)) of this thread's vec4s
  if (inside) {
    for (var k = 0; k < PER_LANE; k++) {
      let i = row * D4 + lane + k * LANES;
      let c = x[i] - mean;${g ? '\n      let gi = dy[i] * gamma[lane + k * LANES];' : ''}
      sums += vec3<f32>(dot(c, c), ${g ? 'dot(gi, vec4<f32>(1.0)), dot(gi, c)' : '0.0, 0.0'});
    }
  }
  let total = rowSum(sums);
  if (!inside) { return; }
  let invStd = inverseSqrt(total.x / HIDDEN + uniforms.eps);${
    g
      ? `
  let meanG = total.y / HIDDEN;
  let meanGXhat = invStd * total.z / HIDDEN;`
      : ''
  }
  for (var k = 0; k < PER_LANE; k++) {
    let i = row * D4 + lane + k * LANES;
    let column = lane + k * LANES;
    let xhat = (x[i] - mean) * invStd;
    result[i] = ${g ? 'invStd * (dy[i] * gamma[column] - meanG - xhat * meanGXhat)' : 'xhat * gamma[column] + beta[column]'};
  }
}
`;
  }
}
