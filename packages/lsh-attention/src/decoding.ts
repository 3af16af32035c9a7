/**
 * Cached single-step attention for autoregressive decoding: a layer's state keeps the keys, values (and, for
 * LSH, buckets) of every past position, and a step computes the newest position's attention output exactly as
 * the uncached forward over the whole sequence computes it for its last position, copying only the key rows of
 * that position's attention window.
 *
 * Past rows live in JavaScript memory, not in tensors: appending to a tensor would copy the whole past at every
 * step (tfjs has no in-place write), while a step here copies O(window · headSize) floats into a small window
 * tensor, plus O(buckets) integer work per round to find the window.
 */
import * as tf from '@tensorflow/tfjs-core';
import {bucketCount, hashVectors, randomRotations, rotationSize, type NumBuckets} from '@reformerjs/lsh-hash';
import {paddedLength} from './chunking.js';
import {BucketIndex, RowStore, windowChunk} from './decoding-store.js';
import {scaledKeys, sharedQKKeys} from './key-scaling.js';
import {MASK_VALUE, SELF_MASK_VALUE} from './masks.js';
import {
  resolveLocalOptions,
  resolveLSHOptions,
  type LocalAttentionCoreOptions,
  type LSHAttentionCoreOptions,
  type ResolvedChunkOptions,
} from './options/options.js';
import {checkObject, checkPositiveInteger, checkSeed, checkShape, fail} from './options/validate.js';

/** The layout every decoding state shares. */
export interface DecodingShape {
  /** Sequences decoded side by side. Default 1. */
  batch?: number;
  /** Attention heads. Required. */
  numHeads: number;
  /** Width of one head's queries, keys and values. Required. */
  headSize: number;
  /** Positions to reserve room for up front (the store grows by doubling past it). Default 64. */
  capacity?: number;
}

/**
 * Options of an LSH layer's decoding state: the attention options of `lshAttentionCore` (`dropout` is accepted
 * and ignored: decoding never drops out), with `numBuckets` required, and the rotations that every step hashes
 * with: `rotations`, or a `seed` to draw them from (exactly one).
 */
export type LSHDecodingOptions = LSHAttentionCoreOptions &
  DecodingShape & {
    /** [numHeads, headSize, numHashes, rotationSize / 2], e.g. lsh-hash's `randomRotations`. Copied. */
    rotations?: tf.Tensor4D;
    /** Seed to draw the rotations from with lsh-hash's `randomRotations`. */
    seed?: number;
  };

/** Options of a local layer's decoding state: those of `localAttentionCore` (`dropout` ignored) and the layout. */
export type LocalDecodingOptions = LocalAttentionCoreOptions & DecodingShape;

/** Per-step options. */
export interface DecodingStepCall {
  /**
   * The length of the sequence the uncached call would be given, counting padding positions (attention mask 0)
   * that the caller appends after the real tokens, as the Reformer model pads a sequence to a multiple of its
   * chunk lengths. It decides what the uncached layer does: full attention when it is at most `chunkLength`,
   * else chunks over `paddedLength(sequenceLength, chunkLength)` positions per round. Default: the number of
   * positions in the state after this step (no padding).
   */
  sequenceLength?: number;
}

const SHAPE_KEYS = ['batch', 'numHeads', 'headSize', 'capacity'] as const;
const DEFAULT_CAPACITY = 64;

interface ResolvedShape {
  batch: number;
  numHeads: number;
  headSize: number;
  capacity: number;
}

function resolveShape(o: Record<string, unknown>, name: string): ResolvedShape {
  for (const key of ['numHeads', 'headSize'] as const) {
    if (o[key] === undefined) fail(`${name}.${key}`, 'a positive integer (required)', undefined);
  }
  return {
    batch: checkPositiveInteger(`${name}.batch`, o.batch ?? 1),
    numHeads: checkPositiveInteger(`${name}.numHeads`, o.numHeads),
    headSize: checkPositiveInteger(`${name}.headSize`, o.headSize),
    capacity: checkPositiveInteger(`${name}.capacity`, o.capacity ?? DEFAULT_CAPACITY),
  };
}

