/**
 * What every chunked-attention program shares: the constants baked into its WGSL (and hence into its shaderKey),
 * the uniforms that vary per call, and the WGSL helpers that map a slot of the sorted order to a position, apply
 * the masks and wrap chunk indices. One place, so that the forward and both backward programs mask and wrap
 * identically.
 */
import type {FusedChunkedAttentionAttrs} from '@reformerjs/lsh-attention';

import {largestDivisorAtMost} from '../common/sizes.js';

/** Logits of disallowed pairs and of a query's own position: lsh-attention's MASK_VALUE and SELF_MASK_VALUE. */
const MASK_LOGIT = '-1e9';
const SELF_MASK_LOGIT = '-1e5';

export type ChunkLayout = {
  batch: number;
  heads: number;
  /** The padded length P, a multiple of chunkLength. */
  length: number;
  headSize: number;
  rounds: number;
  chunkLength: number;
  before: number;
  after: number;
  causal: boolean;
  selfMask: boolean;
  /** Slots are in a sorted order given by the `order` input; otherwise in sequence order. */
  hasOrder: boolean;
  /** Keys may be padding, as the `valid` input says. */
  hasValid: boolean;
  /** Keys (or queries, in the key-major program) staged in workgroup memory at a time: divides chunkLength. */
  tileRows: number;
  /** Logits kept in registers at a time, between two rescalings of the running sums: divides tileRows. */
  blockRows: number;
  /** Keys of a block of the query-gradient program (their dS first, then their dq products): divides tileRows. */
  gradBlockRows: number;
  /**
   * Queries the key-major program from stored scores stages at a time (their vectors and their scores for the
   * chunk's keys): divides chunkLength.
   */
  scoreTileRows: number;
  /**
   * Threads per query (or key) row: 1, or 2 or 4 on a device with subgroups, each holding headSize / lanes of
   * the row's vectors and adding its partial dot products with its neighbours' through subgroup shuffles. Fewer
   * registers per thread (a key-major backward thread holds four vectors), more threads per workgroup; measured
   * slower than one thread per row on the H200, hence opt-in (SUBGROUPS_FLAG).
   */
  lanes: number;
};


/** The largest power of two at most `maxLanes` that divides a row's `vec4s` (a butterfly of shuffles needs 2^k). */
function lanesFor(vec4s: number, maxLanes: number): number {
  let lanes = 1;
  while (lanes * 2 <= maxLanes && vec4s % (lanes * 2) === 0) lanes *= 2;
  return lanes;
}

/**
 * Rows staged per tile. Small tiles leave workgroup memory for more resident workgroups: on the H200 (head size 64,
 * chunk 64, LSH-4 at 64K tokens) tiles of 8 / 16 / 32 / 64 rows took 3.5 / 2.4 / 3.9 / 7.5 ms forward and
 * 14.2 / 9.9 / 15.9 / 19.6 ms backward (benchmarks/results/h200-webgpu/RUN-NOTES.md).
 */
const TILE_ROWS = 16;

/**
 * Logits per register block of the forward, between two rescalings of the running sums. On the H200 (as above)
 * blocks of 16 / 8 / 4 took 2.49–2.62 / 2.16–2.23 / 2.16 ms forward in the same device commands (RUN-NOTES.md,
 * session 5); with 8 the compiled forward already holds 211 registers per thread (benchmarks/gpu-shader-stats.py,
 * session 6).
 */
const MAX_BLOCK_ROWS = 8;

/**
 * Keys per block of the query-gradient program: the dS of a pair of keys, then their products into dq. On the H200
 * (as above) blocks of 1 / 2 / 4 / 8 / 16 keys took 6.88–6.95 / 6.29–6.36 / 7.34–7.47 / 7.93–8.06 / 8.00–8.06 ms
 * backward in one device command (RUN-NOTES.md, session 5).
 */
const MAX_GRAD_BLOCK_ROWS = 2;

/**
 * The layout of one call. `workgroupStorageBytes` is the device's maxComputeWorkgroupStorageSize. Beside the chunk
 * positions and validity of the forward and query-gradient programs (8 bytes per slot of a chunk), a tile (two
 * [tileRows, headSize] float32 arrays, plus a position and a vec4 of statistics per row in the key-major program)
 * has at most TILE_ROWS rows and takes at most half of what is left. `maxLanes` is the most threads a row may get
 * (maxRowLanes: 1 without usable subgroups).
 */
