import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';
import type {BitonicPlan} from './plan.js';

/**
 * Sorts each row of `buckets` [rows, length] (length <= capacity) whole in shared memory: a bitonic network over
 * (bucket, position) pairs, one workgroup (64 to 256 threads) per row. The pair comparison makes the order total, so the result is the
 * stable order at any bucket values. Writes the sorted flat indices `round * length + position` straight into
 * sortedIndices [batch, heads, numHashes * length] (row = (batch, head, round), so slot s of row lands at
 * row * length + s).
 *
 * Uniforms: rows, rowLength, sortSize (power of two >= rowLength), numHashes.
 */
export class RowBitonicSortProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames = ['buckets'];
  uniforms = 'rows : i32, rowLength : i32, sortSize : i32, numHashes : i32,';

  constructor(private readonly plan: BitonicPlan) {
    this.outputShape = [plan.rows * plan.length];
    this.dispatch = linearDispatch(plan.rows);
    this.workgroupSize = [plan.workgroupSize, 1, 1];
    this.shaderKey = `reformerRowBitonicSort_c${plan.capacity}_w${plan.workgroupSize}`;
  }

  getUserCode(): string {
    return `
const CAPACITY = ${this.plan.capacity}u;
const WG = ${this.plan.workgroupSize}u;
const PAD_KEY = 2147483647;
const PAD_POSITION = 0xffffffffu;

var<workgroup> keys : array<i32, CAPACITY>;
var<workgroup> positions : array<u32, CAPACITY>;
${WORKGROUP_INDEX_WGSL}

fn main(index : i32) {
  let row = uniformWorkgroupIndex();
  if (row >= u32(uniforms.rows)) { return; }
  let n = u32(uniforms.rowLength);
  let size = u32(uniforms.sortSize);
  let rowStart = row * n;
  // Padding sorts after every real pair: the largest key and a position no row has.
  for (var i = localIndex; i < size; i += WG) {
    if (i < n) {
      keys[i] = buckets[rowStart + i];
      positions[i] = i;
    } else {
      keys[i] = PAD_KEY;
      positions[i] = PAD_POSITION;
    }
  }
  workgroupBarrier();
  for (var k = 2u; k <= size; k <<= 1u) {
    for (var j = k >> 1u; j > 0u; j >>= 1u) {
      for (var t = localIndex; t < size / 2u; t += WG) {
        // The t-th pair of this step: i has bit j clear, its partner i + j.
        let i = 2u * t - (t & (j - 1u));
        let l = i + j;
        let keyI = keys[i];
        let keyL = keys[l];
        let posI = positions[i];
        let posL = positions[l];
        let iAfterL = keyI > keyL || (keyI == keyL && posI > posL);
        if (iAfterL == ((i & k) == 0u)) {
          keys[i] = keyL;
          keys[l] = keyI;
          positions[i] = posL;
          positions[l] = posI;
        }
      }
      workgroupBarrier();
    }
  }
  let roundStart = (row % u32(uniforms.numHashes)) * n;
  for (var s = localIndex; s < n; s += WG) {
    result[rowStart + s] = i32(roundStart + positions[s]);
  }
}
`;
  }
}
