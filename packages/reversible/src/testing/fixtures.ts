/**
 * Test fixtures: small branches and stacks. Not part of the package's surface (excluded from the
 * published files).
 */
import * as tf from '@tensorflow/tfjs-core';
import type {ReversibleContext} from '../context.js';
import type {ReversibleFunction, ReversibleLayer} from '../layer.js';

/** Deterministic pseudo-random numbers in [-scale, scale), drawn in JS so every backend agrees. */
export function seededValues(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export function seededTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, scale), shape, 'float32');
}

/**
 * tanh(x W + b) with dropout on the result: x [..., d] is flattened to [rows, d] for the matmul
 * (broadcast-batch matMul has a broken gradient in tfjs 4.22).
 */
export function denseBranch(dropoutRate: number): ReversibleFunction {
  return (x: tf.Tensor, [w, b]: readonly tf.Tensor[], ctx: ReversibleContext) => {
    const d = x.shape[x.shape.length - 1];
    const rows = tf.reshape(x, [-1, d]); // [rows, d]
    const h = tf.tanh(tf.add(tf.matMul(rows, w), b)); // [rows, d]
    const dropped = dropoutRate > 0 ? tf.dropout(h, dropoutRate, undefined, ctx.seed) : h;
    return tf.reshape(dropped, x.shape); // [..., d]
  };
}

/** Weights for one dense branch: [w [d, d], b [d]], seeded. */
export function denseWeights(d: number, seed: number, asVariables = false): tf.Tensor[] {
  const w = seededTensor([d, d], seed, 0.8);
  const b = seededTensor([d], seed + 1, 0.3);
  if (!asVariables) {
    return [w, b];
  }
  const vars = [tf.variable(w), tf.variable(b)];
  tf.dispose([w, b]);
  return vars;
}

/** A stack of `depth` dense layers with seeded weights. */
export function denseStack(
  depth: number,
  d: number,
  options: {dropout?: number; variables?: boolean; seed?: number} = {},
): ReversibleLayer[] {
  const rate = options.dropout ?? 0;
  const base = options.seed ?? 100;
  return Array.from({length: depth}, (_, i) => ({
    f: denseBranch(rate),
    g: denseBranch(rate),
    fWeights: denseWeights(d, base + 10 * i, options.variables),
    gWeights: denseWeights(d, base + 10 * i + 5, options.variables),
  }));
}

export function allWeights(layers: readonly ReversibleLayer[]): tf.Tensor[] {
  return layers.flatMap((l) => [...(l.fWeights ?? []), ...(l.gWeights ?? [])]);
}

export function disposeLayers(layers: readonly ReversibleLayer[]): void {
  tf.dispose(allWeights(layers));
}

/** A scalar loss that weights every output element differently, so no gradient is trivially uniform. */
export function weightedLoss(y1: tf.Tensor, y2: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = y1.size;
    const c1 = tf.reshape(tf.linspace(-1, 1, n), y1.shape);
    const c2 = tf.reshape(tf.linspace(0.5, -1.5, n), y2.shape);
    return tf.add(tf.sum(tf.mul(y1, c1)), tf.sum(tf.mul(tf.square(y2), c2))) as tf.Scalar;
  });
}

/** tf.customGrad with typed tensor arguments (its own typing takes `Tensor | GradSaveFunc` for each). */
export function customOp<A extends tf.Tensor[]>(
  f: (...args: [...A, tf.GradSaveFunc]) => {value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[]},
): (...args: A) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: A) => tf.Tensor;
}