export function chunkLayout(
  shape: readonly number[],
  attrs: FusedChunkedAttentionAttrs,
  inputs: {hasOrder: boolean; hasValid: boolean},
  device: {workgroupStorageBytes: number; maxLanes: number},
): ChunkLayout {
  const [batch, heads, length, headSize] = shape as [number, number, number, number];
  const bytesPerRow = 2 * headSize * 4 + 4 + 16;
  const chunkBytes = 8 * attrs.chunkLength;
  const tileRows = largestDivisorAtMost(attrs.chunkLength, Math.min(TILE_ROWS, (device.workgroupStorageBytes - chunkBytes) / 2 / bytesPerRow));
  // A staged query of the key-major program from scores: its vector and output gradient and a (P, dS) pair per key
  // of the chunk; beside the tile, the positions of a query chunk. Its workgroups are larger
  // (keyGradFromScoresThreads): the tile may take all the memory.
  const scoreBytesPerRow = 2 * headSize * 4 + 2 * attrs.chunkLength * 4;
  const scoreTileBytes = device.workgroupStorageBytes - 4 * attrs.chunkLength;
  const scoreTileRows = largestDivisorAtMost(attrs.chunkLength, Math.min(TILE_ROWS, scoreTileBytes / scoreBytesPerRow));
  return {
    batch,
    heads,
    length,
    headSize,
    rounds: attrs.numRounds,
    chunkLength: attrs.chunkLength,
    before: attrs.numChunksBefore,
    after: attrs.numChunksAfter,
    causal: attrs.causal,
    selfMask: attrs.selfMask,
    hasOrder: inputs.hasOrder,
    hasValid: inputs.hasValid,
    tileRows,
    blockRows: largestDivisorAtMost(tileRows, MAX_BLOCK_ROWS),
    gradBlockRows: largestDivisorAtMost(tileRows, MAX_GRAD_BLOCK_ROWS),
    scoreTileRows,
    lanes: lanesFor(headSize / 4, device.maxLanes),
  };
}

/** Window chunks up to which the backward stores each query's (P, dS) pairs rather than recomputing them. */
const MAX_STORED_WINDOW = 4;

/**
 * Whether the backward stores scores: the query-major program writes (P_ij, dS_ij) for its window keys and the
 * key-major one reads them (no second pass of dot products). Small windows only (LSH, local attention: the stores
 * are [P, window · chunk] pairs, [P, P] for full attention), one thread per row, keys paired two per vec4 within a
 * tile, and chunks of whole blocks of four keys (ChunkAttentionKeyGradFromScoresProgram).
 */
export function storesScores(l: ChunkLayout): boolean {
  return l.lanes === 1 && l.before + 1 + l.after <= MAX_STORED_WINDOW && l.tileRows % 2 === 0 && l.chunkLength % 4 === 0;
}

/** Floats of stored scores per query: a (P, dS) pair for each key of its window. */
export const storedScoresFloats = (l: ChunkLayout): number => 2 * (l.before + 1 + l.after) * l.chunkLength;

/** Chunks per (batch, head) row: every round's sorted slots, cut into chunks. */
export const chunksPerRow = (l: ChunkLayout): number => (l.rounds * l.length) / l.chunkLength;

/** The key of everything baked into the shared WGSL: part of every chunk program's shaderKey. */
export function layoutKey(l: ChunkLayout): string {
  return [
    `h${l.heads}`,
    `d${l.headSize}`,
    `c${l.chunkLength}`,
    `w${l.before}_${l.after}`,
    `r${l.rounds}`,
    `t${l.tileRows}`,
    `b${l.blockRows}`,
    `g${l.gradBlockRows}`,
    `s${l.scoreTileRows}`,
    `l${l.lanes}`,
    l.causal ? 'causal' : 'bidi',
    l.selfMask ? 'self' : 'noself',
    l.hasOrder ? 'order' : 'seq',
    l.hasValid ? 'valid' : 'allvalid',
  ].join('_');
}

/**
 * The per-call uniforms of the chunk programs (declared by CHUNK_UNIFORMS). A call may cover a group of the
 * (batch, head) rows, `rowOffset` onwards, so that its per-round records stay within one storage binding.
 */
export const CHUNK_UNIFORMS = 'paddedLength : i32, chunksPerRow : i32, numGroups : i32, rowOffset : i32,';

export function chunkUniformData(l: ChunkLayout, rows: RowGroup): Array<{type: 'int32'; data: number[]}> {
  const n = chunksPerRow(l);
  return [
    {type: 'int32', data: [l.length]},
    {type: 'int32', data: [n]},
    {type: 'int32', data: [rows.count * n]},
    {type: 'int32', data: [rows.offset]},
  ];
}

/** A run of consecutive (batch, head) rows. */
export type RowGroup = {offset: number; count: number};

/**
 * The rows split into groups whose records ([rows, rounds, P, recordFloats] float32) each fit in `bindingBytes`
 * (the device's maxStorageBufferBindingSize): long sequences are processed a few rows at a time, not refused.
 */
export function rowGroups(l: ChunkLayout, recordFloats: number, bindingBytes: number): RowGroup[] {
  const rows = l.batch * l.heads;
  const rowBytes = l.rounds * l.length * recordFloats * 4;
  const perGroup = Math.floor(bindingBytes / rowBytes);
  if (perGroup < 1) {
    throw new Error(
      `ReformerChunkedAttention: one (batch, head) row of ${l.rounds} round(s) × ${l.length} positions × ${recordFloats} floats ` +
        `(${rowBytes} bytes) exceeds the device's storage binding limit of ${bindingBytes} bytes; use fewer rounds or a shorter sequence`,
    );
  }
  const groups: RowGroup[] = [];
  for (let offset = 0; offset < rows; offset += perGroup) groups.push({offset, count: Math.min(perGroup, rows - offset)});
  return groups;
}

