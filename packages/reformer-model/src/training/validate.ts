// Argument checks for the training utilities. Every error names the argument, the value received and what
// was expected (CONTRIBUTING.md). The general checks are the model's own; this module adds the numeric ones.
import {fail} from '../validate.js';

export {checkBoolean, checkObject, checkTensor, describe, fail, formatShape, rejectUnknownKeys} from '../validate.js';

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
