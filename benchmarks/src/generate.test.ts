import {describe, expect, it} from 'vitest';
import {DEFAULT_GENERATION_MODEL, generationConfig, generationGrid} from './suites/generate.js';

describe('generate: the grid and the model', () => {
  it('times at least 5 tokens per figure, and every prompt of the grid fits the model with its new tokens', () => {
    for (const quick of [true, false]) {
      const grid = generationGrid({quick, reps: 5});
      // The first token is reported apart: the figures are over the intervals after it.
      expect(grid.cachedTokens - 1).toBeGreaterThanOrEqual(5);
      expect(grid.uncachedTokens - 1).toBeGreaterThanOrEqual(5);
      for (const length of grid.lengths) expect(length + grid.cachedTokens).toBeLessThanOrEqual(DEFAULT_GENERATION_MODEL.maxLength);
    }
    expect(generationGrid({quick: true, reps: 5}).lengths).toEqual([256, 512, 1024, 2048, 4096]);
    expect(generationGrid({quick: false, reps: 7, lengths: [300]})).toEqual({lengths: [300], cachedTokens: 29, uncachedTokens: 8});
  });

  it('builds a causal config of alternating local and LSH layers whose axial grid holds maxLength positions', () => {
    const config = generationConfig(DEFAULT_GENERATION_MODEL);
    expect(config.isDecoder).toBe(true);
    expect(config.attnLayers).toEqual(['local', 'lsh', 'local', 'lsh']);
    expect(config.axialPosShape.reduce((a, b) => a * b, 1)).toBe(DEFAULT_GENERATION_MODEL.maxLength);
  });
});
