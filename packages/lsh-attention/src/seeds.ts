/**
 * Derives independent integer seeds from one base seed, so one `seed` option can drive weight initialisation,
 * per-call rotations and per-call dropout without two of them drawing the same numbers. A 32-bit integer mix
 * (murmur3's finaliser over the three inputs): pure JavaScript, the same on every backend.
 */
export function deriveSeed(seed: number, stream: number, index: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(stream + 1, 0xc2b2ae35), 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15) ^ Math.imul(index + 1, 0x165667b1), 0x85ebca6b);
  h ^= h >>> 16;
  // High bits of seeds above 2^32 would be lost by `| 0`: fold them in.
  h ^= Math.floor(seed / 2 ** 32) | 0;
  return h >>> 0;
}

/** Streams of `deriveSeed`. */
export const SEED_STREAM = {weights: 0, hash: 1, dropout: 2} as const;
