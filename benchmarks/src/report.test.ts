import {describe, expect, it} from 'vitest';
import {renderSvg, specFor} from './report/charts.js';
import {markdownTable, textTable} from './report/format.js';
import {answers, baseName, summaryMarkdown} from './report/summary.js';
import {makeRow} from './schema.js';
import {summarize} from './stats.js';
import {duplicationRow, generationRow, report} from './schema.test.js';

const rows = () =>
  [1024, 2048].flatMap((length) =>
    (['full', 'lsh-4'] as const).map((impl) => {
      const r = makeRow({impl, kind: 'attention', length, batch: 8192 / length, heads: 4, head_size: 64, chunk: impl === 'full' ? null : 64, hashes: impl === 'full' ? null : 4, fused: false});
      const ms = impl === 'full' ? length / 10 : 150;
      r.fwd_ms = summarize([ms, ms * 1.1, ms * 0.9, ms, ms]);
      r.fwdbwd_ms = summarize([3 * ms, 3 * ms, 3 * ms, 3 * ms, 3 * ms]);
      r.peak_bytes = 1e6 * length;
      r.base_bytes = 1000;
      return r;
    }),
  );

describe('report', () => {
  it('tables show medians with min–max, and the reasons for skipped rows', () => {
    const rs = rows();
    rs[0]!.note = 'batch | sliced';
    const text = textTable(rs);
    expect(text).toContain('fwd ms (min–max)');
    expect(text).toContain('102 ms (92 ms–113 ms)');
    expect(markdownTable(rs)).toContain('batch \\| sliced');
  });

  it('answers where LSH overtakes full attention', () => {
    expect(answers(report(rows()))).toContain(
      '- **lsh-4**, forward: faster than full attention from length 2048 on (full ÷ LSH time: 1024: 0.683×, 2048: 1.37×).',
    );
  });

  it('renders the same SVG for the same report', async () => {
    const spec = specFor(report(rows()))!;
    const a = await renderSvg(spec);
    const b = await renderSvg(specFor(report(rows()))!);
    expect(a.startsWith('<svg')).toBe(true);
    expect(a).toContain('lsh-4');
    expect(a).toBe(b);
  });

  it('the summary is deterministic and links the chart', () => {
    const r = report(rows());
    const md = summaryMarkdown('cpu-2core-node20', [r], new Set(['speed-wasm.svg']));
    expect(md).toContain('![speed](speed-wasm.svg)');
    expect(md).toBe(summaryMarkdown('cpu-2core-node20', [r], new Set(['speed-wasm.svg'])));
  });

  it('names the files of a run with the fused kernels off apart from the default run', () => {
    expect(baseName({...report(rows()), config: {fused: false, quick: true}})).toBe('speed-wasm-unfused-quick');
    expect(baseName({...report(rows()), config: {fused: true}})).toBe('speed-wasm');
    expect(baseName(report(rows()))).toBe('speed-wasm');
  });

  const generateReport = () => {
    const cached = {...generationRow('generate-cached', 256, 10), speedup: 12.5};
    const uncached = generationRow('generate-uncached', 256, 125);
    const skipped = {...generationRow('generate-cached', 1024), ms_per_token: null, tokens_per_s: null, first_token_ms: null, skipped: 'over the 170 s time budget of this suite'};
    return {...report([cached, uncached, skipped]), suite: 'generate', config: {quick: true, model: {layers: 4}}};
  };

  it("generate: gives the cache's speed-up per prompt length, or why there is none", () => {
    expect(answers(generateReport())).toEqual([
      '- **prompt 256**: 10 ms per token with the cache, 125 ms without: the cache is 12.5× faster (100 against 8 tokens/s).',
      '- **prompt 1024**: no speed-up: over the 170 s time budget of this suite.',
    ]);
    const md = summaryMarkdown('cpu-2core-node20', [generateReport()], new Set(['generate-wasm-quick.svg']));
    expect(md).toContain('## generate (wasm, --quick)');
    expect(md).toContain('![generate](generate-wasm-quick.svg)');
    expect(md).toContain('| generate-cached | 256 | 21 | 100 ms | 10 ms (9.00 ms–11 ms) | 100 | 12.5× |   |');
  });

  it('generate: charts time per token against the prompt length, the same SVG for the same report', async () => {
    const a = await renderSvg(specFor(generateReport())!);
    expect(a).toContain('with the cache');
    expect(a).toBe(await renderSvg(specFor(generateReport())!));
  });

  it("duplication: the summary holds the paper's layout and every row", () => {
    const dup = {...report([duplicationRow('LSH-4', 'LSH-1', 0.95, {paper_accuracy: 0.919})]), suite: 'duplication'};
    const md = summaryMarkdown('cpu-2core-node20', [dup], new Set());
    expect(md).toContain('| LSH-4 (small preset, length 128, 300 steps) | **95.0** / 91.9 / +3.1 |');
    expect(md).toContain('| LSH-4 | LSH-1 | 95.0% | 91.9% | 300 | 128 | runs/dup-LSH-4 (small) |   |');
    expect(specFor(dup)).toBeNull();
  });

  it('the summary compares a fused run with the reference run and both with the baselines by length', () => {
    const at = (impl: string, length: number, ms: number, fused: boolean) => {
      const r = makeRow({impl, kind: 'attention', length, batch: 65536 / length, heads: 4, head_size: 64, chunk: 64, hashes: 4, fused});
      r.fwd_ms = summarize([ms, ms, ms, ms, ms]);
      r.fused_kernels = fused ? ['ReformerChunkedAttention'] : [];
      return r;
    };
    const skipped = {...at('lsh-4', 65536, 1, true), fwd_ms: null, fused_kernels: null, skipped: 'predicted 9 s exceeds the 2 s left of the 200 s time budget'};
    const on = {...report([at('lsh-4', 4096, 20, true), at('lsh-4', 16384, 21, true), skipped]), backend: 'webgpu', config: {fused: true}};
    const off = {...report([at('lsh-4', 4096, 200, false)]), backend: 'webgpu', config: {fused: false}};
    const hf = makeRow({impl: 'hf-lsh-4', kind: 'attention', length: 4096, batch: 16, heads: 4, head_size: 64, chunk: 64, hashes: 4, fused: null});
    hf.fwd_ms = summarize([10, 10, 10, 10, 10]);
    const theirs = {...report([hf]), suite: 'hf', backend: 'cuda'};
    const md = summaryMarkdown('h200-webgpu', [off, theirs, on], new Set());
    expect(md.indexOf('## speed (webgpu, fused kernels on)')).toBeLessThan(md.indexOf('## speed (webgpu, fused kernels off)'));
    expect(md).toContain('| lsh-4 | 4096 | 16 | fwd | 200 ms | 20 ms | 10× | ReformerChunkedAttention |');
    expect(md).toContain('| ours ÷ theirs | 4K | 16K | 64K |');
    expect(md).toContain('| lsh-4 (fused) ÷ hf-lsh-4 | 2× / — (ours: not timed) | — (hf-lsh-4: not run) / — (ours: not timed) | — (ours: time budget) |');
    expect(md).toContain('| lsh-4 (fused off) ÷ hf-lsh-4 | 20× / — (ours: not timed) |  |  |');
    expect(md).toContain('| lsh-4 (webgpu, fused) | hf-lsh-4 (cuda) | 4096 | 16 | 1 | fwd | 20 ms | 10 ms | 2× |');
    expect(md).toContain('| lsh-4 (webgpu, fused off) | hf-lsh-4 (cuda) | 4096 | 16 | 1 | fwd | 200 ms | 10 ms | 20× |');
  });
});
