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
  type LMHeadOutput,
  type LossAndGradients,
} from './heads.js';
export type {ForwardOptions, LossOptions, ModelOptions, LMHeadModelOptions} from './options.js';
