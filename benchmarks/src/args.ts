// Command-line parsing for `npm run bench -- <suite> [options]`. Pure: no tfjs, no file system.

export const SUITES = ['speed', 'memory-depth', 'memory-length', 'generate', 'profile', 'hf', 'duplication', 'all', 'report', 'merge'] as const;
export type Suite = (typeof SUITES)[number];
/** The suites `all` runs, in order (hf is the Python script; duplication needs checkpoints; generate runs alone). */
export const MEASURING_SUITES = ['speed', 'memory-depth', 'memory-length'] as const;
/** The suites that measure in this process on a tfjs backend. */
export type MeasuringSuite = (typeof MEASURING_SUITES)[number] | 'generate';

export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What the profile suite runs: one attention layer's forward and backward, or a whole model's training step. */
export const WORKLOADS = ['layer', 'model'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface CliOptions {
  suite: Suite;
  backend: BackendName;
  /** Small grid and a time budget: each suite under 3 minutes on 2 CPU cores. */
  quick: boolean;
  /** Also write the report JSON here (resolved against the directory npm was started from). */
  json?: string;
  /** Results directory; default benchmarks/results/<machine>. */
  out?: string;
  /** Machine slug for the results directory; default derived from the device. */
  machine?: string;
  /** Wall-clock budget of the suite in seconds; configs predicted to overrun it are skipped (with the reason). */
  budgetS?: number;
  /** Memory budget in GiB for the predicted peak of one configuration; default per backend. */
  memBudgetGiB?: number;
  /** Tokens per batch (batch × length held fixed, as in the paper's Figure 5). */
  tokens?: number;
  /** Sequence lengths. */
  lengths?: number[];
  /** LSH hash rounds. */
  hashes?: number[];
  /** Layer counts (memory-depth). */
  layers?: number[];
  /** Timed repetitions per figure (at least 5). */
  reps: number;
  heads: number;
  headSize: number;
  chunk: number;
  /** Skip the whole-model training-step rows of `speed`. */
  noModel: boolean;
  /** Use the fused kernels where the backend has them registered (--fused on|off, default on). */
  fused: boolean;
  /** For `duplication`: the checkpoint folders of `reformer train --task duplication`. */
  checkpoints: string[];
  /** For `duplication`: evaluation sequences per column (default: each run's evalSamples). */
  samples?: number;
  /** Render charts (vega); off with --no-charts. */
  charts: boolean;
  /** For `merge`: the files or directories to read. */
  inputs: string[];
  /** For `profile`: what runs under tf.profile. */
  workload: Workload;
  /** For `profile`: tfjs flags to set once the backend is up (--tf-flag NAME=VALUE), e.g. the fused kernels' switches. */
  tfFlags: Record<string, boolean | number>;
  /** Extra arguments passed through to the Python script (`hf`). */
  passthrough: string[];
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const MIN_REPS = 5;

export const USAGE = `Usage: npm run bench -- <suite> [options]

Suites:
  speed           one attention layer (full vs LSH with 1, 2, 4, 8 rounds) forward and forward+backward
                  by length at fixed batch x length, plus a whole-model training step
  memory-depth    peak bytes of a training step for 2, 4, 8, 12 layers, reversible vs ordinary residuals
  memory-length   peak bytes of a training step by length, full vs LSH; longest length within the budget
  generate        autoregressive generation: ms per token with the decoding cache against without, by prompt length
  profile         one run under tf.profile, time per kernel (GPU time on webgpu): --workload layer (default: one LSH
                  layer's forward and backward) or model (a training step of the speed suite's model); one length
                  (default 64K on webgpu, 4K elsewhere) and one round count (default 4); prints, writes nothing
  hf              Hugging Face / PyTorch baselines (runs benchmarks/hf/bench_hf.py; GPU machine only)
  duplication     the paper's Table 2 from checkpoints of \`reformer train --task duplication\`:
                  duplication --checkpoints DIR[,DIR...] (evaluated by packages/cli/dist/bin.js eval)
  all             speed, memory-depth and memory-length in one process
  report          re-render charts and the summary of a results directory from its JSON files
  merge           our time over Hugging Face's for each shape: merge FILE|DIR ...

Options:
  --backend cpu|wasm|webgpu   tfjs backend (default wasm)
  --quick                     small grid and a 170 s budget per suite
  --json FILE                 also write the report JSON to FILE
  --out DIR                   results directory (default benchmarks/results/<machine>)
  --machine SLUG              machine name for the results directory (default derived, e.g. cpu-2core-node20)
  --budget SECONDS            time budget per suite; configs predicted to overrun it are skipped
  --mem-budget GIB            memory budget for one configuration (default: wasm 3.5, cpu half the RAM,
                              webgpu 96 or half the RAM on a software adapter)
  --tokens N                  tokens per batch, batch x length held fixed
  --lengths A,B,...           sequence lengths
  --hashes A,B,...            LSH rounds (default 1,2,4,8)
  --layers A,B,...            layer counts for memory-depth (default 2,4,8,12)
  --reps N                    timed runs per figure (default 5, at least 5)
  --heads N --head-size N     attention heads (default 4 of 64)
  --chunk N                   LSH chunk length (default 64)
  --no-model                  speed: skip the whole-model training step
  --fused on|off              use the fused kernels where the backend has them (webgpu; default on); the
                              results of off go to <suite>-<backend>-unfused.json
  --checkpoints DIR,DIR...    duplication: checkpoint folders (each one row of Table 2)
  --samples N                 duplication: evaluation sequences (default: each run's evalSamples)
  --workload layer|model      profile: what runs (default layer)
  --tf-flag NAME=VALUE        profile: set a tfjs flag (true, false or a number) once the backend is up, e.g.
                              REFORMERJS_WEBGPU_STORED_SCORES=false; repeatable
  --no-charts                 do not render SVG charts
  -h, --help                  this text
`;

function positiveInt(flag: string, raw: string | undefined): number {
  if (raw === undefined) throw new UsageError(`${flag}: expected a positive integer, got nothing`);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag}: expected a positive integer, got '${raw}'`);
  }
  return n;
}

function positiveNumber(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag}: expected a positive number, got '${raw ?? ''}'`);
  }
  return n;
}

