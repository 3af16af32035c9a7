import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {main} from '../main.js';
import {bufferIO} from '../testing/io.js';
import {TINY_DUPLICATION, TINY_TEXT, writeConfig} from '../testing/training.js';
import {parseVocabulary} from '../vocab.js';
import {readTrainingCheckpoint, recoverCheckpointDir, STAGING_DIR} from './checkpoint.js';
import {runTraining, type TrainFlags} from './trainer.js';

// Small runs of `reformer train` on tiny models: resumption, interruption, atomic saves, bad input.

let work: string;
let tinyConfig: string;
let textConfig: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'reformer-train-'));
  tinyConfig = writeConfig(work, 'tiny.json', TINY_DUPLICATION);
  textConfig = writeConfig(work, 'tiny-text.json', TINY_TEXT);
});
afterAll(() => rmSync(work, {recursive: true, force: true}));

const backend = () => tf.getBackend();
const files = (dir: string) => ['model.safetensors', 'optimizer.safetensors', 'config.json', 'trainer.json'].map((f) => readFileSync(join(dir, f)));

/** Trains with runTraining directly (no SIGINT handler), collecting each step's loss. */
async function train(flags: TrainFlags, extra: {signal?: AbortSignal; stopAfter?: number; failAt?: number} = {}) {
  const io = bufferIO();
  const losses: number[] = [];
  const controller = new AbortController();
  const result = await runTraining(
    {task: 'duplication', config: tinyConfig, backend: backend(), seed: 3, ...flags},
    {
      io,
      handleSigint: false,
      signal: extra.signal ?? controller.signal,
      onStep: (step, loss) => {
        losses[step - 1] = loss;
        if (extra.failAt === step) throw new Error(`injected failure at step ${step}`);
        if (extra.stopAfter === step) controller.abort();
      },
    },
  );
  return {result, losses, io};
}

describe('reformer train: resuming is exact', () => {
  for (const optimizer of ['adam', 'adafactor'] as const) {
    it(`${optimizer}: 8 steps straight equal 4 steps, then --resume for 4 (weights, optimizer state and losses bit for bit)`, async () => {
      const straight = join(work, `straight-${optimizer}`);
      const a = await train({out: straight, steps: 8, optimizer});
      expect(a.result.exitCode).toBe(0);
      expect(a.losses).toHaveLength(8);

      const split = join(work, `split-${optimizer}`);
      const b1 = await train({out: split, steps: 4, optimizer});
      expect(b1.result.step).toBe(4);
      const b2 = await train({out: split, steps: 8, resume: true, task: undefined, config: undefined, seed: undefined});
      expect(b2.io.out).toMatch(/resuming at step 4 of 8/);
      expect([...b1.losses, ...b2.losses.slice(4)]).toEqual(a.losses);

      const [wa, oa] = files(straight);
      const [wb, ob] = files(split);
      expect(Buffer.compare(wa!, wb!)).toBe(0);
      expect(Buffer.compare(oa!, ob!)).toBe(0);
      const sa = (await readTrainingCheckpoint(straight)).state;
      const sb = (await readTrainingCheckpoint(split)).state;
      expect(sb.step).toBe(8);
      expect(sb.dataPosition).toEqual({nextBatch: 8});
      // The split run also evaluated at step 4, where its first session ended; the evaluations both made agree.
      const evals = (s: typeof sa) => s.metrics.filter((m) => m.kind === 'eval' && m.step !== 4).map((m) => [m.step, m.loss]);
      expect(evals(sb)).toEqual(evals(sa));
      expect(evals(sa).map(([step]) => step)).toEqual([3, 6, 8]);
    });
  }

  it('an abort (as Ctrl-C) saves at the current step and exits 130; resuming then matches the straight run', async () => {
    const out = join(work, 'aborted');
    // Losses are read back (and onStep called) every logEvery = 2 steps: the abort lands at step 4.
    const stopped = await train({out, steps: 8}, {stopAfter: 4});
    expect(stopped.result.exitCode).toBe(130);
    expect(stopped.io.out).toMatch(/interrupted at step 4 of 8: checkpoint saved/);
    expect((await readTrainingCheckpoint(out)).state.step).toBe(4);
    const rest = await train({out, steps: 8, resume: true, task: undefined, config: undefined, seed: undefined});
    const straight = await train({out: join(work, 'aborted-straight'), steps: 8});
    expect([...stopped.losses, ...rest.losses.slice(4)]).toEqual(straight.losses);
    expect(Buffer.compare(files(out)[0]!, files(join(work, 'aborted-straight'))[0]!)).toBe(0);
  });
});

