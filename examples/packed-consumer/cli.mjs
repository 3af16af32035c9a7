// The reformer CLI as installed from its tarball: its demo (LSH attention with 1 and 2 hash rounds against full
// attention on one layer) on the wasm backend, small. Exits 1 unless it runs and reports both comparisons.
import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';

const reformer = fileURLToPath(new URL('node_modules/.bin/reformer', import.meta.url));
const args = ['demo', '--backend', 'wasm', '--length', '256', '--hashes', '1,2', '--chunk', '32', '--clusters', '8'];
const run = spawnSync(reformer, args, {encoding: 'utf8', timeout: 120_000});
const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
const differences = [...output.matchAll(/LSH, (\d+) round\(s\).*relative difference from full: ([\d.e+-]+)/g)].map(
  ([, rounds, value]) => ({rounds: Number(rounds), value: Number(value)}),
);
const problems = [];
if (run.status !== 0) problems.push(`reformer ${args.join(' ')} exited ${run.status ?? run.signal ?? run.error?.message}`);
if (!/backend: wasm/.test(output)) problems.push('expected it to run on the wasm backend');
if (differences.length !== 2 || !differences.every((d) => Number.isFinite(d.value) && d.value >= 0)) {
  problems.push(`expected two finite relative differences (1 and 2 rounds), got ${JSON.stringify(differences)}`);
}
if (problems.length > 0) {
  console.error(`cli.mjs: FAILED: ${problems.join('; ')}\n${output}`);
  process.exitCode = 1;
} else {
  for (const d of differences) console.log(`[cli, wasm] reformer demo: LSH with ${d.rounds} round(s) is ${d.value} from full attention`);
}
