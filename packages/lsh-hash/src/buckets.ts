/**
 * Angular LSH (Andoni et al. 2015, as used by the Reformer): a vector's bucket is the argmax of
 * `[xR, -xR]` for a random rotation R, one R per head and hash round.
 */
import * as tf from '@tensorflow/tfjs-core';

import {fusedKernelAvailable, HASH_BUCKETS_KERNEL, type HashBucketsAttrs} from './kernels.js';
import {randomRotations} from './rotations.js';
import {
  assertDtype,
  assertPositiveInteger,
  assertSeed,
  assertTensorRank,
  bucketCount,
  bucketFactors,
  describe,
  formatShape,
  rotationSize,
  sameShape,
  validateNumBuckets,
} from './validate.js';
import type {NumBuckets} from './validate.js';

export interface HashOptions {
  /** Buckets per round: an even count, or a list of even factors (their product is the count). */
  numBuckets: NumBuckets;
  /** Hash rounds; round r's buckets are offset by r * bucketsPerRound. */
  numHashes: number;
  /** Explicit rotations `[heads, dim, numHashes, rotationSize / 2]` (e.g. Hugging Face's draw). */
  rotations?: tf.Tensor4D;
  /** Draw the rotations with `randomRotations` from this seed. Exactly one of rotations / seed. */
  seed?: number;
  /** `[batch, length]`, 1 = keep, 0 = padding. Padding positions get a bucket of their own. */
  attentionMask?: tf.Tensor;
  /**
   * Whether `attentionMask` has a zero anywhere. When omitted it is read from the mask, which is a
   * synchronous download (a stall on GPU backends, impossible on WebGPU in Node): pass it when
   * you know it, e.g. because you padded the inputs yourself.
   */
  hasPadding?: boolean;
}

/** A type alias (not an interface) so that `tf.dispose(result)` type-checks. */
export type HashResult = {
  /** int32 `[batch, heads, numHashes, length]`, round offsets included. */
  buckets: tf.Tensor4D;
  /** `bucketCount(numBuckets)`, plus 1 when a padding bucket was added. */
  bucketsPerRound: number;
};

/**
 * Hashes `vectors` `[batch, heads, length, dim]` into buckets, exactly as Hugging Face's
 * `LSHSelfAttention._hash_vectors` does:
 * - rotated = x · R per head and round; bucket = argmax([rotated, -rotated]) (first maximum on ties);
 * - for factors [f1, f2, ...]: the rotation's columns are split into consecutive slices of f_i / 2
 *   and bucket = Σ_i argmax([slice_i, -slice_i]) · Π_{j<i} f_j;
 * - when the attention mask has a zero anywhere in the batch, every round gets one extra bucket,
 *   `bucketCount`, that holds exactly the padding positions;
 * - round r adds r · bucketsPerRound.
 * Hashing needs no gradient: the returned buckets are integers and nothing flows back through them.
 * Where the active backend registers the fused kernel `ReformerHashBuckets` (see kernels.ts), that kernel does
 * the product, the argmax, the padding bucket and the offsets in one call.
 */
