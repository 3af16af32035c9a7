// Checkpoint files on disk. Writes are atomic (temp file, fsync, rename), so an interrupted save never
// leaves a half-written config.json or model.safetensors where a good one was.

import {randomBytes} from 'node:crypto';
import {constants} from 'node:fs';
import {chmod, mkdir, open, readFile, rename, stat, unlink} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import {UsageError} from './errors.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

/** A checkpoint as bytes: the text of config.json and the bytes of model.safetensors. */
export interface CheckpointFiles {
  configJson: string;
  weights: Uint8Array;
}

const errorCode = (e: unknown): string | undefined => (e as {code?: string} | null)?.code;

/**
 * Writes `data` to `path` atomically: into a new temp file beside it (same directory, so the rename
 * cannot cross file systems), flushed to disk with fsync, then renamed over `path`. If anything fails,
 * the temp file is removed and an existing file at `path` is left as it was. A file that is replaced
 * keeps its permission bits.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = (await stat(path)).mode & 0o7777;
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') throw e;
  }
  let created = false;
  try {
    // O_EXCL: never reuse (or follow a link at) something already at the temp path.
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
    created = true;
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const {bytesWritten} = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, path);
    created = false;
  } catch (e) {
    if (created) await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dir);
}

// Makes the rename itself durable. Not every platform lets a directory be opened or synced (Windows);
// the file's contents are already on disk, so those refusals are ignored.
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function requireDirectory(dir: string, what: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new UsageError(`${what}: no such directory: ${dir}`);
    throw e;
  }
  if (!isDir) throw new UsageError(`${what}: not a directory: ${dir}`);
}

/** Reads a file, turning a missing one into a UsageError that names it. */
export async function readRequiredFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new UsageError(`${what}: missing file ${path}`);
    if (errorCode(e) === 'EISDIR') throw new UsageError(`${what}: expected a file, found a directory: ${path}`);
    throw e;
  }
}

/** Reads `dir/config.json` and `dir/model.safetensors`. A missing directory or file is a UsageError naming it. */
export async function readCheckpointDir(dir: string): Promise<CheckpointFiles> {
  await requireDirectory(dir, 'checkpoint');
  const configJson = (await readRequiredFile(join(dir, CONFIG_FILE), 'checkpoint')).toString('utf8');
  const weights = await readRequiredFile(join(dir, WEIGHTS_FILE), 'checkpoint');
  return {configJson, weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)};
}

/**
 * Writes `dir/model.safetensors` and then `dir/config.json`, each atomically, creating `dir` (and its
 * parents) when missing. A path that exists but is not a directory is a UsageError naming it.
 */
export async function writeCheckpointDir(dir: string, files: CheckpointFiles): Promise<void> {
  try {
    await mkdir(dir, {recursive: true});
  } catch (e) {
    if (errorCode(e) === 'EEXIST' || errorCode(e) === 'ENOTDIR') {
      throw new UsageError(`checkpoint: cannot create directory ${dir}: a file is in the way`);
    }
    throw e;
  }
  await requireDirectory(dir, 'checkpoint');
  await writeFileAtomic(join(dir, WEIGHTS_FILE), files.weights);
  await writeFileAtomic(join(dir, CONFIG_FILE), files.configJson);
}
