// A run's settings: the preset, then a --config file over it, then the command-line flags over both.

import {readFile} from 'node:fs/promises';
import {ReformerConfig, type ReformerConfigInit} from '@reformerjs/reformer-model';
import {UsageError} from '../errors.js';
import {
  DEFAULT_PRESET,
  OPTIMIZER_NAMES,
  PRESETS,
  TASK_NAMES,
  type OptimizerName,
  type TaskName,
  type TrainingSettings,
} from './presets.js';

/** The training settings a --config file may set, with what each must be. */
const SETTING_KINDS: Readonly<Record<keyof TrainingSettings, 'positive' | 'nonNegative' | 'number' | 'boolean' | 'optimizer'>> = {
  steps: 'positive',
  batch: 'positive',
  optimizer: 'optimizer',
  learningRate: 'number',
  warmupSteps: 'positive',
  fullAttention: 'boolean',
  logEvery: 'positive',
  saveEvery: 'positive',
  evalSamples: 'positive',
  wordLength: 'positive',
  symbols: 'positive',
  length: 'positive',
  heldOutSpeeches: 'positive',
};

/** Settings that only one task reads. */
const TASK_ONLY: Partial<Record<keyof TrainingSettings, TaskName>> = {
  wordLength: 'duplication',
  symbols: 'duplication',
  length: 'text',
  heldOutSpeeches: 'text',
};

export function checkTask(task: string): TaskName {
  if (!(TASK_NAMES as readonly string[]).includes(task)) {
    throw new UsageError(`--task: unknown task '${task}'; expected one of ${TASK_NAMES.join(', ')}`);
  }
  return task as TaskName;
}

export function checkPreset(task: TaskName, preset: string | undefined): string {
  const name = preset ?? DEFAULT_PRESET[task];
  if (!(name in PRESETS[task])) {
    throw new UsageError(`--preset: unknown preset '${name}' for task ${task}; expected one of ${Object.keys(PRESETS[task]).join(', ')}`);
  }
  return name;
}

export function checkOptimizer(value: string, where: string): OptimizerName {
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(value)) {
    throw new UsageError(`${where}: unknown optimizer '${value}'; expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  return value as OptimizerName;
}

/** What a --config file holds: HF ReformerConfig fields under "model", training settings under "training". */
export interface ConfigFile {
  model?: ReformerConfigInit;
  training?: Partial<TrainingSettings>;
}

/**
 * Reads a --config file: a JSON object with `model` (Hugging Face ReformerConfig fields, e.g. "hidden_size") and
 * `training` (the settings of README's table, e.g. "learningRate"), each optional and merged over the preset. A
 * file that is a bare HF config.json (no "model" or "training" key) is taken as `model`.
 */
export async function readConfigFile(path: string, task: TaskName): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as {code?: string}).code;
    if (code === 'ENOENT') throw new UsageError(`--config: no such file: ${path}`);
    if (code === 'EISDIR') throw new UsageError(`--config: expected a JSON file, found a directory: ${path}`);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config: ${path} is not valid JSON (${(e as Error).message}); fix the file`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`--config: ${path} must hold a JSON object with "model" and/or "training", got ${Array.isArray(json) ? 'an array' : String(json)}`);
  }
  const o = json as Record<string, unknown>;
  if (!('model' in o) && !('training' in o)) return {model: o as ReformerConfigInit};
  for (const key of Object.keys(o)) {
    if (key !== 'model' && key !== 'training') {
      throw new UsageError(`--config: ${path}: unknown key "${key}"; expected "model" (ReformerConfig fields) and/or "training"`);
    }
  }
  const model = o['model'];
  if (model !== undefined && (model === null || typeof model !== 'object' || Array.isArray(model))) {
    throw new UsageError(`--config: ${path}: "model" must be an object of ReformerConfig fields`);
  }
  return {model: model as ReformerConfigInit | undefined, training: checkTrainingObject(o['training'], `--config: ${path}: training`, task)};
}

function checkTrainingObject(value: unknown, where: string, task: TaskName): Partial<TrainingSettings> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${where}: expected an object`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const kind = SETTING_KINDS[key as keyof TrainingSettings];
    if (kind === undefined) {
      throw new UsageError(`${where}.${key}: unknown setting; expected one of ${Object.keys(SETTING_KINDS).join(', ')}`);
    }
    const only = TASK_ONLY[key as keyof TrainingSettings];
    if (only !== undefined && only !== task) throw new UsageError(`${where}.${key}: a setting of the ${only} task, not of ${task}`);
    const ok =
      kind === 'boolean'
        ? typeof v === 'boolean'
        : kind === 'optimizer'
          ? typeof v === 'string' && (OPTIMIZER_NAMES as readonly string[]).includes(v)
          : kind === 'number'
            ? typeof v === 'number' && Number.isFinite(v) && v > 0
            : typeof v === 'number' && Number.isSafeInteger(v) && v >= (kind === 'positive' ? 1 : 0);
    if (!ok) {
      const expected = {
        boolean: 'true or false',
        optimizer: OPTIMIZER_NAMES.join(' or '),
        number: 'a number > 0',
        positive: 'a positive integer',
        nonNegative: 'an integer >= 0',
      }[kind];
      throw new UsageError(`${where}.${key}: expected ${expected}, got ${JSON.stringify(v)}`);
    }
    out[key] = v;
  }
  return out as Partial<TrainingSettings>;
}

/** The flags of `reformer train` that change settings. */
export interface SettingFlags {
  steps?: number;
  batch?: number;
  optimizer?: string;
  logEvery?: number;
  saveEvery?: number;
  hashes?: number;
  fullAttention?: boolean;
}

export interface ResolvedRun {
  task: TaskName;
  preset: string;
  config: ReformerConfig;
  settings: TrainingSettings;
}

/** Builds the model config and settings of a new run: preset, then --config, then flags. */
export async function resolveNewRun(task: TaskName, presetFlag: string | undefined, configPath: string | undefined, flags: SettingFlags): Promise<ResolvedRun> {
  const preset = checkPreset(task, presetFlag);
  const base = PRESETS[task][preset]!;
  const file = configPath === undefined ? {} : await readConfigFile(configPath, task);
  const settings: TrainingSettings = {...base.training, ...file.training};
  if (flags.steps !== undefined) settings.steps = flags.steps;
  if (flags.batch !== undefined) settings.batch = flags.batch;
  if (flags.optimizer !== undefined) settings.optimizer = checkOptimizer(flags.optimizer, '--optimizer');
  if (flags.logEvery !== undefined) settings.logEvery = flags.logEvery;
  if (flags.saveEvery !== undefined) settings.saveEvery = flags.saveEvery;
  if (flags.fullAttention) settings.fullAttention = true;
  const modelInit: ReformerConfigInit = {...base.model, ...file.model};
  if (flags.hashes !== undefined) {
    if (settings.fullAttention) throw new UsageError('--hashes and full attention (--full-attention or training.fullAttention): choose one (full attention does not hash)');
    modelInit.num_hashes = flags.hashes;
  }
  let config: ReformerConfig;
  try {
    config = new ReformerConfig(modelInit);
  } catch (e) {
    throw new UsageError(`model config${configPath ? ` (preset ${preset} with ${configPath})` : ''}: ${(e as Error).message}`);
  }
  return {task, preset, config, settings};
}
