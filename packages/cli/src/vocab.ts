// The character vocabulary a text checkpoint carries beside config.json and model.safetensors: vocab.json.
//
//   {"kind": "characters", "tokens": [null, "\n", " ", "a", ...]}
//
// Token id i is tokens[i]: one Unicode character (one code point), or null for an id that stands for no text
// (padding, end of text, ...). There are at most config.vocab_size tokens; no character appears twice.
// Ids past the list (a model may have more ids than the list) and null entries decode to nothing.

import {join} from 'node:path';
import {UsageError} from './errors.js';
import {readRequiredFile, writeFileAtomic} from './files.js';

export const VOCAB_FILE = 'vocab.json';
export const VOCAB_KIND = 'characters';

export interface CharacterVocabulary {
  /** tokens[id]: the character of an id, or null. */
  readonly tokens: readonly (string | null)[];
  /** id of each character. */
  readonly ids: ReadonlyMap<string, number>;
}

const codePoints = (s: string): string[] => Array.from(s);
const describeChar = (c: string): string => `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;

/** Checks the parsed JSON of a vocab.json; `where` names the file in errors. */
export function parseVocabulary(text: string, where: string, vocabSize?: number): CharacterVocabulary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const o = json as {kind?: unknown; tokens?: unknown} | null;
  if (o === null || typeof o !== 'object' || o.kind !== VOCAB_KIND || !Array.isArray(o.tokens)) {
    throw new UsageError(`${where}: expected {"kind": "${VOCAB_KIND}", "tokens": [...]}, got ${text.slice(0, 60)}`);
  }
  if (vocabSize !== undefined && o.tokens.length > vocabSize) {
    throw new UsageError(`${where}: expected at most vocab_size (${vocabSize}) tokens, got ${o.tokens.length}`);
  }
  const ids = new Map<string, number>();
  o.tokens.forEach((token: unknown, id: number) => {
    if (token === null) return;
    if (typeof token !== 'string' || codePoints(token).length !== 1) {
      throw new UsageError(`${where}: tokens[${id}]: expected one character or null, got ${JSON.stringify(token)}`);
    }
    if (ids.has(token)) throw new UsageError(`${where}: tokens[${id}]: ${describeChar(token)} is already tokens[${ids.get(token)}]`);
    ids.set(token, id);
  });
  return {tokens: o.tokens as (string | null)[], ids};
}

/** Reads `dir/vocab.json`. */
export async function readVocabulary(dir: string, vocabSize?: number): Promise<CharacterVocabulary> {
  const path = join(dir, VOCAB_FILE);
  const text = (await readRequiredFile(path, 'checkpoint')).toString('utf8');
  return parseVocabulary(text, path, vocabSize);
}

/** The text of a vocab.json for these tokens (what a training command saves beside its checkpoint). */
export function formatVocabulary(tokens: readonly (string | null)[]): string {
  return `${JSON.stringify({kind: VOCAB_KIND, tokens})}\n`;
}

/** Writes `dir/vocab.json` atomically. */
export async function writeVocabulary(dir: string, tokens: readonly (string | null)[]): Promise<void> {
  parseVocabulary(formatVocabulary(tokens), VOCAB_FILE); // refuse to write what could not be read back
  await writeFileAtomic(join(dir, VOCAB_FILE), formatVocabulary(tokens));
}

/** The ids of `text`, one per character; a character outside the vocabulary is a UsageError naming it. */
export function encodeText(vocab: CharacterVocabulary, text: string, flag: string, where: string): number[] {
  return codePoints(text).map((c, index) => {
    const id = vocab.ids.get(c);
    if (id === undefined) {
      throw new UsageError(`${flag}: character ${describeChar(c)} at index ${index} is not in the checkpoint's vocabulary (${where})`);
    }
    return id;
  });
}

/** The text of `ids` (null tokens and ids past the list give nothing). */
export function decodeIds(vocab: CharacterVocabulary, ids: readonly number[]): string {
  return ids.map((id) => vocab.tokens[id] ?? '').join('');
}
