// The markdown summary of a results directory: one section per report JSON, with the answers each suite is for.
import {formatBytes, formatMs} from '../budget.js';
import {duplicationRows, generationRows, measuredRows, type Report} from '../schema.js';
import {table2Markdown} from '../suites/duplication.js';
import {baselineCells, compareWithBaselines, crossovers, depthGrowth, fusedPairs, type BaselineCell, type Comparison, type Crossover, type FusedPair} from './analysis.js';
import {duplicationMarkdownTable, generationMarkdownTable, markdownTable} from './format.js';

const SUITE_ORDER = ['speed', 'memory-depth', 'memory-length', 'generate', 'duplication', 'hf'];

/**
 * `<suite>-<backend>[-unfused][-quick]`: a quick run and a full one of the same suite live side by side, and so do
 * runs with the fused kernels on (the default) and off.
 */
export function baseName(report: Report): string {
  return `${report.suite}-${report.backend}${report.config.fused === false ? '-unfused' : ''}${report.config.quick === true ? '-quick' : ''}`;
}

/** ", fused kernels on|off" where it matters: off was asked for, or some row ran with them on. */
export function fusedLabel(report: Report): string {
  if (report.config.fused === false) return ', fused kernels off';
  return report.rows.some((r) => r.fused === true) ? ', fused kernels on' : '';
}

export function chartFileName(report: Report): string {
  return `${baseName(report)}.svg`;
}

export function jsonFileName(report: Report): string {
  return `${baseName(report)}.json`;
}

function crossoverLine(c: Crossover): string {
  const mode = c.mode === 'fwd_ms' ? 'forward' : 'forward + backward';
  const at = c.ratios.map((r) => `${r.length}: ${r.ratio}×`).join(', ');
  const where =
    c.fromLength !== null
      ? `faster than full attention from length ${c.fromLength} on`
      : c.ratios.length > 0
        ? 'not faster than full attention at any length where both ran'
        : 'no length where both ran';
  const beyond = c.fullUnavailable.length > 0 ? `; full attention did not run at ${[...new Set(c.fullUnavailable.map((u) => u.length))].join(', ')}` : '';
  return `- **${c.impl}**, ${mode}: ${where}${at ? ` (full ÷ LSH time: ${at})` : ''}${beyond}.`;
}

/** The answers of one report, as markdown bullet points. */
export function answers(report: Report): string[] {
  const out: string[] = [];
  const rows = measuredRows(report);
  if (report.suite === 'speed' || report.suite === 'hf') {
    for (const mode of ['fwd_ms', 'fwdbwd_ms'] as const) {
      for (const c of crossovers(rows, mode, report.suite === 'hf' ? 'sdpa' : 'full')) out.push(crossoverLine(c));
    }
    const model = rows.filter((r) => r.kind === 'train-step' && r.fwdbwd_ms);
    for (const c of crossovers(rows, 'fwdbwd_ms', report.suite === 'hf' ? 'hf-model-full' : 'model-full', 'train-step')) {
      if (model.length > 0) out.push(crossoverLine(c).replace('full attention', 'the full-attention model'));
    }
  }
  if (report.suite === 'generate') {
    for (const r of generationRows(report)) {
      if (r.impl !== 'generate-cached') continue;
      const u = generationRows(report).find((x) => x.impl === 'generate-uncached' && x.prompt_length === r.prompt_length);
      if (r.speedup !== null && r.ms_per_token && u?.ms_per_token) {
        out.push(
          `- **prompt ${r.prompt_length}**: ${formatMs(r.ms_per_token.median)} per token with the cache, ${formatMs(u.ms_per_token.median)} without: ` +
            `the cache is ${r.speedup}× faster (${r.tokens_per_s} against ${u.tokens_per_s} tokens/s).`,
        );
      } else {
        out.push(`- **prompt ${r.prompt_length}**: no speed-up: ${r.skipped ?? u?.skipped ?? 'one of the two did not run'}.`);
      }
    }
  }
  if (report.suite === 'memory-depth') {
    for (const g of depthGrowth(rows)) {
      if (g.peakRatio === null) continue;
      out.push(
        `- **${g.reversible ? 'reversible' : 'residual'}**: peak of ${g.deepest} layers = ${g.peakRatio}× the peak of ${g.shallowest} layers` +
          (g.extraRatio !== null ? ` (${g.extraRatio}× counting only what the step adds above parameters and inputs)` : '') +
          '.',
      );
    }
  }
  if (report.suite === 'memory-length') {
    const max = report.config.max_length as Record<string, Record<string, number | null>> | undefined;
    for (const [impl, m] of Object.entries(max ?? {})) {
      out.push(
        `- **${impl}**: longest measured length within the budget ${m.longest_measured_within_budget ?? '—'}; ` +
          `extrapolated longest ${m.extrapolated_max_length ?? '—'} (peak − base ∝ length^${m.growth_exponent ?? '?'})` +
          (m.binding_limited_power_of_two ? `; largest power of two under the binding limit ${m.binding_limited_power_of_two}` : '') +
          '.',
      );
    }
  }
  return out;
}