export function hashVectors(vectors: tf.Tensor4D, options: HashOptions): HashResult {
  assertTensorRank(vectors, 4, 'vectors', '[batch, heads, length, dim]');
  assertDtype(vectors, ['float32'], 'vectors');
  if (typeof options !== 'object' || options === null) {
    throw new Error(`options: expected {numBuckets, numHashes, rotations | seed}, got ${describe(options)}`);
  }
  const {numBuckets, numHashes, rotations, seed, attentionMask, hasPadding} = options;
  validateNumBuckets(numBuckets, 'numBuckets');
  assertPositiveInteger(numHashes, 'numHashes');
  const [batch, heads, length, dim] = vectors.shape;
  const halfRotation = rotationSize(numBuckets) / 2;
  const rotationShape = [heads, dim, numHashes, halfRotation];

  const hasRotations = rotations !== undefined;
  const hasSeed = seed !== undefined;
  if (hasRotations === hasSeed) {
    throw new Error(
      `rotations / seed: expected exactly one of them, got ${hasRotations ? 'both' : 'neither'}` +
        (hasSeed ? ` (seed ${describe(seed)})` : ''),
    );
  }
  if (hasRotations) {
    assertTensorRank(rotations, 4, 'rotations', '[heads, dim, numHashes, rotationSize / 2]');
    if (!sameShape(rotations.shape, rotationShape)) {
      throw new Error(
        `rotations: expected shape ${formatShape(rotationShape)} ` +
          '([heads, dim, numHashes, rotationSize / 2] for these vectors, numHashes and numBuckets), ' +
          `got ${formatShape(rotations.shape)}`,
      );
    }
  } else {
    assertSeed(seed);
  }
  if (hasPadding !== undefined && typeof hasPadding !== 'boolean') {
    throw new Error(`hasPadding: expected a boolean or undefined, got ${describe(hasPadding)}`);
  }
  if (attentionMask !== undefined) {
    assertTensorRank(attentionMask, 2, 'attentionMask', '[batch, length]');
    if (!sameShape(attentionMask.shape, [batch, length])) {
      throw new Error(
        `attentionMask: expected shape ${formatShape([batch, length])} ([batch, length] of vectors), ` +
          `got ${formatShape(attentionMask.shape)}`,
      );
    }
  } else if (hasPadding) {
    throw new Error('hasPadding: got true, but no attentionMask was given to say where the padding is');
  }

  const padded = attentionMask !== undefined && (hasPadding ?? maskHasZero(attentionMask));
  const count = bucketCount(numBuckets);
  const bucketsPerRound = padded ? count + 1 : count;

  const buckets = tf.tidy(() => {
    const R = hasRotations ? rotations : randomRotations({heads, dim, numHashes, numBuckets, seed: seed!});
    const maskSupported = !padded || ['float32', 'int32', 'bool'].includes(attentionMask!.dtype);
    if (R.dtype === 'float32' && maskSupported && fusedKernelAvailable(HASH_BUCKETS_KERNEL)) {
      const attrs: HashBucketsAttrs = {factors: [...bucketFactors(numBuckets)], padded};
      const inputs: tf.NamedTensorMap = padded ? {vectors, rotations: R, attentionMask: attentionMask!} : {vectors, rotations: R};
      return tf.engine().runKernel(HASH_BUCKETS_KERNEL, inputs, attrs) as tf.Tensor4D; // int32 [batch, heads, numHashes, length]
    }
    // One batched matmul per head; a plain [batch·length, dim] × [dim, rounds·cols] product per head.
    const x = tf.reshape(tf.transpose(vectors, [1, 0, 2, 3]), [heads, batch * length, dim]); // [heads, batch*length, dim]
    const rFlat = tf.reshape(R, [heads, dim, numHashes * halfRotation]); // [heads, dim, numHashes*halfRotation]
    const rotatedFlat = tf.matMul(x, rFlat); // [heads, batch*length, numHashes*halfRotation]
    const rotated = tf.transpose(
      tf.reshape(rotatedFlat, [heads, batch, length, numHashes, halfRotation]), // [heads, batch, length, numHashes, halfRotation]
      [1, 0, 3, 2, 4],
    ); // [batch, heads, numHashes, length, halfRotation]

    let combined: tf.Tensor | null = null;
    let columnStart = 0;
    let stride = 1;
    for (const factor of bucketFactors(numBuckets)) {
      const slice = tf.slice(rotated, [0, 0, 0, 0, columnStart], [-1, -1, -1, -1, factor / 2]); // [batch, heads, numHashes, length, factor/2]
      const signed = tf.concat([slice, tf.neg(slice)], 4); // [batch, heads, numHashes, length, factor]
      const digit = tf.argMax(signed, 4); // int32 [batch, heads, numHashes, length]
      combined = combined === null ? digit : tf.add(combined, tf.mul(digit, tf.scalar(stride, 'int32')));
      columnStart += factor / 2;
      stride *= factor;
    }
    let hashed = combined as tf.Tensor4D; // int32 [batch, heads, numHashes, length]

    if (padded) {
      const keep = tf.reshape(tf.notEqual(attentionMask!, tf.scalar(0, attentionMask!.dtype)), [batch, 1, 1, length]); // [batch, 1, 1, length]
      const padBucket = tf.fill(hashed.shape, count, 'int32'); // [batch, heads, numHashes, length]
      hashed = tf.where(tf.broadcastTo(keep, hashed.shape), hashed, padBucket) as tf.Tensor4D;
    }
    const offsets = tf.reshape(
      tf.mul(tf.range(0, numHashes, 1, 'int32'), tf.scalar(bucketsPerRound, 'int32')),
      [1, 1, numHashes, 1],
    ); // [1, 1, numHashes, 1]
    return tf.add(hashed, offsets) as tf.Tensor4D; // int32 [batch, heads, numHashes, length]
  });
  return {buckets, bucketsPerRound};
}

/**
 * Hugging Face's condition for a padding bucket: the mask sums to less than batch · length, i.e.
 * (for a 0/1 mask) it has a zero anywhere. Reads the mask back synchronously.
 */
function maskHasZero(mask: tf.Tensor): boolean {
  const values = mask.dataSync();
  let zero = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0) zero = true;
    else if (v !== 1) {
      throw new Error(`attentionMask: expected only 0 (padding) and 1 (keep), got ${describe(v)} at flat index ${i}`);
    }
  }
  return zero;
}
