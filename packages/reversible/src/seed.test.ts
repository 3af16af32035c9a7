import {describe, expect, it} from 'vitest';
import {deriveSeed} from './index.js';
import {layerSeed, randomSeed} from './seed.js';

describe('deriveSeed', () => {
  it('is a pure function of its arguments, in [0, 2^32)', () => {
    expect(deriveSeed(42, 3, 1)).toBe(deriveSeed(42, 3, 1));
    expect(deriveSeed(42)).toBe(deriveSeed(42));
    for (const s of [deriveSeed(0), deriveSeed(-5, 2), deriveSeed(2 ** 52, 7)]) {
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    }
  });

  it('gives unrelated seeds for neighbouring steps, layers and functions', () => {
    const seeds = new Set<number>();
    for (let step = 0; step < 20; step++) {
      for (let layer = 0; layer < 20; layer++) {
        seeds.add(layerSeed(step, layer, 0));
        seeds.add(layerSeed(step, layer, 1));
      }
    }
    expect(seeds.size).toBe(800);
    // Seeds above 2^32 stay distinct from their low halves.
    expect(deriveSeed(2 ** 32 + 5)).not.toBe(deriveSeed(5));
    // The part order matters.
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
  });

  it('rejects seeds and parts that are not safe integers', () => {
    expect(() => deriveSeed(0.5)).toThrow('seed: expected a safe integer, got 0.5');
    expect(() => deriveSeed(1, 2, Number.NaN)).toThrow('parts[1]: expected a safe integer, got NaN');
  });

  it('randomSeed draws an integer in [0, 2^32)', () => {
    const s = randomSeed();
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
