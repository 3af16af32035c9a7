import * as tf from '@tensorflow/tfjs';
import {UsageError} from './errors.js';

export const BACKEND_NAMES = ['cpu', 'wasm', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

function isModuleNotFound(error: unknown): boolean {
  const code = (error as {code?: string} | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Registers the `tensorflow` backend from tfjs-node-gpu or tfjs-node, whichever the user installed
 * (neither is a dependency: their install downloads libtensorflow). Returns false when neither is there.
 */
async function registerTensorflowBackend(): Promise<boolean> {
  for (const name of TENSORFLOW_PACKAGES) {
    try {
      await import(name);
      return true;
    } catch (error) {
      if (!isModuleNotFound(error)) throw error;
    }
  }
  return false;
}

async function registerBackend(name: BackendName): Promise<boolean> {
  switch (name) {
    case 'cpu':
      return true; // registered by @tensorflow/tfjs itself
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return true;
    case 'tensorflow':
      return registerTensorflowBackend();
  }
}

/**
 * Activates the backend the user named, or, with none named, the fastest one available
 * (tensorflow when installed, else wasm). Throws a UsageError naming what to install when the
 * named backend cannot be had.
 */
export async function useBackend(requested: string | undefined): Promise<BackendName> {
  if (requested !== undefined && !(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new UsageError(`--backend: unknown backend '${requested}'; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  const candidates: BackendName[] = requested ? [requested as BackendName] : ['tensorflow', 'wasm'];
  for (const name of candidates) {
    if (!(await registerBackend(name))) {
      if (requested) {
        throw new UsageError(
          `--backend tensorflow: neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed; ` +
            `install one (npm install @tensorflow/tfjs-node) or choose --backend wasm`,
        );
      }
      continue;
    }
    if (await tf.setBackend(name)) {
      await tf.ready();
      return name;
    }
    if (requested) throw new UsageError(`--backend ${name}: the backend failed to initialise on this machine`);
  }
  throw new UsageError('no tfjs backend could be initialised (tried tensorflow and wasm)');
}