describe('reformer train: nothing saved is lost to a failed run', () => {
  it('a run that fails before its first save leaves the existing checkpoint untouched', async () => {
    const out = join(work, 'kept');
    await train({out, steps: 3});
    const before = files(out);
    const mtime = statSync(join(out, 'model.safetensors')).mtimeMs;
    await expect(train({out, steps: 6, overwrite: true}, {failAt: 2})).rejects.toThrow('injected failure at step 2');
    await expect(train({out, steps: 6, resume: true, task: undefined, config: undefined, seed: undefined}, {failAt: 5})).rejects.toThrow(
      'injected failure at step 5',
    );
    files(out).forEach((f, i) => expect(Buffer.compare(f, before[i]!)).toBe(0));
    expect(statSync(join(out, 'model.safetensors')).mtimeMs).toBe(mtime);
  });

  it('a save that crashes before its commit is rolled back; one that crashes after it is rolled forward', async () => {
    const out = join(work, 'crash');
    await train({out, steps: 3});
    const before = files(out);
    const io = bufferIO();
    const crash = (where: 'staged' | 'commit') =>
      runTraining(
        {out, steps: 6, resume: true, backend: backend()},
        {
          io,
          handleSigint: false,
          saveHooks:
            where === 'staged'
              ? {
                  afterStagedFile: (name) => {
                    if (name === 'optimizer.safetensors') throw new Error('crash while staging');
                  },
                }
              : {
                  afterCommit: () => {
                    throw new Error('crash after commit');
                  },
                },
        },
      );
    await expect(crash('staged')).rejects.toThrow('crash while staging');
    expect(existsSync(join(out, STAGING_DIR))).toBe(true); // the half-written save, beside the intact one
    files(out).forEach((f, i) => expect(Buffer.compare(f, before[i]!)).toBe(0));
    expect(await recoverCheckpointDir(out)).toBe('rolled-back');
    expect((await readTrainingCheckpoint(out)).state.step).toBe(3);

    await expect(crash('commit')).rejects.toThrow('crash after commit');
    expect((await readTrainingCheckpoint(out)).state.step).toBe(6); // finished by the next reader
    expect(existsSync(join(out, STAGING_DIR))).toBe(false);
  });
});

describe('reformer train --task text', () => {
  it('trains a character model and saves vocab.json, which the generate command reads', async () => {
    const out = join(work, 'text');
    const io = bufferIO();
    const code = await main(['node', 'reformer', 'train', '--task', 'text', '--config', textConfig, '--steps', '2', '--out', out, '--backend', backend()], io);
    expect(code).toBe(0);
    expect(io.out).toMatch(/text: State of the Union addresses, [\d,]+ characters, 98 distinct; training 223 speeches, held out 10 \(2012–2021\)/);
    expect(io.out).toMatch(/step 1\/2 {2}loss \d+\.\d{4} {2}bpc \d+\.\d{3}/);
    expect(io.out).toMatch(/done: step 2, .* \d+\.\d{3} bits per character on 2 held-out windows/);
    const vocab = parseVocabulary(readFileSync(join(out, 'vocab.json'), 'utf8'), 'vocab.json', 128);
    expect(vocab.tokens[0]).toBe(null);
    expect(vocab.tokens).toHaveLength(99);
    expect(vocab.ids.get('a')).toBeGreaterThan(0);
  });
});

