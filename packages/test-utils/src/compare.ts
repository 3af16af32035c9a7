import {AssertionError} from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';

type Values = tf.Tensor | ArrayLike<number>;

function shapeOf(x: Values): number[] {
  return x instanceof tf.Tensor ? x.shape : [x.length];
}

function valuesOf(x: Values): ArrayLike<number> {
  if (x instanceof tf.Tensor) {
    if (x.dtype === 'string' || x.dtype === 'complex64') throw new Error(`expected a numeric tensor, got dtype ${x.dtype}`);
    return x.dataSync() as ArrayLike<number>;
  }
  return x;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function checkSameLayout(actual: Values, expected: Values, what: string): void {
  const a = shapeOf(actual);
  const b = shapeOf(expected);
  const bothTensors = actual instanceof tf.Tensor && expected instanceof tf.Tensor;
  const same = bothTensors
    ? a.length === b.length && a.every((d, i) => d === b[i])
    : a.reduce((p, d) => p * d, 1) === b.reduce((p, d) => p * d, 1);
  if (!same) {
    throw new AssertionError({
      message: `${what}: actual has shape ${fmt(a)} but expected has shape ${fmt(b)}` +
        (bothTensors ? '' : ' (element counts differ)'),
    });
  }
}

/**
 * ‖actual − expected‖ / ‖expected‖ (Euclidean norms, accumulated in float64); ‖actual‖ when ‖expected‖ is 0.
 * NaN anywhere gives NaN. Two tensors must have the same shape; a tensor and an array, the same size.
 */
export function relativeError(actual: Values, expected: Values): number {
  checkSameLayout(actual, expected, 'relativeError');
  const a = valuesOf(actual);
  const b = valuesOf(expected);
  let diff = 0;
  let ref = 0;
  let own = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    diff += d * d;
    ref += b[i]! * b[i]!;
    own += a[i]! * a[i]!;
  }
  return ref === 0 ? Math.sqrt(own) : Math.sqrt(diff) / Math.sqrt(ref);
}

/** Asserts relativeError(actual, expected) <= tol; the message names the label, the error and tol. */
export function expectRelativeClose(actual: Values, expected: Values, tol: number, label = 'tensor'): void {
  const err = relativeError(actual, expected);
  if (!(err <= tol)) {
    throw new AssertionError({message: `${label}: relative error ${err.toExponential(3)} exceeds tol ${tol}`});
  }
}

/** Asserts the same shape and exactly the same values (NaN equals NaN); reports the first mismatch. */
export function expectTensorEqual(actual: tf.Tensor, expected: Values, label = 'tensor'): void {
  checkSameLayout(actual, expected, label);
  const a = valuesOf(actual);
  const b = valuesOf(expected);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) {
      throw new AssertionError({
        message: `${label}: first mismatch at flat index ${i} (of ${a.length}): actual ${x}, expected ${y}`,
      });
    }
  }
}
