/**
 * The `ReformerBucketSort` kernel for the `webgpu` backend (contract: BUCKET_SORT_KERNEL in
 * @reformerjs/lsh-hash's kernels.ts): sortByBuckets' two permutations, exact at any length, without a readback.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {BUCKET_SORT_KERNEL} from '@reformerjs/lsh-hash';

import {intUniforms, withShape} from '../common/workgroup.js';
import {InversePermutationProgram} from './inverse-permutation-program.js';
import {planSort, type BitonicPlan, type RadixPlan, type SortPlan} from './plan.js';
import {RadixFinalizeProgram} from './radix-finalize-program.js';
import {RadixHistogramProgram} from './radix-histogram-program.js';
import {RadixScanProgram} from './radix-scan-program.js';
import {RadixScatterProgram} from './radix-scatter-program.js';
import {RowBitonicSortProgram} from './row-bitonic-sort-program.js';

type TensorInfo = tf.TensorInfo;

/** Rows of at most the bitonic capacity: one program sorts each row whole. sortedIndices [rows * length]. */
function sortRowsWhole(backend: WebGPUBackend, buckets: TensorInfo, plan: BitonicPlan): TensorInfo {
  return backend.runWebGPUProgram(
    new RowBitonicSortProgram(plan),
    [buckets],
    'int32',
    intUniforms(plan.rows, plan.length, plan.sortSize, plan.numHashes),
  );
}

/** Longer rows: `passes` radix passes of three programs each, then the pick of each row's last pass. */
function radixSort(backend: WebGPUBackend, buckets: TensorInfo, plan: RadixPlan): TensorInfo {
  const bins = 2 ** plan.digitBits;
  const headerOffset = plan.rows * (plan.blocks + 1) * bins; // where the first scan's output holds [rows, 2]
  const blockSize = plan.tile * plan.tilesPerBlock;
  const orders: TensorInfo[] = [];
  let header: TensorInfo | null = null;
  for (let pass = 0; pass < plan.passes; pass++) {
    const first = pass === 0;
    const shift = pass * plan.digitBits;
    const previous = first ? [] : [orders[pass - 1]!, header!];
    const counts = backend.runWebGPUProgram(
      new RadixHistogramProgram(plan, first),
      [buckets, ...previous],
      'int32',
      intUniforms(plan.rows, plan.length, plan.blocks, blockSize, shift, headerOffset),
    ); // [rows, blocks, bins] (+ [rows, blocks, 2] in the first pass)
    const prefix = backend.runWebGPUProgram(
      new RadixScanProgram(plan, first),
      first ? [counts] : [counts, header!],
      'int32',
      intUniforms(plan.rows, plan.blocks, shift, headerOffset),
    ); // [rows, blocks + 1, bins] (+ [rows, 2] in the first pass)
    backend.disposeData(counts.dataId);
    orders.push(
      backend.runWebGPUProgram(
        new RadixScatterProgram(plan, first),
        first ? [buckets, prefix] : [buckets, prefix, orders[pass - 1]!, header!],
        'int32',
        intUniforms(plan.rows, plan.length, plan.blocks, plan.tilesPerBlock, shift, headerOffset),
      ), // [rows, length]
    );
    if (first) header = prefix;
    else backend.disposeData(prefix.dataId);
  }
  const sorted = backend.runWebGPUProgram(
    new RadixFinalizeProgram(plan),
    [...orders, header!],
    'int32',
    intUniforms(plan.length, plan.numHashes, headerOffset),
  ); // [rows * length]
  for (const t of [...orders, header!]) backend.disposeData(t.dataId);
  return sorted;
}

function bucketSort({inputs, backend}: {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend}): TensorInfo[] {
  const webgpu = backend as unknown as WebGPUBackend;
  const {buckets} = inputs as {buckets?: TensorInfo};
  if (buckets === undefined || buckets.shape.length !== 4) {
    const got = buckets === undefined ? 'no input named buckets' : `shape [${buckets.shape.join(', ')}]`;
    throw new Error(`${BUCKET_SORT_KERNEL}: buckets: expected a rank-4 tensor [batch, heads, numHashes, length], got ${got}`);
  }
  if (buckets.dtype !== 'int32') {
    throw new Error(`${BUCKET_SORT_KERNEL}: buckets: expected dtype int32, got ${buckets.dtype}`);
  }
  const [batch, heads, numHashes, length] = buckets.shape as [number, number, number, number];
  const outShape = [batch, heads, numHashes * length];
  const total = batch * heads * numHashes * length;
  if (total === 0) {
    return [webgpu.makeTensorInfo(outShape, 'int32', new Int32Array(0)), webgpu.makeTensorInfo(outShape, 'int32', new Int32Array(0))];
  }
  return sortWithPlan(webgpu, buckets, planSort(buckets.shape, webgpu.device.limits));
}

/**
 * Runs the sort of int32 `buckets` [batch, heads, numHashes, length] with a given plan (the kernel plans from the
 * device's limits; tests pass plans that reach the radix path's corners at small sizes).
 * Returns [sortedIndices, undoSortedIndices], both [batch, heads, numHashes * length].
 */
export function sortWithPlan(backend: WebGPUBackend, buckets: TensorInfo, plan: SortPlan): [TensorInfo, TensorInfo] {
  const [batch, heads, numHashes, length] = buckets.shape as [number, number, number, number];
  const outShape = [batch, heads, numHashes * length];
  const total = batch * heads * numHashes * length;
  const flatBuckets = withShape(buckets, [total]); // [batch*heads*numHashes*length]
  const sorted = plan.kind === 'bitonic' ? sortRowsWhole(backend, flatBuckets, plan) : radixSort(backend, flatBuckets, plan); // [total]
  const undo = backend.runWebGPUProgram(new InversePermutationProgram(total), [sorted], 'int32', intUniforms(numHashes * length)); // [total]
  return [withShape(sorted, outShape), withShape(undo, outShape)]; // both [batch, heads, numHashes*length]
}

export const bucketSortKernelConfig: tf.KernelConfig = {
  kernelName: BUCKET_SORT_KERNEL,
  backendName: 'webgpu',
  kernelFunc: bucketSort as unknown as tf.KernelFunc,
};