describe('reformer train and eval: bad input is one line and exit code 2', () => {
  async function fails(args: string[], message: string | RegExp) {
    const io = bufferIO();
    const code = await main(['node', 'reformer', ...args], io);
    expect(code).toBe(2);
    const lines = io.err.trimEnd().split('\n');
    if (typeof message === 'string') expect(lines[0]).toBe(`reformer: ${message}`);
    else expect(lines[0]).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /);
    return io;
  }

  it('a missing checkpoint', async () => {
    const missing = join(work, 'missing');
    await fails(['eval', '--checkpoint', missing], `checkpoint: no such directory: ${missing}`);
    await fails(['train', '--resume', '--out', missing], `--resume: no checkpoint in ${missing} (no trainer.json); run without --resume to start one there`);
  });

  it('a corrupt checkpoint', async () => {
    const dir = join(work, 'corrupt');
    await train({out: dir, steps: 2});
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(16));
    await fails(['eval', '--checkpoint', dir], `checkpoint ${dir}: model.safetensors does not match trainer.json (size or SHA-256 differ): it was changed or comes from another save; restore it or start a new run with --overwrite`);
    writeFileSync(join(dir, 'trainer.json'), '{"format": ');
    await fails(['train', '--resume', '--out', dir], /^reformer: checkpoint: .*trainer\.json is not valid JSON \(.*\); the checkpoint is corrupt$/);
    const verbose = bufferIO();
    expect(await main(['node', 'reformer', '--verbose', 'eval', '--checkpoint', dir], verbose)).toBe(2);
    expect(verbose.err).toMatch(/\n\s+at /);
  });

  it('a config that does not fit the task', async () => {
    const small = writeConfig(work, 'vocab.json', {model: {...TINY_DUPLICATION.model, vocab_size: 8}, training: TINY_DUPLICATION.training});
    await fails(
      ['train', '--task', 'duplication', '--config', small, '--out', join(work, 'x1')],
      `model config (preset small with ${small}): vocab_size 8 is too small for the duplication task with 9 symbols (ids 0..9: the separator and the symbols); set vocab_size >= 10 or symbols <= 7`,
    );
    const short = writeConfig(work, 'short.json', {model: TINY_DUPLICATION.model, training: {...TINY_DUPLICATION.training, wordLength: 9}});
    await fails(
      ['train', '--task', 'duplication', '--config', short, '--out', join(work, 'x2')],
      `model config (preset small with ${short}): sequences of 20 tokens do not fit max_position_embeddings 16; raise it or lower wordLength (|w| = 9 gives 2·|w| + 2)`,
    );
    const textSmall = writeConfig(work, 'text-vocab.json', {model: {...TINY_TEXT.model, vocab_size: 50}, training: TINY_TEXT.training});
    await fails(['train', '--task', 'text', '--config', textSmall, '--out', join(work, 'x3')], /vocab_size 50 is too small for the text vocabulary of 99 tokens \(padding and 98 characters\); set vocab_size >= 99$/);
    const unknown = writeConfig(work, 'unknown.json', {training: {stepz: 3}});
    await fails(['train', '--task', 'duplication', '--config', unknown], /^reformer: --config: .*unknown\.json: training\.stepz: unknown setting; expected one of steps, batch, /);
  });

  it('an unknown backend, preset or task; a taken --out; a bad number', async () => {
    await fails(['train', '--task', 'duplication', '--backend', 'gpu', '--out', join(work, 'x4')], "--backend: unknown backend 'gpu'; expected one of cpu, wasm, webgpu, tensorflow");
    await fails(['eval', '--checkpoint', join(work, 'straight-adam'), '--backend', 'gpu'], "--backend: unknown backend 'gpu'; expected one of cpu, wasm, webgpu, tensorflow");
    await fails(['train', '--task', 'duplication', '--preset', 'huge'], "--preset: unknown preset 'huge' for task duplication; expected one of small, paper");
    await fails(['train', '--task', 'text', '--preset', 'paper'], "--preset: unknown preset 'paper' for task text; expected one of small, base");
    await fails(['train', '--task', 'copy'], /option '--task <name>' argument 'copy' is invalid\. Allowed choices are duplication, text/);
    await fails(
      ['train', '--task', 'duplication', '--config', tinyConfig, '--out', join(work, 'straight-adam')],
      `--out: ${join(work, 'straight-adam')} already holds a checkpoint; continue it with --resume, or pass --overwrite to replace it (at the first save)`,
    );
    await fails(['train', '--task', 'duplication', '--steps', '0'], "--steps: expected a positive integer, got '0'");
    await fails(['eval', '--checkpoint', join(work, 'straight-adam'), '--hashes', '1,,2'], "--hashes: expected a comma-separated list of positive integers, got '1,,2'");
    await fails(['train', '--task', 'duplication', '--hashes', '2', '--full-attention'], /option '--hashes <n>' cannot be used with option '--full-attention'/);
    await fails(
      ['train', '--resume', '--out', join(work, 'straight-adam'), '--batch', '4'],
      `--batch 4: the checkpoint in ${join(work, 'straight-adam')} was trained with 2; a resumed run keeps its settings (omit --batch, or start a new run with another --out)`,
    );
  });
});

