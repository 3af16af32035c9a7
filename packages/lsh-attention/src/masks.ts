import * as tf from '@tensorflow/tfjs-core';

/** Logit that replaces a disallowed query-key pair (HF `mask_value_float32`). */
export const MASK_VALUE = -1e9;
/** Logit that replaces a token's attention to itself in shared-QK attention (HF `self_mask_value_float32`). */
export const SELF_MASK_VALUE = -1e5;

/**
 * What a query may attend to. Every tensor holds one entry per query (or key) slot and broadcasts against
 * the dots it masks: queries along the second-to-last axis, keys along the last.
 */
export interface MaskSpec {
  /** Position in the sequence of each query slot, int32, shape [..., queries, 1]. */
  queryPositions: tf.Tensor;
  /** Position in the sequence of each key slot, int32, shape [..., 1, keys]. */
  keyPositions: tf.Tensor;
  /** Forbid keys after the query. */
  causal: boolean;
  /** Whether each key slot is a real token (1/true) or padding (0/false), shape [..., 1, keys]. */
  keyValid?: tf.Tensor;
  /** Bucket of each query slot and of each key slot; keys in another bucket are masked when given. */
  queryBuckets?: tf.Tensor;
  keyBuckets?: tf.Tensor;
  /** Shared-QK self mask: a token attends to itself only when nothing else is allowed. */
  selfMask: boolean;
}

// Why float arithmetic: the wasm backend runs comparisons and logical ops whose operands broadcast (and int32
// arithmetic that broadcasts) through a generic path about twenty times slower than float32 arithmetic that
// broadcasts, and where() broadcasts a scalar with a rank-5 Tile that is as slow. Positions and bucket ids are
// integers far below 2^24, so their float32 differences are exact and every test below is the integer one.

const asFloat = (t: tf.Tensor): tf.Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

/** `t` broadcast to `shape` by float32 arithmetic (exact: adds zeros). */
function broadcastFloat(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.util.arraysEqual(t.shape, shape as number[]) ? t : tf.add(t, tf.zeros(shape as number[]));
}

/**
 * The pairs that are allowed before the self mask as float32 1/0 (broadcastable against the dots), or null when
 * every pair is.
 */
function allowedPairsFloat(spec: MaskSpec): tf.Tensor | null {
  let allowed: tf.Tensor | null = null;
  const and = (m: tf.Tensor) => {
    allowed = allowed === null ? m : tf.mul(allowed, m);
  };
  if (spec.causal) {
    const distance = tf.sub(asFloat(spec.queryPositions), asFloat(spec.keyPositions)); // [..., queries, keys]
    and(tf.cast(tf.greaterEqual(distance, tf.scalar(0)), 'float32'));
  }
  if (spec.keyValid) and(asFloat(tf.cast(spec.keyValid, 'bool')));
  if (spec.queryBuckets && spec.keyBuckets) {
    const difference = tf.sub(asFloat(spec.queryBuckets), asFloat(spec.keyBuckets)); // [..., queries, keys]
    and(tf.cast(tf.equal(difference, tf.scalar(0)), 'float32'));
  }
  return allowed;
}

/** The pairs that are allowed before the self mask, or null when every pair is. Boolean, broadcastable. */
export function allowedPairs(spec: MaskSpec): tf.Tensor | null {
  if (!spec.causal && !spec.keyValid && !(spec.queryBuckets && spec.keyBuckets)) return null;
  return tf.tidy(() => tf.greater(allowedPairsFloat(spec)!, tf.scalar(0)));
}

/**
 * Masks attention logits with replace semantics, as HF does: disallowed pairs (causal, padding, other bucket)
 * become exactly MASK_VALUE; then, after those, a query's logit for its own position becomes exactly
 * SELF_MASK_VALUE, so a token with no other allowed key attends to itself (its -1e5 beats every -1e9).
 */
export function applyMasks(dots: tf.Tensor, spec: MaskSpec): tf.Tensor {
  return tf.tidy(() => {
    // where() runs on rank 3 (the webgpu backend has no Select above rank 4): [..., queries, keys] -> [n, queries, keys].
    const shape = dots.shape;
    const flat = (t: tf.Tensor) => (shape.length <= 3 ? t : tf.reshape(t, [-1, ...shape.slice(-2)])); // [n, queries, keys]
    let out = flat(dots);
    const allowed = allowedPairsFloat(spec);
    if (allowed !== null) {
      const keep = tf.greater(flat(broadcastFloat(allowed, shape)), tf.scalar(0)); // [n, queries, keys]
      out = tf.where(keep, out, tf.fill(out.shape, MASK_VALUE));
    }
    if (spec.selfMask) {
      const distance = tf.sub(asFloat(spec.queryPositions), asFloat(spec.keyPositions)); // [..., queries, keys]
      const other = tf.notEqual(flat(broadcastFloat(distance, shape)), tf.scalar(0)); // [n, queries, keys]
      out = tf.where(other, out, tf.fill(out.shape, SELF_MASK_VALUE));
    }
    return out === dots ? dots : tf.reshape(out, shape); // dots' shape
  });
}
