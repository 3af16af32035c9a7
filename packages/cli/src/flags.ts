// Parsers of numeric flags for commander: each turns a bad value into a one-line UsageError naming the flag.

import {UsageError} from './errors.js';

export function integerFlag(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`${flag}: expected ${min === 0 ? 'an integer >= 0' : min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got '${value}'`);
    }
    return n;
  };
}

export function integerListFlag(flag: string, min: number) {
  const parse = integerFlag(flag, min);
  return (value: string): number[] => {
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) throw new UsageError(`${flag}: expected a comma-separated list of positive integers, got '${value}'`);
    return parts.map(parse);
  };
}
