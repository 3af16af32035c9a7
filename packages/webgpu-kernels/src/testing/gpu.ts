// Helpers of this package's tests (the `webgpu` vitest project).
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend, WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import {expect, vi} from 'vitest';

/**
 * Runs `fn` inside a WebGPU validation error scope and expects no error: tfjs does not check validation errors,
 * and an invalid pipeline or bind group silently leaves its output as garbage.
 */
export async function withoutValidationErrors<T>(fn: () => T): Promise<T> {
  const device = (tf.backend() as WebGPUBackend).device;
  device.pushErrorScope('validation');
  const result = fn();
  const error = await device.popErrorScope();
  expect(error?.message).toBeUndefined();
  return result;
}

/**
 * Runs `fn` as withoutValidationErrors does and names the programs it ran on the webgpu backend: their shader keys
 * before the suffix of shapes and types that tfjs appends.
 */
export async function programsRun<T>(fn: () => T): Promise<{result: T; programs: string[]}> {
  const spy = vi.spyOn(tf.backend() as WebGPUBackend, 'runWebGPUProgram');
  try {
    const result = await withoutValidationErrors(fn);
    return {result, programs: spy.mock.calls.map((call) => (call[0] as WebGPUProgram).shaderKey.split('_')[0]!)};
  } finally {
    spy.mockRestore();
  }
}

/** Reproducible pseudo-random 32-bit words (a linear congruential generator). */
export function words(count: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s;
  }
  return out;
}
