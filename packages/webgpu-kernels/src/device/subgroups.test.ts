// The backend of registerWebGPUBackend() (this project's setup uses it): subgroups on where the adapter has them
// (Dawn over lavapipe and on NVIDIA do), directives hoisted above tfjs's header, and a clear refusal once the
// backend exists.
import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {hoistDirectives, registerWebGPUBackend, SUBGROUPS_FLAG, webgpuSubgroupsEnabled} from './subgroups.js';

describe('registerWebGPUBackend', () => {
  it('gives the backend a device with subgroups where the adapter has them, used once SUBGROUPS_FLAG is on', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const device = (tf.backend() as unknown as {device: GPUDevice}).device;
    expect(device.features.has('subgroups')).toBe(adapter!.features.has('subgroups'));
    expect(webgpuSubgroupsEnabled()).toBe(false); // the flag's default
    tf.env().set(SUBGROUPS_FLAG, true);
    expect(webgpuSubgroupsEnabled()).toBe(adapter!.features.has('subgroups'));
    tf.env().set(SUBGROUPS_FLAG, false);
  });

  it('is a no-op once its backend is initialised', () => {
    const backend = tf.backend();
    registerWebGPUBackend();
    expect(tf.backend()).toBe(backend);
  });
});

describe('hoistDirectives', () => {
  it('moves enable and diagnostic directives above the code, each once', () => {
    const code = 'struct A { x : i32 };\n  enable subgroups;\nfn f() {}\nenable subgroups;\ndiagnostic(off, derivative_uniformity);\n';
    const hoisted = hoistDirectives(code);
    expect(hoisted.startsWith('enable subgroups;\ndiagnostic(off, derivative_uniformity);\nstruct A')).toBe(true);
    expect(hoisted.match(/enable subgroups;/g)).toHaveLength(1);
  });
  it('leaves code without directives and attributes alone', () => {
    const code = '@diagnostic(off, derivative_uniformity) fn f() {}\n';
    expect(hoistDirectives(code)).toBe(code);
  });
});
