/** Argument checks for the public functions; each error names the argument, the value and what was expected. */
import * as tf from '@tensorflow/tfjs-core';
import type {ReversibleLayer} from './layer.js';

export type StackMode = 'reversible' | 'residual';
export const STACK_MODES: readonly StackMode[] = ['reversible', 'residual'];

function describe(value: unknown): string {
  if (value instanceof tf.Tensor) {
    return `a ${value.dtype} tensor of shape [${value.shape}]`;
  }
  if (Array.isArray(value)) {
    return `an array of length ${value.length}`;
  }
  if (typeof value === 'string') {
    return `'${value}'`;
  }
  if (typeof value === 'function') {
    return 'a function';
  }
  if (value !== null && typeof value === 'object') {
    return 'an object';
  }
  return String(value);
}

/** x1 and x2: float32 tensors of one shape. */
export function checkStreams(x1: unknown, x2: unknown, names: [string, string]): asserts x1 is tf.Tensor {
  for (const [name, x] of [[names[0], x1], [names[1], x2]] as const) {
    if (!(x instanceof tf.Tensor)) {
      throw new Error(`${name}: expected a float32 tf.Tensor, got ${describe(x)}`);
    }
    if (x.isDisposed) {
      throw new Error(`${name}: expected a live tensor, got a disposed one`);
    }
    if (x.dtype !== 'float32') {
      throw new Error(`${name}: expected a float32 tensor, got ${x.dtype}`);
    }
  }
  const [a, b] = [x1 as tf.Tensor, x2 as tf.Tensor];
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`${names[1]}: expected the shape of ${names[0]} [${a.shape}], got [${b.shape}]`);
  }
}

function checkWeights(weights: unknown, name: string): void {
  if (weights === undefined) {
    return;
  }
  if (!Array.isArray(weights)) {
    throw new Error(`${name}: expected an array of tf.Tensor (or undefined), got ${describe(weights)}`);
  }
  const positions = new Map<number, number>();
  weights.forEach((w, j) => {
    if (!(w instanceof tf.Tensor) || w.isDisposed) {
      throw new Error(`${name}[${j}]: expected a live tf.Tensor, got ${w instanceof tf.Tensor ? 'a disposed one' : describe(w)}`);
    }
    // Within one branch each weight gets one gradient slot: a repeat would count its gradient twice.
    const first = positions.get(w.id);
    if (first !== undefined) {
      throw new Error(`${name}[${j}]: expected each tensor once per list, got the tensor of ${name}[${first}] again`);
    }
    positions.set(w.id, j);
  });
}

/** layers: a non-empty array of {f, g, fWeights?, gWeights?, fVjp?, gVjp?}. */
export function checkLayers(layers: unknown): asserts layers is ReversibleLayer[] {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new Error(`layers: expected a non-empty array of ReversibleLayer, got ${describe(layers)}`);
  }
  layers.forEach((layer: unknown, i) => {
    if (layer === null || typeof layer !== 'object') {
      throw new Error(`layers[${i}]: expected an object {f, g, fWeights?, gWeights?}, got ${describe(layer)}`);
    }
    const {f, g, fWeights, gWeights} = layer as Record<string, unknown>;
    for (const [key, fn] of [['f', f], ['g', g]] as const) {
      if (typeof fn !== 'function') {
        throw new Error(`layers[${i}].${key}: expected a function (x, weights, ctx) => tf.Tensor, got ${describe(fn)}`);
      }
    }
    checkWeights(fWeights, `layers[${i}].fWeights`);
    checkWeights(gWeights, `layers[${i}].gWeights`);
    for (const key of ['fVjp', 'gVjp'] as const) {
      const hook = (layer as Record<string, unknown>)[key];
      if (hook !== undefined && typeof hook !== 'function') {
        throw new Error(`layers[${i}].${key}: expected a function (x, weights, ctx, dy) => {value, grads} or nothing, got ${describe(hook)}`);
      }
    }
  });
}

export function checkMode(mode: unknown): asserts mode is StackMode {
  if (!STACK_MODES.includes(mode as StackMode)) {
    throw new Error(`options.mode: expected 'reversible' or 'residual', got ${describe(mode)}`);
  }
}

export function checkSeed(seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`options.seed: expected a safe integer, got ${describe(seed)}`);
  }
}

export function checkOptions(options: unknown, allowed: readonly string[]): void {
  if (options === undefined) {
    return;
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`options: expected an object or undefined, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new Error(`options.${key}: expected one of ${allowed.join(', ')}, got an unknown option`);
    }
  }
}
