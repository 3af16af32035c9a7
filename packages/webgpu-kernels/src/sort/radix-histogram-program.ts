import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';
import {SORT_WORKGROUP_SIZE, type RadixPlan} from './plan.js';
import {radixKeyWGSL} from './radix-key.js';

/**
 * Radix pass p, step 1 of 3: the digit histogram of each block (tilesPerBlock * tile consecutive slots of a row in
 * the order of the previous pass), counted with shared-memory atomics; one workgroup per (row, block).
 *
 * Output: counts [rows, blocks, BINS]. The first pass also appends each block's bucket minimum and maximum,
 * [rows, blocks, 2], from which the scan derives the row's range (the later passes' digits are of key - rowMin).
 * The first pass knows no minimum yet and counts the raw low digit; the scatter rotates the bins by the minimum's
 * low digit, which is the same order (see radix-key.ts).
 *
 * Inputs: first pass [buckets]; later passes [buckets, order (the previous pass's permutation), header (the first
 * scan's output, whose tail holds each row's minimum and maximum)].
 * Uniforms: rows, rowLength, blocks, blockSize, shift, headerOffset.
 */
export class RadixHistogramProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [SORT_WORKGROUP_SIZE, 1, 1];
  variableNames: string[];
  uniforms = 'rows : i32, rowLength : i32, blocks : i32, blockSize : i32, shift : i32, headerOffset : i32,';

  constructor(private readonly plan: RadixPlan, private readonly firstPass: boolean) {
    const blocks = plan.rows * plan.blocks;
    this.outputShape = [blocks * 2 ** plan.digitBits + (firstPass ? blocks * 2 : 0)];
    this.dispatch = linearDispatch(blocks);
    this.variableNames = firstPass ? ['buckets'] : ['buckets', 'order', 'header'];
    this.shaderKey = `reformerRadixHistogram_d${plan.digitBits}_${firstPass ? 'first' : 'next'}`;
  }

  getUserCode(): string {
    const first = this.firstPass;
    return `
const BINS = ${2 ** this.plan.digitBits}u;
const MASK = BINS - 1u;
const WG = ${SORT_WORKGROUP_SIZE}u;

var<workgroup> counts : array<atomic<u32>, BINS>;
${first ? 'var<workgroup> blockMin : atomic<i32>;\nvar<workgroup> blockMax : atomic<i32>;' : 'var<workgroup> sharedActive : u32;'}
${WORKGROUP_INDEX_WGSL}
${radixKeyWGSL(first ? null : 'header')}

fn main(index : i32) {
  let block = uniformWorkgroupIndex();
  let blocks = u32(uniforms.blocks);
  let row = block / blocks;
  if (row >= u32(uniforms.rows)) { return; }
  ${
    first
      ? ''
      : `// Rows whose keys all agree above this pass's digit skip it (and every later pass).
  if (localIndex == 0u) { sharedActive = select(0u, 1u, passNeeded(row)); }
  if (workgroupUniformLoad(&sharedActive) == 0u) { return; }
  let rowMin = rowMinimum(row);`
  }
  for (var b = localIndex; b < BINS; b += WG) { atomicStore(&counts[b], 0u); }
  ${
    first
      ? `if (localIndex == 0u) {
    atomicStore(&blockMin, I32_MAX);
    atomicStore(&blockMax, I32_MIN);
  }`
      : ''
  }
  workgroupBarrier();
  let n = u32(uniforms.rowLength);
  let rowStart = row * n;
  let start = (block % blocks) * u32(uniforms.blockSize);
  let end = min(start + u32(uniforms.blockSize), n);
  var localMin = I32_MAX;
  var localMax = I32_MIN;
  // Each thread counts a contiguous run of slots and adds runs of equal digits at once: long runs (padding,
  // already sorted rows, all-equal buckets) would otherwise queue every thread on one shared counter.
  let chunk = (u32(uniforms.blockSize) + WG - 1u) / WG;
  let chunkStart = start + localIndex * chunk;
  let chunkEnd = min(chunkStart + chunk, end);
  var runDigit = 0u;
  var runLength = 0u;
  for (var s = chunkStart; s < chunkEnd; s++) {
    ${
      first
        ? `let key = buckets[rowStart + s];
    localMin = min(localMin, key);
    localMax = max(localMax, key);
    let digit = firstDigit(key);`
        : `let digit = digitOf(buckets[rowStart + u32(order[rowStart + s])], rowMin);`
    }
    if (digit != runDigit && runLength > 0u) {
      atomicAdd(&counts[runDigit], runLength);
      runLength = 0u;
    }
    runDigit = digit;
    runLength += 1u;
  }
  if (runLength > 0u) { atomicAdd(&counts[runDigit], runLength); }
  ${first ? 'atomicMin(&blockMin, localMin);\n  atomicMax(&blockMax, localMax);' : ''}
  workgroupBarrier();
  for (var b = localIndex; b < BINS; b += WG) {
    result[block * BINS + b] = i32(atomicLoad(&counts[b]));
  }
  ${
    first
      ? `if (localIndex == 0u) {
    let extremes = u32(uniforms.rows) * blocks * BINS + block * 2u;
    result[extremes] = atomicLoad(&blockMin);
    result[extremes + 1u] = atomicLoad(&blockMax);
  }`
      : ''
  }
}
`;
  }
}
