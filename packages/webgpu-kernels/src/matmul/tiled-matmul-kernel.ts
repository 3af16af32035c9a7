/**
 * BatchMatMul for the `webgpu` backend with tiled paths for the tall products of a projection over many
 * positions (batch 1, float32, vec4 rows), taken where tfjs's own matmul is the bottleneck; everything else goes
 * to tfjs's kernel.
 * - Weight gradients Aᵀ B, A [K, M] and B [K, N] tall (K positions): tfjs runs one workgroup per 32 × 32 output
 *   tile through all of K (64 workgroups for a 256 × 256 gradient: 2.16 ms for K = 65536 on the H200). Here K is
 *   cut into slices, and a second pass adds them (0.39 ms).
 * - Projections A B and A Bᵀ with A [M, K] tall (M positions) and B small.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {storedAsDeclared} from '../common/float-storage.js';
import {intUniforms, withShape} from '../common/workgroup.js';
import {wrapWebGPUKernels, type WebGPUKernel} from '../common/wrap-kernel.js';
import {SliceSumProgram} from './slice-sum-program.js';
import {MATMUL_STEP, MATMUL_TILE_M, MATMUL_TILE_N, TiledMatMulProgram, type OperandLayout} from './tiled-matmul-program.js';

/** Workgroups a split aims for: a few per compute unit of a large GPU. */
const TARGET_WORKGROUPS = 512;
/** The shortest slice of K worth a workgroup. */
const MIN_SLICE = 512;
/** Rows from which a product counts as tall: M (or K, for Aᵀ B) at least this and 8 times the other sizes. */
const TALL_ROWS = 8192;

const tiles = (m: number, n: number) => Math.ceil(m / MATMUL_TILE_M) * Math.ceil(n / MATMUL_TILE_N);

/** The number of slices of K for an [M, N] output, or 1 where splitting would not pay. */
export function splitKSlices(k: number, m: number, n: number): number {
  return Math.max(1, Math.min(Math.floor(TARGET_WORKGROUPS / tiles(m, n)), Math.floor(k / MIN_SLICE)));
}

type Plan = {m: number; n: number; k: number; slices: number; layouts: {a: OperandLayout; b: OperandLayout}};

/** The tiled plan of a BatchMatMul call, or undefined where tfjs's kernel should run. */
export function tiledMatMulPlan(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): Plan | undefined {
  const batch = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -2));
  if (batch(aShape) !== 1 || batch(bShape) !== 1) return undefined;
  const [a0, a1] = aShape.slice(-2) as [number, number];
  const [b0, b1] = bShape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const n = transposeB ? b0 : b1;
  const layouts = {a: transposeA ? ('kr' as const) : ('rk' as const), b: transposeB ? ('rk' as const) : ('kr' as const)};
  const kAlongRows = layouts.a === 'rk' || layouts.b === 'rk'; // an operand read as vec4s along k
  if ((transposeB ? b1 : b0) !== k || m % 4 !== 0 || n % 4 !== 0 || (kAlongRows && k % 4 !== 0)) return undefined;
  if (transposeA && !transposeB) {
    const slices = splitKSlices(k, m, n);
    return slices >= 4 ? {m, n, k, slices, layouts} : undefined;
  }
  if (!transposeA && m >= TALL_ROWS && m >= 8 * Math.max(n, k)) return {m, n, k, slices: 1, layouts};
  return undefined;
}

function tiledMatMul(tfjsMatMul: WebGPUKernel): WebGPUKernel {
  return (args) => {
    const {a, b} = args.inputs as {a: tf.TensorInfo; b: tf.TensorInfo};
    const {transposeA, transposeB} = args.attrs as {transposeA: boolean; transposeB: boolean};
    const backend = args.backend as WebGPUBackend;
    const floats = [a, b].every((t) => t.dtype === 'float32' && storedAsDeclared(backend, t));
    const plan = floats ? tiledMatMulPlan(a.shape, b.shape, transposeA, transposeB) : undefined;
    if (plan === undefined) return tfjsMatMul(args);
    const {m, n, k, slices, layouts} = plan;
    const sliceLength = Math.ceil(k / slices / MATMUL_STEP) * MATMUL_STEP;
    const [tilesM, tilesN] = [Math.ceil(m / MATMUL_TILE_M), Math.ceil(n / MATMUL_TILE_N)];
    const flatA = withShape(a, layouts.a === 'kr' ? [k, m] : [m, k]);
    const flatB = withShape(b, layouts.b === 'kr' ? [k, n] : [n, k]);
    const uniforms = intUniforms(m / 4, n / 4, k, Math.floor(k / 4), sliceLength, tilesM, tilesN, slices * tilesM * tilesN);
    const partials = backend.runWebGPUProgram(new TiledMatMulProgram(slices, m, n, layouts), [flatA, flatB], 'float32', uniforms); // [slices, M, N]
    const outShape = [...a.shape.slice(0, -2), m, n];
    if (slices === 1) return withShape(partials, outShape); // the product itself
    const out = backend.runWebGPUProgram(new SliceSumProgram(outShape), [partials], 'float32', intUniforms((m * n) / 4, slices));
    backend.disposeData(partials.dataId);
    return out;
  };
}

/** Replaces the `webgpu` backend's BatchMatMul with the tiled version, which calls tfjs's for other shapes. */
export function installTiledMatMul(): void {
  wrapWebGPUKernels(['BatchMatMul'], ([tfjsMatMul]) => [tiledMatMul(tfjsMatMul!)]);
}
