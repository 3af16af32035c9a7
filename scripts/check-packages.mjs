#!/usr/bin/env node
// Checks every published package the way a user gets it, from its `npm pack` tarball:
//
//   build    turbo builds the packages (cached when nothing changed); every file that package.json names exists
//   pack     `npm pack`: the tarball holds a README.md and no test files
//   publint  publint on the tarball, warnings counted as errors (suggestions are printed, not failed)
//   attw     @arethetypeswrong/cli on the tarball (profile strict: node10, node16 CJS and ESM, bundler)
//   size     the built ESM entry, brotli-compressed, against its limit in .size-limit.mjs
//   example  a temporary copy of examples/packed-consumer installs the tarballs with @tensorflow/tfjs and vite
//            from the registry, then: a Node ESM script and a Node CJS script run small computations with every
//            library package; a Vite production build bundles every package for the browser; the installed
//            `reformer` CLI runs its demo
//
// Prints each result as it comes, then a summary, and exits 1 if anything failed.
//
//   node scripts/check-packages.mjs [--skip-build] [--skip-example] [--only NAME]... [--skip NAME]... [--keep] [--verbose]
//
// NAME is a package's name or its folder under packages/ (lsh-hash). --keep leaves the temporary folder (tarballs
// and the installed example) in place and prints where it is.

import {spawn} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {parseArgs} from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'packed-consumer');
const SIZE_CONFIG = join(ROOT, '.size-limit.mjs');
const bin = (name) => join(ROOT, 'node_modules', '.bin', name);

// attw rules turned off per package, each with the reason. None is needed today; the CLI has no types at all and
// is left out of attw instead (see checkTypes).
const ATTW_IGNORED_RULES = {
  // '@reformerjs/example': ['false-cjs'], // why this is deliberate
};

// What the example's scripts import: without all of these the Node scripts and the browser page cannot run.
const EXAMPLE_LIBRARIES = [
  '@reformerjs/lsh-hash',
  '@reformerjs/lsh-attention',
  '@reformerjs/reversible',
  '@reformerjs/chunked-ffn',
  '@reformerjs/safetensors',
  '@reformerjs/reformer-model',
];
const EXAMPLE_CLI = '@reformerjs/cli';
// Installed into the example next to the tarballs, at the versions the repository's own install resolved.
const EXAMPLE_REGISTRY_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'vite'];

const USAGE = `usage: node scripts/check-packages.mjs [--skip-build] [--skip-example] [--only NAME]... [--skip NAME]... [--keep] [--verbose]`;

// ---------------------------------------------------------------------------------------------------------------
// Running commands and recording results

function run(command, args, {cwd = ROOT, timeoutMs = 10 * 60_000} = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd,
      env: {...process.env, FORCE_COLOR: '0', NO_COLOR: '1', npm_config_color: 'false'},
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      output += chunk;
    });
    let settled = false;
    const finish = (code, note = '') => {
      if (settled) return;
      settled = true;
      resolve({code, stdout, stderr, output: output + note, ms: performance.now() - started});
    };
    child.on('error', (error) => finish(1, `\n${command}: ${error.message}`));
    child.on('close', (code, signal) => finish(code ?? 1, signal ? `\nkilled by ${signal} (timeout ${timeoutMs / 1000} s?)` : ''));
  });
}

const results = [];
let verbose = false;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const lastLines = (text, n = 40) => {
  const lines = text.trimEnd().split('\n');
  return lines.length > n ? [`... (${lines.length - n} lines before)`, ...lines.slice(-n)].join('\n') : lines.join('\n');
};
// Stack frames inside tools (vite, rolldown, Node's loader) say nothing about our packages.
const withoutToolFrames = (text) =>
  text
    .split('\n')
    .filter((line) => !/^\S*\s+at .*(node_modules[\\/](rollup|rolldown|vite|tsup|esbuild)[\\/]|node:internal|node:events)/.test(line))
    .join('\n');
const indent = (text, prefix = '        ') =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');

/**
 * status: 'ok' | 'FAIL' | 'skip'. summary: one line. details: shown under the line for failures, with --verbose,
 * and always when `show` is set.
 */
function record(check, subject, status, summary, {details = '', ms, show = false} = {}) {
  results.push({check, subject, status, summary, details});
  const time = ms === undefined ? '' : ` (${seconds(ms)})`;
  console.log(`  ${status.padEnd(4)}  ${check.padEnd(8)} ${subject.padEnd(28)} ${summary}${time}`);
  if (details && (status === 'FAIL' || verbose || show)) console.log(indent(status === 'FAIL' ? lastLines(withoutToolFrames(details)) : details));
}

