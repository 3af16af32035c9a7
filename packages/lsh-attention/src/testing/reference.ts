/**
 * Brute-force references in plain JavaScript loops (float64), written from the definitions in HF's and trax's
 * code rather than from this package's tensor code. Test-only.
 *
 * Layout: a "heads tensor" is number[batch][heads][length][dim].
 */
export type Heads = number[][][][];

export interface RefMasks {
  causal: boolean;
  /** [batch][length], 1 = real token. */
  mask?: number[][];
}

const MASK = -1e9;
const SELF = -1e5;

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** HF's `_len_and_dim_norm`. */
export function refSharedKey(x: number[]): number[] {
  const meanSquare = x.reduce((s, v) => s + v * v, 0) / x.length;
  const scale = 1 / Math.sqrt(meanSquare + 1e-6) / Math.sqrt(x.length);
  return x.map((v) => v * scale);
}

function softmaxAttend(logits: number[], values: number[][]): {out: number[]; lse: number} {
  const lse = logSumExp(logits);
  const out = new Array(values[0]!.length).fill(0) as number[];
  logits.forEach((l, k) => {
    const p = Math.exp(l - lse);
    values[k]!.forEach((v, d) => (out[d] += p * v));
  });
  return {out, lse};
}

/** Full attention; shared-QK when `key` is undefined. */
export function refFullAttention(query: Heads, key: Heads | undefined, value: Heads, m: RefMasks): Heads {
  return query.map((qb, b) =>
    qb.map((qh, h) => {
      const L = qh.length;
      const keys = key ? key[b]![h]!.map((k) => k.map((v) => v / Math.sqrt(k.length))) : qh.map(refSharedKey);
      return qh.map((q, i) => {
        const logits = keys.map((k, j) => {
          let l = dot(q, k);
          const allowed = (!m.causal || i >= j) && (!m.mask || m.mask[b]![j] === 1);
          if (!allowed) l = MASK;
          if (!key && i === j) l = SELF;
          return l;
        });
        return softmaxAttend(logits, value[b]![h]!.slice(0, L)).out;
      });
    }),
  );
}

/** Chunk that chunk c sees at offset i, with the Python-slice semantics of HF's `_look_adjacent`. */
function adjacentChunk(c: number, i: number, chunks: number): number {
  const start = Math.min(Math.max(i >= 0 ? i : chunks + i, 0), chunks);
  if (start === 0 || start === chunks) return c;
  return (c + start) % chunks;
}

export function windowChunks(c: number, before: number, after: number, chunks: number): number[] {
  const out: number[] = [];
  for (let i = -before; i <= after; i++) out.push(i === 0 ? c : adjacentChunk(c, i, chunks));
  return out;
}

export interface RefChunkOptions {
  chunkLength: number;
  before: number;
  after: number;
}

/** HF's local attention (padding a length that is not a chunk multiple, as this package does). */
export function refLocalAttention(query: Heads, key: Heads, value: Heads, o: RefChunkOptions & RefMasks): Heads {
  const L = query[0]![0]!.length;
  if (L <= o.chunkLength) return refFullAttention(query, key, value, o);
  const C = o.chunkLength;
  const Lp = Math.ceil(L / C) * C;
  const chunks = Lp / C;
  return query.map((qb, b) =>
    qb.map((qh, h) => {
      const d = qh[0]!.length;
      const zero = new Array(d).fill(0) as number[];
      const k = key[b]![h]!.map((kv) => kv.map((v) => v / Math.sqrt(d)));
      const v = value[b]![h]!;
      const valid = (j: number) => j < L && (!o.mask || o.mask[b]![j] === 1);
      const out: number[][] = [];
      for (let i = 0; i < L; i++) {
        const keysIdx = windowChunks(Math.floor(i / C), o.before, o.after, chunks).flatMap((w) =>
          Array.from({length: C}, (_, t) => w * C + t),
        );
        const logits = keysIdx.map((j) => {
          const allowed = (!o.causal || i >= j) && valid(j);
          return allowed ? dot(qh[i]!, k[j] ?? zero) : MASK;
        });
        out.push(softmaxAttend(logits, keysIdx.map((j) => v[j] ?? zero)).out);
      }
      return out;
    }),
  );
}

export interface RefLSHOptions extends RefChunkOptions, RefMasks {
  numHashes: number;
  duplicateAttentionCorrection?: boolean;
  sameBucketOnly?: boolean;
}

