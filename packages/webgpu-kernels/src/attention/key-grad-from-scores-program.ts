import {largestDivisorAtMost} from '../common/sizes.js';
import {ChunkProgram} from './chunk-program.js';
import {chunkPrelude, storedScoresFloats, type ChunkLayout} from './layout.js';

/** Threads of a workgroup of the program, at most: WebGPU's default maxComputeInvocationsPerWorkgroup. */
const MAX_THREADS = 256;

/**
 * The threads of ChunkAttentionKeyGradFromScoresProgram's workgroup: `keyBlocks` blocks of four keys (the chunk's)
 * times `dimGroups` groups of a row's vec4s, each thread holding `dimVec4s` of them (dimGroups · dimVec4s =
 * headSize / 4).
 */
export function keyGradFromScoresThreads(l: ChunkLayout): {keyBlocks: number; dimGroups: number; dimVec4s: number} {
  const keyBlocks = l.chunkLength / 4;
  const d4 = l.headSize / 4;
  const dimGroups = largestDivisorAtMost(d4, Math.max(1, Math.floor(MAX_THREADS / keyBlocks)));
  return {keyBlocks, dimGroups, dimVec4s: d4 / dimGroups};
}

/**
 * Gradients of the keys and values from stored scores, key-major: one workgroup per chunk of sorted keys, which
 * visits the query chunks whose window holds it and reads P_ij and dS_ij from the query-major program's records
 * (`scores`: [rows, rounds, P, headSize + storedScoresFloats] float32 in sequence order) instead of recomputing them.
 * For the chunk, dK = dSᵀ Q and dV = Pᵀ dO are two small matrix products over the window's queries, computed as
 * such: each thread holds a block of four keys × `dimVec4s` vec4s of the head dimension of both, and every query
 * staged in workgroup memory (its vectors, and its scores for the chunk's keys) gives each thread two vec4 reads of
 * scores and two of vectors per eight vec4 multiply-adds. A query chunk's positions are read once; each tile's
 * global reads are issued into registers before the previous tile is used, so that they are in flight meanwhile.
 * On the H200 (LSH-4 at 64K tokens; benchmarks/results/h200-webgpu/RUN-NOTES.md, session 7) this took
 * 1.57–1.64 ms; the same blocks staged without the early reads 2.10–2.16 ms; one thread per key holding its whole
 * dk and dv (the program before), a vec4 read per multiply-add at 240 registers (8 warps per SM), 2.75–2.88 ms.
 * The masks were applied where the scores were made (dS and P are zero for masked pairs).
 *
 * Output: float32 [rows, rounds, P, 2 * headSize] in sequence order: dk then dv per (round, position);
 * RoundSumProgram adds the rounds.
 */
export class ChunkAttentionKeyGradFromScoresProgram extends ChunkProgram {
  private readonly threads: ReturnType<typeof keyGradFromScoresThreads>;

  constructor(layout: ChunkLayout, groupRows: number) {
    super(layout, groupRows, {name: 'reformerChunkKeyGradFromScores', inputs: ['query', 'dOutput', 'scores'], recordFloats: 2 * layout.headSize});
    this.threads = keyGradFromScoresThreads(layout);
    this.workgroupSize = [this.threads.keyBlocks * this.threads.dimGroups, 1, 1];
    this.shaderKey += `_k${this.threads.keyBlocks}x${this.threads.dimGroups}x${this.threads.dimVec4s}`;
  }

