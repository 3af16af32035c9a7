import {describe, expect, it} from 'vitest';
import {baselineFor, compareWithBaselines, crossovers, depthGrowth, depthOrder, extrapolateMaxLength} from './report/analysis.js';
import {makeRow, type Row} from './schema.js';
import {summarize} from './stats.js';
import {report} from './schema.test.js';

const timed = (impl: string, length: number, ms: number | null, extra: Partial<Row> = {}): Row => {
  const lsh = impl.includes('lsh');
  const r = makeRow({impl, kind: 'attention', length, batch: 1, heads: 4, head_size: 64, chunk: lsh ? 64 : null, hashes: lsh ? 4 : null});
  if (ms === null) r.skipped = 'memory';
  else r.fwd_ms = summarize([ms, ms, ms, ms, ms]);
  return {...r, ...extra};
};

describe('analysis', () => {
  it('finds the length from which LSH stays faster', () => {
    const rows = [timed('full', 1024, 10), timed('full', 2048, 40), timed('full', 4096, 160), timed('full', 8192, null)];
    rows.push(timed('lsh-4', 1024, 20), timed('lsh-4', 2048, 41), timed('lsh-4', 4096, 80), timed('lsh-4', 8192, 160));
    const [c] = crossovers(rows, 'fwd_ms');
    expect(c).toMatchObject({impl: 'lsh-4', fromLength: 4096, longestCommon: 4096});
    expect(c!.ratios).toEqual([
      {length: 1024, ratio: 0.5},
      {length: 2048, ratio: 0.976},
      {length: 4096, ratio: 2},
    ]);
    expect(c!.fullUnavailable).toEqual([{length: 8192, reason: 'memory'}]);
  });

  it('no crossover when LSH is slower at the longest common length', () => {
    const rows = [timed('full', 1024, 10), timed('full', 2048, 40), timed('lsh-1', 1024, 5), timed('lsh-1', 2048, 50)];
    expect(crossovers(rows, 'fwd_ms')[0]!.fromLength).toBeNull();
  });

  it('depth growth of the peaks, with and without the base', () => {
    const at = (layers: number, reversible: boolean, peak: number, base: number) => {
      const r = makeRow({impl: 'model-lsh-1', kind: 'train-step', length: 1024, batch: 1, heads: 4, head_size: 64, chunk: 64, hashes: 1, layers, reversible});
      return {...r, peak_bytes: peak, base_bytes: base};
    };
    const [rev, res] = depthGrowth([at(2, true, 100, 10), at(12, true, 110, 20), at(2, false, 100, 10), at(12, false, 500, 20)]);
    expect(rev).toMatchObject({reversible: true, peakRatio: 1.1, extraRatio: 1, shallowest: 2, deepest: 12});
    expect(res).toMatchObject({reversible: false, peakRatio: 5, extraRatio: 5.33});
  });

  it('runs the reversible extremes first and the deepest residual stack last', () => {
    expect(depthOrder([12, 2, 8, 4])).toEqual([
      [2, true],
      [12, true],
      [2, false],
      [4, false],
      [4, true],
      [8, false],
      [8, true],
      [12, false],
    ]);
    expect(depthOrder([6])).toEqual([
      [6, true],
      [6, false],
    ]);
  });

  it('extrapolates the longest length from a power law', () => {
    // extra = L^2 / 1000: budget 1e4 + base 0 gives L = sqrt(1e7).
    const pts = [1000, 2000].map((length) => ({length, extra: length ** 2 / 1000, base: 0}));
    const fit = extrapolateMaxLength(pts, 1e4)!;
    expect(fit.exponent).toBeCloseTo(2);
    expect(fit.length).toBe(Math.floor(Math.sqrt(1e7)));
    expect(extrapolateMaxLength(pts.slice(0, 1), 1e4)).toBeNull();
  });

  it('pairs our rows with the baselines of the same shape', () => {
    expect(baselineFor('full')).toEqual(['sdpa', 'hf-full']);
    expect(baselineFor('model-lsh-4')).toEqual(['hf-model-lsh-4']);
    const ours = report([timed('lsh-4', 1024, 30), timed('full', 1024, 10)]);
    const theirs = {...report([timed('hf-lsh-4', 1024, 10), timed('sdpa', 1024, 2)]), suite: 'hf', backend: 'cuda'};
    const c = compareWithBaselines([ours], [theirs]);
    expect(c.map((x) => [x.ours, x.theirs, x.ratio])).toEqual([
      ['lsh-4', 'hf-lsh-4', 3],
      ['full', 'sdpa', 5],
    ]);
  });
});
