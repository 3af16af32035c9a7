/**
 * BatchMatMul for the `webgpu` backend with a split-K path for weight gradients: Aᵀ B where A [K, M] and B [K, N]
 * are tall (K positions, M and N features), which tfjs's own matmul runs on one workgroup per 32 × 32 output tile
 * (measured on the H200: a [65536, 256]ᵀ × [65536, 256] product in 2.2 ms, three of them per projection
 * backward). Everything else goes to tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {intUniforms, withShape} from '../common/workgroup.js';
import {wrapWebGPUKernels, type WebGPUKernel} from '../common/wrap-kernel.js';
import {SliceSumProgram} from './slice-sum-program.js';
import {SPLIT_K_TILE, SplitKMatMulProgram} from './split-k-matmul-program.js';

/** Workgroups the split aims for: a few per compute unit of a large GPU. */
const TARGET_WORKGROUPS = 512;
/** The shortest slice of K worth a workgroup. */
const MIN_SLICE = 512;

/** The number of slices of K for an [M, N] output, or 1 where splitting would not pay. */
export function splitKSlices(k: number, m: number, n: number): number {
  const tiles = Math.ceil(m / SPLIT_K_TILE) * Math.ceil(n / SPLIT_K_TILE);
  return Math.max(1, Math.min(Math.floor(TARGET_WORKGROUPS / tiles), Math.floor(k / MIN_SLICE)));
}

/** Whether a BatchMatMul call is a tall Aᵀ B this kernel splits; returns its K, M, N and slices. */
function splitKShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): {k: number; m: number; n: number; slices: number} | undefined {
  if (!transposeA || transposeB || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const batch = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape.slice(0, -2));
  if (batch(a) !== 1 || batch(b) !== 1) return undefined;
  const [k, m] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  if (b.shape[b.shape.length - 2] !== k || m % 4 !== 0 || n % 4 !== 0) return undefined;
  const slices = splitKSlices(k, m, n);
  return slices >= 4 ? {k, m, n, slices} : undefined;
}

function splitKMatMul(tfjsMatMul: WebGPUKernel): WebGPUKernel {
  return (args) => {
    const {a, b} = args.inputs as {a: tf.TensorInfo; b: tf.TensorInfo};
    const {transposeA, transposeB} = args.attrs as {transposeA: boolean; transposeB: boolean};
    const shape = splitKShape(a, b, transposeA, transposeB);
    if (shape === undefined) return tfjsMatMul(args);
    const backend = args.backend as WebGPUBackend;
    const {k, m, n, slices} = shape;
    const sliceLength = Math.ceil(k / slices);
    const tilesM = Math.ceil(m / SPLIT_K_TILE);
    const tilesN = Math.ceil(n / SPLIT_K_TILE);
    const partials = backend.runWebGPUProgram(
      new SplitKMatMulProgram(slices, m, n),
      [withShape(a, [k, m]), withShape(b, [k, n])],
      'float32',
      intUniforms(m / 4, n / 4, k, sliceLength, tilesM, tilesN, slices * tilesM * tilesN),
    ); // [slices, M, N]
    const outShape = [...a.shape.slice(0, -2), m, n];
    const out = backend.runWebGPUProgram(new SliceSumProgram(outShape), [partials], 'float32', intUniforms((m * n) / 4, slices));
    backend.disposeData(partials.dataId);
    return out;
  };
}

/** Replaces the `webgpu` backend's BatchMatMul with the split-K version, which calls tfjs's for other shapes. */
export function installSplitKMatMul(): void {
  wrapWebGPUKernels(['BatchMatMul'], ([tfjsMatMul]) => [splitKMatMul(tfjsMatMul!)]);
}