describe('reformer train and eval --help', () => {
  it('lists every option', async () => {
    const io = bufferIO();
    expect(await main(['node', 'reformer', 'train', '--help'], io)).toBe(0);
    for (const flag of ['--task', '--preset', '--config', '--backend', '--steps', '--batch', '--out', '--resume', '--overwrite', '--seed', '--optimizer', '--log-every', '--save-every', '--hashes', '--full-attention']) {
      expect(io.out).toContain(flag);
    }
    const e = bufferIO();
    expect(await main(['node', 'reformer', 'eval', '--help'], e)).toBe(0);
    for (const flag of ['--checkpoint', '--hashes', '--full-attention', '--samples', '--batch', '--backend']) expect(e.out).toContain(flag);
    const top = bufferIO();
    expect(await main(['node', 'reformer', '--help'], top)).toBe(0);
    expect(top.out).toMatch(/train \[options\]/);
    expect(top.out).toMatch(/eval \[options\]/);
  });
});

describe('reformer eval', () => {
  it("prints the paper's Table 2 row for a checkpoint: full attention and 8, 4, 2, 1 hash rounds", async () => {
    const io = bufferIO();
    const dir = join(work, 'straight-adam');
    expect(await main(['node', 'reformer', 'eval', '--checkpoint', dir, '--backend', backend()], io)).toBe(0);
    const lines = io.out.split('\n');
    expect(lines[0]).toBe(
      `reformer eval ${dir}: duplication: 0 w 0 w with |w| = 7 (length 16), symbols 1..9; scored on the copied w; step 8; 4 sequences; backend ${backend()}`,
    );
    expect(lines[3]).toMatch(/^trained \\ eval {5}full {4}LSH-8 {4}LSH-4 {4}LSH-2 {4}LSH-1$/);
    expect(lines[4]).toMatch(/^LSH-2( +\d+\.\d%){5}$/);
    const partial = bufferIO();
    expect(await main(['node', 'reformer', 'eval', '--checkpoint', dir, '--hashes', '2,1', '--backend', backend()], partial)).toBe(0);
    expect(partial.out.split('\n')[3]).toMatch(/^trained \\ eval {4}LSH-2 {4}LSH-1$/);
  });
});

describe('reformer train: a real Ctrl-C', () => {
  it('SIGINT to a training process saves a checkpoint and exits 130', async () => {
    const {spawn} = await import('node:child_process');
    const {createRequire} = await import('node:module');
    const require = createRequire(import.meta.url);
    const tsx = pathToFileURL(require.resolve('tsx')).href; // tsx's loader, in this process (its CLI would relay signals through a parent)
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    // Resolve the workspace packages to their sources, as vitest does.
    const paths: Record<string, string[]> = {};
    for (const name of ['lsh-hash', 'lsh-attention', 'reversible', 'chunked-ffn', 'reformer-model', 'safetensors']) {
      paths[`@reformerjs/${name}`] = [join(root, 'packages', name, 'src', 'index.ts')];
    }
    const tsconfig = join(work, 'tsconfig.child.json');
    writeFileSync(tsconfig, JSON.stringify({extends: join(root, 'tsconfig.base.json'), compilerOptions: {baseUrl: root, paths}}));
    const out = join(work, 'sigint');
    mkdirSync(out);
    const child = spawn(
      process.execPath,
      ['--import', tsx, join(root, 'packages', 'cli', 'src', 'bin.ts'), 'train', '--task', 'duplication', '--config', tinyConfig, '--steps', '100000', '--log-every', '1', '--save-every', '100000', '--out', out, '--overwrite', '--backend', 'cpu'],
      {stdio: ['ignore', 'pipe', 'pipe'], cwd: root, env: {...process.env, TSX_TSCONFIG_PATH: tsconfig}},
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/step +3\/100000/.test(stdout)) resolve();
      });
      void exited.then(() => reject(new Error(`the child exited early:\n${stdout}\n${stderr}`)));
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/interrupted: saving a checkpoint after this step/);
    const m = /interrupted at step (\d+) of 100000: checkpoint saved/.exec(stdout);
    expect(m).not.toBeNull();
    expect((await readTrainingCheckpoint(out)).state.step).toBe(Number(m![1]));
  }, 60_000);
});