/** A query's attention window, laid out for upload: G groups (LSH rounds, else 1) of W slots per (batch, head). */
interface Window {
  groups: number;
  slots: number;
  /** Position of each slot, -1 for padding: [batch, heads, groups, slots]. */
  positions: Int32Array;
  /** 1 where the logit is kept, 0 where it is replaced: [batch, heads, groups, slots]. */
  keep: Uint8Array;
  /** The logit that replaces a masked one (MASK_VALUE or SELF_MASK_VALUE): [batch, heads, groups, slots]. */
  replacement: Float32Array;
}

/**
 * What the two kinds of state share: the stored keys and values, the window gather, the attention over it, and
 * the sync / async read of each new row.
 */
abstract class DecodingState {
  protected readonly shape: ResolvedShape;
  protected readonly chunk: ResolvedChunkOptions;
  protected readonly keys: RowStore;
  protected readonly values: RowStore;
  #gatheredRows = 0;
  #lastStepRows = 0;
  #disposed = false;

  protected constructor(shape: ResolvedShape, chunk: ResolvedChunkOptions) {
    this.shape = shape;
    this.chunk = chunk;
    const rowSize = shape.batch * shape.numHeads * shape.headSize;
    this.keys = new RowStore(rowSize, shape.capacity);
    this.values = new RowStore(rowSize, shape.capacity);
  }

  /** Positions stored so far (the next step's position is `length`). */
  get length(): number {
    return this.keys.length;
  }

  /** Key rows (one per batch entry, head and window slot holding a real token) copied by every step so far. */
  get gatheredRows(): number {
    return this.#gatheredRows;
  }

  /** Key rows copied by the latest step: bounded by the window, whatever the length. */
  get lastStepRows(): number {
    return this.#lastStepRows;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    this.#disposed = true;
  }

  protected checkLive(): void {
    if (this.#disposed) throw new Error(`${this.constructor.name}: expected a live state, got one whose dispose() was called`);
  }

  /** Checks a [batch, heads, n, headSize] input (n = 1 for a step). */
  protected checkRows(name: string, value: unknown, n: number | null): tf.Tensor4D {
    const {batch, numHeads, headSize} = this.shape;
    return checkShape(name, value, [batch, numHeads, n, headSize], ['batch', 'numHeads', n === 1 ? '1' : 'n', 'headSize']) as tf.Tensor4D;
  }

  protected resolveStep(call: unknown): number {
    const c = checkObject('call', call);
    for (const key of Object.keys(c)) {
      if (key !== 'sequenceLength') throw new Error(`call.${key}: expected one of sequenceLength, got unknown option "${key}"`);
    }
    const length = this.length + 1;
    if (c.sequenceLength === undefined) return length;
    const s = c.sequenceLength;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < length) {
      fail('call.sequenceLength', `an integer >= ${length} (the positions after this step; padding comes after them)`, s);
    }
    return s;
  }