// ---------------------------------------------------------------------------------------------------------------
// Packages

function publishedPackages() {
  return readdirSync(join(ROOT, 'packages'))
    .sort()
    .flatMap((dir) => {
      const file = join(ROOT, 'packages', dir, 'package.json');
      if (!existsSync(file)) return [];
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      return manifest.private ? [] : [{dir, name: manifest.name, path: join(ROOT, 'packages', dir), manifest}];
    });
}

const stripDot = (file) => file.replace(/^\.\//, '');

/** Every file path package.json points at: main, module, types, exports (all conditions), bin. */
function namedFiles(manifest) {
  const files = new Set();
  const walk = (value) => {
    if (typeof value === 'string') files.add(stripDot(value));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  for (const field of ['main', 'module', 'types', 'typings']) if (typeof manifest[field] === 'string') walk(manifest[field]);
  walk(manifest.exports);
  walk(manifest.bin);
  files.delete('package.json');
  return [...files].filter((file) => !file.includes('*'));
}

/** The file an ESM consumer loads: the `import` condition of exports['.'], else the bin of a CLI package. */
function esmEntry(manifest) {
  let entry = manifest.exports?.['.'] ?? manifest.exports;
  while (entry && typeof entry === 'object') entry = entry.import ?? entry.default;
  if (typeof entry === 'string') return stripDot(entry);
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin ?? {})[0];
  return typeof bin === 'string' ? stripDot(bin) : undefined;
}

const hasTypes = (manifest) =>
  typeof manifest.types === 'string' || typeof manifest.typings === 'string' || JSON.stringify(manifest.exports ?? {}).includes('"types"');

// ---------------------------------------------------------------------------------------------------------------
// Checks

async function build(packages) {
  const filters = packages.map((pkg) => `--filter=${pkg.name}`);
  const result = await run(bin('turbo'), [
    'run',
    'build',
    '--continue=dependencies-successful',
    '--output-logs=errors-only',
    '--summarize',
    ...filters,
  ]);
  // The run summary says which build tasks ran and how they ended; a package whose dependency failed has none.
  const summaryFile = /Summary:\s+(\S+\.json)/.exec(result.output)?.[1];
  const exitCodes = new Map();
  if (summaryFile && existsSync(summaryFile)) {
    for (const task of JSON.parse(readFileSync(summaryFile, 'utf8')).tasks ?? []) exitCodes.set(task.taskId, task.execution?.exitCode);
    rmSync(summaryFile, {force: true});
  }
  const built = [];
  for (const pkg of packages) {
    const code = exitCodes.get(`${pkg.name}#build`);
    const logs = result.output
      .split('\n')
      .filter((line) => line.startsWith(`${pkg.name}:build:`))
      .join('\n');
    if (exitCodes.size === 0) {
      record('build', pkg.name, 'FAIL', `turbo exited ${result.code} without a run summary`, {details: result.output});
      continue;
    }
    if (code === undefined) {
      record('build', pkg.name, 'FAIL', 'not built: the build of a package it depends on failed');
      continue;
    }
    if (code !== 0) {
      record('build', pkg.name, 'FAIL', `its build exited ${code}`, {details: logs || result.output});
      continue;
    }
    const missing = namedFiles(pkg.manifest).filter((file) => !existsSync(join(pkg.path, file)));
    if (missing.length > 0) {
      record('build', pkg.name, 'FAIL', `package.json names files the build did not write: ${missing.join(', ')}`);
      continue;
    }
    record('build', pkg.name, 'ok', 'built');
    built.push(pkg);
  }
  console.log(`          (turbo: ${seconds(result.ms)})`);
  return built;
}

async function pack(packages, destination) {
  mkdirSync(destination, {recursive: true});
  const result = await run('npm', [
    'pack',
    '--json',
    '--pack-destination',
    destination,
    ...packages.flatMap((pkg) => ['--workspace', `packages/${pkg.dir}`]),
  ]);
  let reports = [];
  try {
    const parsed = JSON.parse(result.stdout);
    if (Array.isArray(parsed)) reports = parsed;
  } catch {
    // reported below, package by package
  }
  const packed = [];
  for (const pkg of packages) {
    const report = reports.find((r) => r.name === pkg.name);
    if (result.code !== 0 || !report) {
      record('pack', pkg.name, 'FAIL', `npm pack exited ${result.code}`, {details: result.output});
      continue;
    }
    const files = report.files.map((f) => f.path);
    const problems = [];
    if (!files.includes('README.md')) problems.push('no README.md');
    const tests = files.filter((f) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(f) || /(^|\/)(testing|__tests__)\//.test(f));
    if (tests.length > 0) problems.push(`test files: ${tests.join(', ')}`);
    const size = `${(report.size / 1000).toFixed(1)} kB packed, ${report.entryCount} files`;
    if (problems.length > 0) record('pack', pkg.name, 'FAIL', `${size}; ${problems.join('; ')}`);
    else record('pack', pkg.name, 'ok', size, {details: files.join('\n')});
    // A tarball with a content problem still goes on to the other checks: they may find more.
    packed.push({...pkg, tarball: join(destination, report.filename)});
  }
  console.log(`          (npm pack: ${seconds(result.ms)})`);
  return packed;
}

async function lint(packages) {
  const {publint} = await import('publint');
  const {formatMessage} = await import('publint/utils');
  for (const pkg of packages) {
    const started = performance.now();
    const bytes = readFileSync(pkg.tarball);
    const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    try {
      const {messages, pkg: manifest} = await publint({pack: {tarball}, strict: true});
      const text = (m) => `${m.type}: ${formatMessage(m, manifest, {color: false})}`;
      const failed = messages.filter((m) => m.type !== 'suggestion');
      const suggestions = messages.filter((m) => m.type === 'suggestion');
      const ms = performance.now() - started;
      if (failed.length > 0) {
        const summary = `${failed.length} error(s) (warnings count as errors): ${text(failed[0]).slice(0, 100)}...`;
        record('publint', pkg.name, 'FAIL', summary, {details: messages.map(text).join('\n'), ms});
      } else {
        // Suggestions do not fail the check, but they are worth reading: always shown.
        const summary = suggestions.length > 0 ? `no errors, ${suggestions.length} suggestion(s) below` : 'no messages';
        record('publint', pkg.name, 'ok', summary, {details: suggestions.map(text).join('\n'), ms, show: true});
      }
    } catch (error) {
      record('publint', pkg.name, 'FAIL', 'publint threw', {details: String(error?.stack ?? error)});
    }
  }
}

async function checkTypes(packages) {
  const queue = [];
  for (const pkg of packages) {
    if (!hasTypes(pkg.manifest)) {
      if (pkg.manifest.bin && !pkg.manifest.exports && !pkg.manifest.main) {
        // Deliberate: the CLI is a command, not a library; nothing imports it, so there are no types to check.
        record('attw', pkg.name, 'skip', 'a bin-only package: no types to check');
      } else {
        record('attw', pkg.name, 'FAIL', 'a library package without type declarations');
      }
      continue;
    }
    queue.push(pkg);
  }
  // Two at a time: each run loads TypeScript, and that is most of its time.
  const worker = async () => {
    for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
      const ignored = ATTW_IGNORED_RULES[pkg.name] ?? [];
      const args = [pkg.tarball, '--profile', 'strict', '--format', 'ascii', '--no-emoji', '--no-color'];
      if (ignored.length > 0) args.push('--ignore-rules', ...ignored);
      const result = await run(bin('attw'), args);
      const summary = result.code === 0 ? `no problems${ignored.length > 0 ? ` (ignoring ${ignored.join(', ')})` : ''}` : 'problems found';
      record('attw', pkg.name, result.code === 0 ? 'ok' : 'FAIL', summary, {details: result.output, ms: result.ms});
    }
  };
  await Promise.all([worker(), worker()]);
}

/** size-limit's byte notation ("12 kB" is 12000 bytes, "12 KiB" is 12288). */
function parseBytes(value) {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?) *(?:([kmg])?(i)?b)?$/i.exec(String(value).trim());
  if (!match) return undefined;
  const power = match[2] ? 'kmg'.indexOf(match[2].toLowerCase()) + 1 : 0;
  return Math.floor(parseFloat(match[1]) * (match[3] ? 1024 : 1000) ** power);
}
const formatBytes = (bytes) => (bytes >= 1000 ? `${(bytes / 1000).toFixed(2)} kB` : `${bytes} B`);