export function comparisonTable(rows: readonly Comparison[]): string {
  if (rows.length === 0) return '';
  const lines = [
    '| ours | theirs | length | batch | layers | mode | ours ms | theirs ms | ours ÷ theirs |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const c of rows) {
    lines.push(
      `| ${c.ours} (${c.ours_backend}${c.ours_path ? `, ${c.ours_path}` : ''}) | ${c.theirs} (${c.theirs_backend}) | ${c.length} | ${c.batch} | ${c.stack ? `${c.layers}, ${c.stack}` : c.layers} | ${c.mode === 'fwd_ms' ? 'fwd' : 'fwd+bwd'} | ${formatMs(c.ours_ms)} | ${formatMs(c.theirs_ms)} | ${c.ratio}× |`,
    );
  }
  return lines.join('\n');
}

const lengthLabel = (l: number) => (l >= 1024 && l % 1024 === 0 ? `${l / 1024}K` : String(l));
const times = (x: number | null) => (x === null ? '—' : `${x}×`);

/** The fused kernels against the reference path, shape by shape (reference ÷ fused: above 1, fused is faster). */
export function fusedTable(pairs: readonly FusedPair[]): string {
  if (pairs.length === 0) return '';
  const lines = [
    '| impl | length | batch | mode | reference | fused | reference ÷ fused | fused kernels that ran |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const p of pairs) {
    const ms = (x: number | null) => (x === null ? '—' : formatMs(x));
    const mode = p.mode === 'fwd_ms' ? 'fwd' : p.kind === 'train-step' ? 'train step' : 'fwd+bwd';
    const kernels = p.fused_kernels === null ? '—' : p.fused_kernels.length === 0 ? 'none' : p.fused_kernels.join(', ');
    lines.push(`| ${p.impl} | ${p.length} | ${p.batch} | ${mode} | ${ms(p.reference_ms)} | ${ms(p.fused_ms)} | ${times(p.speedup)} | ${kernels} |`);
  }
  return lines.join('\n');
}

/**
 * Our time over the baseline's by length, one line per implementation (and fused setting) and baseline: each cell
 * `fwd / fwd+bwd` (train-step rows: `loss / step`), a ratio, or why there is none.
 */
