/**
 * Adafactor (Shazeer & Stern 2018, arXiv 1804.04235), the optimizer the Reformer paper trains with, as a
 * `tf.Optimizer`: use it with `optimizer.minimize(f)` or `optimizer.applyGradients(grads)`.
 *
 * The update for a parameter X with gradient G at step t (t = 1 on the first update) follows the paper's
 * Algorithm 4 (matrices) and 5 (vectors), with its proposed hyperparameters as defaults:
 *
 *   β̂₂ₜ = 1 − t^(−c)                                  c = decayExponent (0.8)
 *   G²ₑ = G ⊙ G + ε₁                                   ε₁ = epsilon1 (1e-30)
 *   rank ≥ 2 and factored (the last two axes are rows × columns; leading axes are independent matrices):
 *     R = β̂₂ₜ R + (1 − β̂₂ₜ) · mean over columns of G²ₑ      [..., rows]
 *     C = β̂₂ₜ C + (1 − β̂₂ₜ) · mean over rows of G²ₑ         [..., cols]
 *     V̂ = (R / mean(R)) ⊗ C                              (the paper's R C / 1ᵀR, with means for sums)
 *   otherwise:
 *     V̂ = V = β̂₂ₜ V + (1 − β̂₂ₜ) G²ₑ
 *   U = G / sqrt(V̂)
 *   Û = U / max(1, RMS(U) / d)                           d = clippingThreshold (1.0); null: no clipping
 *   αₜ = ρₜ · max(ε₂, RMS(X))                            ε₂ = epsilon2 (1e-3), when multiplyByParameterScale
 *   ρₜ = min(1e-2, 1 / sqrt(t))                          the relative step, or learningRate(t) when given
 *   Δ = αₜ Û;  with beta1 > 0:  M = β₁ M + (1 − β₁) Δ,  Δ = M      (first moment of the scaled update)
 *   X = (1 − weightDecayRate) X − Δ
 *
 * How the references differ (our defaults follow the paper and tensor2tensor's `AdafactorOptimizer`):
 * - tensor2tensor: the same update and defaults, but factors only rank-2 parameters and has no weight
 *   decay. Its default step is min(1e-2, 1/sqrt(step + 1)) with a 0-based global step (our t), times 0.05
 *   when not multiplying by the parameter scale (we do the same).
 * - trax (`trax.optimizers.Adafactor`, used by the Reformer configs): the same update, factored over the
 *   last two axes for every rank ≥ 2, but ρ always comes from the learning-rate schedule (typically
 *   `warmupRsqrtDecay`, see schedules.ts), and weight_decay_rate defaults to 1e-5 (here 0). trax computes
 *   t = step + 1 from the step its trainer passes: the old `trainer_lib` passes 0 first (t = 1, as here),
 *   the newer `training.Loop` passes 1 first (t = 2, so its first β̂₂ is 1 − 2^−0.8 rather than 0).
 * - Neither factors only large dimensions (optax's and Mesh TensorFlow's `min_dim_size_to_factor`): a
 *   [1, n] matrix is factored too, as in trax.
 *
 * Everything runs in tfjs ops (float32); no value is read back, so it works on any backend without a sync.
 * Slots are kept per variable name: the order or subset of gradients may change from call to call.
 */
import * as tf from '@tensorflow/tfjs-core';

import {gradientEntries, iterationsEntry, SlotStore, slotEntryName, splitIterations, type NamedTensor} from './optimizer-state.js';
import {checkLearningRate, resolveLearningRate, type LearningRateSchedule} from './schedules.js';
import {checkBoolean, checkNumber, checkObject, rejectUnknownKeys} from './validate.js';

export interface AdafactorOptions {
  /**
   * ρₜ, a number or a schedule of the 1-based step t. Omitted: the relative step min(1e-2, 1/sqrt(t))
   * (times 0.05 when multiplyByParameterScale is false, as tensor2tensor does).
   */
  learningRate?: number | LearningRateSchedule;
  /** Scale the step by max(epsilon2, RMS(X)) (the paper's relative step size). Default true. */
  multiplyByParameterScale?: boolean;
  /** Factored second moments for parameters of rank ≥ 2. Default true. */
  factored?: boolean;
  /** First-moment decay; 0 keeps no first moment (and no slot for it). Default 0. */
  beta1?: number;
  /** c in β̂₂ₜ = 1 − t^(−c), in (0, 1]. Default 0.8. */
  decayExponent?: number;
  /** Added to the squared gradient. Default 1e-30. */
  epsilon1?: number;
  /** Floor of the parameter scale. Default 1e-3. */
  epsilon2?: number;
  /** d: the update's RMS is clipped to d. null turns clipping off. Default 1.0. */
  clippingThreshold?: number | null;
  /** X ← (1 − rate) X − Δ, as trax does (independent of the learning rate). Default 0. */
  weightDecayRate?: number;
}

