/**
 * A `webgpu` backend whose device has the `subgroups` feature, for the chunk programs' subgroup path. tfjs creates
 * its device without optional features, so `registerWebGPUBackend()` re-registers the backend's factory: the same
 * adapter, limits and features as tfjs's (base.ts of tfjs-backend-webgpu 4.22), plus `subgroups` where the adapter
 * offers it. Two more things make the feature usable under tfjs: WGSL wants `enable` directives before every
 * declaration, while tfjs puts its own header before a program's code (the device's createShaderModule is wrapped
 * to move them to the front); and the programs assume that consecutive invocations of a one-dimensional workgroup
 * are consecutive lanes of one subgroup, which WGSL does not promise, so a probe dispatch checks it first.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs flag: let the chunk programs split each row over 2 or 4 subgroup lanes where the device has subgroups
 * (default false). Off by default because it measured slower on the H200 (LSH-4, 64K tokens, 4 heads of 64:
 * attention forward 5.2 ms against 2.4 ms with one thread per row, backward 16.5 against 9.9 ms; see
 * benchmarks/results/h200-webgpu/RUN-NOTES.md). Lanes halve a thread's registers (126 against 253 for the forward
 * with 2 lanes, which doubles the resident warps) but add shuffles and repeat the softmax per lane, and the
 * programs are bound by the instructions they issue: 2.75 against 2.29 ms (session 6).
 */
export const SUBGROUPS_FLAG = 'REFORMERJS_WEBGPU_SUBGROUPS';
tf.env().registerFlag(SUBGROUPS_FLAG, () => false);

/** Devices created here, and those whose subgroups passed the probe. */
const ownDevices = new WeakSet<GPUDevice>();
const subgroupDevices = new WeakSet<GPUDevice>();

/** The most threads the chunk programs may give one row on `device`: 4 with usable subgroups, else 1. */
export function maxRowLanes(device: GPUDevice): number {
  return tf.env().getBool(SUBGROUPS_FLAG) && subgroupDevices.has(device) ? 4 : 1;
}

/** Whether the active backend is `webgpu` with usable subgroups (and SUBGROUPS_FLAG on). */
export function webgpuSubgroupsEnabled(): boolean {
  const backend = tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as {device?: GPUDevice}) : undefined;
  return backend?.device !== undefined && maxRowLanes(backend.device) > 1;
}

const DIRECTIVE = /^[ \t]*(?:enable|requires|diagnostic)\b[^;\n]*;[ \t]*$/gm;

/** WGSL with its global directives (enable, requires, diagnostic) moved to the front, each once. */
export function hoistDirectives(code: string): string {
  const directives = code.match(DIRECTIVE);
  if (directives === null) return code;
  return `${[...new Set(directives.map((d) => d.trim()))].join('\n')}\n${code.replace(DIRECTIVE, '')}`;
}

const PROBE_THREADS = 256;
const PROBE_WGSL = `
enable subgroups;
@group(0) @binding(0) var<storage, read_write> ok : array<u32, ${PROBE_THREADS}>;
@compute @workgroup_size(${PROBE_THREADS})
fn main(@builtin(local_invocation_index) i : u32, @builtin(subgroup_size) size : u32) {
  let one = subgroupShuffleXor(i, 1u);
  let two = subgroupShuffleXor(i, 2u);
  ok[i] = select(0u, 1u, size >= 4u && one == (i ^ 1u) && two == (i ^ 2u));
}
`;

/** Whether groups of 4 consecutive invocations share a subgroup and shuffle as the programs assume. */
async function probeSubgroups(device: GPUDevice): Promise<boolean> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({code: PROBE_WGSL});
  const pipeline = device.createComputePipeline({layout: 'auto', compute: {module, entryPoint: 'main'}});
  const bytes = PROBE_THREADS * 4;
  const storage = device.createBuffer({size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC});
  const readback = device.createBuffer({size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST});
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({layout: pipeline.getBindGroupLayout(0), entries: [{binding: 0, resource: {buffer: storage}}]}));
  pass.dispatchWorkgroups(1);
  pass.end();
  encoder.copyBufferToBuffer(storage, 0, readback, 0, bytes);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  let passed = false;
  if (error === null) {
    await readback.mapAsync(GPUMapMode.READ);
    passed = new Uint32Array(readback.getMappedRange()).every((v) => v === 1);
    readback.unmap();
  }
  storage.destroy();
  readback.destroy();
  return passed;
}

/** tfjs-backend-webgpu's backend, created on a device of ours. */
async function createBackend(): Promise<tf.KernelBackend> {
  if (typeof navigator === 'undefined' || navigator.gpu === undefined) throw new Error('registerWebGPUBackend: navigator.gpu is undefined: this environment has no WebGPU');
  const adapter = await navigator.gpu.requestAdapter({powerPreference: tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance'});
  if (adapter === null) throw new Error('registerWebGPUBackend: navigator.gpu.requestAdapter() found no adapter');
  const wanted = ['timestamp-query', 'bgra8unorm-storage', 'subgroups'] as GPUFeatureName[]; // @webgpu/types 0.1.x predates 'subgroups'
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: wanted.filter((feature) => adapter.features.has(feature)),
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  ownDevices.add(device);
  if (device.features.has('subgroups')) {
    const createShaderModule = device.createShaderModule.bind(device);
    device.createShaderModule = (descriptor) => createShaderModule({...descriptor, code: hoistDirectives(descriptor.code)});
    if (await probeSubgroups(device)) subgroupDevices.add(device);
  }
  const {WebGPUBackend} = await import('@tensorflow/tfjs-backend-webgpu');
  const info = (adapter as unknown as {info?: GPUAdapterInfo}).info; // adapter.info postdates @webgpu/types 0.1.x
  return new WebGPUBackend(device, info) as unknown as tf.KernelBackend;
}

/**
 * Re-registers the `webgpu` backend (priority 3, as tfjs-backend-webgpu's) with a device that has subgroups where
 * the adapter offers them; tfjs-backend-webgpu must have been imported (its kernels are registered under the same
 * name). Call it before the backend is first used (again once it runs on such a device: nothing to do);
 * afterwards `webgpuSubgroupsEnabled()` says whether the subgroup path is on. Elsewhere the programs take their
 * one-thread-per-row path.
 */
export function registerWebGPUBackend(): void {
  const initialised = (tf.engine() as unknown as {registry: Record<string, {device?: GPUDevice} | undefined>}).registry.webgpu;
  if (initialised?.device !== undefined && ownDevices.has(initialised.device)) return;
  if (initialised !== undefined) {
    throw new Error("registerWebGPUBackend: the 'webgpu' backend is already initialised; call registerWebGPUBackend() before tf.setBackend('webgpu')");
  }
  if (tf.getKernel('Sum', 'webgpu') === undefined) {
    throw new Error("registerWebGPUBackend: no 'webgpu' kernels are registered; import '@tensorflow/tfjs-backend-webgpu' first");
  }
  // tfjs-backend-webgpu registers its factory only where navigator.gpu existed when it was first evaluated.
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', createBackend, 3);
}
