// Writing a results directory: the report JSON, its chart and the directory's summary (rebuilt from every JSON there).
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {renderSvg, specFor} from './report/charts.js';
import {chartFileName, jsonFileName, summaryMarkdown} from './report/summary.js';
import {reportProblems, type Report} from './schema.js';

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), {recursive: true});
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Every valid report JSON in a directory (others are listed in `problems`). */
export function readReports(dir: string): {reports: Report[]; problems: string[]} {
  const reports: Report[] = [];
  const problems: string[] = [];
  if (!existsSync(dir)) return {reports, problems: [`${dir}: no such directory`]};
  // compare-*.json is the merge's output, not a report.
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('compare-')).sort()) {
    try {
      const value = JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown;
      const found = reportProblems(value);
      if (found.length > 0) problems.push(`${name}: ${found.slice(0, 3).join('; ')}`);
      else reports.push(value as Report);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
    }
  }
  return {reports, problems};
}

/** Renders the charts of `reports` into `dir`; returns the file names written. */
export async function writeCharts(dir: string, reports: readonly Report[], log: (s: string) => void): Promise<Set<string>> {
  const written = new Set<string>();
  for (const report of reports) {
    const spec = specFor(report);
    if (!spec) continue;
    try {
      writeFileSync(join(dir, chartFileName(report)), await renderSvg(spec));
      written.add(chartFileName(report));
    } catch (e) {
      log(`chart ${chartFileName(report)} failed: ${(e as Error).message}`);
    }
  }
  return written;
}

/** Rebuilds the summary of a results directory from its JSON files (and the charts already there). */
export function writeSummary(dir: string, machine: string): string {
  const {reports} = readReports(dir);
  const charts = new Set(readdirSync(dir).filter((n) => n.endsWith('.svg')));
  const file = join(dir, 'README.md');
  writeFileSync(file, summaryMarkdown(machine, reports, charts));
  return file;
}

/** Writes one report into its results directory: JSON, chart, summary. */
export async function writeReport(dir: string, report: Report, options: {charts: boolean; log: (s: string) => void}): Promise<string[]> {
  mkdirSync(dir, {recursive: true});
  const files = [join(dir, jsonFileName(report))];
  writeJson(files[0]!, report);
  if (options.charts) for (const f of await writeCharts(dir, [report], options.log)) files.push(join(dir, f));
  files.push(writeSummary(dir, report.machine));
  return files;
}
