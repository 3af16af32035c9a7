// Argument checks for the training utilities. Every error names the argument, the value received and what
// was expected (CONTRIBUTING.md).
import * as tf from '@tensorflow/tfjs-core';

/** How a value reads in an error message. */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) {
    return value.isDisposed ? 'a disposed tensor' : `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** Throws `name: expected <expected>, got <value>`. */
export function fail(name: string, expected: string, value: unknown): never {
  throw new Error(`${name}: expected ${expected}, got ${describe(value)}`);
}

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(name, 'an object', value);
  return value as Record<string, unknown>;
}

/** Rejects keys of `value` that are not in `known`, naming the first unknown one. */
export function rejectUnknownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new Error(`${name}.${key}: expected one of the options ${known.join(', ')}, got unknown option "${key}"`);
    }
  }
}

export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'true or false', value);
  return value;
}

/** A finite number in [min, max] (bounds inclusive unless `open` says otherwise). */
export function checkNumber(
  name: string,
  value: unknown,
  fallback: number | undefined,
  range: {min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean; what?: string} = {},
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const {min = -Infinity, max = Infinity, minOpen = false, maxOpen = false} = range;
  const what = range.what ?? describeRange(min, max, minOpen, maxOpen);
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(name, what, value);
  const belowMin = minOpen ? value <= min : value < min;
  const aboveMax = maxOpen ? value >= max : value > max;
  if (belowMin || aboveMax) fail(name, what, value);
  return value;
}

function describeRange(min: number, max: number, minOpen: boolean, maxOpen: boolean): string {
  if (min === -Infinity && max === Infinity) return 'a finite number';
  if (max === Infinity) return `a finite number ${minOpen ? '>' : '>='} ${min}`;
  if (min === -Infinity) return `a finite number ${maxOpen ? '<' : '<='} ${max}`;
  return `a number in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
}

/** An integer in [min, max] that is exactly representable (a safe integer). */
export function checkInteger(name: string, value: unknown, fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const upper = max === Number.MAX_SAFE_INTEGER ? '' : ` and <= ${max}`;
    fail(name, `an integer >= ${min}${upper}`, value);
  }
  return value;
}

/** A tensor that is not disposed. */
export function checkTensor(name: string, value: unknown, expected: string): tf.Tensor {
  if (!(value instanceof tf.Tensor) || value.isDisposed) fail(name, expected, value);
  return value;
}