// size-limit 14's CLI needs Node >= 22.19 (it imports `glob` from node:fs/promises); its API and the file plugin
// run on Node 20, so this reads .size-limit.mjs itself and measures through them. On Node 22.19+,
// `npx size-limit` reads the same file and gives the same numbers.
async function checkSizes(packages) {
  const {default: sizeLimit} = await import('size-limit');
  const {default: filePlugin} = await import('@size-limit/file');
  const {default: config} = await import(pathToFileURL(SIZE_CONFIG).href);
  for (const pkg of packages) {
    if (!esmEntry(pkg.manifest)) {
      record('size', pkg.name, 'FAIL', "package.json names no ESM entry (exports['.'].import) and no bin");
      continue;
    }
    const entry = `packages/${pkg.dir}/${esmEntry(pkg.manifest)}`;
    const checks = config.filter((c) => [c.path].flat().includes(entry));
    if (checks.length !== 1) {
      const why = checks.length === 0 ? `no limit in .size-limit.mjs for its ESM entry ${entry}` : `${checks.length} limits for ${entry}; keep one`;
      record('size', pkg.name, 'FAIL', why);
      continue;
    }
    const [check] = checks;
    const paths = [check.path].flat();
    const limit = parseBytes(check.limit);
    if (paths.length !== 1 || limit === undefined || check.gzip === true || check.brotli === false) {
      record('size', pkg.name, 'FAIL', `.size-limit.mjs: expected {path: '${entry}', limit: '<n> kB'} measured with brotli, got ${JSON.stringify(check)}`);
      continue;
    }
    if (!existsSync(join(ROOT, entry))) {
      record('size', pkg.name, 'FAIL', `${entry} does not exist (not built?)`);
      continue;
    }
    const [{size}] = await sizeLimit([filePlugin], {checks: [{files: [join(ROOT, entry)], brotli: true}]});
    const usage = `${formatBytes(size)} of ${formatBytes(limit)} (${Math.round((100 * size) / limit)}%)`;
    if (size > limit) {
      record('size', pkg.name, 'FAIL', `${usage}: ${entry} grew ${formatBytes(size - limit)} past its limit`, {
        details: 'If the growth is intended, raise its limit in .size-limit.mjs (and say why in the commit).',
      });
    } else {
      record('size', pkg.name, 'ok', `${usage}, brotli`);
    }
  }
}