const OPTION_NAMES = [
  'learningRate',
  'multiplyByParameterScale',
  'factored',
  'beta1',
  'decayExponent',
  'epsilon1',
  'epsilon2',
  'clippingThreshold',
  'weightDecayRate',
] as const;

/** Slot names: vr and vc (factored row and column second moments), v (unfactored), m (first moment). */
const SLOT_NAMES = ['vr', 'vc', 'v', 'm'] as const;

export class Adafactor extends tf.Optimizer {
  /** @nocollapse */
  static get className(): string {
    return 'Adafactor';
  }

  readonly learningRate: number | LearningRateSchedule | null;
  readonly multiplyByParameterScale: boolean;
  readonly factored: boolean;
  readonly beta1: number;
  readonly decayExponent: number;
  readonly epsilon1: number;
  readonly epsilon2: number;
  readonly clippingThreshold: number | null;
  readonly weightDecayRate: number;

  private readonly slots = new SlotStore('Adafactor', SLOT_NAMES);

  constructor(options: AdafactorOptions = {}) {
    super();
    const opts = checkObject('options', options);
    rejectUnknownKeys('options', opts, OPTION_NAMES);
    if (opts['learningRate'] === 'schedule') {
      throw new Error('options.learningRate: a schedule cannot be restored from getConfig(): pass the schedule function again');
    }
    this.learningRate = opts['learningRate'] === undefined || opts['learningRate'] === null ? null : checkLearningRate('options.learningRate', opts['learningRate']);
    this.multiplyByParameterScale = checkBoolean('options.multiplyByParameterScale', opts['multiplyByParameterScale'], true);
    this.factored = checkBoolean('options.factored', opts['factored'], true);
    this.beta1 = checkNumber('options.beta1', opts['beta1'], 0, {min: 0, max: 1, maxOpen: true});
    this.decayExponent = checkNumber('options.decayExponent', opts['decayExponent'], 0.8, {min: 0, max: 1, minOpen: true});
    this.epsilon1 = checkNumber('options.epsilon1', opts['epsilon1'], 1e-30, {min: 0});
    this.epsilon2 = checkNumber('options.epsilon2', opts['epsilon2'], 1e-3, {min: 0});
    const clip = opts['clippingThreshold'];
    this.clippingThreshold = clip === null ? null : checkNumber('options.clippingThreshold', clip, 1, {min: 0, minOpen: true, what: 'a finite number > 0 or null (no clipping)'});
    this.weightDecayRate = checkNumber('options.weightDecayRate', opts['weightDecayRate'], 0, {min: 0, max: 1, maxOpen: true});
  }

  /** β̂₂ₜ for the 1-based step t. */
  decayRate(t: number): number {
    return 1 - Math.pow(t, -this.decayExponent);
  }

  /** ρₜ for the 1-based step t: the learning rate or schedule, or the relative step. */
  stepSize(t: number): number {
    if (this.learningRate !== null) return resolveLearningRate('options.learningRate', this.learningRate, t);
    const relative = Math.min(1e-2, 1 / Math.sqrt(t));
    return this.multiplyByParameterScale ? relative : 0.05 * relative;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = gradientEntries('Adafactor.applyGradients', variableGradients);
    const t = this.iterations + 1;
    const decay = this.decayRate(t);
    const rho = this.stepSize(t);
    // Slots first, so a restored slot of the wrong shape throws before any variable changes.
    const withSlots = entries.map((entry) => ({...entry, slots: this.slotsFor(entry.name, entry.variable.shape)}));
    tf.tidy(() => {
      for (const {variable, gradient, slots} of withSlots) this.update(variable, gradient, slots, decay, rho);
    });
    this.incrementIterations();
  }

  private usesFactored(shape: readonly number[]): boolean {
    return this.factored && shape.length >= 2;
  }

