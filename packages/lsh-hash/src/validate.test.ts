import {describe, expect, it} from 'vitest';

import {bucketCount, rotationSize, validateNumBuckets} from './validate.js';

describe('validateNumBuckets', () => {
  it('accepts even integers >= 2 and non-empty lists of them', () => {
    for (const ok of [2, 4, 8, 1024, [2], [2, 4], [64, 128], [4, 2, 6]]) {
      expect(() => validateNumBuckets(ok)).not.toThrow();
    }
  });

  it.each([
    [7, /numBuckets: expected an even integer >= 2 or a non-empty list of them, got 7$/],
    [0, /got 0$/],
    [1, /got 1$/],
    [-2, /got -2$/],
    [2.5, /got 2\.5$/],
    [Number.NaN, /got NaN$/],
    [Number.POSITIVE_INFINITY, /got Infinity$/],
    ['8', /got "8"$/],
    [null, /got null$/],
    [undefined, /got undefined$/],
    [[], /got an empty list \[\]$/],
    [[2, 3], /got \[2, 3\] \(factor 1 is 3, not an even integer >= 2\)$/],
    [[4, 0], /got \[4, 0\] \(factor 1 is 0/],
    [[4, 2.5], /factor 1 is 2\.5/],
  ])('rejects %j, naming the argument, the value and what was expected', (bad, message) => {
    expect(() => validateNumBuckets(bad)).toThrow(message);
  });

  it('names the argument it was given', () => {
    expect(() => validateNumBuckets(3, 'config.num_buckets')).toThrow(/^config\.num_buckets: expected an even integer/);
  });
});

describe('bucketCount / rotationSize', () => {
  it('is the count itself for a number', () => {
    expect(bucketCount(8)).toBe(8);
    expect(rotationSize(8)).toBe(8);
  });

  it('is the product / sum of the factors for a list', () => {
    expect(bucketCount([2, 4])).toBe(8);
    expect(rotationSize([2, 4])).toBe(6);
    expect(bucketCount([64, 128])).toBe(8192);
    expect(rotationSize([64, 128])).toBe(192);
    expect(bucketCount([4, 2, 6])).toBe(48);
    expect(rotationSize([4, 2, 6])).toBe(12);
  });

  it('validates its input', () => {
    expect(() => bucketCount(5)).toThrow(/numBuckets: expected an even integer >= 2 or a non-empty list of them, got 5/);
    expect(() => rotationSize([2, 5])).toThrow(/numBuckets: .*got \[2, 5\]/);
  });
});