export function baselineByLengthTable(cells: readonly BaselineCell[]): string {
  if (cells.length === 0) return '';
  const lengths = [...new Set(cells.map((c) => c.length))].sort((a, b) => a - b);
  const keyOf = (c: BaselineCell) => `${c.impl}${c.path ? ` (${c.path})` : ''} ÷ ${c.baseline}`;
  const keys = [...new Set(cells.map(keyOf))];
  const lines = [`| ours ÷ theirs | ${lengths.map(lengthLabel).join(' | ')} |`, `| --- | ${lengths.map(() => '---:').join(' | ')} |`];
  for (const key of keys) {
    const mine = cells.filter((c) => keyOf(c) === key);
    const cell = (length: number) => {
      const at = mine.filter((c) => c.length === length);
      if (at.length === 0) return '';
      const [f, b] = (['fwd_ms', 'fwdbwd_ms'] as const).map((mode) => at.find((x) => x.mode === mode));
      // Neither figure, for the same reason: say it once.
      if (f && b && f.ratio === null && b.ratio === null && f.why === b.why) return `— (${f.why})`;
      return [f, b].map((c) => (!c ? '—' : c.ratio !== null ? `${c.ratio}×` : `— (${c.why})`)).join(' / ');
    };
    lines.push(`| ${key} | ${lengths.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

function sectionTitle(r: Report): string {
  return `## ${r.suite} (${r.backend}${fusedLabel(r)}${r.config.quick === true ? ', --quick' : ''})`;
}

/** The whole summary (README.md of a results directory). Deterministic for the same reports. */
export function summaryMarkdown(machine: string, reports: readonly Report[], charts: ReadonlySet<string>): string {
  const sorted = [...reports].sort(
    (a, b) => SUITE_ORDER.indexOf(a.suite) - SUITE_ORDER.indexOf(b.suite) || (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0) ||
      Number(a.config.quick === true) - Number(b.config.quick === true) || Number(a.config.fused === false) - Number(b.config.fused === false),
  );
  const parts: string[] = [`# Benchmark results: ${machine}`, ''];
  parts.push(
    'Written by `@reformerjs/benchmarks` (see ../../README.md for how each figure is measured). Times are medians of the timed runs ' +
      '(min–max in brackets); peaks are tf.profile logical bytes. Regenerate this page with `npm run bench -- report <this directory>`.',
    '',
  );
  for (const r of sorted) {
    parts.push(sectionTitle(r), '');
    const cmd = typeof r.config.command === 'string' ? r.config.command : null;
    parts.push(
      `- device: ${r.device.description}`,
      `- commit ${r.commit}, ${r.date}${r.elapsed_s !== undefined ? `, ${Math.round(r.elapsed_s)} s` : ''}${r.load ? `, load average ${r.load.start} → ${r.load.end}` : ''}`,
      ...(cmd ? [`- command: \`${cmd}\``] : []),
      `- versions: ${Object.entries(r.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      '',
    );
    const a = answers(r);
    if (a.length > 0) parts.push(...a, '');
    if (charts.has(chartFileName(r))) parts.push(`![${r.suite}](${chartFileName(r)})`, '');
    const rows = measuredRows(r);
    const attention = rows.filter((row) => row.kind === 'attention');
    const steps = rows.filter((row) => row.kind === 'train-step');
    if (attention.length > 0) parts.push(markdownTable(attention), '');
    if (steps.length > 0) parts.push(markdownTable(steps), '');
    const generation = generationRows(r);
    if (generation.length > 0) parts.push(generationMarkdownTable(generation), '');
    const duplication = duplicationRows(r);
    if (duplication.length > 0) {
      const table = table2Markdown(duplication);
      if (table) {
        parts.push(
          "The paper's Table 2 layout: rows are the attention in training, columns the attention in evaluation; each cell is " +
            "**ours** / the paper's / ours − paper, accuracy on the copied half in percent (the paper: |w| = 511, length 1024; " +
            'ours: the checkpoints named in each row).',
          '',
          table,
          '',
        );
      }
      parts.push(duplicationMarkdownTable(duplication), '');
    }
    for (const n of r.notes) parts.push(`> ${n}`, '');
  }
  const pairs = fusedPairs(sorted);
  if (pairs.length > 0) {
    parts.push(
      '## Fused kernels against the reference path',
      '',
      'The same suite run with `--fused off` and `--fused on` in one process each, same grid: median times, and the reference ' +
        'time over the fused one (above 1: the fused kernels are faster).',
      '',
      fusedTable(pairs),
      '',
    );
  }
  const ours = sorted.filter((r) => r.suite !== 'hf');
  const theirs = sorted.filter((r) => r.suite === 'hf');
  if (theirs.length > 0) {
    const byLength = baselineByLengthTable(baselineCells(ours.filter((r) => r.suite === 'speed'), theirs));
    if (byLength) {
      parts.push(
        '## Ours over the baselines by length',
        '',
        "Our median time ÷ the baseline's at each length of the speed suite (same shape; above 1: we are slower), " +
          '`fwd / fwd+bwd` (model rows: `loss / training step`); where there is no ratio, whose figure is missing and why.',
        '',
        byLength,
        '',
      );
    }
  }
  const comparison = compareWithBaselines(ours, theirs);
  if (comparison.length > 0) {
    parts.push('## Ours over the baselines', '', 'Our median time ÷ the baseline\'s, same shape (above 1: we are slower).', '', comparisonTable(comparison), '');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

export {formatBytes};