  private slotsFor(name: string, shape: readonly number[]): Slots {
    const slots: Slots = {};
    const kept: string[] = [];
    if (this.usesFactored(shape)) {
      slots.vr = this.slots.get(name, 'vr', shape.slice(0, -1), shape); // [..., rows]
      slots.vc = this.slots.get(name, 'vc', [...shape.slice(0, -2), shape[shape.length - 1]!], shape); // [..., cols]
      kept.push('vr', 'vc');
    } else {
      slots.v = this.slots.get(name, 'v', shape, shape);
      kept.push('v');
    }
    if (this.beta1 > 0) {
      slots.m = this.slots.get(name, 'm', shape, shape);
      kept.push('m');
    }
    this.slots.retainOnly(name, kept);
    return slots;
  }

  private update(x: tf.Variable, g: tf.Tensor, slots: Slots, decay: number, rho: number): void {
    const mixing = 1 - decay;
    const gSquared = tf.add(tf.square(g), this.epsilon1);
    let u: tf.Tensor;
    if (slots.vr !== undefined && slots.vc !== undefined) {
      const vr = tf.add(tf.mul(slots.vr, decay), tf.mul(tf.mean(gSquared, -1), mixing)); // [..., rows]
      const vc = tf.add(tf.mul(slots.vc, decay), tf.mul(tf.mean(gSquared, -2), mixing)); // [..., cols]
      slots.vr.assign(vr);
      slots.vc.assign(vc);
      const rowFactor = tf.rsqrt(tf.div(vr, tf.mean(vr, -1, true))); // [..., rows]
      const colFactor = tf.rsqrt(vc); // [..., cols]
      u = tf.mul(tf.mul(g, tf.expandDims(rowFactor, -1)), tf.expandDims(colFactor, -2)); // [..., rows, cols]
    } else {
      const v = tf.add(tf.mul(slots.v!, decay), tf.mul(gSquared, mixing));
      slots.v!.assign(v);
      u = tf.mul(g, tf.rsqrt(v));
    }
    if (this.clippingThreshold !== null) {
      u = tf.div(u, tf.maximum(1, tf.div(rms(u), this.clippingThreshold)));
    }
    const scale = this.multiplyByParameterScale ? tf.mul(tf.maximum(rms(x), this.epsilon2), rho) : tf.scalar(rho);
    let delta = tf.mul(u, scale);
    if (slots.m !== undefined) {
      const m = tf.add(tf.mul(slots.m, this.beta1), tf.mul(delta, 1 - this.beta1));
      slots.m.assign(m);
      delta = m;
    }
    const decayed = this.weightDecayRate > 0 ? tf.mul(x, 1 - this.weightDecayRate) : x;
    x.assign(tf.sub(decayed, delta));
  }

  /**
   * The optimizer state for a checkpoint: first the iteration count (int32 scalar "iter"), then per
   * variable, in the order first seen, its slots "<name>/vr", "<name>/vc" (factored) or "<name>/v", and
   * "<name>/m" (beta1 > 0). The tensors are copies owned by the caller: dispose them when written.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const slotEntries = this.slots.entries().map(({variableName, slotName, variable}) => ({
      name: slotEntryName(variableName, slotName),
      tensor: tf.clone(variable),
    }));
    return [iterationsEntry(this.iterations), ...slotEntries];
  }

  /**
   * Restores a getWeights() list (in any slot order), replacing all state; the next update continues
   * exactly where the saved run left off. The tensors are not taken over: the caller may dispose them.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const {iterations, slots} = await splitIterations('Adafactor.setWeights', weightValues);
    this.slots.load(slots);
    this.iterations_ = iterations;
  }

  /** Disposes the slots. The optimizer starts afresh (at its current iteration count) if used again. */
  override dispose(): void {
    this.slots.dispose();
    super.dispose();
  }

  /** The options, for tfjs serialization. A learning-rate schedule is written as "schedule" and must be passed again. */
  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      multiplyByParameterScale: this.multiplyByParameterScale,
      factored: this.factored,
      beta1: this.beta1,
      decayExponent: this.decayExponent,
      epsilon1: this.epsilon1,
      epsilon2: this.epsilon2,
      clippingThreshold: this.clippingThreshold,
      weightDecayRate: this.weightDecayRate,
    };
    if (typeof this.learningRate === 'number') config['learningRate'] = this.learningRate;
    else if (this.learningRate !== null) config['learningRate'] = 'schedule';
    return config;
  }
}

interface Slots {
  vr?: tf.Variable;
  vc?: tf.Variable;
  v?: tf.Variable;
  m?: tf.Variable;
}

/** sqrt(mean(x²)) over all entries, as a scalar. */
function rms(x: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.mean(tf.square(x))) as tf.Scalar;
}
