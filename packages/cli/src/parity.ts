// Parity against a Hugging Face reference case: run our model on the case's inputs with the rotations HF
// drew, and compare logits, hidden states, loss and every gradient by relative error.

import {join} from 'node:path';
import {
  HEAD_ARCHITECTURES,
  disposeParameters,
  lmHeadBiasDefault,
  loadCheckpoint,
  parameterSpecs,
  ReformerForMaskedLM,
  ReformerModelWithLMHead,
  type ReformerConfig,
  type ReformerHead,
  type ReformerParameters,
} from '@reformerjs/reformer-model';
import {parseSafetensors, type SafetensorsFile} from '@reformerjs/safetensors';
import * as tf from '@tensorflow/tfjs';
import {UsageError} from './errors.js';
import {readCheckpointDir, readRequiredFile} from './files.js';

export type ParityKind = 'logits' | 'hidden' | 'loss' | 'grad';

/** The tolerances fixtures/README.md sets for a float32 implementation against float64 references. */
export const PARITY_TOLERANCES: Readonly<Record<ParityKind, number>> = Object.freeze({
  logits: 1e-4,
  hidden: 1e-4,
  loss: 1e-5,
  grad: 1e-3,
});

export interface ParityRow {
  /** The reference tensor's name in io.safetensors: logits, hidden.<i>, loss, grad.<HF parameter name>. */
  name: string;
  kind: ParityKind;
  /** ‖out − ref‖ / ‖ref‖ (‖out‖ when ‖ref‖ is 0); NaN when the output is missing or misshapen. */
  relativeError: number;
  tolerance: number;
  ok: boolean;
  /** Why a row failed without a number (missing output, shape mismatch). */
  note?: string;
}

export interface ParityResult {
  caseDir: string;
  head: ReformerHead;
  backend: string;
  rows: ParityRow[];
  /**
   * Parameters whose gradient the case holds no reference for: in cases made with transformers 5.x,
   * lm_head.bias, which that version saves but never adds to the logits (so it gets no gradient).
   */
  unchecked: string[];
  /** Every row within its tolerance. */
  ok: boolean;
}

export interface ParityOptions {
  tolerances?: Partial<Record<ParityKind, number>>;
  /**
   * Whether the LM head adds lm_head.bias to the logits: transformers 4.x does, 5.x does not (it saves the
   * parameter but never uses it). Default: the models' own, `lmHeadBiasDefault(config)` from the case's
   * config.json `transformers_version` (true below 5, false from 5 on or when absent).
   */
  lmHeadBias?: boolean;
}

export const IO_FILE = 'io.safetensors';

/** ‖a − b‖ / ‖b‖ accumulated in float64; ‖a‖ when ‖b‖ is 0; NaN if either holds a NaN. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let ref = 0;
  let own = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    diff += (a - b) * (a - b);
    ref += b * b;
    own += a * a;
  }
  return ref === 0 ? Math.sqrt(own) : Math.sqrt(diff / ref);
}

// [rows, cols] → [cols, rows], row-major.
function transpose2d(src: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

interface Reference {
  shape: readonly number[];
  values: Float32Array;
}

function reference(io: SafetensorsFile, name: string): Reference {
  const t = io.get(name);
  return {shape: t.shape, values: t.toFloat32()};
}

async function compare(
  name: string,
  kind: ParityKind,
  tolerance: number,
  out: tf.Tensor | undefined,
  ref: Reference,
): Promise<ParityRow> {
  if (out === undefined) return {name, kind, relativeError: NaN, tolerance, ok: false, note: 'missing from the output'};
  // HF's loss is [1] in the case; ours may be a scalar: compare values then.
  const shapesMatch = sameShape(out.shape, ref.shape) || (kind === 'loss' && out.size === 1 && ref.values.length === 1);
  if (!shapesMatch) {
    return {name, kind, relativeError: NaN, tolerance, ok: false, note: `shape ${fmt(out.shape)}, reference ${fmt(ref.shape)}`};
  }
  const err = relativeError((await out.data()) as Float32Array, ref.values);
  return {name, kind, relativeError: err, tolerance, ok: err <= tolerance};
}

type LMModel = ReformerModelWithLMHead | ReformerForMaskedLM;

function createModel(head: ReformerHead, config: ReformerConfig, parameters: ReformerParameters, lmHeadBias: boolean): LMModel {
  switch (head) {
    case 'lm':
      return new ReformerModelWithLMHead(config, {parameters, lmHeadBias});
    case 'masked-lm':
      return new ReformerForMaskedLM(config, {parameters, lmHeadBias});
    default:
      throw new UsageError(`parity: the case's model is a bare ReformerModel; parity needs an LM head (ReformerModelWithLMHead or ReformerForMaskedLM)`);
  }
}

/**
 * Runs one reference case (a folder with config.json, model.safetensors and io.safetensors, as made by
 * packages/test-utils/fixtures/make_hf_golden.py) on the active tfjs backend: forward with hidden states,
 * then loss and gradients with labels = input_ids (HF's loss), hashing with the stored rotations. Returns one
 * row per logits, hidden state, loss and gradient the case holds.
 */