function intList(flag: string, raw: string | undefined): number[] {
  if (raw === undefined || raw === '') throw new UsageError(`${flag}: expected a comma-separated list of positive integers, got nothing`);
  const values = raw.split(',').map((part) => {
    const s = part.trim();
    // 1K, 8k, 64K: powers of 1024, as lengths are usually written.
    const m = /^(\d+)([kK])?$/.exec(s);
    if (!m) throw new UsageError(`${flag}: expected a comma-separated list of positive integers (1K = 1024), got '${raw}'`);
    const n = Number(m[1]) * (m[2] ? 1024 : 1);
    if (n < 1) throw new UsageError(`${flag}: expected positive integers, got '${raw}'`);
    return n;
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Parses the arguments after `bench --` (process.argv.slice(2)). Throws UsageError on anything unexpected. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = {
    suite: 'speed',
    backend: 'wasm',
    quick: false,
    reps: MIN_REPS,
    heads: 4,
    headSize: 64,
    chunk: 64,
    noModel: false,
    fused: true,
    checkpoints: [],
    charts: true,
    workload: 'layer',
    tfFlags: {},
    inputs: [],
    passthrough: [],
    help: false,
  };
  let suite: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    // --flag=value is accepted as well as --flag value.
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '-h':
      case '--help':
        opts.help = true;
        break;
      case '--quick':
        opts.quick = true;
        break;
      case '--no-model':
        opts.noModel = true;
        break;
      case '--no-charts':
        opts.charts = false;
        break;
      case '--backend': {
        const b = value();
        if (!(BACKENDS as readonly string[]).includes(b ?? '')) {
          throw new UsageError(`--backend: expected one of ${BACKENDS.join(', ')}, got '${b ?? ''}'`);
        }
        opts.backend = b as BackendName;
        break;
      }
      case '--fused': {
        const v = value();
        if (v !== 'on' && v !== 'off') throw new UsageError(`--fused: expected on or off, got '${v ?? ''}'`);
        opts.fused = v === 'on';
        break;
      }
      case '--workload': {
        const v = value();
        if (!(WORKLOADS as readonly string[]).includes(v ?? '')) throw new UsageError(`--workload: expected one of ${WORKLOADS.join(', ')}, got '${v ?? ''}'`);
        opts.workload = v as Workload;
        break;
      }
      case '--tf-flag': {
        const v = value() ?? '';
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(true|false|-?\d+(?:\.\d+)?)$/.exec(v);
        if (!m) throw new UsageError(`--tf-flag: expected NAME=VALUE with VALUE true, false or a number, got '${v}'`);
        opts.tfFlags[m[1]!] = m[2] === 'true' ? true : m[2] === 'false' ? false : Number(m[2]);
        break;
      }
      case '--checkpoints': {
        const v = value();
        const dirs = (v ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '');
        if (v === undefined || v.startsWith('--') || dirs.length === 0) throw new UsageError(`--checkpoints: expected comma-separated checkpoint folders, got '${v ?? ''}'`);
        opts.checkpoints.push(...dirs);
        break;
      }
      case '--samples':
        opts.samples = positiveInt(flag, value());
        break;
      case '--json':
      case '--out':
      case '--machine': {
        const v = value();
        if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`${flag}: expected a value, got '${v ?? ''}'`);
        if (flag === '--machine' && !/^[a-z0-9][a-z0-9._-]*$/.test(v)) {
          throw new UsageError(`--machine: expected a slug of lower-case letters, digits, '.', '_' and '-', got '${v}'`);
        }
        if (flag === '--json') opts.json = v;
        else if (flag === '--out') opts.out = v;
        else opts.machine = v;
        break;
      }
      case '--budget':
        opts.budgetS = positiveNumber(flag, value());
        break;
      case '--mem-budget':
        opts.memBudgetGiB = positiveNumber(flag, value());
        break;
      case '--tokens':
        opts.tokens = positiveInt(flag, value());
        break;
      case '--lengths':
        opts.lengths = intList(flag, value());
        break;
      case '--hashes':
        opts.hashes = intList(flag, value());
        break;
      case '--layers':
        opts.layers = intList(flag, value());
        break;
      case '--reps': {
        const n = positiveInt(flag, value());
        if (n < MIN_REPS) throw new UsageError(`--reps: expected at least ${MIN_REPS} (figures are medians of >= ${MIN_REPS} runs), got ${n}`);
        opts.reps = n;
        break;
      }
      case '--heads':
        opts.heads = positiveInt(flag, value());
        break;
      case '--head-size':
        opts.headSize = positiveInt(flag, value());
        break;
      case '--chunk':
        opts.chunk = positiveInt(flag, value());
        break;
      default:
        if (raw.startsWith('-')) {
          if (suite === 'hf') {
            // The Python script has options of its own; hand unknown ones through.
            opts.passthrough.push(raw);
            break;
          }
          throw new UsageError(`unknown option '${raw}' (see --help)`);
        }
        if (suite === undefined) {
          if (!(SUITES as readonly string[]).includes(raw)) {
            throw new UsageError(`suite: expected one of ${SUITES.join(', ')}, got '${raw}'`);
          }
          suite = raw;
        } else if (suite === 'merge' || suite === 'report') {
          opts.inputs.push(raw);
        } else if (suite === 'hf') {
          opts.passthrough.push(raw);
        } else {
          throw new UsageError(`unexpected argument '${raw}' after suite '${suite}'`);
        }
    }
  }
  if (suite === undefined) {
    if (opts.help) return opts;
    throw new UsageError(`suite: expected one of ${SUITES.join(', ')}, got nothing`);
  }
  opts.suite = suite as Suite;
  if (opts.suite === 'merge' && opts.inputs.length === 0 && !opts.help) {
    throw new UsageError('merge: expected at least one results file or directory');
  }
  if (opts.suite === 'duplication' && opts.checkpoints.length === 0 && !opts.help) {
    throw new UsageError('duplication: expected --checkpoints DIR[,DIR...] (folders of reformer train --task duplication)');
  }
  if (opts.suite !== 'duplication' && (opts.checkpoints.length > 0 || opts.samples !== undefined)) {
    throw new UsageError(`--checkpoints and --samples are for the duplication suite, not '${opts.suite}'`);
  }
  if (opts.lengths?.some((l) => l < 2)) throw new UsageError(`--lengths: expected lengths >= 2, got ${opts.lengths.join(',')}`);
  if (opts.suite === 'profile') {
    for (const [flag, list] of [['--lengths', opts.lengths], ['--hashes', opts.hashes], ['--layers', opts.layers]] as const) {
      if (list !== undefined && list.length !== 1) throw new UsageError(`${flag}: the profile suite runs one value, got ${list.join(',')}`);
    }
  } else {
    for (const flag of ['--workload', '--tf-flag']) {
      if (argv.some((a) => a === flag || a.startsWith(`${flag}=`))) throw new UsageError(`${flag} is for the profile suite, not '${opts.suite}'`);
    }
  }
  return opts;
}
