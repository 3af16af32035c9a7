// Hugging Face checkpoints (config.json + model.safetensors) in and out, as bytes: no file system here, so
// that the same code loads a checkpoint in a browser (fetch) and in Node (readFile).

import {
  isFloatDtype,
  parseSafetensors,
  serializeSafetensors,
  type SafetensorsFile,
  type SafetensorsTensor,
  type TensorToWrite,
} from '@reformerjs/safetensors';
import * as tf from '@tensorflow/tfjs-core';
import {ReformerConfig} from './config.js';
import {
  BASE_MODEL_PREFIX,
  checkpointName,
  disposeParameters,
  nextVariablePrefix,
  parameterSpecs,
  REFORMER_HEADS,
  type ParameterSpec,
  type ReformerHead,
  type ReformerParameters,
} from './parameters.js';

/** A checkpoint that cannot be loaded or saved (missing or extra tensors, wrong shapes or dtypes). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** The HF model class (config.json `architectures`) of each head. */
export const HEAD_ARCHITECTURES: Readonly<Record<ReformerHead, string>> = Object.freeze({
  lm: 'ReformerModelWithLMHead',
  'masked-lm': 'ReformerForMaskedLM',
  none: 'ReformerModel',
});

export type CheckpointDtype = 'float32' | 'float16' | 'bfloat16';

const SAFETENSORS_DTYPES = {float32: 'F32', float16: 'F16', bfloat16: 'BF16'} as const;

// HF ties lm_head.decoder.bias to lm_head.bias and saves only the latter; older files carry both.
const TIED_DECODER_BIAS = 'lm_head.decoder.bias';
const LM_HEAD_BIAS = 'lm_head.bias';

export interface CheckpointSource {
  /** config.json: its text, the parsed object, or a ReformerConfig. */
  config: string | object;
  /** model.safetensors' bytes. */
  weights: Uint8Array;
}

export interface LoadCheckpointOptions {
  /**
   * The model to load for. Default: from config.json's `architectures` (ReformerModelWithLMHead → 'lm',
   * ReformerForMaskedLM → 'masked-lm', ReformerModel → 'none'), else from the tensors (an `lm_head` makes
   * 'lm' when `is_decoder`, else 'masked-lm'; none makes 'none').
   */
  head?: ReformerHead;
  /**
   * When true (the default), a tensor the model does not use is an error, except the ones HF itself
   * ignores, which are listed in `warnings`: the tied `lm_head.decoder.bias`, and any head's tensors when
   * loading the bare model (head 'none'). When false, every unused tensor is only a warning.
   */
  strict?: boolean;
}

export interface LoadedCheckpoint {
  config: ReformerConfig;
  /** Keyed by HF name with the `reformer.` prefix, in this project's orientation (Linear `[in, out]`). */
  parameters: ReformerParameters;
  head: ReformerHead;
  /** Tensors of the file that were not used, each with the reason. */
  warnings: string[];
}

export interface SaveCheckpointOptions {
  /** Element type of the saved weights (default float32; float16 and bfloat16 round to nearest, ties to even). */
  dtype?: CheckpointDtype;
  /** Default: 'none' without an `lm_head.decoder.weight`; with one, from `architectures` in the config, else `is_decoder` ('lm' or 'masked-lm'). */
  head?: ReformerHead;
}

export interface SavedCheckpoint {
  /** config.json's text, `architectures` set to the head's HF class and `dtype` to the saved dtype. */
  configJson: string;
  /** model.safetensors' bytes, with HF's names and orientation and `__metadata__: {format: 'pt'}`. */
  weights: Uint8Array;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return JSON.stringify(value);
}

function checkHeadOption(head: unknown, fn: string): asserts head is ReformerHead | undefined {
  if (head !== undefined && !(REFORMER_HEADS as readonly unknown[]).includes(head)) {
    throw new Error(`${fn}: options.head: expected one of ${REFORMER_HEADS.map((h) => `'${h}'`).join(', ')}, got ${describeValue(head)}`);
  }
}

function readConfig(config: unknown): ReformerConfig {
  if (config instanceof ReformerConfig) return config;
  if (typeof config === 'string') return ReformerConfig.fromJSONString(config);
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) return ReformerConfig.fromJSON(config);
  throw new Error(`loadCheckpoint: source.config: expected config.json's text or its parsed object, got ${describeValue(config)}`);
}

function architectureOf(config: ReformerConfig): unknown {
  const archs = config.extraFields['architectures'];
  return Array.isArray(archs) && archs.length > 0 ? archs[0] : undefined;
}

