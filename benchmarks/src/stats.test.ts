import {describe, expect, it} from 'vitest';
import {median, ratio, roundSig, summarize, tokensPerSecond} from './stats.js';

describe('statistics', () => {
  it('median of odd and even counts, unsorted input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/at least one value/);
  });

  it('summarize gives median, min, max, mean, runs and inner', () => {
    expect(summarize([10, 12, 11, 30, 9], 4)).toEqual({median: 11, min: 9, max: 30, mean: 14.4, runs: 5, inner: 4});
  });

  it('summarize rejects empty, negative and non-finite samples', () => {
    expect(() => summarize([])).toThrow(/at least one sample/);
    expect(() => summarize([1, -2])).toThrow(/non-negative/);
    expect(() => summarize([1, Number.NaN])).toThrow(/finite/);
  });

  it('rounds to significant digits', () => {
    expect(roundSig(123.456789)).toBe(123.5);
    expect(roundSig(0.000123456)).toBe(0.0001235);
    expect(roundSig(0)).toBe(0);
  });

  it('tokens per second and ratios', () => {
    expect(tokensPerSecond(65536, 100)).toBe(655400);
    expect(tokensPerSecond(10, null)).toBeNull();
    expect(tokensPerSecond(10, 0)).toBeNull();
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
  });
});
