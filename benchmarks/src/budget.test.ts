import {describe, expect, it} from 'vitest';
import {GiB, largestTensorBytes, paddedLength, predictFrom, Predictor, sliceBatchFor, TimeBudget, workUnits, type AttentionShape} from './budget.js';

const shape = (o: Partial<AttentionShape>): AttentionShape => ({attention: 'full', batch: 1, heads: 4, length: 1024, headSize: 64, hashes: 1, chunk: 64, ...o});

describe('budgets', () => {
  it('full attention holds batch × heads × L × L floats', () => {
    expect(largestTensorBytes(shape({length: 8192, heads: 8}))).toBe(8 * 8192 * 8192 * 4);
    // The tfjs facts: 8 heads at L = 8192 is already over a 2 GiB binding.
    expect(largestTensorBytes(shape({length: 8192, heads: 8}))).toBeGreaterThan(2 * GiB - 4);
  });

  it('LSH holds rounds × padded L × window of logits', () => {
    expect(largestTensorBytes(shape({attention: 'lsh', length: 1000, hashes: 4}))).toBe(4 * 4 * 1024 * 128 * 4);
    expect(paddedLength(1000, 64)).toBe(1024);
    // Within one chunk LSH attends in full.
    expect(largestTensorBytes(shape({attention: 'lsh', length: 64}))).toBe(4 * 64 * 64 * 4);
  });

  it('splits the batch to respect a binding limit, or says it cannot', () => {
    const limit = 2 * GiB - 4;
    expect(sliceBatchFor(shape({batch: 64, length: 2048}), limit)).toBe(31);
    expect(sliceBatchFor(shape({batch: 1, length: 32768}), limit)).toBe(0);
  });

  it('work grows quadratically for full attention and linearly for LSH', () => {
    expect(workUnits('full', 1, 2048, 1, 64) / workUnits('full', 1, 1024, 1, 64)).toBeCloseTo((2048 * 2560) / (1024 * 1536));
    expect(workUnits('lsh', 2, 1024, 4, 64)).toBe(workUnits('lsh', 1, 2048, 4, 64));
  });

  it('predicts from the largest measured configuration', () => {
    expect(predictFrom([], 10)).toBeUndefined();
    expect(predictFrom([{work: 1, value: 5}, {work: 4, value: 40}], 8)).toBe(80);
    const p = new Predictor();
    p.record('full:fwd', 2, 10);
    p.record('full:fwd', 0, 10); // ignored
    expect(p.predict('full:fwd', 4)).toBe(20);
    expect(p.predict('lsh-1:fwd', 4)).toBeUndefined();
  });

  it('a time budget skips what would overrun it', () => {
    let now = 0;
    const b = new TimeBudget(10, () => now);
    expect(b.check(5000)).toBeNull();
    now = 8000;
    expect(b.check(5000)).toMatch(/predicted 5\.0 s exceeds the 2\.0 s left of the 10 s time budget/);
    expect(b.check(undefined)).toBeNull();
    now = 9500;
    expect(b.check(undefined)).toMatch(/under 10% of the 10 s time budget left/);
    now = 11000;
    expect(b.check(undefined)).toMatch(/over the 10 s time budget/);
    expect(new TimeBudget(undefined).check(1e12)).toBeNull();
  });
});
