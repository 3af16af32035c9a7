import {describe, expect, it} from 'vitest';
import {renderSvg, specFor} from './report/charts.js';
import {markdownTable, textTable} from './report/format.js';
import {answers, summaryMarkdown} from './report/summary.js';
import {makeRow} from './schema.js';
import {summarize} from './stats.js';
import {report} from './schema.test.js';

const rows = () =>
  [1024, 2048].flatMap((length) =>
    (['full', 'lsh-4'] as const).map((impl) => {
      const r = makeRow({impl, kind: 'attention', length, batch: 8192 / length, heads: 4, head_size: 64, chunk: impl === 'full' ? null : 64, hashes: impl === 'full' ? null : 4});
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
});
