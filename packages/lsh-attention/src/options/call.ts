import * as tf from '@tensorflow/tfjs-core';
import {checkBoolean, checkObject, checkSeed, checkShape, fail} from './validate.js';

/** Per-call inputs every attention accepts. */
export interface AttentionCall {
  /** 1 (or true) for real tokens, 0 for padding, [batch, length]; int32, float32 or bool. Default: all real. */
  attentionMask?: tf.Tensor;
  /** Apply attention-probability dropout (when the options' `dropout` > 0). Default false. */
  training?: boolean;
  /** Seed of the dropout mask; required when `training` and `dropout` > 0, so a recompute drops the same entries. */
  dropoutSeed?: number;
}

/** Per-call inputs of LSH attention. */
export interface LSHAttentionCall extends AttentionCall {
  /**
   * Random rotations to hash with, [numHeads, headSize, numHashes, rotationSize / 2] (lsh-hash's
   * `randomRotations`, or HF's draw). Ignored when `buckets` is given.
   */
  rotations?: tf.Tensor4D;
  /** Seed the rotations are drawn from when neither `rotations` nor `buckets` is given. */
  seed?: number;
  /**
   * Buckets to use instead of hashing, int32 [batch, numHeads, numHashes, length] with round offsets: those a
   * previous call returned, so a recompute attends exactly as the forward did.
   */
  buckets?: tf.Tensor4D;
  /** Also return the buckets used (the caller disposes them). Default false. */
  returnBuckets?: boolean;
  /**
   * Whether `attentionMask` has a zero anywhere, which gives every round HF's extra padding bucket. When omitted
   * while hashing with a mask, lsh-hash reads the mask back synchronously: pass it on GPU backends (WebGPU in Node
   * cannot read synchronously at all).
   */
  hasPadding?: boolean;
}

const ATTENTION_CALL_KEYS = ['attentionMask', 'training', 'dropoutSeed'];
export const LSH_CALL_KEYS = [...ATTENTION_CALL_KEYS, 'rotations', 'seed', 'buckets', 'returnBuckets', 'hasPadding'];

export function checkCallKeys(call: unknown, keys: readonly string[] = ATTENTION_CALL_KEYS, name = 'call'): Record<string, unknown> {
  const c = checkObject(name, call);
  for (const key of Object.keys(c)) {
    if (!keys.includes(key)) {
      throw new Error(`${name}.${key}: expected one of ${keys.join(', ')}, got unknown option "${key}"`);
    }
  }
  return c;
}

/** The attention mask as int32 0/1 [batch, length], or undefined when none was given. */
export function normaliseMask(mask: unknown, batch: number, length: number, name = 'call.attentionMask'): tf.Tensor2D | undefined {
  if (mask === undefined) return undefined;
  const t = checkShape(name, mask, [batch, length], ['batch', 'length'], ['int32', 'float32', 'bool']);
  return tf.tidy(() => tf.cast(tf.notEqual(t, tf.scalar(0, t.dtype)), 'int32')) as tf.Tensor2D;
}

/** The dropout to apply in this call, or undefined. */
export function resolveDropout(rate: number, call: AttentionCall, name = 'call'): {rate: number; seed: number} | undefined {
  const training = call.training === undefined ? false : checkBoolean(`${name}.training`, call.training);
  if (!training || rate === 0) return undefined;
  if (call.dropoutSeed === undefined) {
    fail(`${name}.dropoutSeed`, 'an integer seed when training with dropout > 0', undefined);
  }
  return {rate, seed: checkSeed(`${name}.dropoutSeed`, call.dropoutSeed)};
}
