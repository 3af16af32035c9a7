import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';
import {SORT_WORKGROUP_SIZE, type RadixPlan} from './plan.js';
import {radixKeyWGSL} from './radix-key.js';

/**
 * Radix pass p, step 2 of 3: for every row and bin, the count of that bin in the row's earlier blocks (an exclusive
 * scan down the column of the histogram), and the bin's total for the row. One thread per (row, bin), one workgroup
 * per (row, 256 bins); the scatter scans the totals across bins itself.
 *
 * Output: [rows, blocks + 1, BINS] (row r, block b, bin d: earlier blocks' count of d; block index `blocks`: the
 * totals). The first pass appends the header [rows, 2] = (min, max) of each row's buckets, folded from the
 * histogram's per-block extremes by the row's first workgroup.
 *
 * Inputs: first pass [counts]; later passes [counts, header]. Uniforms: rows, blocks, shift, headerOffset.
 */
export class RadixScanProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [SORT_WORKGROUP_SIZE, 1, 1];
  variableNames: string[];
  uniforms = 'rows : i32, blocks : i32, shift : i32, headerOffset : i32,';

  constructor(private readonly plan: RadixPlan, private readonly firstPass: boolean) {
    const bins = 2 ** plan.digitBits;
    this.outputShape = [plan.rows * (plan.blocks + 1) * bins + (firstPass ? plan.rows * 2 : 0)];
    this.dispatch = linearDispatch((plan.rows * bins) / SORT_WORKGROUP_SIZE);
    this.variableNames = firstPass ? ['counts'] : ['counts', 'header'];
    this.shaderKey = `reformerRadixScan_d${plan.digitBits}_${firstPass ? 'first' : 'next'}`;
  }

  getUserCode(): string {
    const first = this.firstPass;
    return `
const BINS = ${2 ** this.plan.digitBits}u;
const MASK = BINS - 1u;
const WG = ${SORT_WORKGROUP_SIZE}u;
const GROUPS = BINS / WG;

${first ? 'var<workgroup> rowMin : atomic<i32>;\nvar<workgroup> rowMax : atomic<i32>;' : ''}
${WORKGROUP_INDEX_WGSL}
${radixKeyWGSL(first ? null : 'header')}

fn main(index : i32) {
  let group = uniformWorkgroupIndex();
  let row = group / GROUPS;
  let rows = u32(uniforms.rows);
  if (row >= rows) { return; }
  let blocks = u32(uniforms.blocks);
  ${first ? '' : 'if (!passNeeded(row)) { return; }'}
  let bin = (group % GROUPS) * WG + localIndex;
  var running = 0u;
  // Eight loads in flight before the dependent sums: a row can have hundreds of blocks.
  for (var start = 0u; start < blocks; start += 8u) {
    var batch : array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
      if (start + i < blocks) { batch[i] = u32(counts[(row * blocks + start + i) * BINS + bin]); }
    }
    for (var i = 0u; i < 8u; i++) {
      if (start + i < blocks) {
        result[(row * (blocks + 1u) + start + i) * BINS + bin] = i32(running);
        running += batch[i];
      }
    }
  }
  result[(row * (blocks + 1u) + blocks) * BINS + bin] = i32(running);
  ${
    first
      ? `// The row's first workgroup folds the blocks' extremes into the header.
  if (group % GROUPS == 0u) {
    if (localIndex == 0u) {
      atomicStore(&rowMin, I32_MAX);
      atomicStore(&rowMax, I32_MIN);
    }
    workgroupBarrier();
    var localMin = I32_MAX;
    var localMax = I32_MIN;
    let extremes = rows * blocks * BINS + row * blocks * 2u;
    for (var block = localIndex; block < blocks; block += WG) {
      localMin = min(localMin, counts[extremes + 2u * block]);
      localMax = max(localMax, counts[extremes + 2u * block + 1u]);
    }
    atomicMin(&rowMin, localMin);
    atomicMax(&rowMax, localMax);
    workgroupBarrier();
    if (localIndex == 0u) {
      let at = rows * (blocks + 1u) * BINS + 2u * row;
      result[at] = atomicLoad(&rowMin);
      result[at + 1u] = atomicLoad(&rowMax);
    }
  }`
      : ''
  }
}
`;
  }
}
