/**
 * Public API of lib/checkpoint: the run directory layout, atomic writes, the checkpoint store
 * (save / list / retention / latest / best), verification, loading, resume discovery, and the
 * safetensors codec.
 */
export { writeFileAtomic, writeFileSynced, fsyncDir, readSmallFile } from './atomic';
export { runDirLayout, prepareRunDir, CHECKPOINTS_DIR } from './run-dir';
export type { RunDirLayout } from './run-dir';
export {
  CheckpointStore,
  CheckpointError,
  verifyCheckpoint,
  loadCheckpoint,
  findResumeCheckpoint,
  resolveResumePath,
  selectRetained,
  bestCheckpoint,
} from './store';
export type {
  SaveCheckpointInput,
  SaveResult,
  RetentionPolicy,
  CheckpointInfo,
  CheckpointMetric,
  VerifyResult,
  LoadedCheckpoint,
  ResumeDiscovery,
  SkippedCheckpoint,
} from './store';
export { checkpointDirName, LATEST_FILE, BEST_FILE } from './names';
export { checkModelContent, checkOptimizerContent, checkRngContent, OPTIMIZER_STEP_ENTRY } from './content';
export type { TensorSpec, CheckedTensor, OptimizerSpec } from './content';
export { acquireRunLock, RunLockedError, LOCK_FILE } from './lock';
export type { RunLock, LockHolder } from './lock';
export { listCheckpoints, scanCheckpointsDir } from './scan';
export { resolveModelSource, loadCheckpointWeights, readMarkerFile, ModelSourceError } from './source';
export type { ModelSource, CheckpointChoice, CheckpointWeights } from './source';
export { MANIFEST_FILE, MODEL_FILE, OPTIMIZER_FILE, TRAINER_STATE_FILE, MANIFEST_VERSION } from './manifest';
export {
  encodeSafetensors,
  decodeSafetensors,
  writeSafetensorsFile,
  readSafetensorsFile,
  SafetensorsError,
  MAX_HEADER_SIZE,
} from './safetensors';
export type { SafetensorsTensor, SafetensorsFile } from './safetensors';
