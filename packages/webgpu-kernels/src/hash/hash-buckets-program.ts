import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';

export type HashBucketsSpec = {
  batch: number;
  heads: number;
  length: number;
  dim: number;
  numHashes: number;
  /** Even bucket factors ([count] for a plain count); the rotation has Σ factor / 2 columns per round. */
  factors: readonly number[];
  padded: boolean;
};

/** Positions per workgroup: 64 lanes × 2 positions each. */
export const HASH_TILE_POSITIONS = 128;
const LANES = 64;
// Column groups (threads per position pair), rotation rows per tile.
const COLUMN_GROUPS = 4;
const K_TILE = 16;
/** The most vec4s of rotation columns a thread accumulates per sweep. */
const MAX_COLUMN_VEC4S = 4;

/**
 * vec4s of rotation columns per thread and sweep: enough for one sweep over a round's columns where that takes at
 * most MAX_COLUMN_VEC4S, so that the positions are staged and multiplied once rather than once per sweep (48
 * columns, buckets factored 32 × 64: three vec4s, one sweep).
 */
export function columnVec4s(halfRotation: number): number {
  return Math.min(MAX_COLUMN_VEC4S, Math.max(1, Math.ceil(halfRotation / (COLUMN_GROUPS * 4))));
}

/**
 * Angular LSH buckets in one pass: for each (batch, head, round) and position t,
 * rotated = vectors[b, h, t, :] · rotations[h, :, r, :]; per factor the argmax of [slice, -slice] (first maximum on
 * ties), combined as Σ digit_i · Π_{j<i} factor_j; the padding bucket where the mask is 0; plus r ·
 * bucketsPerRound. Output int32 [batch, heads, numHashes, length].
 *
 * A workgroup (256 threads) takes 128 positions of one (batch, head, round). Thread (lane, group) owns positions
 * lane and lane + 64 and 4·J4 consecutive columns of every 16·J4-column sweep of the rotation (all factors' columns
 * in one sweep; J4 = columnVec4s), so each k step is 2 × J4 vec4 fma per 2 + J4 vec4 shared loads. The
 * accumulators are indexed by constants only (the WGSL is unrolled here), so that they stay in registers. Position
 * rows (128 × 16, as vec4 along k) and rotation rows (16 × 16·J4) are staged in shared memory; k past dim reads
 * zeros, as in tfjs's matmul.
 * Every dot product is accumulated by one thread, fma over k = 0, 1, ... from 0: the order of tfjs's packed matmul,
 * so the rotated values, and the argmax, match the reference path's bit for bit where tfjs uses that program. Each
 * thread keeps a best (value, index) per factor and position; the four groups' bests are merged by value, then
 * lower index, which is exactly the first maximum of the concatenation [slice, -slice].
 *
 * Inputs: [vectors, rotations] (+ attentionMask when padded). Uniforms: batch, heads, length, dim, numHashes,
 * halfRotation, count, bucketsPerRound, tiles.
 */
