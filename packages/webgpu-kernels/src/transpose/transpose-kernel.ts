/**
 * Transpose for the `webgpu` backend as a copy of vec4 rows where the innermost axis stays in place and its size
 * is a multiple of 4: the head splits and merges of attention ([batch, length, heads, headSize] ↔ [batch, heads,
 * length, headSize]), six per LSH layer's forward and backward, 0.98 ms in all on the H200 with tfjs's
 * one-float-per-thread TransposeProgram. Other permutations, dtypes and sizes go to tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {wrapWebGPUKernels, type WebGPUKernel} from '../common/wrap-kernel.js';
import {MAX_PERMUTED_AXES, PermuteRowsProgram} from './permute-rows-program.js';

/**
 * The permutation `perm` of `shape` with axes of one element dropped and runs of output axes that are adjacent in
 * the input merged: the same data movement over fewer axes. Returns the collapsed input shape, and the collapsed
 * permutation (output axis → collapsed input axis).
 */
export function collapsePermutation(shape: readonly number[], perm: readonly number[]): {shape: number[]; perm: number[]} {
  const kept = shape.map((_, axis) => axis).filter((axis) => shape[axis] !== 1); // input axes, renumbered by index here
  const order = perm.filter((axis) => shape[axis] !== 1).map((axis) => kept.indexOf(axis)); // output order
  const runs: number[][] = []; // the renumbered input axes merged into each output axis
  for (const axis of order) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === axis - 1) last.push(axis);
    else runs.push([axis]);
  }
  const byInput = [...runs].sort((a, b) => a[0]! - b[0]!);
  return {
    shape: byInput.map((run) => run.reduce((size, axis) => size * shape[kept[axis]!]!, 1)),
    perm: runs.map((run) => byInput.indexOf(run)),
  };
}

/** The rows plan of a transpose, or undefined where tfjs's kernel should run. */
export function permuteRowsPlan(x: tf.TensorInfo, perm: readonly number[]): {outDims: number[]; inStrides: number[]} | undefined {
  const rank = x.shape.length;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || tf.util.sizeFromShape(x.shape) === 0) return undefined;
  if (rank === 0 || perm[rank - 1] !== rank - 1 || x.shape[rank - 1]! % 4 !== 0) return undefined;
  const collapsed = collapsePermutation(x.shape, perm);
  const axes = collapsed.shape.length;
  if (axes > MAX_PERMUTED_AXES) return undefined;
  // The innermost axis stays innermost, merged with any axes before it that stay too: its size is a multiple of 4.
  const vec4Shape = collapsed.shape.map((size, axis) => (axis === axes - 1 ? size / 4 : size)); // innermost in vec4s
  const strides = vec4Shape.map((_, axis) => vec4Shape.slice(axis + 1).reduce((size, n) => size * n, 1));
  const pad = MAX_PERMUTED_AXES - axes;
  return {
    outDims: [...Array<number>(pad).fill(1), ...collapsed.perm.map((axis) => vec4Shape[axis]!)],
    inStrides: [...Array<number>(pad).fill(0), ...collapsed.perm.map((axis) => strides[axis]!)],
  };
}

function permuteRows(tfjsTranspose: WebGPUKernel): WebGPUKernel {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const {perm} = args.attrs as {perm: number[]};
    const plan = permuteRowsPlan(x, perm);
    const backend = args.backend as WebGPUBackend;
    if (plan === undefined || backend.shouldExecuteOnCPU([x])) return tfjsTranspose(args);
    const outShape = perm.map((axis) => x.shape[axis]!);
    const vec4s = tf.util.sizeFromShape(outShape) / 4;
    const uniforms = [
      {type: 'int32', data: plan.outDims},
      {type: 'int32', data: plan.inStrides},
      {type: 'int32', data: [vec4s]},
    ];
    return backend.runWebGPUProgram(new PermuteRowsProgram(outShape, x.dtype as 'float32' | 'int32'), [x], x.dtype, uniforms);
  };
}

/** Replaces the `webgpu` backend's Transpose with the vec4-row copy, which calls tfjs's for other permutations. */
export function installRowTranspose(): void {
  wrapWebGPUKernels(['Transpose'], ([tfjsTranspose]) => [permuteRows(tfjsTranspose!)]);
}
