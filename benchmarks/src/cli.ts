// `npm run bench -- <suite> [options]`: runs a suite, prints its table, writes JSON, chart and summary.
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync, statSync} from 'node:fs';
import os from 'node:os';
import {dirname, isAbsolute, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {MEASURING_SUITES, parseArgs, USAGE, UsageError, type CliOptions, type MeasuringSuite} from './args.js';
import {compareWithBaselines} from './report/analysis.js';
import {comparisonTable} from './report/summary.js';
import {SCHEMA_VERSION, reportProblems, type Report} from './schema.js';
import {readReports, writeCharts, writeJson, writeReport, writeSummary} from './output.js';

/** benchmarks/ (this file is benchmarks/dist/cli.js, or benchmarks/src/cli.ts under tsx). */
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_DIR = resolve(PACKAGE_DIR, '..');

/** Paths on the command line are relative to where `npm run` was started, not to benchmarks/. */
function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

const log = (line: string) => console.log(line);

/** How this run was started, as a reader would repeat it. */
function invocation(): string {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench -- ${args}`;
  return `node ${relative(process.cwd(), process.argv[1] ?? 'benchmarks/dist/cli.js')} ${args} (in ${relative(REPO_DIR, process.cwd()) || '.'})`;
}

export const DUPLICATION_MESSAGE =
  'duplication: not measured yet. This suite evaluates the duplication task (the paper\'s Figure 4: a model trained to copy ' +
  'the first half of a sequence into the second), so it needs checkpoints from `reformer train` first; it is reserved ' +
  'until they exist.';

async function runMeasuring(opts: CliOptions, suites: readonly MeasuringSuite[]): Promise<number> {
  const {setUpBackend, gitCommit, machineSlug} = await import('./backend.js');
  const {newSession} = await import('./measure.js');
  const {MEMORY_METHOD, TIMING_METHOD} = await import('./timing.js');
  const {textTable} = await import('./report/format.js');
  const {answers} = await import('./report/summary.js');
  const ctx = await setUpBackend(opts.backend, opts.memBudgetGiB);
  const machine = opts.machine ?? machineSlug(ctx);
  const outDir = opts.out ? userPath(opts.out) : join(PACKAGE_DIR, 'results', machine);
  const commit = gitCommit(REPO_DIR);
  log(`device: ${ctx.device.description}`);
  log(`backend ${ctx.name}; memory budget ${(ctx.memoryBudget / 1024 ** 3).toFixed(2)} GiB (${ctx.memoryBudgetReason}); results in ${outDir}`);
  if (ctx.software) log('note: software WebGPU adapter: this checks the code path; its timings mean nothing.');
  const budgetS = opts.budgetS ?? (opts.quick ? 170 : undefined);
  const reports: Report[] = [];
  let failed = false;
  for (const suite of suites) {
    const session = newSession(ctx, opts.reps, budgetS, log);
    const date = new Date().toISOString();
    const load = os.loadavg()[0]!;
    const start = performance.now();
    let result;
    if (suite === 'speed') result = await (await import('./suites/speed.js')).runSpeed(session, opts);
    else if (suite === 'memory-depth') result = await (await import('./suites/memory.js')).runMemoryDepth(session, opts);
    else result = await (await import('./suites/memory.js')).runMemoryLength(session, opts);
    const report: Report = {
      schema: SCHEMA_VERSION,
      suite,
      backend: ctx.name,
      machine,
      device: ctx.device,
      versions: ctx.versions,
      commit,
      date,
      config: {
        command: invocation(),
        quick: opts.quick,
        reps: opts.reps,
        budget_s: budgetS ?? null,
        memory_budget_bytes: ctx.memoryBudget,
        ...result.config,
      },
      method: {timing: TIMING_METHOD, memory: MEMORY_METHOD},
      load: {start: Number(load.toFixed(2)), end: Number(os.loadavg()[0]!.toFixed(2))},
      elapsed_s: Number(((performance.now() - start) / 1000).toFixed(1)),
      rows: result.rows,
      notes: [...(ctx.software ? ['Software WebGPU adapter (lavapipe): the code path was checked; timings mean nothing.'] : []), ...result.notes],
    };
    const problems = reportProblems(report);
    if (problems.length > 0) {
      failed = true;
      log(`report of ${suite} is not valid: ${problems.slice(0, 5).join('; ')}`);
    }
    log('');
    log(`${suite} (${ctx.name}, ${report.elapsed_s} s)`);
    log(textTable(report.rows));
    for (const line of answers(report)) log(line);
    log('');
    const files = await writeReport(outDir, report, {charts: opts.charts, log});
    log(`wrote ${files.map((f) => f.replace(`${REPO_DIR}/`, '')).join(', ')}`);
    reports.push(report);
  }
  if (opts.json) {
    const file = userPath(opts.json);
    writeJson(file, reports.length === 1 ? reports[0] : reports);
    log(`wrote ${file}`);
  }
  ctx.close();
  return failed ? 1 : 0;
}

/** `hf`: the Python baselines (torch + transformers exist only on the GPU machine), then the merge. */
function runHf(opts: CliOptions): number {
  const script = join(PACKAGE_DIR, 'hf', 'bench_hf.py');
  const outDir = opts.out ? userPath(opts.out) : join(PACKAGE_DIR, 'results', opts.machine ?? 'hf');
  const args = [script, '--out', outDir, ...(opts.quick ? ['--quick'] : []), ...(opts.json ? ['--json', userPath(opts.json)] : []), ...opts.passthrough];
  if (opts.machine) args.push('--machine', opts.machine);
  if (opts.budgetS) args.push('--budget', String(opts.budgetS));
  log(`python3 ${args.join(' ')}`);
  const res = spawnSync('python3', args, {stdio: 'inherit'});
  if (res.error) {
    log(`hf: could not run python3 (${res.error.message}); run benchmarks/hf/bench_hf.py on the GPU machine`);
    return 2;
  }
  if (res.status === 0 && existsSync(outDir)) writeSummary(outDir, opts.machine ?? outDir.split('/').pop()!);
  return res.status ?? 1;
}

function collectReports(inputs: readonly string[]): Report[] {
  const reports: Report[] = [];
  for (const input of inputs.map(userPath)) {
    if (statSync(input).isDirectory()) {
      const {reports: found, problems} = readReports(input);
      for (const p of problems) log(`skipped ${p}`);
      reports.push(...found);
    } else {
      const value = JSON.parse(readFileSync(input, 'utf8')) as unknown;
      for (const r of Array.isArray(value) ? value : [value]) {
        const problems = reportProblems(r);
        if (problems.length > 0) log(`skipped ${input}: ${problems.slice(0, 3).join('; ')}`);
        else reports.push(r as Report);
      }
    }
  }
  return reports;
}

/** `merge A B ...`: our time over the baselines' for each shape both measured. */
function runMerge(opts: CliOptions): number {
  const reports = collectReports(opts.inputs);
  const ours = reports.filter((r) => r.suite !== 'hf');
  const theirs = reports.filter((r) => r.suite === 'hf');
  const comparison = compareWithBaselines(ours, theirs);
  if (comparison.length === 0) {
    log(`merge: no shape measured by both (${ours.length} of our reports, ${theirs.length} baseline reports)`);
    return 1;
  }
  log(comparisonTable(comparison));
  if (opts.out) {
    const dir = userPath(opts.out);
    writeJson(join(dir, 'compare-hf.json'), {schema: SCHEMA_VERSION, comparisons: comparison});
    log(`wrote ${join(dir, 'compare-hf.json')}`);
  }
  if (opts.json) writeJson(userPath(opts.json), {schema: SCHEMA_VERSION, comparisons: comparison});
  return 0;
}

/** `report DIR ...`: re-renders the charts and the summary of results directories. */
async function runReportCommand(opts: CliOptions): Promise<number> {
  const dirs = opts.inputs.length > 0 ? opts.inputs.map(userPath) : [opts.out ? userPath(opts.out) : join(PACKAGE_DIR, 'results')];
  for (const dir of dirs) {
    const {reports, problems} = readReports(dir);
    for (const p of problems) log(`skipped ${p}`);
    if (opts.charts) await writeCharts(dir, reports, log);
    const machine = opts.machine ?? reports[0]?.machine ?? dir.split('/').pop()!;
    log(`wrote ${writeSummary(dir, machine)}`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bench: ${e.message}\n`);
      console.error(USAGE);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  switch (opts.suite) {
    case 'duplication':
      console.error(DUPLICATION_MESSAGE);
      return 2;
    case 'hf':
      return runHf(opts);
    case 'merge':
      return runMerge(opts);
    case 'report':
      return runReportCommand(opts);
    case 'all':
      return runMeasuring(opts, MEASURING_SUITES);
    default:
      return runMeasuring(opts, [opts.suite]);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    // Exit explicitly: a WebGPU device keeps the process alive otherwise.
    process.exit(1);
  },
);
