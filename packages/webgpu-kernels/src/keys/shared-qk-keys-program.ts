import {LENGTH_NORM_EPSILON} from '@reformerjs/lsh-attention';

import {RowLanesProgram, rowSumWgsl} from '../common/row-lanes.js';

/**
 * The shared-QK keys of vectors [vectors, headSize] float32: forward, k = s·q with s = rsqrt(mean(q²) + ε) /
 * sqrt(headSize); or, with `gradient`, dq = s·dk − s³ (dk·q) q from the inputs (dKeys, queryKey). One pass over
 * the data instead of the reference path's six element-wise ops (and their gradients). A vector is a row of
 * common/row-lanes.ts.
 */
export class SharedQKKeysProgram extends RowLanesProgram {
  shaderKey: string;
  variableNames: string[];
  variableComponents: number[];
  uniforms = 'vectors : i32,';

  constructor(
    vectors: number,
    private readonly headSize: number,
    private readonly gradient: boolean,
  ) {
    super(vectors, headSize);
    this.variableNames = gradient ? ['dKeys', 'queryKey'] : ['queryKey'];
    this.variableComponents = this.variableNames.map(() => 4);
    this.shaderKey = `reformerSharedQKKeys_d${headSize}_${gradient ? 'grad' : 'forward'}`;
  }

  getUserCode(): string {
    const d4 = this.headSize / 4;
    return `
const D4 = ${d4};
${rowSumWgsl(this.lanes, d4, 'vec2<f32>')}

fn main(index : i32) {
  let vector = index / LANES;
  let first = vector * D4 + index % LANES;
  let inside = vector < uniforms.vectors;
  var sums = vec2<f32>(0.0); // (q·q, dk·q) of this thread's vec4s
  if (inside) {
    for (var k = 0; k < PER_LANE; k++) {
      let q = queryKey[first + k * LANES];
      sums += vec2<f32>(dot(q, q), ${this.gradient ? 'dot(dKeys[first + k * LANES], q)' : '0.0'});
    }
  }
  let total = rowSum(sums);
  if (!inside) { return; }
  let scale = inverseSqrt(total.x / ${this.headSize}.0 + ${LENGTH_NORM_EPSILON}) * ${1 / Math.sqrt(this.headSize)};
${this.gradient ? '  let pull = scale * scale * scale * total.y; // s³ (dk·q)\n' : ''}  for (var k = 0; k < PER_LANE; k++) {
    let i = first + k * LANES;
    result[i] = ${this.gradient ? 'scale * dKeys[i] - pull * queryKey[i]' : 'scale * queryKey[i]'};
  }
}
`;
  }
}
