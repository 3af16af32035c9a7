/**
 * Seeds for the randomness inside reversible layers.
 *
 * A reversible backward recomputes every layer, so every random draw (dropout masks above all) must
 * come out the same the second time. Each layer's `f` and `g` therefore get their own seed, derived
 * from one step seed, and pass it to ops that draw in JavaScript (`tf.dropout(x, rate, undefined,
 * seed)`), which gives the same numbers on every backend.
 */

const TWO_POW_32 = 2 ** 32;

// Murmur3's finaliser: every input bit flips each output bit with probability about 1/2, so seeds
// that differ by one (layer 3 and layer 4) give unrelated streams.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkSeedPart(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`${name}: expected a safe integer, got ${String(value)}`);
  }
}

// A safe integer has up to 53 bits: fold both halves in, so seeds above 2^32 stay distinct.
function absorb(h: number, value: number): number {
  const low = value >>> 0;
  const high = Math.floor(value / TWO_POW_32) >>> 0;
  h = mix32((h ^ low) + 0x9e3779b9);
  return mix32((h ^ high) + 0x7f4a7c15);
}

/**
 * Derives a seed in `[0, 2^32)` from a seed and any number of integer parts, e.g.
 * `deriveSeed(stepSeed, layer, 0)`. The same arguments always give the same seed; changing any
 * part gives an unrelated one. Use it inside `f` or `g` to split `ctx.seed` between several
 * dropouts: `deriveSeed(ctx.seed, 1)`.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  checkSeedPart('seed', seed);
  let h = absorb(0x2545f491, seed);
  parts.forEach((part, i) => {
    checkSeedPart(`parts[${i}]`, part);
    h = absorb(h, part);
  });
  return h;
}

/** A fresh step seed in `[0, 2^32)`, for calls that do not pass one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * TWO_POW_32);
}

/** The seed given to layer `layer`'s `f` (which = 0) or `g` (which = 1) for one step. */
export function layerSeed(stepSeed: number, layer: number, which: 0 | 1): number {
  return deriveSeed(stepSeed, layer, which);
}
