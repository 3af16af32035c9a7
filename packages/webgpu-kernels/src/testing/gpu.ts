// Helpers of this package's tests (the `webgpu` vitest project).
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {expect} from 'vitest';

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
