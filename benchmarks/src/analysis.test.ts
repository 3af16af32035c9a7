import {describe, expect, it} from 'vitest';
import {baselineCells, baselineFor, shortReason, compareWithBaselines, crossovers, depthGrowth, depthOrder, extrapolateMaxLength, fusedPairs} from './report/analysis.js';
import {makeRow, type Row} from './schema.js';
import {comparisonTable} from './report/summary.js';
import {summarize} from './stats.js';
import {report} from './schema.test.js';

const timed = (impl: string, length: number, ms: number | null, extra: Partial<Row> = {}): Row => {
  const lsh = impl.includes('lsh');
  const r = makeRow({impl, kind: 'attention', length, batch: 1, heads: 4, head_size: 64, chunk: lsh ? 64 : null, hashes: lsh ? 4 : null, fused: false});
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
      const r = makeRow({impl: 'model-lsh-1', kind: 'train-step', length: 1024, batch: 1, heads: 4, head_size: 64, chunk: 64, hashes: 1, layers, reversible, fused: false});
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

  it('pairs model rows by depth and says which residual stack ours used', () => {
    const model = (impl: string, layers: number, reversible: boolean, ms: number) => timed(impl, 65536, ms, {kind: 'train-step', batch: 1, layers, reversible});
    const ours = report([model('model-lsh-1', 2, true, 300), model('model-lsh-1', 12, true, 2000), model('model-lsh-1', 12, false, 1200)]);
    const theirs = {...report([model('hf-model-lsh-1', 2, true, 100), model('hf-model-lsh-1', 12, true, 400)]), suite: 'hf', backend: 'cuda'};
    const c = compareWithBaselines([ours], [theirs]);
    expect(c.map((x) => [x.layers, x.stack, x.theirs_ms, x.ratio])).toEqual([
      [2, 'reversible', 100, 3],
      [12, 'reversible', 400, 5],
      [12, 'residual', 400, 3],
    ]);
    expect(comparisonTable(c).split('\n')[3]).toContain('| 65536 | 1 | 12, reversible | fwd |');
  });

  it('pairs the fused run with the reference run of the same suite, shape by shape', () => {
    const on = {...report([timed('lsh-4', 4096, 20, {fused: true, fused_kernels: ['ReformerChunkedAttention']}), timed('full', 4096, 100, {fused: true, fused_kernels: []})]), config: {fused: true}};
    const off = {...report([timed('lsh-4', 4096, 200), timed('full', 4096, 100), timed('lsh-1', 4096, 50)]), config: {fused: false}};
    const otherBackend = {...off, backend: 'webgpu'};
    const pairs = fusedPairs([otherBackend, on, off]);
    expect(pairs.map((p) => [p.impl, p.mode, p.reference_ms, p.fused_ms, p.speedup, p.fused_kernels])).toEqual([
      ['lsh-4', 'fwd_ms', 200, 20, 10, ['ReformerChunkedAttention']],
      ['full', 'fwd_ms', 100, 100, 1, []],
    ]);
    expect(fusedPairs([on])).toEqual([]);
  });

  it('gives ours over the baseline at every length of ours, or whose figure is missing and why', () => {
    const ours = report([
      timed('lsh-4', 4096, 30, {fused: true}),
      timed('lsh-4', 16384, null, {fused: true, skipped: 'predicted 20 s exceeds the 3 s left of the 100 s time budget'}),
      timed('lsh-4', 65536, 40, {fused: true}),
    ]);
    const theirs = {...report([timed('hf-lsh-4', 4096, 10), timed('hf-lsh-4', 16384, 10)]), suite: 'hf', backend: 'cuda'};
    const cells = baselineCells([ours], [theirs]).filter((c) => c.mode === 'fwd_ms');
    expect(cells.map((c) => [c.length, c.path, c.ratio, c.why])).toEqual([
      [4096, 'fused on, none ran', 3, null],
      [16384, 'fused on, none ran', null, 'ours: time budget'],
      [65536, 'fused on, none ran', null, 'hf-lsh-4: not run'],
    ]);
    (ours.rows[0] as Row).fused_kernels = ['ReformerChunkedAttention'];
    expect(new Set(baselineCells([ours], [theirs]).map((c) => c.path))).toEqual(new Set(['fused']));
    const off = {...report([timed('lsh-4', 4096, 30, {fused: false})]), config: {fused: false}};
    expect(baselineCells([off], [theirs])[0]!.path).toBe('fused off');
    expect(baselineCells([report([timed('lsh-4', 4096, 30, {fused: false})])], [theirs])[0]!.path).toBe('reference');
  });

  it('says in a few words why a mode has no figure, from the row\'s reason or from its note for that mode', () => {
    // As in the H200 run: sliced for the binding limit, then the forward cut by time and the backward by memory.
    const sliced = timed('full', 4096, null, {
      skipped: null,
      peak_bytes_fwd: 30e9,
      note:
        'batch run in slices of 7 to keep [L, L] scores under the 2.00 GiB WebGPU binding limit; fwd not timed: predicted 29 s exceeds the 27 s left of the 193 s time budget; ' +
        'fwdbwd skipped: predicted peak 113 GiB exceeds the 96 GiB memory budget (default GPU budget)',
    });
    expect(shortReason(sliced, 'fwd_ms')).toBe('time budget');
    expect(shortReason(sliced, 'fwdbwd_ms')).toBe('memory');
    expect(shortReason(timed('full', 16384, null, {skipped: '[L, L] scores exceed the 2.00 GiB WebGPU binding limit even for one sequence'}), 'fwd_ms')).toBe('binding limit');
    expect(shortReason(timed('lsh-4', 1024, null, {skipped: 'error: Where for rank 5 is not yet supported'}), 'fwd_ms')).toBe('error');
    expect(shortReason(timed('lsh-4', 1024, 5), 'fwdbwd_ms')).toBe('not timed');
    expect(shortReason(undefined, 'fwd_ms')).toBe('not in the grid');
  });
});