function inferHead(config: ReformerConfig, file: SafetensorsFile): ReformerHead {
  const arch = architectureOf(config);
  if (arch !== undefined) {
    const found = (Object.keys(HEAD_ARCHITECTURES) as ReformerHead[]).find((h) => HEAD_ARCHITECTURES[h] === arch);
    if (found !== undefined) return found;
    throw new CheckpointError(
      `loadCheckpoint: config.json architectures: ${JSON.stringify(arch)} is not supported ` +
        `(expected ${Object.values(HEAD_ARCHITECTURES).join(', ')}); pass options.head 'none' to load its base model`,
    );
  }
  if (!file.has('lm_head.decoder.weight')) return 'none';
  return config.isDecoder ? 'lm' : 'masked-lm';
}

// [rows, cols] → [cols, rows], row-major.
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c]!;
  }
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) return false;
  return true;
}

function floatValues(t: SafetensorsTensor): Float32Array {
  if (!isFloatDtype(t.dtype)) {
    throw new CheckpointError(
      `loadCheckpoint: tensor '${t.name}' has dtype ${t.dtype}; expected a float dtype (F32, F16, BF16 or F64)`,
    );
  }
  return t.toFloat32();
}

/**
 * Loads a Hugging Face Reformer checkpoint: config.json and model.safetensors, as HF's `save_pretrained`
 * writes them. Weights may be float32, float16, bfloat16 (or float64); they become float32 variables.
 * Names with or without the `reformer.` prefix are accepted (a bare ReformerModel saves without it), as is
 * a checkpoint that stores the tied LM-head bias as `lm_head.decoder.bias` (with or without `lm_head.bias`;
 * when both are present they must be equal).
 *
 * Rejects with a {@link CheckpointError} naming the tensor when one is missing, has the wrong shape (both
 * shapes given in HF's orientation) or a non-float dtype, or (with `strict`, the default) when the file has
 * a tensor the model does not use. The returned variables have globally unique names; dispose them with
 * `disposeParameters` when done.
 */
