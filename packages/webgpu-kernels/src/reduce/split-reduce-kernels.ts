/**
 * Sum and Mean for the `webgpu` backend, split in two passes where tfjs's own would be nearly serial. tfjs's
 * ReduceProgram gives each output one workgroup, so a reduction to a few outputs runs on a few compute units:
 * the scalar loss sum(output) of a [65536, 256] tensor took 13 ms on the H200, half of an LSH layer's forward and
 * backward. Here such a reduction first sums spans of PARTIAL_SPAN elements in parallel, then reduces the spans'
 * sums. Everything else (other dtypes, reductions over axes that are not innermost, many outputs) goes to the
 * kernel that was registered before.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {storedAsDeclared} from '../common/float-storage.js';
import {intUniforms, withShape} from '../common/workgroup.js';
import {wrapWebGPUKernels, type WebGPUKernel as ReduceKernel} from '../common/wrap-kernel.js';
import {PARTIAL_SPAN, PartialSumProgram} from './partial-reduce-program.js';

/** Outputs below which tfjs's one-workgroup-per-output reduction leaves most of a large GPU idle. */
const FEW_OUTPUTS = 1024;

/** The rows and row length of a reduction over x's innermost axes, or undefined when the axes are not innermost. */
function innermostRows(x: tf.TensorInfo, axis: number | number[]): {rows: number; rowLength: number; axes: number[]} | undefined {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  if (tf.backend_util.getAxesPermutation(axes, x.shape.length) !== null) return undefined;
  const rowLength = axes.reduce((size, a) => size * x.shape[a]!, 1);
  return {rows: tf.util.sizeFromShape(x.shape) / Math.max(rowLength, 1), rowLength, axes};
}

/** Whether a split pays: float32, innermost axes, few outputs, rows of at least two spans. */
function shouldSplit(x: tf.TensorInfo, rows: number, rowLength: number): boolean {
  return x.dtype === 'float32' && rows < FEW_OUTPUTS && rowLength >= 2 * PARTIAL_SPAN;
}

/**
 * The split sum of x's innermost axes, times `scale`: [rows, spans] partial sums, then tfjs's Sum over the spans
 * (a row of the 2 GiB binding limit has 131072 spans: one workgroup's short loop).
 */
function splitSum(x: tf.TensorInfo, rows: number, rowLength: number, scale: number, backend: WebGPUBackend, sum: ReduceKernel): tf.TensorInfo {
  const spansPerRow = Math.ceil(rowLength / PARTIAL_SPAN);
  const uniforms = [...intUniforms(rowLength, spansPerRow, rows * spansPerRow), {type: 'float32' as const, data: [scale]}];
  const partials = backend.runWebGPUProgram(new PartialSumProgram(rows, spansPerRow), [withShape(x, [rows, rowLength])], 'float32', uniforms); // [rows, spans]
  const reduced = sum({inputs: {x: partials}, backend, attrs: {axis: 1, keepDims: false}}); // [rows]
  backend.disposeData(partials.dataId);
  return reduced;
}

/** Sum or Mean (`mean`) around `fallback`, tfjs's kernel of the same name; `sum` is tfjs's Sum for the last pass. */
function splitReduceKernel(mean: boolean, fallback: ReduceKernel, sum: ReduceKernel): ReduceKernel {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const {axis, keepDims} = args.attrs as {axis: number | number[]; keepDims: boolean};
    const backend = args.backend as WebGPUBackend;
    const split = innermostRows(x, axis);
    if (split === undefined || !shouldSplit(x, split.rows, split.rowLength) || !storedAsDeclared(backend, x)) return fallback(args);
    const reduced = splitSum(x, split.rows, split.rowLength, mean ? 1 / split.rowLength : 1, backend, sum); // [rows]
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, split.axes);
    const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, split.axes) : outShape;
    return withShape(reduced, shape); // a reshape: the same data, which the caller now owns
  };
}

/**
 * Replaces the `webgpu` backend's Sum and Mean with their split versions, which call the replaced kernels for
 * everything they do not split.
 */
export function installSplitReductions(): void {
  wrapWebGPUKernels(['Sum', 'Mean'], ([tfjsSum, tfjsMean]) => [
    splitReduceKernel(false, tfjsSum!, tfjsSum!),
    splitReduceKernel(true, tfjsMean!, tfjsSum!),
  ]);
}
