/**
 * How a bucket sort call is carried out, from its shape and the device's limits (never from the data: the
 * kernel runs without reading anything back).
 *
 * Rows (one per batch, head and round) of at most `bitonicCapacity` positions are sorted whole in shared memory,
 * one workgroup per row. Longer rows take an LSD radix sort on `key - rowMin` (a 32-bit unsigned key, exact for
 * any int32 buckets) with `digitBits`-bit digits; a pass whose digit is zero for every key of a row is skipped by
 * that row's workgroups, so rows whose buckets span fewer than 2^digitBits values (every realistic bucket count)
 * cost one pass.
 */

/** Threads per workgroup of the radix programs (and at most of the whole-row sort). */
export const SORT_WORKGROUP_SIZE = 256;

/** Shared-memory budget and workgroup limits that the plan depends on (from `device.limits`). */
export type SortLimits = {
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
};

export type BitonicPlan = {
  kind: 'bitonic';
  rows: number;
  length: number;
  numHashes: number;
  /** Shared-memory slots (a power of two >= length) baked into the shader. */
  capacity: number;
  /** The power of two >= length that is actually sorted (a uniform). */
  sortSize: number;
  /** Threads per row: 64 to 256, about half the sort size (short rows leave no threads idle). */
  workgroupSize: number;
};

export type RadixPlan = {
  kind: 'radix';
  rows: number;
  length: number;
  numHashes: number;
  /** Bits per digit; 2^digitBits bins. */
  digitBits: number;
  /** Passes that cover 32 bits. */
  passes: number;
  /** Positions sorted together in shared memory by one workgroup step (a power of two). */
  tile: number;
  /** Tiles per workgroup: a workgroup owns `tilesPerBlock * tile` consecutive positions of one row. */
  tilesPerBlock: number;
  /** Blocks per row. */
  blocks: number;
};

export type SortPlan = BitonicPlan | RadixPlan;

export const log2 = (x: number): number => Math.round(Math.log2(x));
const nextPowerOfTwo = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/** Bytes of shared memory every program may add to its arrays (the workgroup-index and flag variables). */
const SHARED_HEADROOM = 64;

/** Slots of the whole-row sort: keys and positions, 8 bytes each, a power of two, at most 8192. */
export function bitonicCapacity(limits: SortLimits): number {
  let capacity = 8192;
  while (capacity > 256 && capacity * 8 + SHARED_HEADROOM > limits.maxComputeWorkgroupStorageSize) capacity /= 2;
  return capacity;
}

/** Radix digit width and tile: the widest digit, then the largest tile, whose shared arrays fit the limit. */
export function radixShape(limits: SortLimits): {digitBits: number; tile: number} {
  const candidates: Array<[number, number]> = [
    [12, 4096],
    [12, 2048],
    [11, 2048],
    [11, 1024],
    [10, 1024],
    [9, 512],
    [8, 512],
  ];
  for (const [digitBits, tile] of candidates) {
    // The scatter program's bin bases, tile keys and scan partials (u32 each).
    const bytes = 4 * (2 ** digitBits + tile + SORT_WORKGROUP_SIZE) + SHARED_HEADROOM;
    if (bytes <= limits.maxComputeWorkgroupStorageSize) return {digitBits, tile};
  }
  throw new Error(
    `ReformerBucketSort: expected maxComputeWorkgroupStorageSize >= ${4 * (256 + 512 + SORT_WORKGROUP_SIZE) + SHARED_HEADROOM} bytes, ` +
      `got ${limits.maxComputeWorkgroupStorageSize}`,
  );
}

export function planSort(shape: readonly number[], limits: SortLimits): SortPlan {
  const [batch, heads, numHashes, length] = shape as [number, number, number, number];
  if (limits.maxComputeInvocationsPerWorkgroup < SORT_WORKGROUP_SIZE) {
    throw new Error(
      `ReformerBucketSort: expected maxComputeInvocationsPerWorkgroup >= ${SORT_WORKGROUP_SIZE}, got ${limits.maxComputeInvocationsPerWorkgroup}`,
    );
  }
  const rows = batch * heads * numHashes;
  const capacity = bitonicCapacity(limits);
  if (length <= capacity) {
    const sortSize = Math.max(2, nextPowerOfTwo(length));
    const workgroupSize = Math.min(SORT_WORKGROUP_SIZE, Math.max(64, sortSize / 2));
    return {kind: 'bitonic', rows, length, numHashes, capacity, sortSize, workgroupSize};
  }
  const {digitBits, tile} = radixShape(limits);
  const tilesPerRow = Math.ceil(length / tile);
  // Several tiles per workgroup shrink the histograms (bins per block) when there are workgroups to spare;
  // keep about 1024 workgroups or more so that a large GPU stays busy.
  let tilesPerBlock = 1;
  while (tilesPerBlock < 8 && tilesPerBlock * 2 <= tilesPerRow && (rows * tilesPerRow) / (tilesPerBlock * 2) >= 1024) {
    tilesPerBlock *= 2;
  }
  return {
    kind: 'radix',
    rows,
    length,
    numHashes,
    digitBits,
    passes: Math.ceil(32 / digitBits),
    tile,
    tilesPerBlock,
    blocks: Math.ceil(length / (tile * tilesPerBlock)),
  };
}

