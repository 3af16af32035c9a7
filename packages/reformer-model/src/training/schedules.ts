/**
 * Learning-rate schedules: pure functions from the step number to a learning rate.
 *
 * Step numbering: `step` is the 1-based number of the update being made, so the first update is step 1.
 * `Adafactor` and `ScheduledAdam` call their schedule with `optimizer.iterations + 1`. This is how trax's
 * training loop (`trax.supervised.training.Loop`) numbers steps: it increments its counter before each
 * update and passes the new value to the schedule. (trax's older `trainer_lib.Trainer` passed the
 * 0-based count instead, so its first update had learning rate 0 under a linear warm-up.)
 */
import {checkNumber, checkObject, fail, rejectUnknownKeys} from './validate.js';

/** A learning rate as a function of the 1-based step number. Must return a finite number >= 0. */
export type LearningRateSchedule = (step: number) => number;

function checkStep(step: unknown): number {
  return checkNumber('step', step, undefined, {min: 0, what: 'a finite number >= 0 (the 1-based update number)'});
}

/** lr(step) = value at every step. */
export function constantSchedule(value: number): LearningRateSchedule {
  checkNumber('value', value, undefined, {min: 0});
  return (step: number) => {
    checkStep(step);
    return value;
  };
}

export interface WarmupRsqrtDecayOptions {
  /** The constant factor (trax's `multifactor.constant`, e.g. 0.03125 ≈ d_model^-0.5 for d_model 1024). */
  constant: number;
  /** Steps of linear warm-up (trax's `multifactor.warmup_steps`); > 0. */
  warmupSteps: number;
}

/**
 * trax's `multifactor` schedule with factors `'constant * linear_warmup * rsqrt_decay'` (the factors of
 * trax's Reformer configs):
 *
 *   lr(step) = constant · min(1, step / warmupSteps) / sqrt(max(step, warmupSteps))
 *
 * It rises linearly from 0 (step 0) to its peak constant / sqrt(warmupSteps) at step = warmupSteps and
 * decays as constant / sqrt(step) after. Steps count from 1 (see the module comment).
 */
export function warmupRsqrtDecay(options: WarmupRsqrtDecayOptions): LearningRateSchedule {
  const opts = checkObject('options', options);
  rejectUnknownKeys('options', opts, ['constant', 'warmupSteps']);
  const constant = checkNumber('options.constant', opts['constant'], undefined, {min: 0});
  const warmupSteps = checkNumber('options.warmupSteps', opts['warmupSteps'], undefined, {min: 0, minOpen: true});
  return (step: number) => {
    checkStep(step);
    return (constant * Math.min(1, step / warmupSteps)) / Math.sqrt(Math.max(step, warmupSteps));
  };
}

/** A learning rate given as a number or a schedule, resolved per step; checks what a schedule returns. */
export function resolveLearningRate(name: string, learningRate: number | LearningRateSchedule, step: number): number {
  if (typeof learningRate === 'number') return learningRate;
  const value = learningRate(step);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${name}(${step})`, 'the schedule to return a finite number >= 0', value);
  }
  return value;
}

/** Checks an option that is a learning rate: a finite number >= 0 or a schedule function. */
export function checkLearningRate(name: string, value: unknown): number | LearningRateSchedule {
  if (typeof value === 'function') return value as LearningRateSchedule;
  return checkNumber(name, value, undefined, {min: 0, what: 'a finite number >= 0 or a schedule (step) => number'});
}
