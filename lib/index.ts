/**
 * Public library entry point of train-native: training (`train`, `Trainer`), configuration, the
 * schedule engine, the native session, checkpoints and the file formats it writes. Nothing here
 * loads the native addon at import time: the `.node` file is loaded on the first
 * `createSession()` / `buildInfo()` call, so the TypeScript half works on machines without LibTorch.
 */
export * from './config/types';
export { ConfigError } from './config/errors';
export {
  loadConfig,
  parseConfigText,
  resolvedConfigToYaml,
  validateConfig,
  effectiveScheduler,
  configJsonSchema,
  SHORTHAND_FLAGS,
  DEFAULT_CONFIG_FILE,
  distEnvSets,
} from './config';
export type { ShorthandFlag, ShorthandSpec } from './config';

export {
  Schedule,
  buildSchedule,
  EVENT,
  buildScheduleJson,
  scheduleToJson,
  resolvedValues,
  generateCheckpointPlan,
  checkpointPlanFromConfig,
  PlateauScheduler,
  EarlyStopping,
  inferMode,
} from './schedule';
export type {
  ScheduleJson,
  ResolvedValue,
  EventFlag,
  ScheduleOptions,
  PlateauState,
  EarlyStopCode,
  EarlyStopObservation,
  EarlyStopState,
  MetricMode,
} from './schedule';

export { renderScheduleSummary, renderSummaryOfSchedule, renderScheduleSvg } from './render';

export {
  createSession,
  buildInfo,
  isNativeAvailable,
  nativeLoadError,
  NativeLoadError,
  NativeOptionError,
} from './native';
export type * from './native/types';

export {
  encodeSafetensors,
  decodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  SafetensorsError,
} from './checkpoint/safetensors';
export type { SafetensorsFile, SafetensorsTensor } from './checkpoint/safetensors';

export * from './train';

export { loadCheckpoint, findResumeCheckpoint, verifyCheckpoint, CheckpointError } from './checkpoint';
export type { LoadedCheckpoint, CheckpointInfo } from './checkpoint';
export { readEventFile, readMetricsLog, TensorBoardWriter } from './logging';
export type { MetricsRecord, ParsedEvent, ProgressMode } from './logging';
export { loadData, DataError } from './data';
export type { Dataset, DataBatch } from './data';

export { loadModel, Model, InputError, readModelCard, ModelCardError } from './inference';
export type {
  LoadModelOptions,
  PredictOptions,
  Prediction,
  ClassPrediction,
  RegressionPrediction,
  EvaluateOptions,
  Evaluation,
  ModelInfo,
  GenerateOptions,
  GeneratedToken,
  ArrayInput,
  ModelCard,
} from './inference';
