import {spawnSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {UsageError} from './errors.js';
import {installWasmTransposedMatMul} from './wasm-kernels.js';

export const BACKEND_NAMES = ['cpu', 'wasm', 'webgpu', 'tensorflow'] as const;
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

// ---------------------------------------------------------------------------------------------------------
// WebGPU in Node: Dawn through the `webgpu` package. tfjs-backend-webgpu registers itself at import only when
// navigator.gpu exists, so Dawn's globals and navigator.gpu are installed first. A process holding a Dawn
// instance does not exit by itself: bin.ts exits explicitly when `holdsGpu()`.
// ---------------------------------------------------------------------------------------------------------

let gpuInstance: unknown;

/** Whether this process created a Dawn instance (and so must call process.exit when done). */
export function holdsGpu(): boolean {
  return gpuInstance !== undefined;
}

/** What Dawn reports about an adapter (the fields tfjs and we read). */
interface AdapterLike {
  info?: {vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean};
  isFallbackAdapter?: boolean;
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

/**
 * Whether an adapter is a CPU implementation of the GPU API (Mesa's lavapipe/llvmpipe, SwiftShader): WebGPU
 * works there but runs on the CPU, slower than the wasm backend, so the default never picks it.
 */
export function isSoftwareAdapter(adapter: AdapterLike): boolean {
  const info = adapter.info ?? {};
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => typeof s === 'string' && SOFTWARE_ADAPTER.test(s));
}

export function describeAdapter(adapter: AdapterLike): string {
  const info = adapter.info ?? {};
  return info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
}

type WebGPUProbe = {ok: true; adapter: string} | {ok: false; reason: string};

/**
 * Asks Dawn for an adapter in a child process, so that the default choice neither prints Dawn's start-up
 * warnings nor keeps a Dawn instance (and the event loop) alive when it then picks another backend.
 * ok only for a hardware adapter.
 */
function probeHardwareAdapter(): WebGPUProbe {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return {ok: false, reason: "the 'webgpu' package (Dawn for Node) is not installed"};
  }
  const script =
    `const {create} = await import(${JSON.stringify(pathToFileURL(entry).href)});` +
    `const a = await create([]).requestAdapter({powerPreference: 'high-performance'});` +
    `const i = a ? a.info : null;` +
    `process.stdout.write(JSON.stringify(a ? {info: {vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter}, isFallbackAdapter: a.isFallbackAdapter} : null));` +
    `process.exit(0);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore']});
  if (child.status !== 0 || !child.stdout) return {ok: false, reason: 'Dawn could not start'};
  let adapter: AdapterLike | null;
  try {
    adapter = JSON.parse(child.stdout) as AdapterLike | null;
  } catch {
    return {ok: false, reason: 'Dawn could not start'};
  }
  if (adapter === null) return {ok: false, reason: 'Dawn found no GPU adapter'};
  if (isSoftwareAdapter(adapter)) return {ok: false, reason: `the only adapter is a CPU implementation (${describeAdapter(adapter)})`};
  return {ok: true, adapter: describeAdapter(adapter)};
}

/**
 * Loads Dawn and asks for an adapter; with `hardwareOnly`, refuses a software one. On success installs Dawn's
 * globals and navigator.gpu and imports tfjs-backend-webgpu, which registers the `webgpu` backend.
 */
async function registerWebGPUBackend(hardwareOnly: boolean): Promise<WebGPUProbe> {
  let dawn: {create(options: string[]): unknown; globals: Record<string, unknown>};
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (error) {
    if (isModuleNotFound(error)) return {ok: false, reason: "the 'webgpu' package (Dawn for Node) is not installed"};
    return {ok: false, reason: `Dawn failed to load: ${(error as Error).message}`};
  }
  const gpu = dawn.create([]) as {requestAdapter(o?: object): Promise<AdapterLike | null>};
  gpuInstance = gpu;
  const adapter = await gpu.requestAdapter({powerPreference: 'high-performance'});
  if (adapter === null) return {ok: false, reason: 'Dawn found no GPU adapter'};
  if (hardwareOnly && isSoftwareAdapter(adapter)) {
    return {ok: false, reason: `the only adapter is a CPU implementation (${describeAdapter(adapter)})`};
  }
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true, writable: true});
  await import('@tensorflow/tfjs-backend-webgpu');
  // The device gets subgroups where the adapter has them: the fused attention's subgroup path.
  const kernels = await import('@reformerjs/webgpu-kernels');
  kernels.registerWebGPUBackend();
  return {ok: true, adapter: describeAdapter(adapter)};
}

async function activate(name: BackendName): Promise<boolean> {
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  if (name === 'wasm') installWasmTransposedMatMul();
  if (name === 'webgpu') {
    // Fused hashing, sorting and attention; small ops stay on the GPU rather than round-tripping to the CPU.
    const {registerWebGPUKernels} = await import('@reformerjs/webgpu-kernels');
    registerWebGPUKernels();
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  }
  return true;
}

/** Throws the usage error of an unknown --backend (commands call it before any slow work). */
export function checkBackendName(requested: string | undefined): void {
  if (requested !== undefined && !(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new UsageError(`--backend: unknown backend '${requested}'; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
}

/** What `useBackend` chose, and why (for a log line). */
export interface BackendChoice {
  name: BackendName;
  /** e.g. the GPU adapter, or why a faster backend was passed over. */
  detail?: string;
}

/**
 * Activates the backend the user named, or, with none named, the fastest one available: `tensorflow` when
 * tfjs-node(-gpu) is installed, else `webgpu` when Dawn finds a hardware GPU adapter (not a CPU implementation
 * such as lavapipe or SwiftShader), else `wasm`. Throws a UsageError naming what to install or choose when the
 * named backend cannot be had.
 */
export async function chooseBackend(requested: string | undefined): Promise<BackendChoice> {
  checkBackendName(requested);
  const name = requested as BackendName | undefined;
  if (name === 'cpu') {
    if (await activate('cpu')) return {name};
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await activate('wasm')) return {name};
  } else if (name === 'tensorflow') {
    if (!(await registerTensorflowBackend())) {
      throw new UsageError(
        `--backend tensorflow: neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed; ` +
          `install one (npm install @tensorflow/tfjs-node) or choose --backend wasm`,
      );
    }
    if (await activate('tensorflow')) return {name};
  } else if (name === 'webgpu') {
    const probe = await registerWebGPUBackend(false);
    if (!probe.ok) throw new UsageError(`--backend webgpu: ${probe.reason}; choose --backend wasm`);
    if (await activate('webgpu')) return {name, detail: probe.adapter};
  } else {
    if ((await registerTensorflowBackend()) && (await activate('tensorflow'))) return {name: 'tensorflow'};
    let probe = probeHardwareAdapter();
    if (probe.ok) probe = await registerWebGPUBackend(true);
    if (probe.ok && (await activate('webgpu'))) return {name: 'webgpu', detail: probe.adapter};
    await import('@tensorflow/tfjs-backend-wasm');
    if (await activate('wasm')) return {name: 'wasm', detail: probe.ok ? undefined : `webgpu passed over: ${probe.reason}`};
    throw new UsageError('no tfjs backend could be initialised (tried tensorflow, webgpu and wasm)');
  }
  throw new UsageError(`--backend ${name}: the backend failed to initialise on this machine; choose another --backend`);
}

/** `chooseBackend`, returning the name only. */
export async function useBackend(requested: string | undefined): Promise<BackendName> {
  return (await chooseBackend(requested)).name;
}