/**
 * LSH attention given buckets [batch][heads][rounds][length] (round offsets included): HF's `LSHSelfAttention`
 * forward plus trax's duplicate count and same-bucket mask, written as loops over slots.
 */
export function refLSHAttention(queryKey: Heads, value: Heads, buckets: number[][][][], o: RefLSHOptions): Heads {
  const L = queryKey[0]![0]!.length;
  if (L <= o.chunkLength) return refFullAttention(queryKey, undefined, value, o);
  const C = o.chunkLength;
  const R = o.numHashes;
  const Lp = Math.ceil(L / C) * C;
  const slots = R * Lp;
  const chunks = slots / C;
  return queryKey.map((qb, b) =>
    qb.map((qh, h) => {
      const d = qh[0]!.length;
      const zero = new Array(d).fill(0) as number[];
      const qk = (t: number) => qh[t] ?? zero;
      const val = (t: number) => value[b]![h]![t] ?? zero;
      const valid = (t: number) => t < L && (!o.mask || o.mask[b]![t] === 1);
      // Buckets of the padding: the largest bucket of the round.
      const bucket = (r: number, t: number) => (t < L ? buckets[b]![h]![r]![t]! : Math.max(...buckets[b]![h]![r]!));
      const entries = Array.from({length: slots}, (_, e) => e);
      const order = entries.slice().sort((x, y) => {
        const bx = bucket(Math.floor(x / Lp), x % Lp);
        const by = bucket(Math.floor(y / Lp), y % Lp);
        return bx - by || x - y;
      });
      const undo = new Array(slots) as number[];
      order.forEach((e, p) => (undo[e] = p));
      const tokenOf = (p: number) => order[p]! % Lp;
      const chunkIn = (r: number, t: number) => Math.floor(undo[r * Lp + t]! / C);

      const outs: number[][][] = Array.from({length: R}, () => []);
      const lses: number[][] = Array.from({length: R}, () => []);
      for (let p = 0; p < slots; p++) {
        const i = tokenOf(p);
        const keySlots = windowChunks(Math.floor(p / C), o.before, o.after, chunks).flatMap((w) =>
          Array.from({length: C}, (_, t) => w * C + t),
        );
        const qBucket = bucket(Math.floor(order[p]! / Lp), i);
        const logits = keySlots.map((k) => {
          const j = tokenOf(k);
          let l = dot(qk(i), refSharedKey(qk(j)));
          if (o.duplicateAttentionCorrection && R > 1) {
            let count = 0;
            for (let s = 0; s < R; s++) {
              const distance = (((chunkIn(s, i) - chunkIn(s, j)) % chunks) + chunks) % chunks;
              const inWindow = distance <= o.before || (o.after > 0 && distance >= chunks - o.after);
              const sameBucket = !o.sameBucketOnly || bucket(s, i) === bucket(s, j);
              if (inWindow && sameBucket) count++;
            }
            l -= Math.log(Math.max(count, 1));
          }
          const kBucket = bucket(Math.floor(order[k]! / Lp), j);
          const allowed = (!o.causal || i >= j) && valid(j) && (!o.sameBucketOnly || qBucket === kBucket);
          if (!allowed) l = MASK;
          if (i === j) l = SELF;
          return l;
        });
        const {out, lse} = softmaxAttend(logits, keySlots.map((k) => val(tokenOf(k))));
        const r = Math.floor(order[p]! / Lp);
        outs[r]![i] = out;
        lses[r]![i] = lse;
      }
      const result: number[][] = [];
      for (let i = 0; i < L; i++) {
        const total = logSumExp(lses.map((l) => l[i]!));
        const o2 = new Array(d).fill(0) as number[];
        for (let r = 0; r < R; r++) {
          const w = Math.exp(lses[r]![i]! - total);
          outs[r]![i]!.forEach((v, k) => (o2[k] += w * v));
        }
        result.push(o2);
      }
      return result;
    }),
  );
}

/** A reproducible uniform generator (mulberry32) for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nested array [dims...] of uniform values in [-scale, scale). */
export function randomArray(shape: number[], seed: number, scale = 1): number[] {
  const r = rng(seed);
  return Array.from({length: shape.reduce((a, b) => a * b, 1)}, () => (2 * r() - 1) * scale);
}
