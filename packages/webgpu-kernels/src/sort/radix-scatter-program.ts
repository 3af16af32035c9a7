import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';
import {log2, SORT_WORKGROUP_SIZE, type RadixPlan} from './plan.js';
import {radixKeyWGSL} from './radix-key.js';

/**
 * Radix pass p, step 3 of 3: the stable scatter. One workgroup per (row, block), as in the histogram.
 *
 * 1. Bin bases: an exclusive scan of the row's bin totals (in bin order; the first pass starts at bin
 *    rowMin & MASK, see radix-key.ts), plus this block's earlier-blocks count per bin, in shared memory.
 * 2. For each tile of the block in turn: pack (digit, slot within the tile) into one u32, bitonic-sort the tile in
 *    shared memory, so equal digits become runs in slot order; the element at sorted place q of a run that starts
 *    at h goes to base[digit] + q - h, and the base then advances by the run's length. Within a tile that is the
 *    stable order, and tiles are taken in order, so the whole pass is stable.
 *
 * Output: the row-local permutation after this pass, [rows, length] (the slot's position in the row).
 * Inputs: first pass [buckets, prefix]; later passes [buckets, prefix, order, header]. The first scan's output is
 * both `prefix` and the header in the first pass.
 * Uniforms: rows, rowLength, blocks, tilesPerBlock, shift, headerOffset.
 */
