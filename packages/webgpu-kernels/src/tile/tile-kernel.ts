/**
 * Tile for the `webgpu` backend as a copy of vec4s where the output's innermost axis is a multiple of 4 and the
 * input's is one element or a multiple of 4 (Vec4TileProgram): the broadcasts of the Sum and Mean gradients. Other
 * shapes and dtypes go to tfjs's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {wrapWebGPUKernels, type WebGPUKernel} from '../common/wrap-kernel.js';
import {MAX_TILE_AXES, Vec4TileProgram} from './vec4-tile-program.js';

type Plan = {outShape: number[]; broadcastInner: boolean; outDims: number[]; inDims: number[]; inStrides: number[]};

/** The vec4 plan of tiling x by reps, or undefined where tfjs's kernel should run. */
export function vec4TilePlan(x: tf.TensorInfo, reps: readonly number[]): Plan | undefined {
  const rank = x.shape.length;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || rank === 0 || rank > MAX_TILE_AXES || reps.length !== rank) return undefined;
  const outShape = x.shape.map((size, axis) => size * reps[axis]!);
  const inner = x.shape[rank - 1]!;
  const broadcastInner = inner === 1;
  if (tf.util.sizeFromShape(outShape) === 0 || outShape[rank - 1]! % 4 !== 0 || (!broadcastInner && inner % 4 !== 0)) return undefined;
  const units = (shape: readonly number[]) => shape.map((size, axis) => (axis === rank - 1 && size % 4 === 0 ? size / 4 : size)); // innermost in vec4s
  const inUnits = broadcastInner ? [...x.shape] : units(x.shape); // the input's own elements: scalars or vec4s
  const strides = inUnits.map((_, axis) => inUnits.slice(axis + 1).reduce((size, n) => size * n, 1));
  const pad = <T>(values: T[], fill: T) => [...Array<T>(MAX_TILE_AXES - rank).fill(fill), ...values];
  return {outShape, broadcastInner, outDims: pad(units(outShape), 1), inDims: pad(inUnits, 1), inStrides: pad(strides, 0)};
}

function vec4Tile(tfjsTile: WebGPUKernel): WebGPUKernel {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const {reps} = args.attrs as {reps: number[]};
    const backend = args.backend as WebGPUBackend;
    const plan = vec4TilePlan(x, reps);
    if (plan === undefined || backend.shouldExecuteOnCPU([x])) return tfjsTile(args);
    const uniforms = [
      {type: 'int32', data: plan.outDims},
      {type: 'int32', data: plan.inDims},
      {type: 'int32', data: plan.inStrides},
      {type: 'int32', data: [tf.util.sizeFromShape(plan.outShape) / 4]},
    ];
    const program = new Vec4TileProgram(plan.outShape, x.dtype as 'float32' | 'int32', plan.broadcastInner);
    return backend.runWebGPUProgram(program, [x], x.dtype, uniforms);
  };
}

/** Replaces the `webgpu` backend's Tile with the vec4 copy, which calls tfjs's for other shapes. */
export function installVec4Tile(): void {
  wrapWebGPUKernels(['Tile'], ([tfjsTile]) => [vec4Tile(tfjsTile!)]);
}
