// Tables of rows, for the terminal and for markdown. Pure.
import {formatBytes, formatMs} from '../budget.js';
import type {DuplicationRow, GenerationRow, ReportRow, Row} from '../schema.js';
import type {Timing} from '../stats.js';

function timing(t: Timing | null): string {
  if (!t) return '—';
  return `${formatMs(t.median)} (${formatMs(t.min)}–${formatMs(t.max)})`;
}

function rate(x: number | null): string {
  if (x === null) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

export interface Column {
  title: string;
  cell: (r: Row) => string;
  /** Right-aligned (numbers). */
  right?: boolean;
}

export function columnsFor(rows: readonly Row[]): Column[] {
  const any = (f: (r: Row) => boolean) => rows.some(f);
  const cols: Column[] = [
    {title: 'impl', cell: (r) => r.impl},
    {title: 'length', cell: (r) => String(r.length), right: true},
    {title: 'batch', cell: (r) => String(r.batch), right: true},
  ];
  if (any((r) => r.layers > 1)) cols.push({title: 'layers', cell: (r) => String(r.layers), right: true});
  if (any((r) => r.reversible !== null)) cols.push({title: 'stack', cell: (r) => (r.reversible === null ? '' : r.reversible ? 'reversible' : 'residual')});
  if (any((r) => r.fwd_ms !== null)) cols.push({title: 'fwd ms (min–max)', cell: (r) => timing(r.fwd_ms), right: true});
  if (any((r) => r.fwdbwd_ms !== null)) {
    const train = rows.every((r) => r.kind === 'train-step');
    cols.push({title: train ? 'train step ms (min–max)' : 'fwd+bwd ms (min–max)', cell: (r) => timing(r.fwdbwd_ms), right: true});
    cols.push({title: 'tokens/s', cell: (r) => rate(r.tokens_per_s), right: true});
  }
  if (any((r) => r.peak_bytes !== null || r.peak_bytes_fwd !== null)) {
    // The forward + backward peak, or the forward's where only the forward ran.
    cols.push({
      title: 'peak',
      cell: (r) => (r.peak_bytes !== null ? formatBytes(r.peak_bytes) : r.peak_bytes_fwd !== null ? `${formatBytes(r.peak_bytes_fwd)} (fwd)` : '—'),
      right: true,
    });
    cols.push({
      title: 'peak − base',
      cell: (r) => (r.peak_bytes === null || r.base_bytes === null ? '—' : formatBytes(r.peak_bytes - r.base_bytes)),
      right: true,
    });
  }
  cols.push({title: 'skipped / note', cell: (r) => [r.skipped, r.note].filter(Boolean).join('; ')});
  return cols;
}

/** A fixed-width text table for the terminal. */
export function textTable(rows: readonly Row[]): string {
  return renderText(rows, columnsFor(rows));
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(rows: readonly Row[]): string {
  return renderMarkdown(rows, columnsFor(rows));
}

/** Rows of the generate suite: ms per token with and without the decoding cache, and the cache's speed-up. */
function generationColumns(): {title: string; cell: (r: GenerationRow) => string; right?: boolean}[] {
  return [
    {title: 'impl', cell: (r) => r.impl},
    {title: 'prompt', cell: (r) => String(r.prompt_length), right: true},
    {title: 'new tokens', cell: (r) => String(r.new_tokens), right: true},
    {title: 'first token', cell: (r) => (r.first_token_ms === null ? '—' : formatMs(r.first_token_ms)), right: true},
    {title: 'ms per token (min–max)', cell: (r) => timing(r.ms_per_token), right: true},
    {title: 'tokens/s', cell: (r) => (r.tokens_per_s === null ? '—' : String(r.tokens_per_s)), right: true},
    {title: 'cache speed-up', cell: (r) => (r.speedup === null ? '' : `${r.speedup}×`), right: true},
    {title: 'skipped / note', cell: (r) => [r.skipped, r.note].filter(Boolean).join('; ')},
  ];
}

/** Rows of the duplication suite, one per checkpoint and evaluation. */
function duplicationColumns(): {title: string; cell: (r: DuplicationRow) => string; right?: boolean}[] {
  const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
  return [
    {title: 'trained', cell: (r) => r.train_attention ?? '—'},
    {title: 'evaluated', cell: (r) => r.eval_attention ?? '—'},
    {title: 'accuracy', cell: (r) => pct(r.accuracy), right: true},
    {title: 'paper', cell: (r) => pct(r.paper_accuracy), right: true},
    {title: 'steps', cell: (r) => (r.steps === null ? '—' : String(r.steps)), right: true},
    {title: 'sequences', cell: (r) => (r.eval_sequences === null ? '—' : String(r.eval_sequences)), right: true},
    {title: 'checkpoint', cell: (r) => `${r.checkpoint}${r.preset ? ` (${r.preset})` : ''}`},
    {title: 'skipped / note', cell: (r) => [r.skipped, r.note].filter(Boolean).join('; ')},
  ];
}

/** Rows as a fixed-width text table; the last column (notes) is not padded and may run long. */
/** Rows as fixed-width text: a title line, a rule, a line a row; the last column is not padded. */
export function renderText<R>(rows: readonly R[], cols: {title: string; cell: (r: R) => string; right?: boolean}[]): string {
  const cells = rows.map((r) => cols.map((c) => c.cell(r)));
  const widths = cols.map((c, i) => (i === cols.length - 1 ? 0 : Math.max(c.title.length, ...cells.map((row) => row[i]!.length))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === cols.length - 1 ? v : cols[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.title)), line(widths.map((w, i) => (i === cols.length - 1 ? '' : '-'.repeat(w)))), ...cells.map(line)].join('\n');
}

function renderMarkdown<R>(rows: readonly R[], cols: {title: string; cell: (r: R) => string; right?: boolean}[]): string {
  const head = `| ${cols.map((c) => c.title).join(' | ')} |`;
  const sep = `| ${cols.map((c) => (c.right ? '---:' : '---')).join(' | ')} |`;
  const body = rows.map((r) => `| ${cols.map((c) => escapeCell(c.cell(r)) || ' ').join(' | ')} |`);
  return [head, sep, ...body].join('\n');
}

/** Any report's rows as a terminal table (one table per kind of row, separated by a blank line). */
export function reportTextTable(rows: readonly ReportRow[]): string {
  const measured = rows.filter((r): r is Row => r.kind === 'attention' || r.kind === 'train-step');
  const generation = rows.filter((r): r is GenerationRow => r.kind === 'generate');
  const duplication = rows.filter((r): r is DuplicationRow => r.kind === 'duplication');
  return [
    measured.length > 0 ? textTable(measured) : '',
    generation.length > 0 ? renderText(generation, generationColumns()) : '',
    duplication.length > 0 ? renderText(duplication, duplicationColumns()) : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

export function generationMarkdownTable(rows: readonly GenerationRow[]): string {
  return renderMarkdown(rows, generationColumns());
}

export function duplicationMarkdownTable(rows: readonly DuplicationRow[]): string {
  return renderMarkdown(rows, duplicationColumns());
}
