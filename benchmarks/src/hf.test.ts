import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';
import {measuredRows, reportProblems, type Report} from './schema.js';

const script = fileURLToPath(new URL('../hf/bench_hf.py', import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'bench-hf-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

// The baseline script runs only on the GPU machine; its dry run (no torch) checks its arguments and its JSON here.
describe.skipIf(!python)('hf/bench_hf.py --dry-run', () => {
  it('writes a report in our schema, every shape planned and skipped', () => {
    const run = spawnSync('python3', [script, '--dry-run', '--quick', '--out', dir], {encoding: 'utf8', env: {...process.env, PYTHONDONTWRITEBYTECODE: '1'}});
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'hf-cuda.json'), 'utf8')) as Report;
    expect(reportProblems(report)).toEqual([]);
    expect(report).toMatchObject({suite: 'hf', backend: 'cuda'});
    const impls = new Set(measuredRows(report).map((r) => r.impl));
    for (const impl of ['sdpa', 'hf-full', 'hf-lsh-1', 'hf-lsh-8', 'hf-model-lsh-4', 'hf-model-full', 'hf-model-lsh-1']) expect(impls).toContain(impl);
    expect(report.rows.every((r) => r.skipped === 'dry run')).toBe(true);
  });

  it('rejects fewer than 5 timed runs', () => {
    const run = spawnSync('python3', [script, '--dry-run', '--out', dir, '--reps', '3'], {encoding: 'utf8'});
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--reps: expected at least 5, got 3');
  });
});
