import {cpSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {goldenFixturesDir} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {main} from './main.js';
import {bufferIO} from './testing/io.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'reformer-main-'));
});
afterAll(() => rmSync(work, {recursive: true, force: true}));

const copyCase = (name: string, as: string): string => {
  const dir = join(work, as);
  cpSync(join(goldenFixturesDir, name), dir, {recursive: true});
  return dir;
};


describe('reformer: exit codes and error reporting', () => {
  it('exits 2 with one line for a missing case folder, 0 for --help', async () => {
    const io = bufferIO();
    const missing = join(work, 'no-such-case');
    expect(await main(['node', 'reformer', 'parity', missing, '--backend', tf.getBackend()], io)).toBe(2);
    expect(io.err).toBe(`reformer: checkpoint: no such directory: ${missing}\n`);

    const help = bufferIO();
    expect(await main(['node', 'reformer', '--help'], help)).toBe(0);
    expect(help.out).toMatch(/Usage: reformer/);
    expect(help.out).toMatch(/parity/);
    expect(help.out).toMatch(/demo/);

    const demo = bufferIO();
    expect(await main(['node', 'reformer', 'demo', '--length', 'x'], demo)).toBe(2);
    expect(demo.err).toBe("reformer: --length: expected a positive integer, got 'x'\n");
    const demoUnknown = bufferIO();
    expect(await main(['node', 'reformer', 'demo', '--bogus'], demoUnknown)).toBe(2);
    expect(demoUnknown.err).toMatch(/unknown option '--bogus'/);

    const bad = bufferIO();
    expect(await main(['node', 'reformer', 'parity', missing, '--backend', 'nope'], bad)).toBe(2);
    expect(bad.err).toBe("reformer: --backend: unknown backend 'nope'; expected one of cpu, wasm, webgpu, tensorflow\n");

    const unknown = bufferIO();
    expect(await main(['node', 'reformer', 'frobnicate'], unknown)).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'frobnicate'/);
  });

  it('exits 1 for other errors, with the stack only under --verbose', async () => {
    const dir = copyCase('lsh-causal-2h', 'broken');
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(16));
    const io = bufferIO();
    expect(await main(['node', 'reformer', 'parity', dir, '--backend', tf.getBackend()], io)).toBe(1);
    expect(io.err.split('\n')[0]).toMatch(/^reformer: safetensors: /);
    expect(io.err).not.toMatch(/\n\s+at /);
    const verbose = bufferIO();
    expect(await main(['node', 'reformer', '--verbose', 'parity', dir, '--backend', tf.getBackend()], verbose)).toBe(1);
    expect(verbose.err).toMatch(/\n\s+at /);
  });
});
