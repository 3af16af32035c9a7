// The markdown summary of a results directory: one section per report JSON, with the answers each suite is for.
import {formatBytes, formatMs} from '../budget.js';
import type {Report} from '../schema.js';
import {compareWithBaselines, crossovers, depthGrowth, type Comparison, type Crossover} from './analysis.js';
import {markdownTable} from './format.js';

const SUITE_ORDER = ['speed', 'memory-depth', 'memory-length', 'hf'];

/** `<suite>-<backend>[-quick]`: a quick run and a full one of the same suite live side by side. */
export function baseName(report: Report): string {
  return `${report.suite}-${report.backend}${report.config.quick === true ? '-quick' : ''}`;
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
  const beyond = c.fullUnavailable.length > 0 ? `; full attention did not run at ${c.fullUnavailable.map((u) => u.length).join(', ')}` : '';
  return `- **${c.impl}**, ${mode}: ${where}${at ? ` (full ÷ LSH time: ${at})` : ''}${beyond}.`;
}

/** The answers of one report, as markdown bullet points. */
export function answers(report: Report): string[] {
  const out: string[] = [];
  if (report.suite === 'speed' || report.suite === 'hf') {
    for (const mode of ['fwd_ms', 'fwdbwd_ms'] as const) {
      for (const c of crossovers(report.rows, mode, report.suite === 'hf' ? 'sdpa' : 'full')) out.push(crossoverLine(c));
    }
    const model = report.rows.filter((r) => r.kind === 'train-step' && r.fwdbwd_ms);
    for (const c of crossovers(report.rows, 'fwdbwd_ms', report.suite === 'hf' ? 'hf-model-full' : 'model-full', 'train-step')) {
      if (model.length > 0) out.push(crossoverLine(c).replace('full attention', 'the full-attention model'));
    }
  }
  if (report.suite === 'memory-depth') {
    for (const g of depthGrowth(report.rows)) {
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
    '| ours | theirs | length | batch | mode | ours ms | theirs ms | ours ÷ theirs |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const c of rows) {
    lines.push(
      `| ${c.ours} (${c.ours_backend}) | ${c.theirs} (${c.theirs_backend}) | ${c.length} | ${c.batch} | ${c.mode === 'fwd_ms' ? 'fwd' : 'fwd+bwd'} | ${formatMs(c.ours_ms)} | ${formatMs(c.theirs_ms)} | ${c.ratio}× |`,
    );
  }
  return lines.join('\n');
}

/** The whole summary (README.md of a results directory). Deterministic for the same reports. */
export function summaryMarkdown(machine: string, reports: readonly Report[], charts: ReadonlySet<string>): string {
  const sorted = [...reports].sort(
    (a, b) => SUITE_ORDER.indexOf(a.suite) - SUITE_ORDER.indexOf(b.suite) || (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0) ||
      Number(a.config.quick === true) - Number(b.config.quick === true),
  );
  const parts: string[] = [`# Benchmark results: ${machine}`, ''];
  parts.push(
    'Written by `@reformerjs/benchmarks` (see ../../README.md for how each figure is measured). Times are medians of the timed runs ' +
      '(min–max in brackets); peaks are tf.profile logical bytes. Regenerate this page with `npm run bench -- report <this directory>`.',
    '',
  );
  for (const r of sorted) {
    parts.push(`## ${r.suite} (${r.backend}${r.config.quick === true ? ', --quick' : ''})`, '');
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
    const attention = r.rows.filter((row) => row.kind === 'attention');
    const steps = r.rows.filter((row) => row.kind === 'train-step');
    if (attention.length > 0) parts.push(markdownTable(attention), '');
    if (steps.length > 0) parts.push(markdownTable(steps), '');
    for (const n of r.notes) parts.push(`> ${n}`, '');
  }
  const ours = sorted.filter((r) => r.suite !== 'hf');
  const theirs = sorted.filter((r) => r.suite === 'hf');
  const comparison = compareWithBaselines(ours, theirs);
  if (comparison.length > 0) {
    parts.push('## Ours over the baselines', '', 'Our median time ÷ the baseline\'s, same shape (above 1: we are slower).', '', comparisonTable(comparison), '');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

export {formatBytes};