export class RadixScatterProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [SORT_WORKGROUP_SIZE, 1, 1];
  variableNames: string[];
  uniforms = 'rows : i32, rowLength : i32, blocks : i32, tilesPerBlock : i32, shift : i32, headerOffset : i32,';

  constructor(private readonly plan: RadixPlan, private readonly firstPass: boolean) {
    this.outputShape = [plan.rows * plan.length];
    this.dispatch = linearDispatch(plan.rows * plan.blocks);
    this.variableNames = firstPass ? ['buckets', 'prefix'] : ['buckets', 'prefix', 'order', 'header'];
    this.shaderKey = `reformerRadixScatter_d${plan.digitBits}_t${plan.tile}_${firstPass ? 'first' : 'next'}`;
  }

  getUserCode(): string {
    const first = this.firstPass;
    const {digitBits, tile} = this.plan;
    return `
const BINS = ${2 ** digitBits}u;
const MASK = BINS - 1u;
const WG = ${SORT_WORKGROUP_SIZE}u;
const TILE = ${tile}u;
const TILE_BITS = ${log2(tile)}u;
const ITEMS = TILE / WG;
const BINS_PER_THREAD = BINS / WG;
// Sorts after every packed (digit, slot): digits < BINS, and TILE_BITS + digitBits < 32.
const EMPTY = 0xffffffffu;

var<workgroup> binBase : array<u32, BINS>;
var<workgroup> tileKeys : array<u32, TILE>;
var<workgroup> partials : array<u32, WG>;
var<workgroup> sharedActive : u32;
var<workgroup> sharedRotation : u32;
${WORKGROUP_INDEX_WGSL}
${radixKeyWGSL(first ? 'prefix' : 'header')}

fn digitAt(q : u32) -> u32 {
  return tileKeys[q] >> TILE_BITS;
}

fn main(index : i32) {
  let block = uniformWorkgroupIndex();
  let blocks = u32(uniforms.blocks);
  let row = block / blocks;
  if (row >= u32(uniforms.rows)) { return; }
  if (localIndex == 0u) {
    sharedActive = select(0u, 1u, ${first ? 'true' : 'passNeeded(row)'});
    sharedRotation = ${first ? 'bitcast<u32>(rowMinimum(row)) & MASK' : '0u'};
  }
  if (workgroupUniformLoad(&sharedActive) == 0u) { return; }
  let rotation = sharedRotation;
  let rowMin = rowMinimum(row);

  // 1. Bin bases. Thread t owns bins [t, t + 1) * BINS_PER_THREAD of the (rotated) bin order.
  let totals = (row * (blocks + 1u) + blocks) * BINS;
  let earlier = (row * (blocks + 1u) + block % blocks) * BINS;
  var sum = 0u;
  for (var i = 0u; i < BINS_PER_THREAD; i++) {
    sum += u32(prefix[totals + ((localIndex * BINS_PER_THREAD + i + rotation) & MASK)]);
  }
  partials[localIndex] = sum;
  workgroupBarrier();
  for (var offset = 1u; offset < WG; offset <<= 1u) {
    var value = partials[localIndex];
    if (localIndex >= offset) { value += partials[localIndex - offset]; }
    workgroupBarrier();
    partials[localIndex] = value;
    workgroupBarrier();
  }
  var running = partials[localIndex] - sum;
  for (var i = 0u; i < BINS_PER_THREAD; i++) {
    let bin = (localIndex * BINS_PER_THREAD + i + rotation) & MASK;
    binBase[bin] = running + u32(prefix[earlier + bin]);
    running += u32(prefix[totals + bin]);
  }
  workgroupBarrier();

  // 2. Tiles in order.
  let n = u32(uniforms.rowLength);
  let rowStart = row * n;
  let tilesPerBlock = u32(uniforms.tilesPerBlock);
  let blockStart = (block % blocks) * tilesPerBlock * TILE;
  for (var t = 0u; t < tilesPerBlock; t++) {
    let tileStart = blockStart + t * TILE;
    if (tileStart >= n) { break; }
    for (var i = 0u; i < ITEMS; i++) {
      let slot = localIndex + i * WG;
      var packed = EMPTY;
      if (tileStart + slot < n) {
        ${
          first
            ? 'let key = buckets[rowStart + tileStart + slot];\n        packed = (firstDigit(key) << TILE_BITS) | slot;'
            : 'let key = buckets[rowStart + u32(order[rowStart + tileStart + slot])];\n        packed = (digitOf(key, rowMin) << TILE_BITS) | slot;'
        }
      }
      tileKeys[slot] = packed;
    }
    workgroupBarrier();
    for (var k = 2u; k <= TILE; k <<= 1u) {
      for (var j = k >> 1u; j > 0u; j >>= 1u) {
        for (var e = 0u; e < ITEMS / 2u; e++) {
          let pair = localIndex + e * WG;
          let i = 2u * pair - (pair & (j - 1u));
          let l = i + j;
          let a = tileKeys[i];
          let b = tileKeys[l];
          if ((a > b) == ((i & k) == 0u)) {
            tileKeys[i] = b;
            tileKeys[l] = a;
          }
        }
        workgroupBarrier();
      }
    }
    // Run heads: base[d] -= h, so that base[d] + q is the destination of place q.
    for (var i = 0u; i < ITEMS; i++) {
      let q = localIndex + i * WG;
      if (tileKeys[q] != EMPTY && (q == 0u || digitAt(q - 1u) != digitAt(q))) {
        binBase[digitAt(q)] -= q;
      }
    }
    workgroupBarrier();
    for (var i = 0u; i < ITEMS; i++) {
      let q = localIndex + i * WG;
      let packed = tileKeys[q];
      if (packed != EMPTY) {
        let slot = packed & (TILE - 1u);
        ${
          first
            ? 'let position = tileStart + slot;'
            : 'let position = u32(order[rowStart + tileStart + slot]);'
        }
        result[rowStart + binBase[packed >> TILE_BITS] + q] = i32(position);
      }
    }
    workgroupBarrier();
    // Run tails: base[d] += t + 1, i.e. the old base plus the run's length.
    for (var i = 0u; i < ITEMS; i++) {
      let q = localIndex + i * WG;
      if (tileKeys[q] != EMPTY && (q == TILE - 1u || digitAt(q + 1u) != digitAt(q))) {
        binBase[digitAt(q)] += q + 1u;
      }
    }
    workgroupBarrier();
  }
}
`;
  }
}
