export {Adafactor, type AdafactorOptions} from './adafactor.js';
export {ScheduledAdam, type ScheduledAdamOptions} from './scheduled-adam.js';
export {constantSchedule, warmupRsqrtDecay, type LearningRateSchedule, type WarmupRsqrtDecayOptions} from './schedules.js';
export {
  duplicationAccuracy,
  duplicationBatch,
  duplicationSequenceAccuracy,
  duplicationTokens,
  type DuplicationBatch,
  type DuplicationOptions,
} from './duplication.js';
