import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {checkBackendName, isSoftwareAdapter} from './backends.js';
import {installWasmTransposedMatMul} from './wasm-kernels.js';

describe('backends', () => {
  it('tells a CPU implementation of WebGPU from a GPU', () => {
    expect(isSoftwareAdapter({info: {vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe: Mesa 25.0.7'}})).toBe(true);
    expect(isSoftwareAdapter({info: {description: 'SwiftShader Device (Subzero)'}})).toBe(true);
    expect(isSoftwareAdapter({info: {vendor: 'nvidia', isFallbackAdapter: true}})).toBe(true);
    expect(isSoftwareAdapter({info: {vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200'}, isFallbackAdapter: false})).toBe(false);
    expect(isSoftwareAdapter({info: {vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon (lavapipe)'}})).toBe(true);
  });

  it('names the backends it knows when given another', () => {
    expect(() => checkBackendName('gpu')).toThrow("--backend: unknown backend 'gpu'; expected one of cpu, wasm, webgpu, tensorflow");
    expect(() => checkBackendName(undefined)).not.toThrow();
  });

  it('wasm: transposed products through the fast path equal the flagged ones', () => {
    if (tf.getBackend() !== 'wasm') return; // the kernel is the wasm backend's
    const a = tf.randomNormal([37, 19], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([23, 19], 0, 1, 'float32', 2) as tf.Tensor2D;
    const c = tf.randomNormal([37, 23], 0, 1, 'float32', 3) as tf.Tensor2D;
    const batched = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 4) as tf.Tensor3D;
    const before = [tf.matMul(a, b, false, true), tf.matMul(a, c, true, false), tf.matMul(batched, batched, false, true)].map((t) => t.dataSync());
    installWasmTransposedMatMul();
    installWasmTransposedMatMul(); // idempotent
    const numTensors = tf.memory().numTensors;
    const after = [tf.matMul(a, b, false, true), tf.matMul(a, c, true, false), tf.matMul(batched, batched, false, true)];
    expect(tf.memory().numTensors).toBe(numTensors + 3); // the transposed copies are freed
    after.forEach((t, i) => {
      const x = t.dataSync();
      const y = before[i]!;
      let worst = 0;
      for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / (1 + Math.abs(y[j]!)));
      expect(worst).toBeLessThan(1e-5);
    });
    tf.dispose([a, b, c, batched, ...after]);
  });
});
