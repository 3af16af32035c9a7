// `npm run bench -- <suite> [options]`: runs a suite, prints its table, writes JSON, chart and summary.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, statSync} from 'node:fs';
import os from 'node:os';
import {dirname, isAbsolute, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {MEASURING_SUITES, parseArgs, USAGE, UsageError, type CliOptions, type MeasuringSuite} from './args.js';
import {compareWithBaselines} from './report/analysis.js';
import {comparisonTable, jsonFileName} from './report/summary.js';
import {SCHEMA_VERSION, reportProblems, type Report, type Row} from './schema.js';
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

async function runMeasuring(opts: CliOptions, suites: readonly MeasuringSuite[]): Promise<number> {
  const {setUpBackend, gitCommit, machineSlug} = await import('./backend.js');
  const {newSession} = await import('./measure.js');
  const {MEMORY_METHOD, TIMING_METHOD} = await import('./timing.js');
  const GENERATE_TIMING_METHOD =
    'generate() from @reformerjs/reformer-model, batch 1, temperature 1, seed 0, after a warm-up generation of each mode: each ' +
    'figure is over the intervals between consecutive tokens handed out by its onToken callback (the step or the whole ' +
    'forward, the read-back of the logits, the sampling): median, min and max of >= 5 tokens; the first token apart.';
  const {reportTextTable} = await import('./report/format.js');
  const {answers} = await import('./report/summary.js');
  const ctx = await setUpBackend(opts.backend, opts.memBudgetGiB, opts.fused);
  const machine = opts.machine ?? machineSlug(ctx);
  const outDir = opts.out ? userPath(opts.out) : join(PACKAGE_DIR, 'results', machine);
  const commit = gitCommit(REPO_DIR);
  log(`device: ${ctx.device.description}`);
  log(`backend ${ctx.name}; memory budget ${(ctx.memoryBudget / 1024 ** 3).toFixed(2)} GiB (${ctx.memoryBudgetReason}); results in ${outDir}`);
  if (ctx.software) log('note: software WebGPU adapter: this checks the code path; its timings mean nothing.');
  log(
    ctx.fusedKernels.length > 0
      ? `fused kernels ${ctx.fusedFlag ? 'on' : 'off (--fused off)'}: ${ctx.fusedKernels.join(', ')} registered for ${ctx.name}`
      : `fused kernels: none registered for ${ctx.name} (the reference path)`,
  );
  const budgetS = opts.budgetS ?? (opts.quick ? 170 : undefined);
  const reports: Report[] = [];
  let failed = false;
  for (const suite of suites) {
    const date = new Date().toISOString();
    const load = os.loadavg()[0]!;
    const start = performance.now();
    const envelope = (rows: Report['rows'], config: Record<string, unknown>, notes: string[]): Report => ({
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
        fused: ctx.fusedFlag,
        fused_kernels: ctx.fusedKernels,
        ...config,
      },
      method:
        suite === 'generate'
          ? {timing: GENERATE_TIMING_METHOD, memory: 'not measured'}
          : {timing: TIMING_METHOD, memory: MEMORY_METHOD},
      load: {start: Number(load.toFixed(2)), end: Number(os.loadavg()[0]!.toFixed(2))},
      elapsed_s: Number(((performance.now() - start) / 1000).toFixed(1)),
      rows,
      notes: [
        ...(ctx.software ? ['Software WebGPU adapter (lavapipe): the code path was checked; timings mean nothing.'] : []),
        ...(ctx.fusedError ? [`The fused kernels could not be registered (${ctx.fusedError}): every row ran the reference path.`] : []),
        ...notes,
      ],
    });
    // The JSON is rewritten after every row that ran, so that a run stopped from outside (gpu-run.sh's timeout)
    // still leaves what it measured; the finished report replaces it.
    const done: Row[] = [];
    const partial = (row: Row) => {
      done.push(row);
      try {
        const report = envelope([...done], {}, ['Partial: the suite did not finish; these are the rows it had run, in the order it ran them.']);
        mkdirSync(outDir, {recursive: true});
        writeJson(join(outDir, jsonFileName(report)), report);
      } catch (e) {
        log(`could not write the partial report: ${(e as Error).message}`);
      }
    };
    const session = newSession(ctx, opts.reps, budgetS, log, partial);
    let result;
    if (suite === 'speed') result = await (await import('./suites/speed.js')).runSpeed(session, opts);
    else if (suite === 'generate') result = await (await import('./suites/generate.js')).runGenerate(session, opts);
    else if (suite === 'memory-depth') result = await (await import('./suites/memory.js')).runMemoryDepth(session, opts);
    else result = await (await import('./suites/memory.js')).runMemoryLength(session, opts);
    const report = envelope(result.rows, result.config, result.notes);
    const problems = reportProblems(report);
    if (problems.length > 0) {
      failed = true;
      log(`report of ${suite} is not valid: ${problems.slice(0, 5).join('; ')}`);
    }
    log('');
    log(`${suite} (${ctx.name}, ${report.elapsed_s} s)`);
    log(reportTextTable(report.rows));
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

/** `duplication`: the paper's Table 2 from checkpoints, each evaluated by the built CLI (`reformer eval`). */
async function runDuplicationSuite(opts: CliOptions): Promise<number> {
  const {runDuplication} = await import('./suites/duplication.js');
  const {cpuDevice, gitCommit, packageVersion} = await import('./backend.js');
  const {reportTextTable} = await import('./report/format.js');
  const {table2Markdown} = await import('./suites/duplication.js');
  const cli = process.env.REFORMER_CLI ? userPath(process.env.REFORMER_CLI) : join(REPO_DIR, 'packages', 'cli', 'dist', 'bin.js');
  if (!existsSync(cli)) {
    console.error(`duplication: ${cli} not found; build the CLI first: npm run build --workspace @reformerjs/cli`);
    return 2;
  }
  const device = cpuDevice();
  const machine = opts.machine ?? `cpu-${device.cpus}core-node${process.versions.node.split('.')[0]}`;
  const outDir = opts.out ? userPath(opts.out) : join(PACKAGE_DIR, 'results', machine);
  const date = new Date().toISOString();
  const load = os.loadavg()[0]!;
  const start = performance.now();
  log(`duplication: ${opts.checkpoints.length} checkpoint(s), evaluated by ${relative(REPO_DIR, cli)} eval --backend ${opts.backend}; results in ${outDir}`);
  const result = runDuplication({
    checkpoints: opts.checkpoints,
    resolve: userPath,
    cwd: process.env.INIT_CWD ?? process.cwd(),
    cli,
    backend: opts.backend,
    samples: opts.samples,
    log,
  });
  const report: Report = {
    schema: SCHEMA_VERSION,
    suite: 'duplication',
    // What the CLI reported running on (it chooses the same backend as --backend, or fails).
    backend: result.backends.length === 1 ? result.backends[0]! : result.backends.length === 0 ? opts.backend : result.backends.join('+'),
    machine,
    device,
    versions: {node: process.versions.node, '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm')},
    commit: gitCommit(REPO_DIR),
    date,
    config: {
      command: invocation(),
      checkpoints: opts.checkpoints,
      samples: opts.samples ?? null,
      cli: relative(REPO_DIR, cli),
      cli_built: statSync(cli).mtime.toISOString(),
      evaluations: result.headings,
    },
    method: {
      timing: 'not timed',
      memory: 'not measured',
    },
    load: {start: Number(load.toFixed(2)), end: Number(os.loadavg()[0]!.toFixed(2))},
    elapsed_s: Number(((performance.now() - start) / 1000).toFixed(1)),
    rows: result.rows,
    notes: [
      'Each checkpoint is evaluated by `reformer eval --checkpoint DIR` (packages/cli: the fixed evaluation sequences of the ' +
        "duplication task, token accuracy of the argmax on the copied half, the columns through reformer-model's attentionOverride); " +
        'accuracies are parsed from what it prints (percent to one decimal).',
      "The paper's figures (Table 2) are for its model (|w| = 511, length 1024) trained to convergence; rows of ours that name " +
        'another preset or length are not the same experiment: the comparison shows the pattern, not a reproduction.',
      'commit: of the benchmark bundle; the evaluation ran the CLI build named in config.cli (built at config.cli_built).',
      ...result.notes,
    ],
  };
  const problems = reportProblems(report);
  if (problems.length > 0) log(`report of duplication is not valid: ${problems.slice(0, 5).join('; ')}`);
  log('');
  log(reportTextTable(report.rows));
  const table = table2Markdown(result.rows);
  if (table) log(`\n${table}`);
  log('');
  const files = await writeReport(outDir, report, {charts: opts.charts, log});
  log(`wrote ${files.map((f) => f.replace(`${REPO_DIR}/`, '')).join(', ')}`);
  if (opts.json) writeJson(userPath(opts.json), report);
  return problems.length > 0 || result.rows.some((r) => r.skipped !== null) ? 1 : 0;
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

/** `profile`: one run under tf.profile, time per kernel; prints, writes nothing. */
async function runProfileCommand(opts: CliOptions): Promise<number> {
  const {setUpBackend} = await import('./backend.js');
  const {runProfile} = await import('./suites/profile.js');
  const tf = await import('@tensorflow/tfjs');
  const ctx = await setUpBackend(opts.backend, opts.memBudgetGiB, opts.fused);
  log(`device: ${ctx.device.description}`);
  log(`backend ${ctx.name}; fused kernels ${ctx.fused ? 'on' : 'off'}`);
  if (ctx.software) log('note: software WebGPU adapter: this checks the code path; its timings mean nothing.');
  for (const [name, value] of Object.entries(opts.tfFlags)) {
    try {
      tf.env().set(name, value);
    } catch {
      console.error(`bench: --tf-flag: expected a flag registered by tfjs or the packages on ${ctx.name} (e.g. REFORMERJS_WEBGPU_STORED_SCORES), got '${name}'`);
      ctx.close();
      return 2;
    }
    log(`tfjs flag ${name} = ${value}`);
  }
  await runProfile(ctx, opts, log);
  ctx.close();
  return 0;
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
      return runDuplicationSuite(opts);
    case 'hf':
      return runHf(opts);
    case 'merge':
      return runMerge(opts);
    case 'report':
      return runReportCommand(opts);
    case 'profile':
      return runProfileCommand(opts);
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
