// Backend setup (cpu, wasm, webgpu in Node through Dawn), and what a report says about the machine.
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import {FUSED_KERNELS_FLAG} from '@reformerjs/lsh-hash';
import type {BackendName} from './args.js';
import {GiB} from './budget.js';
import type {DeviceInfo} from './schema.js';

declare const __BUILD_COMMIT__: string | undefined;

export interface BackendContext {
  name: BackendName;
  device: DeviceInfo;
  versions: Record<string, string>;
  /** Largest single buffer binding (WebGPU's maxStorageBufferBindingSize); null where there is none. */
  bindingLimit: number | null;
  /** Memory a configuration may use at its peak. */
  memoryBudget: number;
  /** Why the memory budget is what it is (printed and recorded). */
  memoryBudgetReason: string;
  /** GPU backends queue work: time several runs back to back per sample. */
  asynchronous: boolean;
  /** A software WebGPU adapter (lavapipe): the code path works, the timings mean nothing. */
  software: boolean;
  /** The fused-kernel flag as set (--fused on|off). */
  fusedFlag: boolean;
  /** Kernels @reformerjs/webgpu-kernels registered for this backend (empty on cpu and wasm). */
  fusedKernels: string[];
  /** The flag is on and this backend has fused kernels: the ops dispatch to them where a call fits. */
  fused: boolean;
  /** Why the fused kernels could not be registered (the run then takes the reference path), or null. */
  fusedError: string | null;
  /** Drop the references that keep the process alive (WebGPU), before exiting. */
  close(): void;
}

/** The wasm backend's heap cannot grow past 4 GiB (emscripten's getHeapMax in tfjs-backend-wasm 4.22). */
export const WASM_HEAP_BYTES = 4294901760;

const require = createRequire(import.meta.url);

export function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as {version: string}).version;
  } catch {
    return 'not installed';
  }
}

export function cpuDevice(): DeviceInfo {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return {
    description: `${model} (${cpus.length} cores, ${(os.totalmem() / GiB).toFixed(0)} GiB)`,
    cpus: cpus.length,
    cpu_model: model,
    memory_bytes: os.totalmem(),
  };
}

/**
 * Registers WebGPU through Dawn's `webgpu` package: its globals and `navigator.gpu` must exist before
 * tfjs-backend-webgpu is imported, which registers the backend only if it finds `navigator.gpu`.
 */
async function setUpWebGPU(): Promise<{adapterInfo: Record<string, string>; limits: Record<string, number>; close: () => void}> {
  interface Adapter {
    info?: Record<string, unknown>;
    limits: Record<string, number>;
  }
  const {create, globals} = (await import('webgpu')) as unknown as {
    create: (flags: string[]) => {requestAdapter(o?: object): Promise<Adapter | null>};
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, globals);
  const gpu = create([]);
  // Node 21+ defines a read-only navigator; define the property instead of assigning it.
  Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true, writable: true});
  const adapter = await gpu.requestAdapter({powerPreference: 'high-performance'});
  if (!adapter) throw new Error('--backend webgpu: no WebGPU adapter found (on a machine without a GPU, install lavapipe and set VK_DRIVER_FILES)');
  const info = adapter.info ?? {};
  const adapterInfo: Record<string, string> = {};
  for (const key of ['vendor', 'architecture', 'device', 'description']) {
    const v = info[key];
    if (typeof v === 'string' && v !== '') adapterInfo[key] = v;
  }
  const limits: Record<string, number> = {
    maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
    maxBufferSize: Number(adapter.limits.maxBufferSize),
    maxComputeWorkgroupsPerDimension: Number(adapter.limits.maxComputeWorkgroupsPerDimension),
  };
  await import('@tensorflow/tfjs-backend-webgpu');
  // A device with subgroups where the adapter has them (the chunk programs' subgroup path). tfjs-backend-webgpu's
  // own factory exists only if navigator.gpu did when it was first evaluated (in the bundle a static import of it
  // is hoisted above the lines above); this one replaces it either way.
  const {registerWebGPUBackend} = await import('@reformerjs/webgpu-kernels');
  registerWebGPUBackend();
  return {
    adapterInfo,
    limits,
    close: () => {
      // The process does not exit while navigator.gpu is referenced.
      Object.defineProperty(globalThis, 'navigator', {value: undefined, configurable: true, writable: true});
    },
  };
}

/**
 * Registers @reformerjs/webgpu-kernels' fused kernels for webgpu; returns the names it added. Imported only here:
 * on other backends the module is never evaluated.
 */
async function registerFusedKernels(): Promise<string[]> {
  const before = new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName));
  const {registerWebGPUKernels} = await import('@reformerjs/webgpu-kernels');
  registerWebGPUKernels();
  return tf
    .getKernelsForBackend('webgpu')
    .map((k) => k.kernelName)
    .filter((n) => !before.has(n))
    .sort();
}