  /** Stores `n` positions read back from a [batch, heads, n, width] row tensor (keys, values, extras). */
  protected ingest(data: ArrayLike<number>, n: number): void {
    const {batch, numHeads, headSize: d} = this.shape;
    const width = this.rowWidth;
    this.keys.reserve(n);
    this.values.reserve(n);
    const keys = this.keys.data;
    const values = this.values.data;
    const start = this.length;
    for (let p = 0; p < n; p++) {
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < numHeads; h++) {
          const src = ((b * numHeads + h) * n + p) * width;
          const dst = (((start + p) * batch + b) * numHeads + h) * d;
          for (let i = 0; i < d; i++) {
            keys[dst + i] = data[src + i]!;
            values[dst + i] = data[src + d + i]!;
          }
          this.ingestExtras(data, src + 2 * d, start + p, b, h);
        }
      }
    }
    this.keys.commit(n);
    this.values.commit(n);
  }

  /** Floats per (batch, head, position) in the rows `prepare` builds: key, value, then extras. */
  protected abstract get rowWidth(): number;
  protected abstract ingestExtras(data: ArrayLike<number>, offset: number, position: number, b: number, h: number): void;

  /**
   * Softmax attention of the query [batch, heads, 1, headSize] over the window's keys and values, each group
   * with its own softmax, the groups combined by their normalisers as `combineRounds` does.
   * -> [batch, heads, 1, headSize]
   */
  protected attendWindow(query: tf.Tensor4D, window: Window): tf.Tensor4D {
    const {batch, numHeads: heads, headSize: d} = this.shape;
    const {groups, slots, positions} = window;
    const cells = batch * heads * groups * slots;
    const keyRows = new Float32Array(cells * d);
    const valueRows = new Float32Array(cells * d);
    const keys = this.keys.data;
    const values = this.values.data;
    let copied = 0;
    for (let cell = 0; cell < cells; cell++) {
      const p = positions[cell]!;
      if (p < 0) continue; // padding: masked, left zero
      const bh = Math.floor(cell / (groups * slots)); // b * heads + h
      const src = (p * batch * heads + bh) * d;
      keyRows.set(keys.subarray(src, src + d), cell * d);
      valueRows.set(values.subarray(src, src + d), cell * d);
      copied++;
    }
    this.#lastStepRows = copied;
    this.#gatheredRows += copied;

    return tf.tidy(() => {
      const bh = batch * heads;
      const q = tf.reshape(query, [bh, 1, d]); // [batch*heads, 1, headSize]
      const k = tf.tensor3d(keyRows, [bh, groups * slots, d]); // [batch*heads, groups*slots, headSize]
      const dotsFlat = tf.matMul(q, k, false, true); // [batch*heads, 1, groups*slots]
      const dots = tf.reshape(dotsFlat, [batch, heads, groups, slots]); // [batch, heads, groups, slots]
      const keep = tf.tensor4d(window.keep, [batch, heads, groups, slots], 'bool');
      const replacement = tf.tensor4d(window.replacement, [batch, heads, groups, slots]);
      const masked = tf.where(keep, dots, replacement); // [batch, heads, groups, slots]
      // Normalised by the sum, as chunkedAttend does (see there for why not exp(x - logsumexp)).
      const rowMax = tf.max(masked, -1, true); // [batch, heads, groups, 1]
      const unnormalised = tf.exp(tf.sub(masked, rowMax)); // [batch, heads, groups, slots]
      const rowSum = tf.sum(unnormalised, -1, true); // [batch, heads, groups, 1]
      const probs = tf.div(unnormalised, rowSum); // [batch, heads, groups, slots]
      const v = tf.tensor3d(valueRows, [bh * groups, slots, d]); // [batch*heads*groups, slots, headSize]
      const out = tf.reshape(
        tf.matMul(tf.reshape(probs, [bh * groups, 1, slots]), v), // [batch*heads*groups, 1, headSize]
        [batch, heads, groups, d],
      ); // [batch, heads, groups, headSize]
      if (groups === 1) return tf.reshape(out, [batch, heads, 1, d]) as tf.Tensor4D; // [batch, heads, 1, headSize]
      const lse = tf.add(rowMax, tf.log(rowSum)); // [batch, heads, groups, 1]
      const shifted = tf.exp(tf.sub(lse, tf.max(lse, 2, true))); // [batch, heads, groups, 1]
      const weights = tf.div(shifted, tf.sum(shifted, 2, true)); // [batch, heads, groups, 1]
      const combined = tf.sum(tf.mul(out, weights), 2); // [batch, heads, headSize]
      return tf.reshape(combined, [batch, heads, 1, d]) as tf.Tensor4D; // [batch, heads, 1, headSize]
    });
  }

  /** Full attention of the newest position over every stored one (the uncached path for one chunk or less). */
  protected fullWindow(selfMask: boolean): Window {
    const {batch, numHeads: heads} = this.shape;
    const slots = this.length;
    const last = slots - 1;
    const cells = batch * heads * slots;
    const positions = new Int32Array(cells);
    const keep = new Uint8Array(cells).fill(1);
    const replacement = new Float32Array(cells);
    for (let cell = 0; cell < cells; cell++) {
      const p = cell % slots;
      positions[cell] = p;
      if (selfMask && p === last) {
        keep[cell] = 0;
        replacement[cell] = SELF_MASK_VALUE;
      }
    }
    return {groups: 1, slots, positions, keep, replacement};
  }
}

