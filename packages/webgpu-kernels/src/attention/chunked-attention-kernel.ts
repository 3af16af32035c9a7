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

import {withFloatStorage} from '../common/float-storage.js';
import {maxRowLanes} from '../device/subgroups.js';
import {ChunkAttentionForwardProgram} from './forward-program.js';
import {ChunkAttentionKeyGradProgram} from './key-grad-program.js';
import {ChunkAttentionKeyGradFromScoresProgram} from './key-grad-from-scores-program.js';
import {chunkLayout, chunkUniformData, rowGroups, storedScoresFloats, storesScores, type ChunkLayout, type RowGroup} from './layout.js';
import {ChunkAttentionQueryGradProgram} from './query-grad-program.js';
import {RoundNormaliserProgram} from './round-normaliser-program.js';
import {RoundSumProgram} from './round-sum-program.js';
import {RowStatsProgram} from './row-stats-program.js';

type TensorInfo = tf.TensorInfo;
type KernelArgs = {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap};

/**
 * tfjs flag: the largest storage binding, in bytes, the chunked-attention programs may use (0: the device's
 * maxStorageBufferBindingSize). Records of long sequences are split into groups of rows that fit.
 */
export const MAX_BINDING_FLAG = 'REFORMERJS_WEBGPU_MAX_BINDING_BYTES';
tf.env().registerFlag(MAX_BINDING_FLAG, () => 0);

/**
 * tfjs flag: let the backward store each query's (P, dS) pairs for its window keys where the window is small (LSH,
 * local attention), so that the key-major pass does not compute the dot products again (default true). Costs
 * 2 · window · chunkLength floats per query and round for the duration of the backward (1 GiB for LSH-4 at 64K
 * tokens, 4 heads, chunk 64); off, the backward recomputes them.
 */
export const STORED_SCORES_FLAG = 'REFORMERJS_WEBGPU_STORED_SCORES';
tf.env().registerFlag(STORED_SCORES_FLAG, () => true);

const isPresent = (t: TensorInfo): boolean => t.shape.length > 0 && tf.util.sizeFromShape(t.shape) > 0;