export async function runParity(caseDir: string, options: ParityOptions = {}): Promise<ParityResult> {
  const tolerances = {...PARITY_TOLERANCES, ...options.tolerances};
  const files = await readCheckpointDir(caseDir);
  const ioBytes = await readRequiredFile(join(caseDir, IO_FILE), 'parity case');
  const io = parseSafetensors(new Uint8Array(ioBytes.buffer, ioBytes.byteOffset, ioBytes.byteLength));
  for (const name of ['input_ids', 'attention_mask', 'logits', 'loss']) {
    if (!io.has(name)) throw new UsageError(`parity case: ${join(caseDir, IO_FILE)} has no tensor '${name}'`);
  }
  const {config, parameters, head} = await loadCheckpoint({config: files.configJson, weights: files.weights});
  const tensors: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    tensors.push(t);
    return t;
  };
  let model: LMModel | undefined;
  try {
    model = createModel(head, config, parameters, options.lmHeadBias ?? lmHeadBiasDefault(config));
    const ids = io.get('input_ids');
    const inputIds = keep(tf.tensor2d(ids.toInt32(), [ids.shape[0]!, ids.shape[1]!], 'int32'));
    const attentionMask = keep(tf.tensor2d(io.get('attention_mask').toInt32(), [ids.shape[0]!, ids.shape[1]!], 'int32'));
    const rotations: Record<number, tf.Tensor4D> = {};
    for (const name of io.names) {
      const m = /^rotations\.(\d+)$/.exec(name);
      if (!m) continue;
      const t = io.get(name);
      rotations[Number(m[1])] = keep(tf.tensor4d(t.toFloat32(), t.shape as [number, number, number, number], 'float32'));
    }

    const rows: ParityRow[] = [];
    const forward = model.forward(inputIds, {attentionMask, rotations, outputHiddenStates: true});
    keep(forward.logits);
    for (const h of forward.allHiddenStates ?? []) keep(h);
    rows.push(await compare('logits', 'logits', tolerances.logits, forward.logits, reference(io, 'logits')));
    const hiddenNames = io.names
      .filter((n) => /^hidden\.\d+$/.test(n))
      .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
    for (const name of hiddenNames) {
      const i = Number(name.slice('hidden.'.length));
      rows.push(await compare(name, 'hidden', tolerances.hidden, forward.allHiddenStates?.[i], reference(io, name)));
    }

    const {loss, grads} = model.gradients(inputIds, {attentionMask, rotations, labels: inputIds});
    keep(loss);
    for (const g of Object.values(grads)) keep(g);
    rows.push(await compare('loss', 'loss', tolerances.loss, loss, reference(io, 'loss')));
    // Our Linear weights (and their gradients) are [in, out]; HF's are [out, in].
    const unchecked: string[] = [];
    for (const spec of parameterSpecs(config, head)) {
      const name = `grad.${spec.name}`;
      if (!io.has(name)) {
        unchecked.push(spec.name);
        continue;
      }
      const ref = reference(io, name);
      const refOurs: Reference = spec.transposed
        ? {shape: [ref.shape[1]!, ref.shape[0]!], values: transpose2d(ref.values, ref.shape[0]!, ref.shape[1]!)}
        : ref;
      rows.push(await compare(name, 'grad', tolerances.grad, grads[spec.name], refOurs));
    }
    const backend = tf.getBackend();
    return {caseDir, head, backend, rows, unchecked, ok: rows.every((r) => r.ok)};
  } finally {
    model?.dispose();
    tf.dispose(tensors);
    disposeParameters(parameters);
  }
}

/** The rows as a plain-text table, with a summary line. */
export function formatParityTable(result: ParityResult): string {
  const width = Math.max(6, ...result.rows.map((r) => r.name.length));
  const lines = [
    `parity ${result.caseDir} (${HEAD_ARCHITECTURES[result.head]}, backend ${result.backend})`,
    `${'output'.padEnd(width)}  ${'rel. error'.padStart(10)}  ${'tolerance'.padStart(9)}  result`,
  ];
  for (const r of result.rows) {
    const err = Number.isNaN(r.relativeError) ? 'n/a' : r.relativeError.toExponential(2);
    const tol = r.tolerance.toExponential(0);
    lines.push(`${r.name.padEnd(width)}  ${err.padStart(10)}  ${tol.padStart(9)}  ${r.ok ? 'ok' : 'FAIL'}${r.note ? ` (${r.note})` : ''}`);
  }
  if (result.unchecked.length > 0) lines.push(`no reference gradient for ${result.unchecked.join(', ')}`);
  const failed = result.rows.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? `all ${result.rows.length} within tolerance` : `${failed} of ${result.rows.length} outside tolerance`);
  return `${lines.join('\n')}\n`;
}
