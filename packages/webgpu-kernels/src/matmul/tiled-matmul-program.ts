import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';

/**
 * vec4s of output rows (RM) and of output columns (RN) per thread of a 16 × 16 workgroup, whose tile is
 * 64·RM × 64·RN: each step of k reads RM + RN vec4s of workgroup memory for 16·RM·RN multiply-adds. On the H200
 * the nine matmuls of an LSH layer at 64K tokens took 2.42–2.62 ms (median 2.56, 5 runs) with 2 × 1 against
 * 2.49–3.01 ms (median 2.76, 10 runs) with 1 × 1, alternating in two device commands; 2 × 2 took 3.28 ms and
 * 4 × 1 3.15–3.28 ms (benchmarks/results/h200-webgpu/RUN-NOTES.md, session 7).
 */
export const MATMUL_RM = 2;
export const MATMUL_RN = 1;
export const MATMUL_TILE_M = 64 * MATMUL_RM;
export const MATMUL_TILE_N = 64 * MATMUL_RN;
/** Rows of the shared dimension staged in workgroup memory per step (slices are whole steps). */
export const MATMUL_STEP = 16;

/**
 * How an operand is stored: A as [K, M] ('kr', transposed, a weight gradient's) or [M, K] ('rk'); B as [K, N]
 * ('kr') or [N, K] ('rk', transposed). r is the operand's output dimension (M or N).
 */
export type OperandLayout = 'kr' | 'rk';

/**
 * WGSL: `stage<name>(k0, kEnd, r0, t)`, which fills tile<name> ([STEP, R4] vec4 along r, R4 = 16 R) with rows
 * k0..k0+15 of the shared dimension for output rows r0*4.. of the operand `source` (vec4), zeros outside, R vec4s per
 * thread. 'kr' reads vec4s along r; 'rk' reads vec4s along k and writes their components to four rows of the tile.
 */
function stageOperand(name: string, source: string, layout: OperandLayout, r4: string, r: number): string {
  const R4 = 16 * r;
  const body =
    layout === 'kr'
      ? `let row = k0 + e / ${R4};
    let column = r0 + e % ${R4};
    let inside = row < kEnd && column < ${r4};
    tile${name}[e / ${R4}][e % ${R4}] = select(vec4<f32>(0.0), ${source}[row * ${r4} + min(column, ${r4} - 1)], inside);`
      : `let rr = e / 4; // an output row of the tile
    let kq = e % 4; // its vec4 of the step's 16 k
    let k = k0 + kq * 4;
    let inside = k < kEnd && r0 * 4 + rr < ${r4} * 4;
    let v = select(vec4<f32>(0.0), ${source}[min(r0 * 4 + rr, ${r4} * 4 - 1) * uniforms.k4 + min(k, uniforms.k - 4) / 4], inside);
    for (var c = 0; c < 4; c++) { tile${name}[kq * 4 + c][rr / 4][rr % 4] = v[c]; }`;
  return `fn stage${name}(k0 : i32, kEnd : i32, r0 : i32, t : i32) {
  for (var s = 0; s < ${r}; s++) {
    let e = t + s * 256;
    ${body}
  }
}`;
}

/**
 * C = op(A) op(B) for float32 matrices whose rows are vec4s, with the shared dimension K cut into `slices`: one
 * workgroup per (slice, TILE_M × TILE_N output tile), 4·RM × 4·RN outputs per thread, A's and B's rows staged 16 k
 * at a time, each slice's partial product written to [slices, M, N] (SliceSumProgram adds the slices; one slice is
 * the product). Every layout constant is in the shaderKey.
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
    this.dispatch = linearDispatch(slices * Math.ceil(m / MATMUL_TILE_M) * Math.ceil(n / MATMUL_TILE_N));
    this.shaderKey = `reformerTiledMatMul_a${layouts.a}_b${layouts.b}_r${MATMUL_RM}x${MATMUL_RN}`;
  }

  getUserCode(): string {
    return `
${WORKGROUP_INDEX_WGSL}
const STEP = ${MATMUL_STEP};
const RM = ${MATMUL_RM};
const RN = ${MATMUL_RN};
const TILEM4 = ${MATMUL_TILE_M / 4};
const TILEN4 = ${MATMUL_TILE_N / 4};
// Arrays of rows, so that robustness clamps a thread's column once rather than on every read (as the attention
// forward's key tiles, chunk-program.ts): the nine matmuls of an LSH layer at 64K tokens took 2.49–2.82 ms against
// 3.15–3.28 ms with flat tiles on the H200 (session 6).
var<workgroup> tileA : array<array<vec4<f32>, TILEM4>, STEP>; // [STEP, TILE_M / 4], vec4 along m
var<workgroup> tileB : array<array<vec4<f32>, TILEN4>, STEP>; // [STEP, TILE_N / 4], vec4 along n

${stageOperand('A', 'a', this.layouts.a, 'uniforms.m4', MATMUL_RM)}
${stageOperand('B', 'b', this.layouts.b, 'uniforms.n4', MATMUL_RN)}

fn main(_globalIndex : i32) {
  let group = i32(uniformWorkgroupIndex());
  if (group >= uniforms.numGroups) { return; }
  let tiles = uniforms.tilesM * uniforms.tilesN;
  let slice = group / tiles;
  let m0 = ((group % tiles) / uniforms.tilesN) * TILEM4; // in vec4s
  let n0 = (group % uniforms.tilesN) * TILEN4;
  let t = i32(localIndex);
  let tm = t / 16; // this thread's output rows: (m0 + tm + 16 i) * 4 + c
  let tn = t % 16; // and its vec4s of output columns: n0 + tn + 16 j
  let kStart = slice * uniforms.sliceLength;
  let kEnd = min(kStart + uniforms.sliceLength, uniforms.k);

  var acc : array<array<vec4<f32>, RN>, ${4 * MATMUL_RM}>; // [output row of the thread's, column vec4]
  for (var k0 = kStart; k0 < kEnd; k0 += STEP) {
    stageA(k0, kEnd, m0, t);
    stageB(k0, kEnd, n0, t);
    workgroupBarrier();
    for (var kk = 0; kk < STEP; kk++) {
      var av : array<vec4<f32>, RM>;
      var bv : array<vec4<f32>, RN>;
      for (var i = 0; i < RM; i++) { av[i] = tileA[kk][tm + 16 * i]; }
      for (var j = 0; j < RN; j++) { bv[j] = tileB[kk][tn + 16 * j]; }
      for (var i = 0; i < RM; i++) {
        for (var j = 0; j < RN; j++) {
          acc[i * 4 + 0][j] += av[i].x * bv[j];
          acc[i * 4 + 1][j] += av[i].y * bv[j];
          acc[i * 4 + 2][j] += av[i].z * bv[j];
          acc[i * 4 + 3][j] += av[i].w * bv[j];
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0; i < RM; i++) {
    for (var j = 0; j < RN; j++) {
      if (m0 + tm + 16 * i < uniforms.m4 && n0 + tn + 16 * j < uniforms.n4) {
        let m = (m0 + tm + 16 * i) * 4;
        for (var c = 0; c < 4; c++) {
          result[((slice * uniforms.m4 * 4) + m + c) * uniforms.n4 + n0 + tn + 16 * j] = acc[i * 4 + c][j];
        }
      }
    }
  }
}
`;
  }
}
