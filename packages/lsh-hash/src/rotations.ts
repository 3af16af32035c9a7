/**
 * Seeded random rotations for angular LSH, drawn in JavaScript so that a seed gives bit-identical
 * rotations on every tfjs backend (no backend RNG kernel is involved).
 *
 * The generator is counter-based: the n-th 32-bit word depends only on (seed, n), so any slice of
 * the stream can be recomputed without replaying the words before it.
 *
 *   key     = h32(lo32(seed) XOR h32(hi32(seed)))          hi32 is 0 for 0 <= seed < 2^32
 *   word(n) = h32((key + (n + 1) * 0x9E3779B9) mod 2^32)    SplitMix32 in counter form
 *   h32(x)  : x ^= x >>> 16; x *= 0x21F0AAAD; x ^= x >>> 15; x *= 0x735A2D97; x ^= x >>> 15
 *             (Chris Wellons' two-round integer hash; all products mod 2^32)
 *
 * Normals come in pairs by Box–Muller from words 2p and 2p + 1:
 *   u1 = (word(2p) + 0.5) / 2^32,  u2 = (word(2p + 1) + 0.5) / 2^32   (both strictly inside (0, 1))
 *   z(2p) = sqrt(-2 ln u1) cos(2π u2),  z(2p + 1) = sqrt(-2 ln u1) sin(2π u2)
 * computed in float64 and rounded to float32.
 */
import * as tf from '@tensorflow/tfjs-core';

import {assertPositiveInteger, assertSeed, describe, rotationSize, validateNumBuckets} from './validate.js';
import type {NumBuckets} from './validate.js';

const GOLDEN_GAMMA = 0x9e3779b9;
const TWO_POW_32 = 4294967296;

/** Wellons' two-round 32-bit integer hash (a bijection on 32-bit words). */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** The stream key of a seed: distinct for distinct seeds in [0, 2^32), unrelated for neighbours. */
function seedKey(seed: number): number {
  const lo = seed >>> 0; // seed mod 2^32, exact for every safe integer (negatives too)
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return hash32((lo ^ hash32(hi)) >>> 0);
}

/**
 * The first `count` 32-bit words of the stream of `seed`, as unsigned integers.
 * Exposed so the generator can be pinned by tests and reimplemented elsewhere.
 */
export function seededWords(seed: number, count: number): Uint32Array {
  assertSeed(seed);
  assertCount(count);
  const key = seedKey(seed);
  const out = new Uint32Array(count);
  for (let n = 0; n < count; n++) {
    out[n] = hash32((key + Math.imul(n + 1, GOLDEN_GAMMA)) >>> 0);
  }
  return out;
}

/** `count` standard normal numbers from the stream of `seed` (Box–Muller, see the module comment). */
export function seededNormals(seed: number, count: number): Float32Array {
  assertSeed(seed);
  assertCount(count);
  const words = seededWords(seed, count + (count % 2));
  const out = new Float32Array(count);
  for (let p = 0; 2 * p < count; p++) {
    const u1 = (words[2 * p] + 0.5) / TWO_POW_32;
    const u2 = (words[2 * p + 1] + 0.5) / TWO_POW_32;
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    out[2 * p] = radius * Math.cos(angle);
    if (2 * p + 1 < count) out[2 * p + 1] = radius * Math.sin(angle);
  }
  return out;
}

function assertCount(count: unknown): asserts count is number {
  // Each normal takes one word and the counter is 32 bits wide: beyond 2^32 words the stream repeats.
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count >= 2 ** 32) {
    throw new Error(`count: expected an integer in [0, 2^32), got ${describe(count)}`);
  }
}

export interface RandomRotationsOptions {
  /** Attention heads; each head gets its own rotations. */
  heads: number;
  /** Size of the hashed vectors (the attention head size). */
  dim: number;
  /** Hash rounds; each round gets its own rotations. */
  numHashes: number;
  /** Buckets per round (a count or a list of factors); fixes the rotation's last axis. */
  numBuckets: NumBuckets;
  /** Any safe integer. The same seed gives the same rotations on every backend. */
  seed: number;
}

/**
 * Standard normal rotations of shape `[heads, dim, numHashes, rotationSize(numBuckets) / 2]`
 * (Hugging Face's layout), filled in row-major order from `seededNormals(seed, ...)`.
 */
export function randomRotations(opts: RandomRotationsOptions): tf.Tensor4D {
  if (typeof opts !== 'object' || opts === null) {
    throw new Error(`opts: expected {heads, dim, numHashes, numBuckets, seed}, got ${describe(opts)}`);
  }
  const {heads, dim, numHashes, numBuckets, seed} = opts;
  assertPositiveInteger(heads, 'heads');
  assertPositiveInteger(dim, 'dim');
  assertPositiveInteger(numHashes, 'numHashes');
  validateNumBuckets(numBuckets);
  assertSeed(seed);
  const shape: [number, number, number, number] = [heads, dim, numHashes, rotationSize(numBuckets) / 2];
  const values = seededNormals(seed, shape[0] * shape[1] * shape[2] * shape[3]);
  return tf.tensor4d(values, shape, 'float32');
}
