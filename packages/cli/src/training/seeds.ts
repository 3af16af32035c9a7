// Seeds derived from a run's seed and integer parts (stream, step, row): a pure function, so step s of a run
// draws the same numbers however it was reached (straight through or resumed).

const TWO_POW_32 = 2 ** 32;

// Murmur3's 32-bit finaliser: each input bit flips each output bit with probability about 1/2.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Both 32-bit halves of a safe integer, so seeds above 2^32 stay distinct.
function absorb(h: number, value: number): number {
  h = mix32((h ^ (value >>> 0)) + 0x9e3779b9);
  return mix32((h ^ (Math.floor(value / TWO_POW_32) >>> 0)) + 0x7f4a7c15);
}

/** A seed in [0, 2^32) from `seed` and any integer parts; changing any argument gives an unrelated seed. */
export function seedFor(seed: number, ...parts: number[]): number {
  let h = absorb(0x52454652, seed); // "REFR"
  for (const part of parts) h = absorb(h, part);
  return h;
}

/** A number in [0, 1) from `seed` and parts. */
export function uniformFor(seed: number, ...parts: number[]): number {
  return seedFor(seed, ...parts) / TWO_POW_32;
}
