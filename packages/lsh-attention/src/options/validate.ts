import * as tf from '@tensorflow/tfjs-core';

/** How a value reads in an error message: shapes and arrays as JSON, strings quoted. */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws `name: expected <expected>, got <value>`, the one error format of this package. */
export function fail(name: string, expected: string, value: unknown): never {
  throw new Error(`${name}: expected ${expected}, got ${describe(value)}`);
}

export function checkPositiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(name, 'a positive integer', value);
  return value;
}

export function checkNonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(name, 'a non-negative integer', value);
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(name, 'true or false', value);
  return value;
}

/** A dropout rate: tf.dropout accepts [0, 1). */
export function checkRate(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) fail(name, 'a number in [0, 1)', value);
  return value;
}

export function checkSeed(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(name, 'an integer seed', value);
  return value;
}

export function checkPositiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(name, 'a positive finite number', value);
  return value;
}

/** Plain objects only, so a typo such as passing a tensor where an options object belongs is caught early. */
export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof tf.Tensor) {
    fail(name, 'an options object', value);
  }
  return value as Record<string, unknown>;
}

export function checkTensor(name: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) fail(name, 'a tf.Tensor', value);
  if (value.isDisposed) throw new Error(`${name}: expected a live tf.Tensor, got a disposed tensor`);
  return value;
}

/**
 * Checks rank, dtype and the sizes that are known. `shape` entries that are `null` may be anything;
 * `dims` names them for the message, e.g. `['batch', 'heads', 'length', 'headSize']`.
 */
export function checkShape(
  name: string,
  value: unknown,
  shape: readonly (number | null)[],
  dims: readonly string[],
  dtype: tf.DataType | readonly tf.DataType[] = 'float32',
): tf.Tensor {
  const dtypes: readonly tf.DataType[] = typeof dtype === 'string' ? [dtype] : dtype;
  const expectedShape = `[${shape.map((s, i) => (s === null ? dims[i] : `${s}`)).join(', ')}]`;
  const what = shape.every((s) => s === null) ? `[${dims.join(', ')}]` : `${expectedShape} ([${dims.join(', ')}])`;
  const expected = `a rank-${shape.length} ${dtypes.join(' or ')} tensor of shape ${what}`;
  if (!(value instanceof tf.Tensor)) fail(name, expected, value);
  const t = checkTensor(name, value);
  const ok = t.rank === shape.length && shape.every((s, i) => s === null || t.shape[i] === s);
  if (!ok) fail(name, expected, t);
  if (!dtypes.includes(t.dtype)) fail(name, `a ${dtypes.join(' or ')} tensor of shape ${what}`, t);
  return t;
}
