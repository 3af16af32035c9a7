import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {CHUNK_UNIFORMS, chunkInputNames, chunksPerRow, layoutKey, type ChunkLayout} from './layout.js';

/**
 * What the forward and backward programs share: one workgroup per (row, chunk) of a group of rows, `lanes`
 * consecutive threads per slot of the chunk (each holding headSize / lanes of its vectors), float vec4 inputs
 * (integer `order` and `valid` scalar), and records of `recordFloats` per
 * (row, round, position) as output. The shaderKey is `name` plus the layout's key (every constant in the WGSL).
 */
export abstract class ChunkProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0, 1, 2, 3]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  uniforms = CHUNK_UNIFORMS;

  constructor(
    protected readonly layout: ChunkLayout,
    groupRows: number,
    spec: {name: string; inputs: string[]; recordFloats: number},
  ) {
    this.outputShape = [groupRows, layout.rounds, layout.length, spec.recordFloats];
    this.dispatch = [groupRows * chunksPerRow(layout), 1, 1];
    this.workgroupSize = [layout.chunkLength * layout.lanes, 1, 1];
    this.variableNames = chunkInputNames(layout, spec.inputs);
    this.variableComponents = this.variableNames.map((name) => (name === 'order' || name === 'valid' ? 1 : 4));
    this.shaderKey = `${spec.name}_${layoutKey(layout)}`;
  }

  abstract getUserCode(): string;
}

/**
 * How a program indexes its key and value tiles. 'rows': an array of rows, read as tileKey[j][d]; Dawn's robustness
 * clamps each index of a workgroup array, and with the row index clamped once, the vec4s of a row are fixed offsets
 * from it. 'flat': one array, read as tileKey[j * D4 + d], each read clamped on its own. On the H200 (driver
 * 580.159) the forward's machine code went from 2903 to 2319 instructions and 253 to 211 registers with rows (232
 * clamps and 288 shifts had been index arithmetic), and took 1.90–2.03 ms against 2.29 ms in four
 * alternating runs; the query-gradient program, read the same way, took 6.75–6.82 ms against 6.23–6.29 ms flat
 * (benchmarks/results/h200-webgpu/RUN-NOTES.md, session 6).
 */
export type TileIndexing = 'rows' | 'flat';

/**
 * Workgroup tiles of keys and values; `stageKeyChunk`, which reads the positions and validity of key chunk
 * `keyChunk` (all of it: one round of dependent global reads per chunk rather than per tile, which took the
 * query-gradient program from 3.15 to 3.01–3.08 ms on the H200, RUN-NOTES.md session 7); and `stageKeys`, which
 * fills the tiles with keys tile..tile+TILE of that chunk, read by position. Call them from workgroup-uniform
 * control flow, stageKeyChunk before the chunk's first stageKeys.
 */
export function keyTileSnippet(l: ChunkLayout, indexing: TileIndexing): string {
  const tile = indexing === 'rows' ? 'array<array<vec4<f32>, D4>, TILE>' : `array<vec4<f32>, ${l.tileRows * (l.headSize / 4)}>`;
  const at = indexing === 'rows' ? '[e / D4][e % D4]' : '[e]';
  return `
var<workgroup> tileKey : ${tile};
var<workgroup> tileValue : ${tile};
var<workgroup> chunkPosition : array<i32, CHUNK>;
var<workgroup> chunkValid : array<u32, CHUNK>;

fn stageKeyChunk(row : i32, keyChunk : i32, t : i32) {
  workgroupBarrier();
  for (var e = t; e < CHUNK; e += THREADS) {
    let position = slotPosition(row, keyChunk * CHUNK + e);
    chunkPosition[e] = position;
    chunkValid[e] = select(0u, 1u, isValidKey(row, position));
  }
}

fn stageKeys(row : i32, tile : i32, t : i32) {
  let p = uniforms.paddedLength;
  workgroupBarrier();
  for (var e = t; e < TILE * D4; e += THREADS) {
    let source = (row * p + chunkPosition[tile + e / D4]) * D4 + e % D4;
    tileKey${at} = key[source];
    tileValue${at} = value[source];
  }
  workgroupBarrier();
}
`;
}

/**
 * The key-major backward's workgroup tiles of queries, output gradients and the queries' RowStatsProgram numbers,
 * and `stageQueries`, which fills them with tile `tile` of query chunk `queryChunk` read by position. Call it from
 * workgroup-uniform control flow.
 */
export function queryTileSnippet(l: ChunkLayout): string {
  const tileVec4s = l.tileRows * (l.headSize / 4);
  return `
var<workgroup> tileQuery : array<vec4<f32>, ${tileVec4s}>;
var<workgroup> tileDOut : array<vec4<f32>, ${tileVec4s}>;
var<workgroup> tilePosition : array<i32, TILE>;
var<workgroup> tileStats : array<vec4<f32>, TILE>;

fn stageQueries(row : i32, queryChunk : i32, tile : i32, t : i32) {
  let p = uniforms.paddedLength;
  workgroupBarrier();
  if (t < TILE) {
    let position = slotPosition(row, queryChunk * CHUNK + tile + t);
    tilePosition[t] = position;
    tileStats[t] = rowStats[row * p + position];
  }
  workgroupBarrier();
  for (var e = t; e < TILE * D4; e += THREADS) {
    let source = (row * p + tilePosition[e / D4]) * D4 + e % D4;
    tileQuery[e] = query[source];
    tileDOut[e] = dOutput[source];
  }
  workgroupBarrier();
}
`;
}