/** The input names of a chunk program: the shared ones, then `order` and `valid` when present. */
export function chunkInputNames(l: ChunkLayout, own: string[]): string[] {
  return [...own, ...(l.hasOrder ? ['order'] : []), ...(l.hasValid ? ['valid'] : [])];
}

/**
 * WGSL: `name(partial)`, the sum of a partial dot product (or a pair of them) over the lanes of a row: consecutive
 * invocations of one subgroup, added with a butterfly of shuffles.
 */
function laneSumWgsl(name: string, type: string, lanes: number): string {
  const body =
    lanes === 1
      ? 'return partial;'
      : `var total = partial;
  for (var mask = 1u; mask < ${lanes}u; mask <<= 1u) { total += subgroupShuffleXor(total, mask); }
  return total;`;
  return `fn ${name}(partial : ${type}) -> ${type} {
  ${body}
}`;
}

/**
 * WGSL constants and helpers of a chunk program. Workgroups are numbered flat (tfjs may reshape a long 1-D
 * dispatch into 2-D or 3-D), one per (batch·head row, chunk).
 */
export function chunkPrelude(l: ChunkLayout): string {
  return `${l.lanes > 1 ? 'enable subgroups;' : ''}
const D4 = ${l.headSize / 4};
const LANES = ${l.lanes};
const DL = ${l.headSize / 4 / l.lanes}; // vec4s of a row each lane holds
const THREADS = ${l.chunkLength * l.lanes};
const CHUNK = ${l.chunkLength};
const WINDOW = ${l.before + 1 + l.after};
const BEFORE = ${l.before};
const ROUNDS = ${l.rounds};
const HEADS = ${l.heads};
const TILE = ${l.tileRows};
const BLOCK = ${l.blockRows};
const GRAD_BLOCK = ${l.gradBlockRows};
const CAUSAL = ${l.causal};
const SELF_MASK = ${l.selfMask};
const SEQUENCE_ORDER = ${!l.hasOrder};

var<workgroup> sharedGroupIndex : i32;

// The workgroup's flat index, as a value WGSL's uniformity analysis accepts before barriers (tfjs copies the
// builtins into private variables, which the analysis treats as non-uniform): broadcast through workgroup memory.
fn uniformGroupIndex() -> i32 {
  if (localIndex == 0u) {
    sharedGroupIndex = i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y + workgroupId.y * numWorkgroups.x + workgroupId.x);
  }
  return workgroupUniformLoad(&sharedGroupIndex);
}

${laneSumWgsl('laneSum', 'f32', l.lanes)}
${laneSumWgsl('laneSum2', 'vec2<f32>', l.lanes)}
// The chunk index modulo the chunks of a row: the first chunk of a round sees the last of the previous round.
fn wrapChunk(c : i32) -> i32 {
  let n = uniforms.chunksPerRow;
  return ((c % n) + n) % n;
}

// In sequence order a causal query chunk sees no later chunk at all, and a key chunk is seen by no earlier query
// chunk: skip them (workgroup-uniform tests).
fn skipKeyChunk(queryChunk : i32, keyChunk : i32) -> bool {
  return CAUSAL && SEQUENCE_ORDER && keyChunk > queryChunk;
}

fn skipQueryChunk(keyChunk : i32, queryChunk : i32) -> bool {
  return CAUSAL && SEQUENCE_ORDER && keyChunk > queryChunk;
}

// The sequence position held by a slot of a row's sorted order (each round's slots hold that round's positions).
fn slotPosition(row : i32, slot : i32) -> i32 {
  ${
    l.hasOrder
      ? `let p = uniforms.paddedLength;
  return order[row * ROUNDS * p + slot] - (slot / p) * p;`
      : 'return slot;'
  }
}

fn isValidKey(row : i32, position : i32) -> bool {
  ${l.hasValid ? 'return valid[(row / HEADS) * uniforms.paddedLength + position] != 0;' : 'return true;'}
}

// Replace semantics, as the reference: disallowed pairs get ${MASK_LOGIT}, then a query's own position ${SELF_MASK_LOGIT}.
fn isMasked(queryPosition : i32, keyPosition : i32, keyValid : bool) -> bool {
  return (CAUSAL && keyPosition > queryPosition) || !keyValid || (SELF_MASK && keyPosition == queryPosition);
}

fn maskedLogit(logit : f32, queryPosition : i32, keyPosition : i32, keyValid : bool) -> f32 {
  if (SELF_MASK && keyPosition == queryPosition) { return ${SELF_MASK_LOGIT}; }
  if ((CAUSAL && keyPosition > queryPosition) || !keyValid) { return ${MASK_LOGIT}; }
  return logit;
}
`;
}
