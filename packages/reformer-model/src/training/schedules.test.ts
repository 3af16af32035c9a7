import {describe, expect, it} from 'vitest';

import {constantSchedule, warmupRsqrtDecay} from './schedules.js';

describe('warmupRsqrtDecay (trax multifactor "constant * linear_warmup * rsqrt_decay")', () => {
  it('matches hand-computed values through warm-up, peak and decay', () => {
    const lr = warmupRsqrtDecay({constant: 0.05, warmupSteps: 4000});
    // During warm-up: constant · step / warmup / sqrt(warmup); sqrt(4000) = 63.245553203367585.
    expect(lr(0)).toBe(0);
    expect(lr(1)).toBeCloseTo(0.05 / 4000 / 63.245553203367585, 15);
    expect(lr(1000)).toBeCloseTo((0.05 * 0.25) / 63.245553203367585, 15);
    // Peak at step = warmup: constant / sqrt(warmup).
    expect(lr(4000)).toBeCloseTo(0.05 / 63.245553203367585, 15);
    // After: constant / sqrt(step).
    expect(lr(16000)).toBeCloseTo(0.05 / 126.49110640673517, 15);
    expect(lr(1e6)).toBeCloseTo(0.05 / 1000, 15);
    expect(lr(16000)).toBeCloseTo(lr(4000) / 2, 15);
  });

  it('reproduces the Reformer enwik8 config (constant 0.03125, warm-up 2000)', () => {
    const lr = warmupRsqrtDecay({constant: 0.03125, warmupSteps: 2000});
    expect(lr(2000)).toBeCloseTo(0.03125 / Math.sqrt(2000), 15);
    expect(lr(500)).toBeCloseTo((0.03125 * 0.25) / Math.sqrt(2000), 15);
    expect(lr(8000)).toBeCloseTo(0.03125 / Math.sqrt(8000), 15);
  });

  it('rises then falls', () => {
    const lr = warmupRsqrtDecay({constant: 1, warmupSteps: 10});
    const values = Array.from({length: 30}, (_, i) => lr(i + 1));
    for (let i = 1; i < 10; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    for (let i = 10; i < 30; i++) expect(values[i]!).toBeLessThan(values[i - 1]!);
  });

  it('rejects bad options and steps', () => {
    expect(() => warmupRsqrtDecay({constant: 0.1, warmupSteps: 0})).toThrow(/options\.warmupSteps: expected a finite number > 0, got 0/);
    expect(() => warmupRsqrtDecay({constant: -1, warmupSteps: 10})).toThrow(/options\.constant: expected a finite number >= 0, got -1/);
    expect(() => warmupRsqrtDecay({constant: 1, warmupSteps: 10, decay: 2} as never)).toThrow(/options\.decay: expected one of the options constant, warmupSteps/);
    expect(() => warmupRsqrtDecay({constant: 1} as never)).toThrow(/options\.warmupSteps: expected a finite number > 0, got undefined/);
    expect(() => warmupRsqrtDecay({constant: 1, warmupSteps: 10})(-1)).toThrow(/step: expected a finite number >= 0 \(the 1-based update number\), got -1/);
  });
});

describe('constantSchedule', () => {
  it('is constant', () => {
    const lr = constantSchedule(3e-4);
    expect([lr(0), lr(1), lr(1e9)]).toEqual([3e-4, 3e-4, 3e-4]);
    expect(() => constantSchedule(Number.POSITIVE_INFINITY)).toThrow(/value: expected a finite number >= 0, got Infinity/);
  });
});