/** Versions the repository's install resolved, so the example runs what the tests run. */
function installedVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

async function example(packed, allSelected, work) {
  const names = new Set(packed.map((p) => p.name));
  const missing = EXAMPLE_LIBRARIES.filter((name) => !names.has(name));
  if (missing.length > 0) {
    // Either left out on purpose (--only, --skip) or lost to a failure that is already reported above.
    const failed = missing.some((name) => allSelected.some((p) => p.name === name));
    record('example', 'packed-consumer', 'skip', `needs ${missing.join(', ')} (${failed ? 'failed above' : 'left out of this run'})`);
    return;
  }
  // Outside the repository, so that nothing resolves from the workspace's node_modules by accident.
  const dir = join(work, 'packed-consumer');
  cpSync(EXAMPLE, dir, {recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src)});
  const registry = EXAMPLE_REGISTRY_PACKAGES.map((name) => `${name}@${installedVersion(name)}`);
  // --ignore-scripts: ours have no install scripts, and the dependencies' (core-js's banner, webgpu's macOS-only
  // fix) play no part here; npm 11 skips them by default anyway, so every npm behaves the same.
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', ...packed.map((p) => p.tarball), ...registry],
    {cwd: dir},
  );
  if (install.code !== 0) {
    record('example', 'npm install', 'FAIL', `npm install exited ${install.code}`, {details: install.output, ms: install.ms});
    return;
  }
  // Every @reformerjs package must come from a tarball of this run (never from the registry), installed once.
  const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8'));
  const installed = Object.entries(lock.packages).filter(([path]) => /(^|\/)node_modules\/@reformerjs\//.test(path));
  const wrong = installed
    .filter(([path, info]) => !packed.some((p) => path === `node_modules/${p.name}` && info.resolved === `file:../tarballs/${basename(p.tarball)}`))
    .map(([path, info]) => `${path} from ${info.resolved}`);
  const absent = packed.filter((p) => !installed.some(([path]) => path === `node_modules/${p.name}`)).map((p) => p.name);
  if (wrong.length + absent.length > 0) {
    const details = [...wrong.map((w) => `not from this run's tarballs: ${w}`), ...absent.map((n) => `not installed: ${n}`)].join('\n');
    record('example', 'npm install', 'FAIL', '@reformerjs packages in node_modules do not match the tarballs', {details});
    return;
  }
  record('example', 'npm install', 'ok', `${packed.length} tarballs + ${registry.join(', ')}`, {ms: install.ms});

  const steps = [
    ['node ESM', 'node', ['node-esm.mjs']],
    ['node CJS', 'node', ['node-cjs.cjs']],
    ['vite build', join(dir, 'node_modules', '.bin', 'vite'), ['build']],
  ];
  if (names.has(EXAMPLE_CLI)) steps.push(['reformer CLI', 'node', ['cli.mjs']]);
  for (const [label, command, args] of steps) {
    const result = await run(command, args, {cwd: dir});
    const ok = result.code === 0;
    // The scripts print one line per computation; show them (the vite build is quiet when it succeeds).
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('['));
    const summary = ok ? (lines.length > 0 ? `${lines.length} checks passed` : 'succeeded') : `exited ${result.code}`;
    record('example', label, ok ? 'ok' : 'FAIL', summary, {details: ok ? lines.join('\n') : result.output, ms: result.ms, show: true});
  }
  if (!names.has(EXAMPLE_CLI)) record('example', 'reformer CLI', 'skip', `${EXAMPLE_CLI} was not packed in this run`);
}

