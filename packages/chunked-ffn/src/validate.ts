import type * as tf from '@tensorflow/tfjs-core';

// Argument checks shared by the modules. Every message names the argument, the value received and
// what was expected (CONTRIBUTING.md).

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The size of one axis (tfjs types a generic tensor's shape as a union of tuples). */
export function dim(t: tf.Tensor, axis: number): number {
  return (t.shape as number[])[axis] as number;
}

export function assertTensor(name: string, value: unknown): asserts value is tf.Tensor {
  // Duck-typed rather than `instanceof`: a second copy of tfjs-core in a bundle must still pass.
  const t = value as {shape?: unknown; dtype?: unknown; dataId?: unknown} | null | undefined;
  if (t == null || typeof t !== 'object' || !Array.isArray(t.shape) || typeof t.dtype !== 'string' || t.dataId == null) {
    throw new Error(`${name}: expected a tf.Tensor, got ${describe(value)}`);
  }
}

export function assertRank(name: string, t: tf.Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) {
    throw new Error(`${name}: expected rank ${rank} ${layout}, got rank ${t.rank} with shape ${formatShape(t.shape)}`);
  }
}

export function assertDtype(name: string, t: tf.Tensor, dtype: tf.DataType): void {
  if (t.dtype !== dtype) {
    throw new Error(`${name}: expected dtype ${dtype}, got ${t.dtype}`);
  }
}

/**
 * `expected` may hold `null` for a dimension that is free. `because` says where the expectation
 * comes from, e.g. "to match x's hidden size 64".
 */
export function assertShape(name: string, t: tf.Tensor, expected: readonly (number | null)[], because: string): void {
  const ok = t.rank === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const shown = `[${expected.map((d) => (d === null ? '*' : String(d))).join(', ')}]`;
    throw new Error(`${name}: expected shape ${shown} ${because}, got ${formatShape(t.shape)}`);
  }
}

export function checkChunkSize(chunkSize: unknown, name = 'chunkSize'): number {
  if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 0) {
    throw new Error(`${name}: expected a non-negative integer (0 = no chunking), got ${describe(chunkSize)}`);
  }
  return chunkSize;
}

export function checkEps(eps: unknown, name = 'layerNormEps'): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new Error(`${name}: expected a finite number >= 0, got ${describe(eps)}`);
  }
  return eps;
}

export function checkRate(rate: unknown, name = 'dropout'): number {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate >= 1) {
    throw new Error(`${name}: expected a probability in [0, 1), got ${describe(rate)}`);
  }
  return rate;
}

/** A seed is needed only when something random happens; then it must be a safe integer >= 0. */
export function checkSeed(seed: unknown, needed: boolean, why: string, name = 'seed'): number {
  if (seed === undefined && !needed) return 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${name}: expected a non-negative safe integer ${why}, got ${describe(seed)}`);
  }
  return seed;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const t = value as {shape?: unknown; dtype?: unknown};
  if (Array.isArray(t.shape) && typeof t.dtype === 'string') {
    return `a ${t.dtype} tensor of shape ${formatShape(t.shape as number[])}`;
  }
  return typeof value;
}