/**
 * The decoding state of one LSH attention layer (shared query/key): the normalised keys, the values and the
 * buckets of every past position, and the rotations every step hashes with.
 *
 * A step with the new position's projected query/key and value ([batch, heads, 1, headSize]) returns its
 * attention output ([batch, heads, 1, headSize]) equal, to float32 rounding, to the last position of
 * `lshAttentionCore` over the whole sequence with the same rotations (and `sequenceLength` − length trailing
 * positions of attention mask 0, when given). How the window is found without sorting: the uncached forward
 * sorts each round by (bucket, position) and pads the round with positions that sort last; the newest position
 * is the last of its bucket, so its rank in round r is the number of positions whose round-r bucket is at most
 * its own, minus one; its slot is r · paddedLength + rank, its chunk the slot / chunkLength, and the window's
 * chunks follow from `lookAdjacent`'s rolls. The position at a given rank comes from the per-bucket position
 * lists. Causal masking removes nothing for the newest position (every stored position precedes it), so the
 * result is the same with `causal` on or off.
 */
export class LSHDecodingState extends DecodingState {
  readonly numHashes: number;
  readonly numBuckets: NumBuckets;
  /** The rotations every step hashes with, [numHeads, headSize, numHashes, rotationSize / 2]; owned. */
  readonly rotations: tf.Tensor4D;
  readonly #sameBucketOnly: boolean;
  readonly #count: number;
  /** [batch][heads][rounds], flattened. */
  readonly #indexes: BucketIndex[];
  /** Round-r bucket (without round offset) of every position: [position][batch][heads][rounds]. */
  #buckets: Int32Array;

  constructor(options: LSHDecodingOptions) {
    const o = checkObject('options', options);
    const resolved = resolveLSHOptions(o, 'options', [...SHAPE_KEYS, 'rotations', 'seed']);
    const shape = resolveShape(o, 'options');
    super(shape, resolved);
    if (resolved.numBuckets === undefined) {
      fail(
        'options.numBuckets',
        'a bucket count (an even integer >= 2 or a list of even factors): decoding hashes every position with one count, which the automatic choice would change with the length',
        undefined,
      );
    }
    if (resolved.duplicateAttentionCorrection && resolved.numHashes > 1) {
      fail('options.duplicateAttentionCorrection', 'false: the decoding step does not implement the duplicate correction', true);
    }
    this.numHashes = resolved.numHashes;
    this.numBuckets = resolved.numBuckets;
    this.#sameBucketOnly = resolved.sameBucketOnly;
    this.#count = bucketCount(resolved.numBuckets);
    const rotationShape = [shape.numHeads, shape.headSize, resolved.numHashes, rotationSize(resolved.numBuckets) / 2];
    if ((o.rotations === undefined) === (o.seed === undefined)) {
      throw new Error(
        `options.rotations / options.seed: expected exactly one of them, got ${o.rotations === undefined ? 'neither' : 'both'}`,
      );
    }
    if (o.rotations !== undefined) {
      checkShape('options.rotations', o.rotations, rotationShape, ['numHeads', 'headSize', 'numHashes', 'rotationSize/2']);
      this.rotations = tf.keep(tf.clone(o.rotations as tf.Tensor4D));
    } else {
      const seed = checkSeed('options.seed', o.seed);
      this.rotations = tf.keep(
        randomRotations({heads: shape.numHeads, dim: shape.headSize, numHashes: resolved.numHashes, numBuckets: resolved.numBuckets, seed}),
      );
    }
    const streams = shape.batch * shape.numHeads * resolved.numHashes;
    this.#indexes = Array.from({length: streams}, () => new BucketIndex(this.#count));
    this.#buckets = new Int32Array(shape.capacity * streams);
  }

