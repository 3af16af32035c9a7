import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {isFloatDtype, parseSafetensors, type SafetensorsTensor} from '@reformerjs/safetensors';
import * as tf from '@tensorflow/tfjs-core';

/** One Hugging Face reference case (see fixtures/README.md for what each tensor is). */
export interface GoldenCase {
  name: string;
  /** Absolute path of the case's folder. */
  dir: string;
  /** config.json as HF wrote it. */
  config: Record<string, unknown>;
  /** case.json: seed, batch, seq_len, pad, lsh_layers, versions, loss. */
  info: Record<string, unknown>;
  /** io.safetensors: inputs, rotations, per-layer activations, logits, loss, hidden states, grad.<param>. */
  io: Record<string, tf.Tensor>;
  /** model.safetensors: the parameters under HF's names. */
  weights: Record<string, tf.Tensor>;
  /** Disposes every tensor of io and weights. */
  dispose(): void;
}

/** Absolute path of packages/test-utils/fixtures/hf-reformer. */
export const goldenFixturesDir: string = fileURLToPath(new URL('../fixtures/hf-reformer', import.meta.url));

/** The case folder names, sorted. */
export function goldenCaseNames(): string[] {
  return readdirSync(goldenFixturesDir)
    .filter((name) => statSync(join(goldenFixturesDir, name)).isDirectory())
    .sort();
}

/** Converts one safetensors tensor to a tf tensor: floats to float32, BOOL to bool, integers to int32. */
export function toTfTensor(t: SafetensorsTensor): tf.Tensor {
  const shape = [...t.shape];
  if (isFloatDtype(t.dtype)) return tf.tensor(t.toFloat32(), shape, 'float32');
  if (t.dtype === 'BOOL') return tf.tensor(t.toInt32(), shape, 'bool');
  return tf.tensor(t.toInt32(), shape, 'int32');
}

/** Reads a safetensors file into tf tensors (see {@link toTfTensor}). */
export function readSafetensorsFile(path: string): Record<string, tf.Tensor> {
  const file = parseSafetensors(new Uint8Array(readFileSync(path)));
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const t of file.tensors()) out[t.name] = toTfTensor(t);
  } catch (e) {
    tf.dispose(Object.values(out));
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return out;
}

/** Loads one case: config.json, case.json, io.safetensors and model.safetensors of its folder. */
export function loadGoldenCase(name: string): GoldenCase {
  const names = goldenCaseNames();
  if (!names.includes(name)) {
    throw new Error(`loadGoldenCase: no case '${name}' (expected one of ${names.join(', ')})`);
  }
  const dir = join(goldenFixturesDir, name);
  const readJson = (file: string): Record<string, unknown> => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`loadGoldenCase: ${path} is missing`);
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  };
  const config = readJson('config.json');
  const info = readJson('case.json');
  const io = readSafetensorsFile(join(dir, 'io.safetensors'));
  let weights: Record<string, tf.Tensor>;
  try {
    weights = readSafetensorsFile(join(dir, 'model.safetensors'));
  } catch (e) {
    tf.dispose(Object.values(io));
    throw e;
  }
  return {
    name,
    dir,
    config,
    info,
    io,
    weights,
    dispose: () => {
      tf.dispose(Object.values(io));
      tf.dispose(Object.values(weights));
    },
  };
}
