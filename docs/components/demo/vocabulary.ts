// The character vocabulary a text checkpoint of `reformer train --task text` carries as vocab.json:
// {"kind": "characters", "tokens": [null, "\n", " ", ...]}; token id i is tokens[i], one Unicode character, or
// null for an id that stands for no text (padding).

export interface CharacterVocabulary {
  /** Ids of the characters of `text`; throws naming the characters the vocabulary lacks. */
  encode(text: string): number[];
  /** The text of `ids`; ids without a character (null entries, ids past the list) give nothing. */
  decode(ids: readonly number[]): string;
  readonly size: number;
}

export function parseVocabulary(json: unknown, where: string): CharacterVocabulary {
  const o = json as {kind?: unknown; tokens?: unknown} | null;
  if (o === null || typeof o !== 'object' || o.kind !== 'characters' || !Array.isArray(o.tokens)) {
    throw new Error(`${where}: expected {"kind": "characters", "tokens": [...]}`);
  }
  const tokens = o.tokens as unknown[];
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => {
    if (token === null) return;
    if (typeof token !== 'string' || Array.from(token).length !== 1) {
      throw new Error(`${where}: tokens[${id}]: expected one character or null, got ${JSON.stringify(token)}`);
    }
    ids.set(token, id);
  });
  return {
    size: tokens.length,
    encode(text: string): number[] {
      const characters = Array.from(text); // code points, as the vocabulary counts them
      const unknown = [...new Set(characters.filter((c) => !ids.has(c)))];
      if (unknown.length > 0) {
        throw new Error(`the model's vocabulary has no ${unknown.map((c) => JSON.stringify(c)).join(', ')}; use other characters`);
      }
      return characters.map((c) => ids.get(c)!);
    },
    decode(list: readonly number[]): string {
      return list.map((id) => (typeof tokens[id] === 'string' ? (tokens[id] as string) : '')).join('');
    },
  };
}
