export {
  ReformerConfig,
  REFORMER_DEFAULTS,
  SUPPORTED_ACTIVATIONS,
  pythonFloatRepr,
  type AttnLayerType,
  type HiddenAct,
  type NumBuckets,
  type ReformerConfigInit,
  type ReformerConfigJSON,
} from './config.js';
export {
  parameterSpecs,
  initParameters,
  disposeParameters,
  checkpointName,
  nextVariablePrefix,
  BASE_MODEL_PREFIX,
  REFORMER_HEADS,
  type ParameterInit,
  type ParameterSpec,
  type ReformerHead,
  type ReformerParameters,
} from './parameters.js';
export {
  loadCheckpoint,
  saveCheckpoint,
  CheckpointError,
  HEAD_ARCHITECTURES,
  type CheckpointDtype,
  type CheckpointSource,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  type SaveCheckpointOptions,
  type SavedCheckpoint,
} from './checkpoint.js';
export {ReformerModel, ReformerBase, paddingFor} from './model.js';
export {
  ReformerModelWithLMHead,
  ReformerForMaskedLM,
  LM_HEAD_KERNEL,
  LM_HEAD_BIAS,
  lmHeadBiasDefault,
  type LMHeadOutput,
  type LossAndGradients,
} from './heads.js';
export type {AttentionOverride, ForwardOptions, LossOptions, ModelOptions, LMHeadModelOptions} from './options.js';
export {
  Adafactor,
  ScheduledAdam,
  constantSchedule,
  warmupRsqrtDecay,
  duplicationAccuracy,
  duplicationBatch,
  duplicationSequenceAccuracy,
  duplicationTokens,
  type AdafactorOptions,
  type ScheduledAdamOptions,
  type LearningRateSchedule,
  type WarmupRsqrtDecayOptions,
  type DuplicationBatch,
  type DuplicationOptions,
} from './training/index.js';
export {DecodingCache, type DecodingCacheOptions} from './decoding-cache.js';
export {generate, sampleToken, type GenerateOptions} from './generation.js';