export async function setUpBackend(name: BackendName, memBudgetGiB?: number, fusedFlag = true): Promise<BackendContext> {
  const device = cpuDevice();
  const versions: Record<string, string> = {
    node: process.versions.node,
    '@tensorflow/tfjs': tf.version.tfjs,
    '@tensorflow/tfjs-core': tf.version['tfjs-core'],
  };
  let close = (): void => {};
  let bindingLimit: number | null = null;
  let software = false;
  let fusedKernels: string[] = [];
  let fusedError: string | null = null;
  let memoryBudget: number;
  let memoryBudgetReason: string;

  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    versions['@tensorflow/tfjs-backend-wasm'] = packageVersion('@tensorflow/tfjs-backend-wasm');
    memoryBudget = 3.5 * GiB;
    memoryBudgetReason = 'wasm heap (at most 4 GiB), less room for fragmentation';
  } else if (name === 'webgpu') {
    const gpu = await setUpWebGPU();
    close = gpu.close;
    versions['@tensorflow/tfjs-backend-webgpu'] = packageVersion('@tensorflow/tfjs-backend-webgpu');
    versions.webgpu = packageVersion('webgpu');
    bindingLimit = gpu.limits.maxStorageBufferBindingSize ?? null;
    const desc = [gpu.adapterInfo.description, gpu.adapterInfo.device, gpu.adapterInfo.vendor].find((s) => s) ?? 'unknown adapter';
    software = /llvmpipe|lavapipe|swiftshader|software/i.test(Object.values(gpu.adapterInfo).join(' '));
    device.description = `${desc} (WebGPU via Dawn)${software ? ', a software adapter on the CPU' : ''}; host ${device.description}`;
    device.adapter = gpu.adapterInfo;
    device.limits = gpu.limits;
    if (software) {
      memoryBudget = os.totalmem() / 2;
      memoryBudgetReason = 'half the host memory (software adapter)';
    } else {
      memoryBudget = 96 * GiB;
      memoryBudgetReason = 'default GPU budget (WebGPU does not report device memory; the H200 has about 139 GiB)';
    }
    // Small ops would otherwise run on the CPU, with readbacks: not the GPU path being measured.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    try {
      fusedKernels = await registerFusedKernels();
    } catch (e) {
      // Measure the reference path rather than nothing; the report says so.
      fusedError = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
      console.error(`--backend webgpu: the fused kernels could not be registered: ${fusedError}`);
    }
  } else {
    memoryBudget = os.totalmem() / 2;
    memoryBudgetReason = 'half the host memory';
  }
  if (memBudgetGiB !== undefined) {
    memoryBudget = memBudgetGiB * GiB;
    memoryBudgetReason = 'given by --mem-budget';
  }
  if (!(await tf.setBackend(name))) throw new Error(`--backend ${name}: the backend failed to initialise on this machine`);
  await tf.ready();
  if (name === 'webgpu') {
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const {webgpuSubgroupsEnabled} = await import('@reformerjs/webgpu-kernels');
    device.description += `; subgroup lanes ${webgpuSubgroupsEnabled() ? 'on' : 'off'}`;
  }
  // Registered by @reformerjs/lsh-hash (imported above); read by the packages' ops at each call.
  tf.env().set(FUSED_KERNELS_FLAG, fusedFlag);
  return {
    name,
    device,
    versions,
    bindingLimit,
    memoryBudget,
    memoryBudgetReason,
    asynchronous: name === 'webgpu',
    software,
    fusedFlag,
    fusedKernels,
    fused: fusedFlag && fusedKernels.length > 0,
    fusedError,
    close,
  };
}

/**
 * The commit the bundled packages were built from (set at build time; "-dirty" when packages/ had changes), or
 * else the working tree's commit, or "unknown".
 */
export function gitCommit(cwd: string): string {
  if (typeof __BUILD_COMMIT__ === 'string' && __BUILD_COMMIT__ !== '') return __BUILD_COMMIT__;
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], {cwd, stdio: ['ignore', 'pipe', 'ignore']}).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'packages'], {cwd, stdio: ['ignore', 'pipe', 'ignore']})
      .toString()
      .trim();
    return dirty === '' ? sha : `${sha}-dirty`;
  } catch {
    return 'unknown';
  }
}

/** A results-directory name for this machine: cpu-2core-node20, h200-webgpu, lavapipe-webgpu. */
export function machineSlug(ctx: Pick<BackendContext, 'name' | 'device' | 'software'>): string {
  if (ctx.name !== 'webgpu') return `cpu-${ctx.device.cpus}core-node${process.versions.node.split('.')[0]}`;
  if (ctx.software) return 'lavapipe-webgpu';
  const a = ctx.device.adapter ?? {};
  const name = String(a.description || a.device || a.architecture || a.vendor || 'gpu');
  return `${slugify(name.replace(/\b(nvidia|amd|intel|geforce|radeon|corporation)\b/gi, '')) || 'gpu'}-webgpu`;
}

export function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
