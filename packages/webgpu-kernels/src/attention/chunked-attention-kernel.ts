/**
 * The fused chunked-attention kernels for the `webgpu` backend: FUSED_CHUNKED_ATTENTION (forward) and its
 * gradient kernel, with the gradient registration that connects them. The contract (inputs, attributes,
 * outputs) is lsh-attention's; see its fused.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  FUSED_CHUNKED_ATTENTION,
  FUSED_CHUNKED_ATTENTION_GRAD,
  type FusedChunkedAttentionAttrs,
} from '@reformerjs/lsh-attention';

import {ChunkAttentionForwardProgram} from './forward-program.js';
import {ChunkAttentionKeyGradProgram} from './key-grad-program.js';
import {chunkLayout, chunkUniformData, type ChunkLayout} from './layout.js';
import {ChunkAttentionQueryGradProgram} from './query-grad-program.js';
import {RoundNormaliserProgram} from './round-normaliser-program.js';
import {RoundSumProgram} from './round-sum-program.js';
import {RowStatsProgram} from './row-stats-program.js';

type TensorInfo = tf.TensorInfo;

const isPresent = (t: TensorInfo): boolean => t.shape.length > 0 && tf.util.sizeFromShape(t.shape) > 0;

/** The layout of a call, after checking what the programs assume (the packages check the same before dispatching). */
function layoutOf(backend: WebGPUBackend, query: TensorInfo, order: TensorInfo, valid: TensorInfo, attrs: FusedChunkedAttentionAttrs): ChunkLayout {
  const [batch, heads, length, headSize] = query.shape as [number, number, number, number];
  const fail = (what: string) => {
    throw new Error(`${FUSED_CHUNKED_ATTENTION}: ${what}`);
  };
  if (query.shape.length !== 4) fail(`query: expected [batch, heads, length, headSize], got shape [${query.shape}]`);
  if (headSize % 4 !== 0) fail(`query: expected a headSize that is a multiple of 4, got ${headSize}`);
  if (length % attrs.chunkLength !== 0) fail(`query: expected a length that is a multiple of chunkLength ${attrs.chunkLength}, got ${length}`);
  if (isPresent(order) && tf.util.sizeFromShape(order.shape) !== batch * heads * attrs.numRounds * length) {
    fail(`order: expected [batch, heads, numRounds * length] = [${batch}, ${heads}, ${attrs.numRounds * length}], got [${order.shape}]`);
  }
  if (!isPresent(order) && attrs.numRounds !== 1) fail(`numRounds: expected 1 when no order is given, got ${attrs.numRounds}`);
  if (isPresent(valid) && tf.util.sizeFromShape(valid.shape) !== batch * length) {
    fail(`valid: expected [batch, length] = [${batch}, ${length}], got [${valid.shape}]`);
  }
  const storage = backend.device.limits.maxComputeWorkgroupStorageSize;
  return chunkLayout(query.shape, attrs, {hasOrder: isPresent(order), hasValid: isPresent(valid)}, storage);
}

/** The inputs `order` and `valid` where the layout uses them. */
const maskInputs = (l: ChunkLayout, order: TensorInfo, valid: TensorInfo): TensorInfo[] => [
  ...(l.hasOrder ? [order] : []),
  ...(l.hasValid ? [valid] : []),
];

/** Reinterprets [rows, ...] data as [batch, heads, ...] without a copy. */
function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}

function chunkedAttentionForward({inputs, backend, attrs}: {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap}): TensorInfo[] {
  const webgpu = backend as unknown as WebGPUBackend;
  const a = attrs as unknown as FusedChunkedAttentionAttrs;
  const {query, key, value, order, valid} = inputs as Record<string, TensorInfo>;
  const l = layoutOf(webgpu, query!, order!, valid!, a);
  const rows = l.batch * l.heads;
  const records = webgpu.runWebGPUProgram(
    new ChunkAttentionForwardProgram(l),
    [query!, key!, value!, ...maskInputs(l, order!, valid!)],
    'float32',
    chunkUniformData(l),
  ); // [rows, rounds, P, headSize + 4]
  const spec = {rows, rounds: l.rounds, length: l.length, headSize: l.headSize};
  const output = webgpu.runWebGPUProgram(
    new RoundSumProgram({...spec, recordVec4s: l.headSize / 4 + 1, offsetVec4s: 0, weighted: true}),
    [records],
    'float32',
  ); // [rows, P, headSize]
  const normaliser = webgpu.runWebGPUProgram(new RoundNormaliserProgram(spec), [records], 'float32'); // [rows, P, 2]
  webgpu.disposeData(records.dataId);
  return [
    withShape(output, [l.batch, l.heads, l.length, l.headSize]), // [batch, heads, P, headSize]
    withShape(normaliser, [l.batch, l.heads, l.length, 2]), // [batch, heads, P, 2]
  ];
}

