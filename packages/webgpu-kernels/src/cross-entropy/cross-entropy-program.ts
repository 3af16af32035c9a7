import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {linearDispatch, WORKGROUP_INDEX_WGSL} from '../common/workgroup.js';

/** Threads of a workgroup: one row of logits each workgroup, its vocabulary strided over the threads. */
const THREADS = 64;

/**
 * The weighted cross-entropy of rows of logits [rows, vocab] float32 (any vocabulary size) against int32 targets:
 * forward, inputs (logits, targets, weights), output [rows] = w · (max + log Σ exp(logit − max) − logit[target]), the
 * picked logit 0 for a target outside [0, vocab); with `gradient`, inputs (logits, targets, weights, scale), output
 * [rows, vocab] = (exp(logit − max) / Σ − oneHot) · w · scale. One workgroup per row: its threads stride over the
 * vocabulary (neighbouring threads, neighbouring logits) and reduce the max and the sum as trees in workgroup memory.
 * One dispatch in place of the reference path's dozen ops (forward) or six (gradient).
 */
export class CrossEntropyProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  variableNames: string[];
  uniforms = 'rows : i32, vocab : i32,';

  constructor(
    rows: number,
    vocab: number,
    private readonly gradient: boolean,
  ) {
    this.outputShape = gradient ? [rows, vocab] : [rows];
    this.dispatch = linearDispatch(rows);
    this.variableNames = gradient ? ['logits', 'targets', 'weights', 'scale'] : ['logits', 'targets', 'weights'];
    this.shaderKey = `reformerCrossEntropy_${gradient ? 'grad' : 'forward'}`;
  }

  getUserCode(): string {
    const tree = (name: string, combine: string) => `
fn ${name}(value : f32, t : i32) -> f32 {
  threadValues[t] = value;
  for (var half = THREADS / 2; half > 0; half /= 2) {
    workgroupBarrier();
    if (t < half) { threadValues[t] = ${combine}; }
  }
  workgroupBarrier();
  let total = threadValues[0];
  workgroupBarrier(); // read by all before the next tree writes
  return total;
}`;
    return `
${WORKGROUP_INDEX_WGSL}
const THREADS = ${THREADS};
const LOWEST = -3.4028234e38;
var<workgroup> threadValues : array<f32, THREADS>;
${tree('rowMax', 'max(threadValues[t], threadValues[t + half])')}
${tree('rowSum', 'threadValues[t] + threadValues[t + half]')}

fn main(_index : i32) {
  let row = i32(uniformWorkgroupIndex());
  let t = i32(localIndex);
  let inside = row < uniforms.rows;
  let base = row * uniforms.vocab;
  var partial = LOWEST;
  if (inside) {
    for (var c = t; c < uniforms.vocab; c += THREADS) { partial = max(partial, logits[base + c]); }
  }
  let rowMaximum = rowMax(partial, t);
  partial = 0.0;
  if (inside) {
    for (var c = t; c < uniforms.vocab; c += THREADS) { partial += exp(logits[base + c] - rowMaximum); }
  }
  let expSum = rowSum(partial, t);
  if (!inside) { return; }
  let label = targets[row];
${
  this.gradient
    ? `  let rowScale = weights[row] * scale[0];
  for (var c = t; c < uniforms.vocab; c += THREADS) {
    let oneHot = select(0.0, 1.0, c == label);
    result[base + c] = (exp(logits[base + c] - rowMaximum) / expSum - oneHot) * rowScale;
  }`
    : `  if (t == 0) {
    let inVocab = label >= 0 && label < uniforms.vocab;
    let picked = select(0.0, logits[base + clamp(label, 0, uniforms.vocab - 1)], inVocab);
    result[row] = (rowMaximum + log(expSum) - picked) * weights[row];
  }`
}
}
`;
  }
}
