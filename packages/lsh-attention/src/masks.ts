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

/** The pairs that are allowed before the self mask, or null when every pair is. Boolean, broadcastable. */
export function allowedPairs(spec: MaskSpec): tf.Tensor | null {
  let allowed: tf.Tensor | null = null;
  const and = (m: tf.Tensor) => {
    allowed = allowed === null ? m : tf.logicalAnd(allowed, m);
  };
  if (spec.causal) and(tf.greaterEqual(spec.queryPositions, spec.keyPositions));
  if (spec.keyValid) and(tf.cast(spec.keyValid, 'bool'));
  if (spec.queryBuckets && spec.keyBuckets) and(tf.equal(spec.queryBuckets, spec.keyBuckets));
  return allowed;
}

/**
 * Masks attention logits with replace semantics, as HF does: disallowed pairs (causal, padding, other bucket)
 * become exactly MASK_VALUE; then, after those, a query's logit for its own position becomes exactly
 * SELF_MASK_VALUE, so a token with no other allowed key attends to itself (its -1e5 beats every -1e9).
 */
export function applyMasks(dots: tf.Tensor, spec: MaskSpec): tf.Tensor {
  return tf.tidy(() => {
    let out = dots;
    const allowed = allowedPairs(spec);
    if (allowed !== null) out = tf.where(allowed, out, tf.scalar(MASK_VALUE));
    if (spec.selfMask) {
      out = tf.where(tf.notEqual(spec.queryPositions, spec.keyPositions), out, tf.scalar(SELF_MASK_VALUE));
    }
    return out;
  });
}