export async function loadCheckpoint(source: CheckpointSource, options: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint> {
  if (source === null || typeof source !== 'object') {
    throw new Error(`loadCheckpoint: source: expected {config, weights}, got ${describeValue(source)}`);
  }
  if (!(source.weights instanceof Uint8Array)) {
    throw new Error(`loadCheckpoint: source.weights: expected model.safetensors' bytes as a Uint8Array, got ${describeValue(source.weights)}`);
  }
  checkHeadOption(options.head, 'loadCheckpoint');
  const strict = options.strict ?? true;
  const config = readConfig(source.config);
  const file = parseSafetensors(source.weights);
  const head = options.head ?? inferHead(config, file);
  const specs = parameterSpecs(config, head);

  // HF's loader adds or strips the base-model prefix as needed; so do we, one convention per file.
  const prefixed = file.names.some((n) => n.startsWith(BASE_MODEL_PREFIX));
  const fileName = (spec: ParameterSpec): string => (prefixed ? spec.name : checkpointName(spec.name, 'none'));

  const used = new Set<string>();
  const warnings: string[] = [];
  const values = new Map<string, Float32Array>();

  for (const spec of specs) {
    let name = fileName(spec);
    if (spec.name === LM_HEAD_BIAS && !file.has(name) && file.has(TIED_DECODER_BIAS)) name = TIED_DECODER_BIAS;
    if (!file.has(name)) {
      const hint = head !== 'none' && spec.name.startsWith('lm_head.') ? ` (loading for head '${head}'; pass head 'none' to load the base model alone)` : '';
      throw new CheckpointError(`loadCheckpoint: the checkpoint has no tensor '${name}'${hint}`);
    }
    const t = file.get(name);
    if (t.shape.length !== spec.checkpointShape.length || t.shape.some((d, i) => d !== spec.checkpointShape[i])) {
      throw new CheckpointError(
        `loadCheckpoint: tensor '${name}' has shape ${fmt(t.shape)} in the checkpoint, expected ${fmt(spec.checkpointShape)} for this config` +
          (spec.transposed ? ` (HF's [out, in] orientation)` : ''),
      );
    }
    used.add(name);
    const data = floatValues(t);
    values.set(spec.name, spec.transposed ? transpose2d(data, spec.checkpointShape[0]!, spec.checkpointShape[1]!) : data);
  }

  for (const name of file.names) {
    if (used.has(name)) continue;
    if (name === TIED_DECODER_BIAS && head !== 'none') {
      const other = file.get(name);
      const bias = values.get(LM_HEAD_BIAS)!;
      if (!isFloatDtype(other.dtype) || !sameValues(other.toFloat32(), bias)) {
        throw new CheckpointError(
          `loadCheckpoint: tensors '${TIED_DECODER_BIAS}' and '${LM_HEAD_BIAS}' differ; HF ties them, so a checkpoint must hold one value`,
        );
      }
      warnings.push(`${name}: ignored (tied to ${LM_HEAD_BIAS}, equal)`);
      continue;
    }
    const headTensor = head === 'none' && (prefixed ? !name.startsWith(BASE_MODEL_PREFIX) : !/^(embeddings|encoder)\./.test(name));
    if (headTensor) {
      warnings.push(`${name}: ignored (a head's tensor; loading the base model, head 'none')`);
      continue;
    }
    if (strict) {
      throw new CheckpointError(
        `loadCheckpoint: the checkpoint has a tensor the ${HEAD_ARCHITECTURES[head]} of this config does not have: '${name}' ` +
          `(pass strict: false to ignore it)`,
      );
    }
    warnings.push(`${name}: ignored (not a parameter of ${HEAD_ARCHITECTURES[head]} for this config)`);
  }

  const prefix = nextVariablePrefix();
  const parameters: ReformerParameters = {};
  try {
    for (const spec of specs) {
      const initial = tf.tensor(values.get(spec.name)!, spec.shape, 'float32');
      parameters[spec.name] = tf.variable(initial, true, `${prefix}${spec.name}`, 'float32');
      initial.dispose();
    }
  } catch (e) {
    disposeParameters(parameters);
    throw e;
  }
  return {config, parameters, head, warnings};
}

function inferSaveHead(config: ReformerConfig, parameters: ReformerParameters): ReformerHead {
  if (!('lm_head.decoder.weight' in parameters)) return 'none';
  const arch = architectureOf(config);
  if (arch === HEAD_ARCHITECTURES.lm) return 'lm';
  if (arch === HEAD_ARCHITECTURES['masked-lm']) return 'masked-lm';
  return config.isDecoder ? 'lm' : 'masked-lm';
}

/**
 * Writes `parameters` as a Hugging Face checkpoint that `from_pretrained` loads: model.safetensors with HF's
 * names (no `reformer.` prefix for the bare model, as HF writes it), Linear weights back in `[out, in]`,
 * `__metadata__: {format: 'pt'}`, and config.json with `architectures` naming the head's class and `dtype`
 * the saved dtype. Rejects with a {@link CheckpointError} when a parameter is missing, extra or of the wrong
 * shape for `config`. Reads the values asynchronously, so it works on backends without synchronous reads.
 */
export async function saveCheckpoint(
  config: ReformerConfig,
  parameters: ReformerParameters,
  options: SaveCheckpointOptions = {},
): Promise<SavedCheckpoint> {
  if (!(config instanceof ReformerConfig)) {
    throw new Error(`saveCheckpoint: config: expected a ReformerConfig, got ${describeValue(config)}`);
  }
  if (parameters === null || typeof parameters !== 'object') {
    throw new Error(`saveCheckpoint: parameters: expected a record of tf.Variable keyed by HF name, got ${describeValue(parameters)}`);
  }
  checkHeadOption(options.head, 'saveCheckpoint');
  const dtype = options.dtype ?? 'float32';
  if (!(dtype in SAFETENSORS_DTYPES)) {
    throw new Error(`saveCheckpoint: options.dtype: expected 'float32', 'float16' or 'bfloat16', got ${describeValue(dtype)}`);
  }
  const head = options.head ?? inferSaveHead(config, parameters);
  const specs = parameterSpecs(config, head);
  const expected = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(parameters)) {
    if (!expected.has(name)) {
      throw new CheckpointError(`saveCheckpoint: parameters has '${name}', which ${HEAD_ARCHITECTURES[head]} of this config does not have`);
    }
  }
  const tensors: Record<string, TensorToWrite> = {};
  for (const spec of specs) {
    const v = parameters[spec.name];
    if (v === undefined) throw new CheckpointError(`saveCheckpoint: parameters has no '${spec.name}' (head '${head}')`);
    if (v.shape.length !== spec.shape.length || v.shape.some((d, i) => d !== spec.shape[i])) {
      throw new CheckpointError(`saveCheckpoint: parameter '${spec.name}' has shape ${fmt(v.shape)}, expected ${fmt(spec.shape)} for this config`);
    }
    const data = (await v.data()) as Float32Array;
    const values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    tensors[checkpointName(spec.name, head)] = {
      dtype: SAFETENSORS_DTYPES[dtype],
      shape: spec.checkpointShape,
      data: spec.transposed ? transpose2d(values, spec.shape[0]!, spec.shape[1]!) : values,
    };
  }
  const weights = serializeSafetensors(tensors, {format: 'pt'});
  const extra: Record<string, unknown> = {architectures: [HEAD_ARCHITECTURES[head]], dtype};
  // Older transformers wrote torch_dtype; keep such a field truthful too.
  if ('torch_dtype' in config.extraFields) extra['torch_dtype'] = dtype;
  const configJson = config.with(extra).toJSONString();
  return {configJson, weights};
}
