import {AssertionError} from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';

export interface CheckGradientsOptions {
  /** Finite-difference step (default 5e-3). */
  eps?: number;
  /** Largest accepted relative error over the sampled coordinates of one input (default 1e-2). */
  tol?: number;
  /** Coordinates checked per input; every coordinate when the input is at most this large (default 20). */
  samples?: number;
  /** Seed of the coordinate sampling (default 0). */
  seed?: number;
  /** Indices of the inputs to check (default: every float32 input); the others are held constant. */
  wrt?: number[];
  /**
   * Absolute floor (per sampled coordinate) for the norms in the relative error, so that gradients at the
   * level of float32 finite-difference noise are not judged relatively. Default: estimated from |f(x)| and eps.
   */
  atol?: number;
}

// A small seeded generator (mulberry32): the sampled coordinates are the same on every run and backend.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleIndices(size: number, samples: number, random: () => number): number[] {
  if (size <= samples) return Array.from({length: size}, (_, i) => i);
  const pool = Array.from({length: size}, (_, i) => i);
  for (let i = 0; i < samples; i++) {
    const j = i + Math.floor(random() * (size - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, samples).sort((a, b) => a - b);
}

function scalarValue(f: (...xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): number {
  return tf.tidy(() => {
    const y = f(...xs);
    if (y.size !== 1) throw new Error(`checkGradients: f must return a scalar, got shape [${y.shape.join(', ')}]`);
    return y.dataSync()[0]!;
  });
}

/**
 * Compares tf.grads(f) with central finite differences computed in float32, on `samples` random coordinates
 * of each checked input. Fails with an AssertionError naming the input, its relative error
 * ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, floor) and the worst coordinate.
 *
 * Finite differences in float32 are noisy in proportion to |f|: make f a weighted sum that is O(1)
 * (e.g. `tf.sum(tf.mul(out, randomWeights))` scaled down) rather than a sum of thousands of terms.
 */
export function checkGradients(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  opts: CheckGradientsOptions = {},
): void {
  const eps = opts.eps ?? 5e-3;
  const tol = opts.tol ?? 1e-2;
  const samples = opts.samples ?? 20;
  const random = rng(opts.seed ?? 0);
  const wrt = opts.wrt ?? inputs.map((x, i) => (x.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
  if (!(eps > 0)) throw new Error(`checkGradients: eps must be > 0, got ${eps}`);
  for (const i of wrt) {
    if (!(i >= 0 && i < inputs.length) || inputs[i]!.dtype !== 'float32') {
      throw new Error(`checkGradients: wrt index ${i} must name a float32 input (there are ${inputs.length} inputs)`);
    }
  }
  if (wrt.length === 0) throw new Error('checkGradients: no float32 input to check');

  const analytic = tf.tidy(() => {
    const g = tf.grads((...ws: tf.Tensor[]) => {
      const xs = inputs.slice();
      wrt.forEach((inputIndex, k) => (xs[inputIndex] = ws[k]!));
      return f(...xs);
    });
    return g(wrt.map((i) => inputs[i]!));
  });
  const analyticValues = analytic.map((g) => g.dataSync().slice());
  tf.dispose(analytic);

  const f0 = Math.abs(scalarValue(f, inputs));

  wrt.forEach((inputIndex, k) => {
    const x = inputs[inputIndex]!;
    const base = x.dataSync() as Float32Array;
    const coords = sampleIndices(x.size, samples, random);
    const numeric: number[] = [];
    for (const j of coords) {
      const plus = base.slice();
      const minus = base.slice();
      plus[j] = base[j]! + eps; // rounded to float32 on assignment
      minus[j] = base[j]! - eps;
      const step = plus[j]! - minus[j]!;
      const xs = inputs.slice();
      const value = (data: Float32Array): number => {
        const t = tf.tensor(data, x.shape, 'float32');
        xs[inputIndex] = t;
        try {
          return scalarValue(f, xs);
        } finally {
          t.dispose();
        }
      };
      numeric.push((value(plus) - value(minus)) / step);
    }
    const a = coords.map((j) => analyticValues[k]![j]!);
    let diff = 0;
    let na = 0;
    let nn = 0;
    let worst = 0;
    for (let s = 0; s < coords.length; s++) {
      const d = a[s]! - numeric[s]!;
      diff += d * d;
      na += a[s]! * a[s]!;
      nn += numeric[s]! * numeric[s]!;
      if (Math.abs(d) > Math.abs(a[worst]! - numeric[worst]!)) worst = s;
    }
    // f is computed in float32: each evaluation is off by some ulps of |f|, divided by the step.
    const atol = opts.atol ?? (16 * Math.max(f0, 1e-30) * 2 ** -24) / (2 * eps) / tol;
    const floor = atol * Math.sqrt(coords.length);
    const err = Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nn), floor);
    if (!(err <= tol)) {
      throw new AssertionError({
        message:
          `checkGradients: input ${inputIndex} (shape [${x.shape.join(', ')}]): relative error ` +
          `${err.toExponential(3)} exceeds tol ${tol} over ${coords.length} coordinates; worst at flat index ` +
          `${coords[worst]}: analytic ${a[worst]}, numeric ${numeric[worst]}`,
      });
    }
  });
}
