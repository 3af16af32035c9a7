// Training checkpoints: the model in Hugging Face's format (config.json, model.safetensors), the optimizer's
// state (optimizer.safetensors), the trainer's state (trainer.json) and task files (vocab.json), saved so that a
// failed or interrupted save never leaves a mix of two saves behind.
//
// A save writes every file into DIR/.staging/ (each atomically: temp file, fsync, rename), then writes
// DIR/.staging/COMMIT: from that moment the new checkpoint is complete on disk. It then moves the files into DIR
// one rename at a time (trainer.json last) and removes .staging. Whoever opens DIR next (resume, eval, another
// save) first finishes a committed move (roll forward) or deletes an uncommitted .staging (roll back), so DIR
// always reads as exactly one save. trainer.json lists the size and SHA-256 of every other file, which a load
// checks.

import {createHash} from 'node:crypto';
import {readFile, rename, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {saveCheckpoint, type ReformerConfig, type ReformerParameters} from '@reformerjs/reformer-model';
import {parseSafetensors, serializeSafetensors, type TensorToWrite} from '@reformerjs/safetensors';
import * as tf from '@tensorflow/tfjs';
import {UsageError} from '../errors.js';
import {CONFIG_FILE, WEIGHTS_FILE, writeCheckpointDir, writeFileAtomic} from '../files.js';
import type {OptimizerName, TaskName, TrainingSettings} from './presets.js';

export const TRAINER_FILE = 'trainer.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STAGING_DIR = '.staging';
export const COMMIT_FILE = 'COMMIT';
export const TRAINER_FORMAT = 'reformerjs-trainer';
export const TRAINER_VERSION = 1;

/** Files a training checkpoint may hold besides trainer.json (removed from DIR when a new save lacks them). */
const KNOWN_FILES = [WEIGHTS_FILE, CONFIG_FILE, OPTIMIZER_FILE, 'vocab.json'];

/** One entry of the metrics history. */
export interface MetricsEntry {
  step: number;
  /** 'train': mean training loss of the steps since the last entry; 'eval': an evaluation. */
  kind: 'train' | 'eval';
  loss: number;
  accuracy?: number;
  bitsPerCharacter?: number;
  learningRate?: number;
  tokensPerSecond?: number;
  /** Seconds of training so far (over every session of the run). */
  elapsedSeconds?: number;
  samples?: number;
}

/** trainer.json. */
export interface TrainerState {
  format: typeof TRAINER_FORMAT;
  version: typeof TRAINER_VERSION;
  /** Optimizer steps done. */
  step: number;
  /** The run's seed: initialisation, data order, rotations and dropout all derive from (seed, step). */
  seed: number;
  task: TaskName;
  preset: string;
  optimizer: OptimizerName;
  settings: TrainingSettings;
  /** Where the data stream resumes: batch `nextBatch` is a pure function of (seed, nextBatch). */
  dataPosition: {nextBatch: number};
  metrics: MetricsEntry[];
  /** Size and SHA-256 of every other file of the checkpoint. */
  files: Record<string, {bytes: number; sha256: string}>;
  backend: string;
  savedAt: string;
}

export type TrainerStateDraft = Omit<TrainerState, 'format' | 'version' | 'files' | 'savedAt'>;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const errorCode = (e: unknown): string | undefined => (e as {code?: string} | null)?.code;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** Test hooks: called as the save proceeds (a throw simulates a crash at that point). */
export interface SaveHooks {
  /** After the named file was written into the staging folder. */
  afterStagedFile?(name: string): void;
  /** After COMMIT was written, before anything moved into the checkpoint folder. */
  afterCommit?(): void;
}

/**
 * Finishes or undoes a save interrupted in `dir`: with a committed staging folder, moves its remaining files in
 * (trainer.json last); with an uncommitted one, deletes it. A no-op when there is none.
 */
export async function recoverCheckpointDir(dir: string): Promise<'none' | 'rolled-forward' | 'rolled-back'> {
  const staging = join(dir, STAGING_DIR);
  if (!(await exists(staging))) return 'none';
  const commitPath = join(staging, COMMIT_FILE);
  if (!(await exists(commitPath))) {
    await rm(staging, {recursive: true, force: true});
    return 'rolled-back';
  }
  const listed = JSON.parse(await readFile(commitPath, 'utf8')) as {files: string[]};
  // Files of an earlier save that this one does not have (e.g. vocab.json) would otherwise be taken for its own.
  for (const name of KNOWN_FILES) {
    if (!listed.files.includes(name)) await rm(join(dir, name), {force: true});
  }
  const order = [...listed.files.filter((f) => f !== TRAINER_FILE), TRAINER_FILE];
  for (const name of order) {
    const from = join(staging, name);
    if (await exists(from)) await rename(from, join(dir, name));
  }
  await rm(staging, {recursive: true, force: true});
  return 'rolled-forward';
}

/** Whether `dir` holds a training checkpoint (trainer.json), after recovering an interrupted save. */
export async function hasTrainingCheckpoint(dir: string): Promise<boolean> {
  if (!(await exists(dir))) return false;
  await recoverCheckpointDir(dir);
  return exists(join(dir, TRAINER_FILE));
}

/** Whether `dir` holds any checkpoint file (a model or a trainer state). */
export async function hasAnyCheckpointFile(dir: string): Promise<boolean> {
  for (const name of [TRAINER_FILE, CONFIG_FILE, WEIGHTS_FILE]) if (await exists(join(dir, name))) return true;
  return exists(join(dir, STAGING_DIR));
}

// ---------------------------------------------------------------------------------------------------------
// The optimizer's state. tfjs optimizers key their slots by variable name ("<variable>/m"), and a model loaded
// from a checkpoint gets fresh variable names, so the file names the slots by HF parameter name instead.
// ---------------------------------------------------------------------------------------------------------

type NamedTensor = {name: string; tensor: tf.Tensor};

/** The optimizer's getWeights() as safetensors bytes, slots renamed from variable to HF parameter names. */
export async function serializeOptimizerState(weights: readonly NamedTensor[], parameters: ReformerParameters): Promise<Uint8Array> {
  const hfName = new Map(Object.entries(parameters).map(([name, v]) => [v.name, name]));
  const tensors: Record<string, TensorToWrite> = {};
  for (const {name, tensor} of weights) {
    let key = name;
    if (name !== 'iter') {
      const cut = name.lastIndexOf('/');
      const parameter = hfName.get(name.slice(0, cut));
      if (parameter === undefined) throw new Error(`optimizer state: slot '${name}' belongs to no model parameter`);
      key = `${parameter}/${name.slice(cut + 1)}`;
    }
    const data = await tensor.data();
    tensors[key] = {dtype: tensor.dtype === 'int32' ? 'I32' : 'F32', shape: tensor.shape, data: data as Float32Array | Int32Array};
  }
  return serializeSafetensors(tensors, {format: 'reformerjs-optimizer'});
}

/**
 * optimizer.safetensors back into a getWeights() list ("iter" first) for the variables of `parameters`; the
 * tensors are the caller's to dispose. The optimizers key their slots by name, so the order of the slots does
 * not matter.
 */
export function parseOptimizerState(bytes: Uint8Array, parameters: ReformerParameters, where: string): NamedTensor[] {
  const file = parseSafetensors(bytes);
  if (!file.has('iter')) throw new UsageError(`${where}: no 'iter' entry (not an optimizer state written by reformer train)`);
  const out: NamedTensor[] = [{name: 'iter', tensor: tf.scalar(file.get('iter').toInt32()[0]!, 'int32')}];
  for (const name of file.names) {
    if (name === 'iter') continue;
    const cut = name.lastIndexOf('/');
    const variable = parameters[name.slice(0, cut)];
    if (cut <= 0 || variable === undefined) throw new UsageError(`${where}: slot '${name}' belongs to no parameter of the model`);
    const t = file.get(name);
    out.push({name: `${variable.name}/${name.slice(cut + 1)}`, tensor: tf.tensor(t.toFloat32(), [...t.shape], 'float32')});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Save and load.
// ---------------------------------------------------------------------------------------------------------

export interface CheckpointContents {
  config: ReformerConfig;
  parameters: ReformerParameters;
  optimizerState: Uint8Array;
  state: TrainerStateDraft;
  /** Task files (name → text), e.g. vocab.json. */
  extraFiles: Record<string, string>;
}

/** Saves a training checkpoint into `dir` (see the module comment); `dir` and its parents are created. */
export async function saveTrainingCheckpoint(dir: string, contents: CheckpointContents, hooks: SaveHooks = {}): Promise<TrainerState> {
  await recoverCheckpointDir(dir);
  const staging = join(dir, STAGING_DIR);
  await rm(staging, {recursive: true, force: true});
  const saved = await saveCheckpoint(contents.config, contents.parameters);
  await writeCheckpointDir(staging, saved);
  hooks.afterStagedFile?.(WEIGHTS_FILE);
  hooks.afterStagedFile?.(CONFIG_FILE);
  const files: TrainerState['files'] = {
    [WEIGHTS_FILE]: {bytes: saved.weights.byteLength, sha256: sha256(saved.weights)},
    [CONFIG_FILE]: {bytes: Buffer.byteLength(saved.configJson), sha256: sha256(new TextEncoder().encode(saved.configJson))},
  };
  await writeFileAtomic(join(staging, OPTIMIZER_FILE), contents.optimizerState);
  hooks.afterStagedFile?.(OPTIMIZER_FILE);
  files[OPTIMIZER_FILE] = {bytes: contents.optimizerState.byteLength, sha256: sha256(contents.optimizerState)};
  for (const [name, text] of Object.entries(contents.extraFiles)) {
    const bytes = new TextEncoder().encode(text);
    await writeFileAtomic(join(staging, name), bytes);
    hooks.afterStagedFile?.(name);
    files[name] = {bytes: bytes.byteLength, sha256: sha256(bytes)};
  }
  const state: TrainerState = {
    format: TRAINER_FORMAT,
    version: TRAINER_VERSION,
    ...contents.state,
    files,
    savedAt: new Date().toISOString(),
  };
  await writeFileAtomic(join(staging, TRAINER_FILE), `${JSON.stringify(state, null, 2)}\n`);
  hooks.afterStagedFile?.(TRAINER_FILE);
  await writeFileAtomic(join(staging, COMMIT_FILE), JSON.stringify({files: [...Object.keys(files), TRAINER_FILE]}));
  hooks.afterCommit?.();
  await recoverCheckpointDir(dir);
  return state;
}

/** A training checkpoint read back, its files checked against trainer.json. */
export interface LoadedTrainingCheckpoint {
  state: TrainerState;
  configJson: string;
  weights: Uint8Array;
  optimizerState: Uint8Array;
  extraFiles: Record<string, string>;
}

function checkState(value: unknown, path: string): TrainerState {
  const s = value as Partial<TrainerState> | null;
  if (s === null || typeof s !== 'object' || s.format !== TRAINER_FORMAT) {
    throw new UsageError(`checkpoint: ${path} is not a reformer train state (no "format": "${TRAINER_FORMAT}")`);
  }
  if (s.version !== TRAINER_VERSION) {
    throw new UsageError(`checkpoint: ${path} has version ${String(s.version)}; this reformer reads version ${TRAINER_VERSION}`);
  }
  const ok =
    Number.isSafeInteger(s.step) &&
    Number.isSafeInteger(s.seed) &&
    typeof s.task === 'string' &&
    typeof s.preset === 'string' &&
    typeof s.optimizer === 'string' &&
    s.settings !== null &&
    typeof s.settings === 'object' &&
    Array.isArray(s.metrics) &&
    s.files !== null &&
    typeof s.files === 'object';
  if (!ok) throw new UsageError(`checkpoint: ${path} is missing fields of a train state (step, seed, task, settings, files, ...)`);
  return s as TrainerState;
}

async function readChecked(dir: string, name: string, state: TrainerState): Promise<Uint8Array> {
  const path = join(dir, name);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new UsageError(`checkpoint ${dir}: missing ${name} (listed in ${TRAINER_FILE}); the checkpoint is incomplete`);
    throw e;
  }
  const expected = state.files[name];
  if (expected !== undefined && (bytes.byteLength !== expected.bytes || sha256(bytes) !== expected.sha256)) {
    throw new UsageError(
      `checkpoint ${dir}: ${name} does not match ${TRAINER_FILE} (size or SHA-256 differ): it was changed or comes from another save; ` +
        'restore it or start a new run with --overwrite',
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads the training checkpoint in `dir` (finishing an interrupted save first) and checks its files. */
export async function readTrainingCheckpoint(dir: string): Promise<LoadedTrainingCheckpoint> {
  if (!(await exists(dir))) throw new UsageError(`checkpoint: no such directory: ${dir}`);
  if (!(await stat(dir)).isDirectory()) throw new UsageError(`checkpoint: not a directory: ${dir}`);
  await recoverCheckpointDir(dir);
  const statePath = join(dir, TRAINER_FILE);
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new UsageError(`checkpoint ${dir}: no ${TRAINER_FILE}; it was not written by reformer train`);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`checkpoint: ${statePath} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  const state = checkState(json, statePath);
  const weights = await readChecked(dir, WEIGHTS_FILE, state);
  const configJson = new TextDecoder().decode(await readChecked(dir, CONFIG_FILE, state));
  const optimizerState = await readChecked(dir, OPTIMIZER_FILE, state);
  const extraFiles: Record<string, string> = {};
  for (const name of Object.keys(state.files)) {
    if (name === WEIGHTS_FILE || name === CONFIG_FILE || name === OPTIMIZER_FILE) continue;
    extraFiles[name] = new TextDecoder().decode(await readChecked(dir, name, state));
  }
  return {state, configJson, weights, optimizerState, extraFiles};
}