/** The layout of a call, after checking what the programs assume (the packages check the same before dispatching). */
function layoutOf(backend: WebGPUBackend, query: TensorInfo, order: TensorInfo, valid: TensorInfo, attrs: FusedChunkedAttentionAttrs): ChunkLayout {
  const [batch, heads, length, headSize] = query.shape as [number, number, number, number];
  const fail = (what: string) => {
    throw new Error(`${FUSED_CHUNKED_ATTENTION}: ${what}`);
  };
  if (query.shape.length !== 4) fail(`query: expected [batch, heads, length, headSize], got shape [${query.shape}]`);
  if (headSize % 4 !== 0) fail(`query: expected a headSize that is a multiple of 4, got ${headSize}`);
  const threads = backend.device.limits.maxComputeInvocationsPerWorkgroup;
  if (attrs.chunkLength > threads) fail(`chunkLength: expected at most ${threads} (one thread per query of a chunk on this device), got ${attrs.chunkLength}`);
  if (length % attrs.chunkLength !== 0) fail(`query: expected a length that is a multiple of chunkLength ${attrs.chunkLength}, got ${length}`);
  if (isPresent(order) && tf.util.sizeFromShape(order.shape) !== batch * heads * attrs.numRounds * length) {
    fail(`order: expected [batch, heads, numRounds * length] = [${batch}, ${heads}, ${attrs.numRounds * length}], got [${order.shape}]`);
  }
  if (!isPresent(order) && attrs.numRounds !== 1) fail(`numRounds: expected 1 when no order is given, got ${attrs.numRounds}`);
  if (isPresent(valid) && tf.util.sizeFromShape(valid.shape) !== batch * length) {
    fail(`valid: expected [batch, length] = [${batch}, ${length}], got [${valid.shape}]`);
  }
  const device = {
    workgroupStorageBytes: backend.device.limits.maxComputeWorkgroupStorageSize,
    maxLanes: Math.min(maxRowLanes(backend.device), Math.floor(threads / attrs.chunkLength)),
  };
  return chunkLayout(query.shape, attrs, {hasOrder: isPresent(order), hasValid: isPresent(valid)}, device);
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

/**
 * The largest storage binding the programs may use: the device's limit, or a smaller one set through
 * MAX_BINDING_FLAG (tests use it to exercise the splitting on small inputs).
 */
function bindingLimit(backend: WebGPUBackend): number {
  const forced = tf.env().getNumber(MAX_BINDING_FLAG);
  const device = backend.device.limits.maxStorageBufferBindingSize;
  return forced > 0 ? Math.min(forced, device) : device;
}

type Spec = {rows: number; outputRows: number; rounds: number; length: number; headSize: number};

/** Sums a group's records over rounds into its rows of `output` (allocated on first use). */
function sumRounds(
  backend: WebGPUBackend,
  records: TensorInfo,
  output: TensorInfo | undefined,
  spec: Spec,
  group: RowGroup,
  record: {recordVec4s: number; offsetVec4s: number; weighted: boolean},
): TensorInfo {
  const program = new RoundSumProgram({...spec, rows: group.count, ...record});
  const uniforms = [
    {type: 'int32', data: [group.offset]},
    {type: 'int32', data: [(group.count * spec.length * spec.headSize) / 4]},
  ];
  return backend.runWebGPUProgram(program, [records], 'float32', uniforms, output);
}

function chunkedAttentionForward({inputs, backend, attrs}: KernelArgs): TensorInfo[] {
  const webgpu = backend as unknown as WebGPUBackend;
  const a = attrs as unknown as FusedChunkedAttentionAttrs;
  const {order, valid} = inputs as Record<string, TensorInfo>;
  const l = layoutOf(webgpu, inputs.query!, order!, valid!, a);
  const floats = withFloatStorage(webgpu, [inputs.query!, inputs.key!, inputs.value!]);
  const [query, key, value] = floats.inputs as [TensorInfo, TensorInfo, TensorInfo];
  const rows = l.batch * l.heads;
  const spec: Spec = {rows, outputRows: rows, rounds: l.rounds, length: l.length, headSize: l.headSize};
  let output: TensorInfo | undefined;
  let normaliser: TensorInfo | undefined;
  for (const group of rowGroups(l, l.headSize + 4, bindingLimit(webgpu))) {
    const records = webgpu.runWebGPUProgram(
      new ChunkAttentionForwardProgram(l, group.count),
      [query, key, value, ...maskInputs(l, order!, valid!)],
      'float32',
      chunkUniformData(l, group),
    ); // [group rows, rounds, P, headSize + 4]
    output = sumRounds(webgpu, records, output, spec, group, {recordVec4s: l.headSize / 4 + 1, offsetVec4s: 0, weighted: true}); // [rows, P, headSize]
    normaliser = webgpu.runWebGPUProgram(
      new RoundNormaliserProgram({...spec, rows: group.count}),
      [records],
      'float32',
      [
        {type: 'int32', data: [group.offset]},
        {type: 'int32', data: [group.count * l.length]},
      ],
      normaliser,
    ); // [rows, P, 2]
    webgpu.disposeData(records.dataId);
  }
  floats.release();
  return [
    withShape(output!, [l.batch, l.heads, l.length, l.headSize]), // [batch, heads, P, headSize]
    withShape(normaliser!, [l.batch, l.heads, l.length, 2]), // [batch, heads, P, 2]
  ];
}

function chunkedAttentionGrad({inputs, backend, attrs}: KernelArgs): TensorInfo[] {
  const webgpu = backend as unknown as WebGPUBackend;
  const a = attrs as unknown as FusedChunkedAttentionAttrs;
  const {order, valid} = inputs as Record<string, TensorInfo>;
  const l = layoutOf(webgpu, inputs.query!, order!, valid!, a);
  const floats = withFloatStorage(webgpu, ['dOutput', 'query', 'key', 'value', 'output', 'normaliser'].map((name) => inputs[name] as TensorInfo));
  const [dOutput, query, key, value, output, normaliser] = floats.inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const rows = l.batch * l.heads;
  const rowStats = webgpu.runWebGPUProgram(
    new RowStatsProgram({rows, length: l.length, headSize: l.headSize}),
    [dOutput, output, normaliser],
    'float32',
  ); // [rows, P, 4]
  const gradInputs = [query, key, value, dOutput, rowStats, ...maskInputs(l, order!, valid!)];
  const spec: Spec = {rows, outputRows: rows, rounds: l.rounds, length: l.length, headSize: l.headSize};
  const d4 = l.headSize / 4;
  const binding = bindingLimit(webgpu);
  const scoresRowBytes = l.rounds * l.length * (l.headSize + storedScoresFloats(l)) * 4;
  const store = tf.env().getBool(STORED_SCORES_FLAG) && storesScores(l) && scoresRowBytes <= binding; // else recompute
  const queryRecordFloats = l.headSize + (store ? storedScoresFloats(l) : 0);
  let dQuery: TensorInfo | undefined;
  let dKey: TensorInfo | undefined;
  let dValue: TensorInfo | undefined;
  for (const group of rowGroups(l, Math.max(2 * l.headSize, queryRecordFloats), binding)) {
    const uniforms = chunkUniformData(l, group);
    const queryRecords = webgpu.runWebGPUProgram(new ChunkAttentionQueryGradProgram(l, group.count, store), gradInputs, 'float32', uniforms); // [group rows, rounds, P, queryRecordFloats]
    dQuery = sumRounds(webgpu, queryRecords, dQuery, spec, group, {recordVec4s: queryRecordFloats / 4, offsetVec4s: 0, weighted: false}); // [rows, P, headSize]

    const scoresLayout = {...l, hasValid: false}; // the masks are in the scores
    const keyRecords = store
      ? webgpu.runWebGPUProgram(
          new ChunkAttentionKeyGradFromScoresProgram(scoresLayout, group.count),
          [query, dOutput, queryRecords, ...maskInputs(scoresLayout, order!, valid!)],
          'float32',
          uniforms,
        )
      : webgpu.runWebGPUProgram(new ChunkAttentionKeyGradProgram(l, group.count), gradInputs, 'float32', uniforms); // [group rows, rounds, P, 2*headSize]
    webgpu.disposeData(queryRecords.dataId);
    dKey = sumRounds(webgpu, keyRecords, dKey, spec, group, {recordVec4s: 2 * d4, offsetVec4s: 0, weighted: false}); // [rows, P, headSize]
    dValue = sumRounds(webgpu, keyRecords, dValue, spec, group, {recordVec4s: 2 * d4, offsetVec4s: d4, weighted: false}); // [rows, P, headSize]
    webgpu.disposeData(keyRecords.dataId);
  }
  webgpu.disposeData(rowStats.dataId);
  floats.release();

  const shape = [l.batch, l.heads, l.length, l.headSize];
  return [withShape(dQuery!, shape), withShape(dKey!, shape), withShape(dValue!, shape)]; // each [batch, heads, P, headSize]
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
      // fill runs on the device; tf.zeros would build and upload the array from JavaScript.
      order: () => tf.fill(order.shape, 0, 'float32'),
      valid: () => tf.fill(valid.shape, 0, 'float32'),
    };
  },
};

export const chunkedAttentionKernels = {kernels: [forwardKernel, gradKernel], gradients: [gradient]};
