/**
 * The public contract of training: what `train()` / `new Trainer()` accept, the events a running
 * trainer emits, and what a finished run returns. The loop itself is in trainer.ts.
 */
import type { TrainNativeConfig } from '../config/types';
import type { ShorthandFlag } from '../config/shorthands';
import type { ConsoleStream, ProgressMode } from '../logging';
import type { SyncEvent, SyncStatus } from './checkpoint-sync';

export type { SyncEvent, SyncStatus };

export interface TrainOptions {
  /** A config already loaded with `loadConfig` (wins over configFile / sets / flags). */
  config?: TrainNativeConfig;
  /** YAML config file; absent (and no `config`): the built-in configs/quickstart.yaml. */
  configFile?: string;
  /** `KEY.PATH=VALUE` overrides, as `--set` gives them. */
  sets?: string[];
  /** Shorthand flags by name (`lr`, `epochs`, `resume-from`, …). */
  flags?: Partial<Record<ShorthandFlag, string | number | boolean>>;
  /** Aborting stops the run before the next step is queued (after those in flight) and leaves a resumable checkpoint. */
  signal?: AbortSignal;
  /**
   * Console output: 'bar' / 'plain' progress, or 'none' (no progress, but messages such as the
   * epoch lines and saved checkpoints). Absent (the library's default): nothing at all — a
   * service has its own logs and listens to the events. The CLI passes LOGGING.PROGRESS.
   */
  progress?: ProgressMode;
  /** Where console output goes (default process.stderr). */
  stream?: ConsoleStream;
  /** Folder relative data paths and OUTPUT_DIR are resolved against (default process.cwd()). */
  cwd?: string;
  /**
   * Steps queued ahead of the one being handled (default 4; 1 = one step at a time). Results do
   * not depend on it; while a 'step' listener is attached the loop uses 1.
   */
  pipelineDepth?: number;
  /**
   * Run directory to use as is (no `-2` suffix for an existing one), e.g. for resuming a known
   * run. Default: EXPERIMENT.OUTPUT_DIR/EXPERIMENT.NAME.
   */
  runDir?: string;
  /**
   * Train even when the size check (size-check.ts) estimates that the model and data need more
   * memory than this machine has (`--force`).
   */
  force?: boolean;
}

/** Why a run ended. */
export type RunStatus = 'completed' | 'early_stopped' | 'non_finite_loss' | 'aborted' | 'already_complete';

export interface TrainResult {
  runDir: string;
  status: RunStatus;
  /** A sentence for people: the early-stop reason, what was non-finite, … (null when completed). */
  reason: string | null;
  /** Optimizer steps done (global step at the end). */
  step: number;
  totalSteps: number;
  /** The newest validation metrics (`val_loss`, `val_accuracy`, …). */
  metrics: Record<string, number>;
  /** The checkpoint `checkpoints/best` names: retention's ranking by the monitored metric (ties: the newer); null when none has it. */
  best: { checkpoint: string; metric: string; value: number } | null;
  /** Complete checkpoints left on disk after retention, oldest first. */
  checkpoints: string[];
  /** Checkpoint the run resumed from (folder name), or null. */
  resumedFrom: string | null;
  /** SCHEDULE.CHECKPOINT.SYNC: where the remote copy stands after the last copy finished (null: no sync). */
  sync: SyncStatus | null;
}

export interface StartEvent {
  runDir: string;
  totalSteps: number;
  stepsPerEpoch: number;
  startStep: number;
  resumedFrom: string | null;
  device: string;
  parameters: number;
}

/** Delivered before the next step is queued while a 'step' listener is attached (so it may abort exactly there). */
export interface StepEvent {
  /** Global step after this optimizer step (1-based count of steps done). */
  step: number;
  epoch: number;
  /** null when the loss was not read back this step (GPU, not a logging step). */
  loss: number | null;
  gradNorm: number | null;
  lrs: Record<string, number>;
  skipped: boolean;
}

export interface ValidationEvent {
  step: number;
  epoch: number;
  /** 'val', 'val_mask_meta', 'val_partial_mask_meta/<A+B>', 'val_exhaustive/<A+B>' */
  split: string;
  /** Metric name (loss, accuracy, …) → value. */
  metrics: Record<string, number>;
}

export interface CheckpointEvent {
  step: number;
  name: string;
  dir: string;
  /** Checkpoints retention deleted after this save. */
  deleted: string[];
  /** The checkpoint checkpoints/best names after this save (null: none has the monitored metric): a service reloads when it changes. */
  best: string | null;
}

export interface EarlyStopEvent {
  step: number;
  code: string;
  reason: string;
}

export interface StageEvent {
  step: number;
  stage: string;
}

export interface TrainerEvents {
  start: StartEvent;
  sync: SyncEvent;
  step: StepEvent;
  validation: ValidationEvent;
  checkpoint: CheckpointEvent;
  earlyStop: EarlyStopEvent;
  stage: StageEvent;
  warning: string;
  end: TrainResult;
}