export class HashBucketsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [LANES * COLUMN_GROUPS, 1, 1];
  variableNames: string[];
  uniforms =
    'batch : i32, heads : i32, length : i32, dim : i32, numHashes : i32, halfRotation : i32, count : i32, bucketsPerRound : i32, tiles : i32,';

  constructor(private readonly spec: HashBucketsSpec) {
    const {batch, heads, length, numHashes, factors, padded} = spec;
    this.outputShape = [batch, heads, numHashes, length];
    this.dispatch = linearDispatch(batch * heads * numHashes * Math.ceil(length / HASH_TILE_POSITIONS));
    this.variableNames = padded ? ['vectors', 'rotations', 'attentionMask'] : ['vectors', 'rotations'];
    const half = factors.reduce((sum, f) => sum + f / 2, 0);
    this.shaderKey = `reformerHashBuckets_f${factors.join('x')}_${padded ? 'padded' : 'plain'}_t${HASH_TILE_POSITIONS}_k${K_TILE}_j${columnVec4s(half)}`;
  }

  getUserCode(): string {
    const {factors, padded} = this.spec;
    const segments: Array<{start: number; half: number; stride: number}> = [];
    let start = 0;
    let stride = 1;
    for (const factor of factors) {
      segments.push({start, half: factor / 2, stride});
      start += factor / 2;
      stride *= factor;
    }
    const halfRotation = start;
    const j4s = Array.from({length: columnVec4s(halfRotation)}, (_, j4) => j4);
    const declareBests = segments
      .map((_, i) => ['A', 'B'].map((p) => `  var best${p}${i}Value = -uniforms.INFINITY;\n  var best${p}${i}Index = NONE;`).join('\n'))
      .join('\n');
    // Column c of the sweep belongs to exactly one factor: a chain of range tests on baked bounds.
    const consider = (p: 'A' | 'B', value: string) =>
      segments
        .map(({start: s, half: h}, i) => {
          const test = `c < ${s + h}u`;
          const body = `consider(${value}, c - ${s}u, ${h}u, &best${p}${i}Value, &best${p}${i}Index);`;
          return i === 0 ? `if (${test}) { ${body} }` : ` else if (${test}) { ${body} }`;
        })
        .join('');
    // Per thread, vec4 accumulators accA<j4> and accB<j4> of columns c0 + g * J + 4 j4.. for positions lane and
    // lane + LANES, named rather than an array so that no index is dynamic.
    const declareAccumulators = j4s.map((j4) => `    var accA${j4} = vec4<f32>(0.0);\n    var accB${j4} = vec4<f32>(0.0);`).join('\n');
    const accumulate = j4s
      .map(
        (j4) => `          let r${j4} = rTile[at + ${j4}u];
          accA${j4} = fma(vec4<f32>(xa[i]), r${j4}, accA${j4});
          accB${j4} = fma(vec4<f32>(xb[i]), r${j4}, accB${j4});`,
      )
      .join('\n');
    const considerColumns = j4s
      .flatMap((j4) => ['x', 'y', 'z', 'w'].map((component, i) => ({j: 4 * j4 + i, component, j4})))
      .map(
        ({j, component, j4}) => `    {
      let c = c0 + g * J + ${j}u;
      ${consider('A', `accA${j4}.${component}`)}
      ${consider('B', `accB${j4}.${component}`)}
    }`,
      )
      .join('\n');
    const reduce = segments
      .map(({stride: st}, i) =>
        ['A', 'B']
          .map(
            (p, half) => `
  bestValues[localIndex] = best${p}${i}Value;
  bestIndices[localIndex] = best${p}${i}Index;
  workgroupBarrier();
  if (g == 0u) {
    var value = best${p}${i}Value;
    var index = best${p}${i}Index;
    for (var other = 1u; other < G; other++) {
      let v = bestValues[other * LANES + lane];
      let i = bestIndices[other * LANES + lane];
      if (better(v, i, value, index)) { value = v; index = i; }
    }
    // Only NaN everywhere leaves no candidate.
    bucket${p} += select(index, 0u, index == NONE) * ${st}u;
  }
  workgroupBarrier();`,
          )
          .join(''),
      )
      .join('');
    return `
const LANES = ${LANES}u;
const TP = ${HASH_TILE_POSITIONS}u;
const G = ${COLUMN_GROUPS}u;
const J4 = ${j4s.length}u;
const J = 4u * J4;
const CC = G * J;
const CC4 = CC / 4u;
const KC = ${K_TILE}u;
const KC4 = KC / 4u;
const XS4 = KC4 + 1u; // vec4 row stride of the position tile, padded against bank conflicts
const WG = LANES * G;
const HALF = ${halfRotation}u;
const NONE = 0xffffffffu;

var<workgroup> xTile : array<vec4<f32>, TP * XS4>;
var<workgroup> rTile : array<vec4<f32>, KC * CC4>;
var<workgroup> bestValues : array<f32, WG>;
var<workgroup> bestIndices : array<u32, WG>;
${WORKGROUP_INDEX_WGSL}

// Value first, then the lower index: the first maximum of the concatenation.
fn better(value : f32, index : u32, bestValue : f32, bestIndex : u32) -> bool {
  return value > bestValue || (value == bestValue && index < bestIndex);
}

// Entry c of a factor's slice is the candidate rotated at index c and, negated, at index half + c.
fn consider(rotated : f32, c : u32, half : u32, bestValue : ptr<function, f32>, bestIndex : ptr<function, u32>) {
  if (better(rotated, c, *bestValue, *bestIndex)) { *bestValue = rotated; *bestIndex = c; }
  if (better(-rotated, half + c, *bestValue, *bestIndex)) { *bestValue = -rotated; *bestIndex = half + c; }
}

fn loadVector(bh : u32, position : u32, k : u32, len : u32, dim : u32) -> f32 {
  if (position < len && k < dim) { return vectors[(bh * len + position) * dim + k]; }
  return 0.0;
}

fn main(index : i32) {
  let wg = uniformWorkgroupIndex();
  let tiles = u32(uniforms.tiles);
  let numHashes = u32(uniforms.numHashes);
  let heads = u32(uniforms.heads);
  let tile = wg % tiles;
  let round = (wg / tiles) % numHashes;
  let bh = wg / (tiles * numHashes); // batch * heads + head
  if (bh >= u32(uniforms.batch) * heads) { return; }
  let head = bh % heads;
  let batch = bh / heads;
  let len = u32(uniforms.length);
  let dim = u32(uniforms.dim);
  let lane = localIndex % LANES;
  let g = localIndex / LANES;
  let tileStart = tile * TP;
${declareBests}
  for (var c0 = 0u; c0 < HALF; c0 += CC) {
${declareAccumulators}
    for (var k0 = 0u; k0 < dim; k0 += KC) {
      for (var e = localIndex; e < TP * KC4; e += WG) {
        let position = tileStart + e / KC4;
        let k = k0 + 4u * (e % KC4);
        xTile[(e / KC4) * XS4 + e % KC4] = vec4<f32>(
          loadVector(bh, position, k, len, dim),
          loadVector(bh, position, k + 1u, len, dim),
          loadVector(bh, position, k + 2u, len, dim),
          loadVector(bh, position, k + 3u, len, dim));
      }
      for (var e = localIndex; e < KC * CC4; e += WG) {
        let k = k0 + e / CC4;
        let c = c0 + 4u * (e % CC4);
        var r = vec4<f32>(0.0);
        if (k < dim) {
          let at = ((head * dim + k) * numHashes + round) * HALF + c;
          for (var i = 0u; i < 4u; i++) {
            if (c + i < HALF) { r[i] = rotations[at + i]; }
          }
        }
        rTile[e] = r;
      }
      workgroupBarrier();
      for (var kq = 0u; kq < KC4; kq++) {
        let xa = xTile[lane * XS4 + kq];
        let xb = xTile[(lane + LANES) * XS4 + kq];
        for (var i = 0u; i < 4u; i++) {
          let at = (4u * kq + i) * CC4 + J4 * g;
${accumulate}
        }
      }
      workgroupBarrier();
    }
${considerColumns}
  }
  var bucketA = 0u;
  var bucketB = 0u;
${reduce}
  if (g == 0u) {
    let perRound = u32(uniforms.bucketsPerRound);
    let out = (bh * numHashes + round) * len;
    for (var half = 0u; half < 2u; half++) {
      let t = tileStart + lane + half * LANES;
      if (t < len) {
        var value = select(bucketA, bucketB, half == 1u);
        ${padded ? 'if (f32(attentionMask[batch * len + t]) == 0.0) { value = u32(uniforms.count); }' : ''}
        result[out + t] = i32(round * perRound + value);
      }
    }
  }
}
`;
  }
}