// ---------------------------------------------------------------------------------------------------------------

function printSummary(packageNames, elapsedMs) {
  const columns = ['build', 'pack', 'publint', 'attw', 'size'];
  const cell = (check, subject) => results.find((r) => r.check === check && r.subject === subject)?.status ?? '-';
  console.log('\nSummary');
  console.log(`  ${'package'.padEnd(28)} ${columns.map((c) => c.padEnd(8)).join('')}`);
  for (const name of packageNames) console.log(`  ${name.padEnd(28)} ${columns.map((c) => cell(c, name).padEnd(8)).join('')}`);
  for (const r of results.filter((r) => r.check === 'example')) console.log(`  example: ${r.subject.padEnd(19)} ${r.status}`);
  const failures = results.filter((r) => r.status === 'FAIL');
  if (failures.length === 0) {
    console.log(`\ncheck:packages: all checks passed in ${seconds(elapsedMs)}`);
  } else {
    console.log(`\ncheck:packages: ${failures.length} check(s) FAILED in ${seconds(elapsedMs)}:`);
    for (const r of failures) console.log(`  - ${r.check} ${r.subject}: ${r.summary}`);
  }
  return failures.length === 0;
}

async function main() {
  const started = performance.now();
  let args;
  try {
    args = parseArgs({
      options: {
        'skip-build': {type: 'boolean', default: false},
        'skip-example': {type: 'boolean', default: false},
        only: {type: 'string', multiple: true, default: []},
        skip: {type: 'string', multiple: true, default: []},
        keep: {type: 'boolean', default: false},
        verbose: {type: 'boolean', default: false},
        help: {type: 'boolean', default: false},
      },
    }).values;
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  verbose = args.verbose;

  const all = publishedPackages();
  const matches = (pkg, name) => pkg.name === name || pkg.dir === name;
  for (const name of [...args.only, ...args.skip]) {
    if (!all.some((pkg) => matches(pkg, name))) {
      console.error(`no published package named ${name} (have: ${all.map((p) => p.dir).join(', ')})`);
      return 2;
    }
  }
  const selected = all.filter(
    (pkg) => (args.only.length === 0 || args.only.some((n) => matches(pkg, n))) && !args.skip.some((n) => matches(pkg, n)),
  );
  console.log(`check:packages: ${selected.map((p) => p.name).join(', ')}`);

  const work = mkdtempSync(join(tmpdir(), 'reformerjs-check-packages-'));
  try {
    console.log('\nBuild');
    let built = selected;
    if (args['skip-build']) {
      console.log('  (skipped: --skip-build; checking the dist/ folders as they are)');
    } else {
      built = await build(selected);
    }

    console.log('\nPack');
    const tarballs = join(work, 'tarballs');
    const packed = built.length > 0 ? await pack(built, tarballs) : [];

    console.log('\npublint');
    await lint(packed);
    console.log('\nattw');
    await checkTypes(packed);
    console.log('\nsize (ESM entry, brotli; limits in .size-limit.mjs)');
    await checkSizes(built);

    if (args['skip-example']) {
      console.log('\nExample: skipped (--skip-example)');
    } else {
      console.log(`\nExample (examples/packed-consumer, installed in ${join(work, 'packed-consumer')})`);
      await example(packed, selected, work);
    }
  } finally {
    if (args.keep) console.log(`\nKept ${work}`);
    else rmSync(work, {recursive: true, force: true});
  }
  return printSummary(
    selected.map((p) => p.name),
    performance.now() - started,
  )
    ? 0
    : 1;
}

process.exitCode = await main().catch((error) => {
  console.error(`check:packages crashed: ${error?.stack ?? error}`);
  return 1;
});