  getUserCode(): string {
    const {keyBlocks, dimGroups, dimVec4s} = this.threads;
    return `
${chunkPrelude(this.layout)}
const DIM_GROUPS = ${dimGroups};
const DB = ${dimVec4s}; // vec4s of the head dimension per thread: dimGroup + DIM_GROUPS * b
const BLOCK_THREADS = ${keyBlocks * dimGroups};
const QTILE = ${this.layout.scoreTileRows};
const SCORE_VEC4S = CHUNK / 2; // a query's (P, dS) pairs for the chunk's keys, two keys per vec4
const RECORD = ${this.layout.headSize / 4 + storedScoresFloats(this.layout) / 4}; // vec4s of a query's record

// vec4s each thread reads per tile
const QUERY_LOADS = ${Math.ceil((this.layout.scoreTileRows * this.layout.headSize) / 4 / (keyBlocks * dimGroups))};
const SCORE_LOADS = ${Math.ceil((this.layout.scoreTileRows * this.layout.chunkLength) / 2 / (keyBlocks * dimGroups))};

var<workgroup> chunkPosition : array<i32, CHUNK>; // the positions of the query chunk's slots
var<workgroup> tileQuery : array<array<vec4<f32>, D4>, QTILE>;
var<workgroup> tileDOut : array<array<vec4<f32>, D4>, QTILE>;
var<workgroup> tileScores : array<array<vec4<f32>, SCORE_VEC4S>, QTILE>;
var<private> nextQuery : array<vec4<f32>, QUERY_LOADS>;
var<private> nextDOut : array<vec4<f32>, QUERY_LOADS>;
var<private> nextScores : array<vec4<f32>, SCORE_LOADS>;

// This thread's share of queries tile.. of the query chunk, read into registers: their vectors and output
// gradients by position, and their scores for this key chunk, which sits at window chunk w of theirs.
fn loadTile(row : i32, queryRound : i32, tile : i32, w : i32, t : i32) {
  let p = uniforms.paddedLength;
  for (var s = 0; s < QUERY_LOADS; s++) {
    let e = t + s * BLOCK_THREADS;
    if (e < QTILE * D4) {
      let source = (row * p + chunkPosition[tile + e / D4]) * D4 + e % D4;
      nextQuery[s] = query[source];
      nextDOut[s] = dOutput[source];
    }
  }
  for (var s = 0; s < SCORE_LOADS; s++) {
    let e = t + s * BLOCK_THREADS;
    if (e < QTILE * SCORE_VEC4S) {
      let record = (((row - uniforms.rowOffset) * ROUNDS + queryRound) * p + chunkPosition[tile + e / SCORE_VEC4S]) * RECORD;
      nextScores[s] = scores[record + D4 + w * SCORE_VEC4S + e % SCORE_VEC4S];
    }
  }
}

fn storeTile(t : i32) {
  for (var s = 0; s < QUERY_LOADS; s++) {
    let e = t + s * BLOCK_THREADS;
    if (e < QTILE * D4) {
      tileQuery[e / D4][e % D4] = nextQuery[s];
      tileDOut[e / D4][e % D4] = nextDOut[s];
    }
  }
  for (var s = 0; s < SCORE_LOADS; s++) {
    let e = t + s * BLOCK_THREADS;
    if (e < QTILE * SCORE_VEC4S) { tileScores[e / SCORE_VEC4S][e % SCORE_VEC4S] = nextScores[s]; }
  }
}

fn main(_globalIndex : i32) {
  let group = uniformGroupIndex();
  if (group >= uniforms.numGroups) { return; }
  let p = uniforms.paddedLength;
  let row = uniforms.rowOffset + group / uniforms.chunksPerRow;
  let chunk = group % uniforms.chunksPerRow;
  let t = i32(localId.x);
  let keyBlock = t / DIM_GROUPS; // keys 4 keyBlock .. 4 keyBlock + 3 of the chunk
  let dimGroup = t % DIM_GROUPS;

  var dk : array<vec4<f32>, ${4 * dimVec4s}>; // [key of the block][b]
  var dv : array<vec4<f32>, ${4 * dimVec4s}>;
  for (var e = 0; e < 4 * DB; e++) {
    dk[e] = vec4<f32>(0.0);
    dv[e] = vec4<f32>(0.0);
  }

  for (var w = 0; w < WINDOW; w++) {
    let queryChunk = wrapChunk(chunk + BEFORE - w);
    if (skipQueryChunk(chunk, queryChunk)) { continue; }
    let queryRound = queryChunk * CHUNK / p;
    workgroupBarrier();
    for (var e = t; e < CHUNK; e += BLOCK_THREADS) { chunkPosition[e] = slotPosition(row, queryChunk * CHUNK + e); }
    workgroupBarrier();
    loadTile(row, queryRound, 0, w, t);
    for (var tile = 0; tile < CHUNK; tile += QTILE) {
      workgroupBarrier();
      storeTile(t);
      workgroupBarrier();
      // The next tile's loads are in flight while this one is used.
      if (tile + QTILE < CHUNK) { loadTile(row, queryRound, tile + QTILE, w, t); }
      for (var i = 0; i < QTILE; i++) {
        let scores01 = tileScores[i][2 * keyBlock]; // (P, dS) of the block's keys 0 and 1
        let scores23 = tileScores[i][2 * keyBlock + 1]; // and of keys 2 and 3
        for (var b = 0; b < DB; b++) {
          let q = tileQuery[i][dimGroup + DIM_GROUPS * b];
          let dOut = tileDOut[i][dimGroup + DIM_GROUPS * b];
          dk[b] += scores01.y * q;
          dv[b] += scores01.x * dOut;
          dk[DB + b] += scores01.w * q;
          dv[DB + b] += scores01.z * dOut;
          dk[2 * DB + b] += scores23.y * q;
          dv[2 * DB + b] += scores23.x * dOut;
          dk[3 * DB + b] += scores23.w * q;
          dv[3 * DB + b] += scores23.z * dOut;
        }
      }
    }
  }

  for (var c = 0; c < 4; c++) {
    let slot = chunk * CHUNK + 4 * keyBlock + c;
    let keyPosition = slotPosition(row, slot);
    let outBase = (((row - uniforms.rowOffset) * ROUNDS + slot / p) * p + keyPosition) * 2 * D4;
    for (var b = 0; b < DB; b++) {
      result[outBase + dimGroup + DIM_GROUPS * b] = dk[c * DB + b];
      result[outBase + D4 + dimGroup + DIM_GROUPS * b] = dv[c * DB + b];
    }
  }
}
`;
  }
}