function chunkedAttentionGrad({inputs, backend, attrs}: {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap}): TensorInfo[] {
  const webgpu = backend as unknown as WebGPUBackend;
  const a = attrs as unknown as FusedChunkedAttentionAttrs;
  const {dOutput, query, key, value, order, valid, output, normaliser} = inputs as Record<string, TensorInfo>;
  const l = layoutOf(webgpu, query!, order!, valid!, a);
  const rows = l.batch * l.heads;
  const rowStats = webgpu.runWebGPUProgram(
    new RowStatsProgram({rows, length: l.length, headSize: l.headSize}),
    [dOutput!, output!, normaliser!],
    'float32',
  ); // [rows, P, 4]
  const gradInputs = [query!, key!, value!, dOutput!, rowStats, ...maskInputs(l, order!, valid!)];
  const spec = {rows, rounds: l.rounds, length: l.length, headSize: l.headSize};
  const d4 = l.headSize / 4;

  const queryRecords = webgpu.runWebGPUProgram(new ChunkAttentionQueryGradProgram(l), gradInputs, 'float32', chunkUniformData(l)); // [rows, rounds, P, headSize]
  const dQuery = webgpu.runWebGPUProgram(new RoundSumProgram({...spec, recordVec4s: d4, offsetVec4s: 0, weighted: false}), [queryRecords], 'float32'); // [rows, P, headSize]
  webgpu.disposeData(queryRecords.dataId);

  const keyRecords = webgpu.runWebGPUProgram(new ChunkAttentionKeyGradProgram(l), gradInputs, 'float32', chunkUniformData(l)); // [rows, rounds, P, 2*headSize]
  const dKey = webgpu.runWebGPUProgram(new RoundSumProgram({...spec, recordVec4s: 2 * d4, offsetVec4s: 0, weighted: false}), [keyRecords], 'float32'); // [rows, P, headSize]
  const dValue = webgpu.runWebGPUProgram(new RoundSumProgram({...spec, recordVec4s: 2 * d4, offsetVec4s: d4, weighted: false}), [keyRecords], 'float32'); // [rows, P, headSize]
  webgpu.disposeData(keyRecords.dataId);
  webgpu.disposeData(rowStats.dataId);

  const shape = [l.batch, l.heads, l.length, l.headSize];
  return [withShape(dQuery, shape), withShape(dKey, shape), withShape(dValue, shape)]; // each [batch, heads, P, headSize]
}

const forwardKernel: tf.KernelConfig = {
  kernelName: FUSED_CHUNKED_ATTENTION,
  backendName: 'webgpu',
  kernelFunc: chunkedAttentionForward as unknown as tf.KernelFunc,
};

const gradKernel: tf.KernelConfig = {
  kernelName: FUSED_CHUNKED_ATTENTION_GRAD,
  backendName: 'webgpu',
  kernelFunc: chunkedAttentionGrad as unknown as tf.KernelFunc,
};

/**
 * The forward's gradient runs the gradient kernel. The normaliser is a statistic saved for it, not differentiated
 * (the contract says so); `order` and `valid` are integers and get zeros.
 */
const gradient: tf.GradConfig = {
  kernelName: FUSED_CHUNKED_ATTENTION,
  inputsToSave: ['query', 'key', 'value', 'order', 'valid'],
  outputsToSave: [true, true],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [dOutput] = dy as tf.Tensor[];
    const [query, key, value, order, valid, output, normaliser] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dQuery, dKey, dValue] = tf
      .engine()
      .runKernel(FUSED_CHUNKED_ATTENTION_GRAD, {dOutput: dOutput!, query, key, value, order, valid, output, normaliser}, attrs) as tf.Tensor[];
    return {
      query: () => dQuery!,
      key: () => dKey!,
      value: () => dValue!,
      order: () => tf.zeros(order.shape),
      valid: () => tf.zeros(valid.shape),
    };
  },
};

export const chunkedAttentionKernels = {kernels: [forwardKernel, gradKernel], gradients: [gradient]};
