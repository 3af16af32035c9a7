import {AssertionError} from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';

function collectTensors(value: unknown, out: tf.Tensor[], seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype || value instanceof Map) {
    const values = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const v of values) collectTensors(v, out, seen);
  }
}

/**
 * Runs fn (sync or async) and asserts that tf.memory().numTensors is the same afterwards. Tensors that fn
 * returns (alone, or inside arrays, plain objects or Maps) and created are disposed first; tensors that
 * existed before fn ran are left alone even if returned.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<void> {
  const marker = tf.scalar(0);
  const firstNewId = marker.id;
  marker.dispose();
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned: tf.Tensor[] = [];
  collectTensors(result, returned, new Set());
  for (const t of returned) if (t.id > firstNewId && !t.isDisposed) t.dispose();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new AssertionError({
      message: `expectNoLeaks: ${after - before} tensor(s) leaked (numTensors ${before} before, ${after} after)`,
    });
  }
}
