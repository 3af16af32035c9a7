// Argument checks of the model's public methods. Every error names the argument, the value received and
// what was expected (CONTRIBUTING.md).
import * as tf from '@tensorflow/tfjs-core';

/** How a value reads in an error message. */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) return 'a disposed tensor';
    return `${/^[aeiou]/.test(value.dtype) ? 'an' : 'a'} ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** Throws `name: expected <expected>, got <value>`. */
export function fail(name: string, expected: string, value: unknown): never {
  throw new Error(`${name}: expected ${expected}, got ${describe(value)}`);
}

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function checkTensor(name: string, value: unknown, expected: string): tf.Tensor {
  if (!(value instanceof tf.Tensor) || value.isDisposed) fail(name, expected, value);
  return value;
}

export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'true or false', value);
  return value;
}

export function checkSeed(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(name, 'a non-negative safe integer', value);
  }
  return value;
}

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(name, 'an object', value);
  return value as Record<string, unknown>;
}

/** Rejects keys of `value` that are not in `known`, naming the first unknown one. */
export function rejectUnknownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new Error(`${name}.${key}: expected one of the options ${known.join(', ')}, got unknown option "${key}"`);
    }
  }
}

/**
 * inputIds: an int32 [batch, length] tensor, length >= 1. With `vocabSize`, also reads the ids back
 * (synchronously) and checks each is in [0, vocabSize).
 */
export function checkInputIds(value: unknown, vocabSize: number | undefined): tf.Tensor2D {
  const ids = checkTensor('inputIds', value, 'an int32 tf.Tensor of shape [batch, length]');
  if (ids.rank !== 2) fail('inputIds', 'an int32 tensor of shape [batch, length] (rank 2)', ids);
  if (ids.dtype !== 'int32') {
    throw new Error(`inputIds: expected dtype int32 (token ids), got ${ids.dtype} (cast with tf.cast(ids, 'int32'))`);
  }
  const [batch, length] = ids.shape;
  if (batch < 1 || length < 1) fail('inputIds', 'at least one sequence of at least one token', ids);
  if (vocabSize !== undefined) {
    const values = ids.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v < vocabSize)) {
        const at = `[${Math.floor(i / length)}, ${i % length}]`;
        throw new Error(`inputIds: expected token ids in [0, ${vocabSize}) (vocab_size), got ${v} at ${at}`);
      }
    }
  }
  return ids as tf.Tensor2D;
}

/** attentionMask: [batch, length] like inputIds, int32, float32 or bool (1 = token, 0 = padding). */
export function checkAttentionMask(value: unknown, ids: tf.Tensor2D): tf.Tensor2D | undefined {
  if (value === undefined) return undefined;
  const expected = `an int32, float32 or bool tensor of shape ${formatShape(ids.shape)} (the shape of inputIds)`;
  const mask = checkTensor('attentionMask', value, expected);
  if (!['int32', 'float32', 'bool'].includes(mask.dtype)) fail('attentionMask', expected, mask);
  if (!tf.util.arraysEqual(mask.shape, ids.shape)) {
    throw new Error(
      `attentionMask: expected shape ${formatShape(ids.shape)} to match inputIds ([batch, length]), got ${formatShape(mask.shape)}`,
    );
  }
  return mask as tf.Tensor2D;
}

/** labels: int32 [batch, length] like inputIds; the values are checked by the loss. */
export function checkLabels(value: unknown, ids: tf.Tensor2D): tf.Tensor2D {
  const expected = `an int32 tensor of shape ${formatShape(ids.shape)} (the shape of inputIds)`;
  const labels = checkTensor('labels', value, expected);
  if (labels.dtype !== 'int32') throw new Error(`labels: expected dtype int32 (token ids or -100), got ${labels.dtype}`);
  if (!tf.util.arraysEqual(labels.shape, ids.shape)) {
    throw new Error(`labels: expected shape ${formatShape(ids.shape)} to match inputIds ([batch, length]), got ${formatShape(labels.shape)}`);
  }
  return labels as tf.Tensor2D;
}
