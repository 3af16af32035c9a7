import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';

/** Output tile of one workgroup: TILE × TILE, 4 × 4 per thread of a 16 × 16 workgroup. */
export const MATMUL_TILE = 64;
/** Rows of the shared dimension staged in workgroup memory per step (slices are whole steps). */
export const MATMUL_STEP = 16;

/**
 * How an operand is stored: A as [K, M] ('kr', transposed, a weight gradient's) or [M, K] ('rk'); B as [K, N]
 * ('kr') or [N, K] ('rk', transposed). r is the operand's output dimension (M or N).
 */
export type OperandLayout = 'kr' | 'rk';

/**
 * WGSL: `stage<name>(k0, kEnd, r0, t)`, which fills tile<name> ([STEP, TILE / 4] vec4 along r) with rows k0..k0+15 of the
 * shared dimension for output rows r0*4.. of the operand `source` (vec4), zeros outside. 'kr' reads vec4s along r
 * (one per thread); 'rk' reads vec4s along k and writes their components to four rows of the tile.
 */
function stageOperand(name: string, source: string, layout: OperandLayout, r4: string): string {
  const body =
    layout === 'kr'
      ? `let row = k0 + t / TILE4;
  let column = r0 + t % TILE4;
  let inside = row < kEnd && column < ${r4};
  tile${name}[t / TILE4][t % TILE4] = select(vec4<f32>(0.0), ${source}[row * ${r4} + min(column, ${r4} - 1)], inside);`
      : `let r = t / 4; // 0..63: an output row of the tile
  let kq = t % 4; // this thread's vec4 of the step's 16 k
  let k = k0 + kq * 4;
  let inside = k < kEnd && r0 * 4 + r < ${r4} * 4;
  let v = select(vec4<f32>(0.0), ${source}[min(r0 * 4 + r, ${r4} * 4 - 1) * uniforms.k4 + min(k, uniforms.k - 4) / 4], inside);
  for (var c = 0; c < 4; c++) { tile${name}[kq * 4 + c][r / 4][r % 4] = v[c]; }`;
  return `fn stage${name}(k0 : i32, kEnd : i32, r0 : i32, t : i32) {
  ${body}
}`;
}

/**
 * C = op(A) op(B) for float32 matrices whose rows are vec4s, with the shared dimension K cut into `slices`: one
 * workgroup per (slice, 64 × 64 output tile), 4 × 4 outputs per thread, A's and B's rows staged 16 k at a time,
 * each slice's partial product written to [slices, M, N] (SliceSumProgram adds the slices; one slice is the
 * product). Every layout constant is in the shaderKey.
 */
export class TiledMatMulProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0, 1, 2]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['a', 'b'];
  variableComponents = [4, 4];
  outputComponent = 4;
  uniforms = 'm4 : i32, n4 : i32, k : i32, k4 : i32, sliceLength : i32, tilesM : i32, tilesN : i32, numGroups : i32,';

  constructor(
    slices: number,
    m: number,
    n: number,
    private readonly layouts: {a: OperandLayout; b: OperandLayout},
  ) {
    this.outputShape = [slices, m, n];
    this.dispatch = linearDispatch(slices * Math.ceil(m / MATMUL_TILE) * Math.ceil(n / MATMUL_TILE));
    this.shaderKey = `reformerTiledMatMul_a${layouts.a}_b${layouts.b}`;
  }

  getUserCode(): string {
    return `
${WORKGROUP_INDEX_WGSL}
const STEP = ${MATMUL_STEP};
const TILE4 = ${MATMUL_TILE / 4};
// Arrays of rows, so that robustness clamps a thread's column once rather than on every read (as the attention
// forward's key tiles, chunk-program.ts): the nine matmuls of an LSH layer at 64K tokens took 2.49–2.82 ms against
// 3.15–3.28 ms with flat tiles on the H200.
var<workgroup> tileA : array<array<vec4<f32>, TILE4>, STEP>; // [STEP, TILE / 4], vec4 along m
var<workgroup> tileB : array<array<vec4<f32>, TILE4>, STEP>; // [STEP, TILE / 4], vec4 along n

${stageOperand('A', 'a', this.layouts.a, 'uniforms.m4')}
${stageOperand('B', 'b', this.layouts.b, 'uniforms.n4')}

fn main(_globalIndex : i32) {
  let group = i32(uniformWorkgroupIndex());
  if (group >= uniforms.numGroups) { return; }
  let tiles = uniforms.tilesM * uniforms.tilesN;
  let slice = group / tiles;
  let m0 = ((group % tiles) / uniforms.tilesN) * TILE4; // in vec4s
  let n0 = (group % uniforms.tilesN) * TILE4;
  let t = i32(localIndex);
  let tm = t / TILE4; // this thread's 4 output rows: m0 * 4 + tm * 4 + i
  let tn = t % TILE4; // and its vec4 of output columns: n0 + tn
  let kStart = slice * uniforms.sliceLength;
  let kEnd = min(kStart + uniforms.sliceLength, uniforms.k);

  var acc : array<vec4<f32>, 4>;
  for (var k0 = kStart; k0 < kEnd; k0 += STEP) {
    stageA(k0, kEnd, m0, t);
    stageB(k0, kEnd, n0, t);
    workgroupBarrier();
    for (var kk = 0; kk < STEP; kk++) {
      let av = tileA[kk][tm];
      let bv = tileB[kk][tn];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }

  if (m0 + tm < uniforms.m4 && n0 + tn < uniforms.n4) {
    let m = (m0 + tm) * 4;
    for (var i = 0; i < 4; i++) {
      result[((slice * uniforms.m4 * 4) + m + i) * uniforms.n4 + n0 + tn] = acc[i];
    }
  }
}
`;
  }
}