  /** The round-r bucket (0 .. bucketCount − 1, no round offset) of `position` for batch entry b and head h. */
  bucketOf(position: number, b: number, h: number, round: number): number {
    if (!(position >= 0 && position < this.length)) fail('position', `an integer in [0, ${this.length})`, position);
    const {batch, numHeads} = this.shape;
    return this.#buckets[((position * batch + b) * numHeads + h) * this.numHashes + round]!;
  }

  /**
   * Stores positions length .. length + n − 1 without attending: queryKey, value [batch, heads, n, headSize]
   * (e.g. a prompt whose outputs an uncached forward computed). Reads the rows back synchronously.
   */
  append(queryKey: tf.Tensor4D, value: tf.Tensor4D): void {
    const n = this.#checkAppend(queryKey, value);
    const rows = this.#prepare(queryKey, value);
    this.ingest(readSync(rows), n);
  }

  /** `append`, reading the rows back with `await data()` (for backends without synchronous reads). */
  async appendAsync(queryKey: tf.Tensor4D, value: tf.Tensor4D): Promise<void> {
    const n = this.#checkAppend(queryKey, value);
    const rows = this.#prepare(queryKey, value);
    this.ingest(await readAsync(rows), n);
  }

  /**
   * One decoding step: stores the new position (queryKey, value [batch, heads, 1, headSize]) and returns its
   * attention output [batch, heads, 1, headSize] over every stored position. Reads its buckets, key and value
   * back synchronously (a few hundred bytes).
   */
  step(queryKey: tf.Tensor4D, value: tf.Tensor4D, call: DecodingStepCall = {}): tf.Tensor4D {
    const sequenceLength = this.#checkStep(queryKey, value, call);
    this.ingest(readSync(this.#prepare(queryKey, value)), 1);
    return this.attendWindow(queryKey, this.#window(sequenceLength));
  }

  /** `step`, reading the new row back with `await data()`. */
  async stepAsync(queryKey: tf.Tensor4D, value: tf.Tensor4D, call: DecodingStepCall = {}): Promise<tf.Tensor4D> {
    const sequenceLength = this.#checkStep(queryKey, value, call);
    this.ingest(await readAsync(this.#prepare(queryKey, value)), 1);
    return this.attendWindow(queryKey, this.#window(sequenceLength));
  }

  override dispose(): void {
    if (!this.isDisposed) this.rotations.dispose();
    super.dispose();
  }

  #checkAppend(queryKey: unknown, value: unknown): number {
    this.checkLive();
    const qk = this.checkRows('queryKey', queryKey, null);
    this.checkRows('value', value, qk.shape[2]);
    return qk.shape[2];
  }

  #checkStep(queryKey: unknown, value: unknown, call: unknown): number {
    this.checkLive();
    this.checkRows('queryKey', queryKey, 1);
    this.checkRows('value', value, 1);
    return this.resolveStep(call);
  }

  protected get rowWidth(): number {
    return 2 * this.shape.headSize + this.numHashes;
  }

  /** [batch, heads, n, 2 · headSize + numHashes]: normalised keys, values, and each round's bucket. */
  #prepare(queryKey: tf.Tensor4D, value: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const {buckets} = hashVectors(queryKey, {numBuckets: this.numBuckets, numHashes: this.numHashes, rotations: this.rotations}); // int32 [batch, heads, numHashes, n]
      // Bucket ids are small integers: exact in float32, so one read brings back everything.
      const perPosition = tf.cast(tf.transpose(buckets, [0, 1, 3, 2]), 'float32'); // [batch, heads, n, numHashes]
      return tf.concat([sharedQKKeys(queryKey), value, perPosition], 3) as tf.Tensor4D; // [batch, heads, n, 2*headSize + numHashes]
    });
  }

  protected ingestExtras(data: ArrayLike<number>, offset: number, position: number, b: number, h: number): void {
    const {batch, numHeads} = this.shape;
    const rounds = this.numHashes;
    const needed = (position + 1) * batch * numHeads * rounds;
    if (needed > this.#buckets.length) {
      const grown = new Int32Array(Math.max(needed, 2 * this.#buckets.length));
      grown.set(this.#buckets);
      this.#buckets = grown;
    }
    for (let r = 0; r < rounds; r++) {
      // hashVectors offsets round r by r · bucketCount (no padding bucket without a mask).
      const bucket = data[offset + r]! - r * this.#count;
      this.#buckets[((position * batch + b) * numHeads + h) * rounds + r] = bucket;
      this.#indexes[(b * numHeads + h) * rounds + r]!.add(bucket, position);
    }
  }

  /** The newest position's window in the uncached layout of `sequenceLength` positions. */
  #window(sequenceLength: number): Window {
    const {chunkLength, numChunksBefore: before, numChunksAfter: after} = this.chunk;
    if (sequenceLength <= chunkLength) return this.fullWindow(true);
    const {batch, numHeads: heads} = this.shape;
    const rounds = this.numHashes;
    const last = this.length - 1;
    const layout = paddedLength(sequenceLength, chunkLength); // slots per round
    const chunks = (rounds * layout) / chunkLength;
    const span = before + 1 + after;
    const slots = span * chunkLength;
    const cells = batch * heads * rounds * slots;
    const positions = new Int32Array(cells);
    const keep = new Uint8Array(cells);
    const replacement = new Float32Array(cells);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const stream = (b * heads + h) * rounds;
        for (let r = 0; r < rounds; r++) {
          const ownBucket = this.bucketOf(last, b, h, r);
          // The newest position is the last of its bucket: its rank is the count of buckets <= its own, minus one.
          const rank = this.#indexes[stream + r]!.countUpTo(ownBucket) - 1;
          const chunk = Math.floor((r * layout + rank) / chunkLength);
          const base = (stream + r) * slots;
          for (let i = -before; i <= after; i++) {
            const first = windowChunk(chunk, i, chunks) * chunkLength; // a chunk never straddles two rounds
            const keyRound = Math.floor(first / layout);
            const offset = base + (i + before) * chunkLength;
            this.#indexes[stream + keyRound]!.positionsAtRanks(first - keyRound * layout, chunkLength, positions, offset);
            for (let j = 0; j < chunkLength; j++) {
              const p = positions[offset + j]!;
              let allowed = p >= 0; // padding is masked
              if (allowed && this.#sameBucketOnly) allowed = keyRound === r && this.bucketOf(p, b, h, r) === ownBucket;
              if (p === last) {
                replacement[offset + j] = SELF_MASK_VALUE; // applied last: wins over every other mask
              } else if (allowed) {
                keep[offset + j] = 1;
              } else {
                replacement[offset + j] = MASK_VALUE;
              }
            }
          }
        }
      }
    }
    return {groups: rounds, slots, positions, keep, replacement};
  }
}

/**
 * The decoding state of one local attention layer: the scaled keys and the values of every past position. A
 * step with the new position's projected query, key and value ([batch, heads, 1, headSize]) returns its
 * attention output equal, to float32 rounding, to the last position of `localAttentionCore` over the whole
 * sequence: its own chunk (chunk boundaries at multiples of `chunkLength`) and the neighbouring chunks
 * `lookAdjacent` gives it, or every position when the uncached sequence fits in one chunk.
 */
export class LocalDecodingState extends DecodingState {
  constructor(options: LocalDecodingOptions) {
    const o = checkObject('options', options);
    const resolved = resolveLocalOptions(o, 'options', SHAPE_KEYS);
    super(resolveShape(o, 'options'), resolved);
  }

  /** Stores positions length .. length + n − 1 without attending: key, value [batch, heads, n, headSize]. */
  append(key: tf.Tensor4D, value: tf.Tensor4D): void {
    const n = this.#checkAppend(key, value);
    this.ingest(readSync(this.#prepare(key, value)), n);
  }

  async appendAsync(key: tf.Tensor4D, value: tf.Tensor4D): Promise<void> {
    const n = this.#checkAppend(key, value);
    this.ingest(await readAsync(this.#prepare(key, value)), n);
  }

  /**
   * One decoding step: stores the new position's key and value and returns the attention output of its query
   * (each [batch, heads, 1, headSize]) over the stored positions in its window.
   */
  step(query: tf.Tensor4D, key: tf.Tensor4D, value: tf.Tensor4D, call: DecodingStepCall = {}): tf.Tensor4D {
    const sequenceLength = this.#checkStep(query, key, value, call);
    this.ingest(readSync(this.#prepare(key, value)), 1);
    return this.attendWindow(query, this.#window(sequenceLength));
  }

  async stepAsync(query: tf.Tensor4D, key: tf.Tensor4D, value: tf.Tensor4D, call: DecodingStepCall = {}): Promise<tf.Tensor4D> {
    const sequenceLength = this.#checkStep(query, key, value, call);
    this.ingest(await readAsync(this.#prepare(key, value)), 1);
    return this.attendWindow(query, this.#window(sequenceLength));
  }

  #checkAppend(key: unknown, value: unknown): number {
    this.checkLive();
    const k = this.checkRows('key', key, null);
    this.checkRows('value', value, k.shape[2]);
    return k.shape[2];
  }

  #checkStep(query: unknown, key: unknown, value: unknown, call: unknown): number {
    this.checkLive();
    this.checkRows('query', query, 1);
    this.checkRows('key', key, 1);
    this.checkRows('value', value, 1);
    return this.resolveStep(call);
  }

  protected get rowWidth(): number {
    return 2 * this.shape.headSize;
  }

  /** [batch, heads, n, 2 · headSize]: keys divided by sqrt(headSize), values. */
  #prepare(key: tf.Tensor4D, value: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.concat([scaledKeys(key), value], 3) as tf.Tensor4D); // [batch, heads, n, 2*headSize]
  }

  protected ingestExtras(): void {}

  #window(sequenceLength: number): Window {
    const {chunkLength, numChunksBefore: before, numChunksAfter: after} = this.chunk;
    if (sequenceLength <= chunkLength) return this.fullWindow(false);
    const {batch, numHeads: heads} = this.shape;
    const last = this.length - 1;
    const chunks = paddedLength(sequenceLength, chunkLength) / chunkLength;
    const chunk = Math.floor(last / chunkLength);
    const slots = (before + 1 + after) * chunkLength;
    const cells = batch * heads * slots;
    const positions = new Int32Array(cells);
    const keep = new Uint8Array(cells);
    const replacement = new Float32Array(cells);
    for (let i = -before; i <= after; i++) {
      const first = windowChunk(chunk, i, chunks) * chunkLength;
      for (let j = 0; j < chunkLength; j++) {
        const p = first + j;
        const slot = (i + before) * chunkLength + j;
        // Positions past the newest are padding (or the future): masked either way.
        const allowed = p <= last;
        for (let bh = 0; bh < batch * heads; bh++) {
          const cell = bh * slots + slot;
          positions[cell] = allowed ? p : -1;
          if (allowed) keep[cell] = 1;
          else replacement[cell] = MASK_VALUE;
        }
      }
    }
    return {groups: 1, slots, positions, keep, replacement};
  }
}

/** Reads and disposes a row tensor synchronously. */
function readSync(rows: tf.Tensor): Float32Array {
  try {
    return rows.dataSync() as Float32Array;
  } finally {
    rows.dispose();
  }
}

async function readAsync(rows: tf.Tensor): Promise<Float32Array> {
  try {
    return (await rows.data()) as Float32Array;
  } finally {
    rows.dispose();
  }
}
