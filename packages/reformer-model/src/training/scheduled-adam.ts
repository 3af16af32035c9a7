/**
 * Adam whose learning rate follows a schedule of the step (trax's Reformer configs train with Adam and
 * `warmupRsqrtDecay`). The update is tfjs's `tf.train.adam`, op for op, so with the same learning rate
 * per step the two give the same numbers:
 *
 *   t = iterations + 1;  lr = learningRate(t)
 *   m = β₁ m + (1 − β₁) g;   v = β₂ v + (1 − β₂) g²
 *   x = x − lr · (m / (1 − β₁ᵗ)) / (sqrt(v / (1 − β₂ᵗ)) + ε)
 *
 * β₁ᵗ and β₂ᵗ are formed as tfjs forms them, by repeated float32 multiplication. tfjs's own Adam keeps
 * them in float32 variables and recomputes them with `pow` in `setWeights`, so a resumed tfjs Adam drifts
 * from an uninterrupted one by a few ulps; here they are a function of t alone, so a resumed run repeats
 * the uninterrupted one exactly. Other differences from `tf.AdamOptimizer`: slots are keyed by variable
 * name rather than by position in the gradient list (which may change between calls), `getWeights`
 * returns copies, and `setWeights` frees the state it replaces. The getWeights() layout is tfjs's:
 * "iter", then every "<name>/m", then every "<name>/v", so a state saved by `tf.train.adam` loads here.
 */
import * as tf from '@tensorflow/tfjs-core';

import {gradientEntries, iterationsEntry, SlotStore, slotEntryName, splitIterations, type NamedTensor} from './optimizer-state.js';
import {checkLearningRate, resolveLearningRate, type LearningRateSchedule} from './schedules.js';
import {checkNumber, checkObject, rejectUnknownKeys} from './validate.js';

export interface ScheduledAdamOptions {
  /** A number or a schedule of the 1-based step t (see schedules.ts). */
  learningRate: number | LearningRateSchedule;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (tfjs's default on the cpu and wasm backends; fixed here so every backend agrees). */
  epsilon?: number;
}

const OPTION_NAMES = ['learningRate', 'beta1', 'beta2', 'epsilon'] as const;
const SLOT_NAMES = ['m', 'v'] as const;

export class ScheduledAdam extends tf.Optimizer {
  /** @nocollapse */
  static get className(): string {
    return 'ScheduledAdam';
  }

  readonly learningRate: number | LearningRateSchedule;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** The learning rate of the last update (NaN before the first), for logging. */
  lastLearningRate = NaN;

  private readonly slots = new SlotStore('ScheduledAdam', SLOT_NAMES);
  /** β₁ᵗ and β₂ᵗ for the next update, in float32 as tfjs's Adam computes them. */
  private accBeta1 = 0;
  private accBeta2 = 0;

  constructor(options: ScheduledAdamOptions) {
    super();
    const opts = checkObject('options', options);
    rejectUnknownKeys('options', opts, OPTION_NAMES);
    if (opts['learningRate'] === 'schedule') {
      throw new Error('options.learningRate: a schedule cannot be restored from getConfig(): pass the schedule function again');
    }
    this.learningRate = checkLearningRate('options.learningRate', opts['learningRate']);
    this.beta1 = checkNumber('options.beta1', opts['beta1'], 0.9, {min: 0, max: 1, maxOpen: true});
    this.beta2 = checkNumber('options.beta2', opts['beta2'], 0.999, {min: 0, max: 1, maxOpen: true});
    this.epsilon = checkNumber('options.epsilon', opts['epsilon'], 1e-7, {min: 0});
    this.resetBiasCorrection(0);
  }

  /** β^t for the next update after `iterations` updates, by repeated float32 products as tfjs forms it. */
  private resetBiasCorrection(iterations: number): void {
    const b1 = Math.fround(this.beta1);
    const b2 = Math.fround(this.beta2);
    let acc1 = b1;
    let acc2 = b2;
    for (let i = 0; i < iterations; i++) {
      acc1 = Math.fround(acc1 * b1);
      acc2 = Math.fround(acc2 * b2);
    }
    this.accBeta1 = acc1;
    this.accBeta2 = acc2;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = gradientEntries('ScheduledAdam.applyGradients', variableGradients);
    const t = this.iterations + 1;
    const lr = resolveLearningRate('options.learningRate', this.learningRate, t);
    const withSlots = entries.map((entry) => ({
      ...entry,
      m: this.slots.get(entry.name, 'm', entry.variable.shape, entry.variable.shape),
      v: this.slots.get(entry.name, 'v', entry.variable.shape, entry.variable.shape),
    }));
    // 1 − βᵗ as a float32 subtraction, like tfjs's `sub(1, accBeta)`.
    const oneMinusAccBeta1 = Math.fround(1 - this.accBeta1);
    const oneMinusAccBeta2 = Math.fround(1 - this.accBeta2);
    tf.tidy(() => {
      for (const {variable, gradient, m, v} of withSlots) {
        const newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        variable.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -lr), variable));
      }
    });
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
    this.lastLearningRate = lr;
    this.incrementIterations();
  }

  /**
   * "iter" (int32 scalar), then "<name>/m" for every variable, then "<name>/v" (tfjs's Adam layout).
   * The tensors are copies owned by the caller: dispose them when written.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const entries = this.slots.entries();
    const ordered = SLOT_NAMES.flatMap((slot) => entries.filter((e) => e.slotName === slot));
    return [
      iterationsEntry(this.iterations),
      ...ordered.map(({variableName, slotName, variable}) => ({name: slotEntryName(variableName, slotName), tensor: tf.clone(variable)})),
    ];
  }

  /** Restores a getWeights() list (ours or tf.train.adam's), replacing all state. The caller keeps its tensors. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const {iterations, slots} = await splitIterations('ScheduledAdam.setWeights', weightValues);
    this.slots.load(slots);
    this.iterations_ = iterations;
    this.resetBiasCorrection(iterations);
  }

  override dispose(): void {
    this.slots.dispose();
    super.dispose();
  }

  /** The options, for tfjs serialization. A learning-rate schedule is written as "schedule" and must be passed again. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: typeof this.learningRate === 'number' ? this.learningRate : 'schedule',
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }
}
