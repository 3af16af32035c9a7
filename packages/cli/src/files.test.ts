import {chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {UsageError} from './errors.js';
import {readCheckpointDir, writeCheckpointDir, writeFileAtomic} from './files.js';

// A switch to make the next file handle's write fail after writing part of the data, as a full disk
// or a killed process would leave it.
const failure = vi.hoisted(() => ({armed: false, syncFails: false}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (!failure.armed) return handle;
      failure.armed = false;
      const syncFails = failure.syncFails;
      return new Proxy(handle, {
        get(target, prop, receiver) {
          if (prop === 'write') {
            return async (buf: Uint8Array, offset: number, length: number) => {
              if (syncFails) return target.write(buf, offset, length);
              await target.write(buf, offset, Math.min(length, 3));
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'});
            };
          }
          if (prop === 'sync' && syncFails) {
            return async () => {
              throw Object.assign(new Error('EIO: i/o error, fsync'), {code: 'EIO'});
            };
          }
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reformer-files-'));
  failure.armed = false;
  failure.syncFails = false;
});
afterEach(() => rmSync(dir, {recursive: true, force: true}));

describe('writeFileAtomic', () => {
  it('writes bytes and text, replacing an existing file and keeping its mode', async () => {
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    chmodSync(path, 0o640);
    await writeFileAtomic(path, 'héllo');
    expect(readFileSync(path, 'utf8')).toBe('héllo');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('a failure mid-write leaves the old file intact and no temp file behind', async () => {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, 'old contents');
    failure.armed = true;
    await expect(writeFileAtomic(path, new Uint8Array(1000).fill(7))).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(path, 'utf8')).toBe('old contents');
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('a failing fsync leaves the old file intact too, and no file where there was none', async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{}');
    failure.armed = true;
    failure.syncFails = true;
    await expect(writeFileAtomic(path, '{"a": 1}')).rejects.toThrow(/EIO/);
    expect(readFileSync(path, 'utf8')).toBe('{}');
    failure.syncFails = false;
    failure.armed = true;
    await expect(writeFileAtomic(join(dir, 'new.json'), 'x')).rejects.toThrow(/ENOSPC/);
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('fails for a missing directory without creating anything', async () => {
    await expect(writeFileAtomic(join(dir, 'nope', 'a.txt'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('checkpoint directories', () => {
  const files = {configJson: '{"model_type": "reformer"}\n', weights: new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0])};

  it('writes config.json and model.safetensors (creating the directory) and reads them back', async () => {
    const ckpt = join(dir, 'deep', 'ckpt');
    await writeCheckpointDir(ckpt, files);
    expect(readdirSync(ckpt).sort()).toEqual(['config.json', 'model.safetensors']);
    const back = await readCheckpointDir(ckpt);
    expect(back.configJson).toBe(files.configJson);
    expect([...back.weights]).toEqual([...files.weights]);
  });

  it('names a missing directory or file', async () => {
    const missing = join(dir, 'missing');
    await expect(readCheckpointDir(missing)).rejects.toThrow(new UsageError(`checkpoint: no such directory: ${missing}`));
    writeFileSync(join(dir, 'config.json'), '{}');
    await expect(readCheckpointDir(dir)).rejects.toThrow(
      new UsageError(`checkpoint: missing file ${join(dir, 'model.safetensors')}`),
    );
    rmSync(join(dir, 'config.json'));
    await expect(readCheckpointDir(dir)).rejects.toThrow(new UsageError(`checkpoint: missing file ${join(dir, 'config.json')}`));
    const file = join(dir, 'file');
    writeFileSync(file, '');
    await expect(readCheckpointDir(file)).rejects.toThrow(new UsageError(`checkpoint: not a directory: ${file}`));
    await expect(writeCheckpointDir(join(file, 'sub'), files)).rejects.toThrow(UsageError);
    expect(existsSync(join(dir, 'file', 'sub'))).toBe(false);
  });
});
