import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';

/** Output tile of one workgroup: TILE × TILE, 4 × 4 per thread of a 16 × 16 workgroup. */
export const SPLIT_K_TILE = 64;
/** Rows of the shared dimension staged in workgroup memory per step. */
const STEP = 16;

/**
 * C = Aᵀ B for tall A [K, M] and B [K, N] (a weight gradient: K is the number of positions), with K cut into
 * `slices`: one workgroup per (slice, 64 × 64 output tile), each writing its slice's partial product to
 * [slices, M, N]; SliceSumProgram adds the slices. tfjs's matmul gives such a product one workgroup per 32 × 32
 * output tile, each running through all of K: 64 workgroups for a 256 × 256 gradient, most of the GPU idle.
 * M and N are multiples of 4 (vec4 rows).
 */
export class SplitKMatMulProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'reformerSplitKMatMul';
  dispatchLayout = {x: [0, 1, 2]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  variableNames = ['a', 'b'];
  variableComponents = [4, 4];
  outputComponent = 4;
  uniforms = 'm4 : i32, n4 : i32, k : i32, sliceLength : i32, tilesM : i32, tilesN : i32, numGroups : i32,';

  constructor(slices: number, m: number, n: number) {
    this.outputShape = [slices, m, n];
    this.dispatch = linearDispatch(slices * Math.ceil(m / SPLIT_K_TILE) * Math.ceil(n / SPLIT_K_TILE));
  }

  getUserCode(): string {
    return `
${WORKGROUP_INDEX_WGSL}
const STEP = ${STEP};
const TILE4 = ${SPLIT_K_TILE / 4};
var<workgroup> tileA : array<vec4<f32>, ${STEP * (SPLIT_K_TILE / 4)}>; // [STEP, TILE/4]
var<workgroup> tileB : array<vec4<f32>, ${STEP * (SPLIT_K_TILE / 4)}>;

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
    let row = k0 + t / TILE4;
    let column = t % TILE4;
    let inRange = row < kEnd;
    tileA[t] = select(vec4<f32>(0.0), a[row * uniforms.m4 + min(m0 + column, uniforms.m4 - 1)], inRange && m0 + column < uniforms.m4);
    tileB[t] = select(vec4<f32>(0.0), b[row * uniforms.n4 + min(n0 + column, uniforms.n4 - 1)], inRange && n0 + column < uniforms.n4);
    workgroupBarrier();
    for (var kk = 0; kk < STEP; kk++) {
      let av = tileA[kk * TILE4 + tm];
      let bv = tileB[kk * TILE4 + tn];
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
