/**
 * The validated, defaulted configuration: what `loadConfig` returns and what every later stage
 * (schedule engine, CLI, trainer) consumes. Keys keep the YAML's upper-case names so that an
 * error, a `--set KEY.PATH=VALUE` override and the JSON Schema all speak the same language.
 *
 * "One of three" parameters (`*_STEPS | *_FRACTION | *_EPOCHS`) stay as given: the validator
 * guarantees at most one is set; the schedule engine resolves them to steps (SPEC §2).
 * A field that is optional here has no default; everything else has been defaulted.
 */

export type SchedulerName =
  | 'constant'
  | 'none'
  | 'linear'
  | 'cosine'
  | 'polynomial'
  | 'step'
  | 'multistep'
  | 'exponential'
  | 'inverse_sqrt'
  | 'cosine_restart'
  | 'onecycle'
  | 'wsd'
  | 'plateau';

export const SCHEDULER_NAMES: readonly SchedulerName[] = [
  'constant',
  'none',
  'linear',
  'cosine',
  'polynomial',
  'step',
  'multistep',
  'exponential',
  'inverse_sqrt',
  'cosine_restart',
  'onecycle',
  'wsd',
  'plateau',
];

export interface ExperimentConfig {
  NAME: string; // default 'default'
  OUTPUT_DIR: string; // default 'runs'
  SEED: number; // default 42
}

export interface DataConfig {
  /** `synthetic:<task>` (classification | regression | sequence | language), `npy`, `csv`, `tokens`, `text`. */
  SOURCE: string; // default 'synthetic:classification'
  TRAIN_PATH?: string;
  VAL_PATH?: string;
  VAL_FRACTION?: number; // (0, 1); synthetic sources generate VAL_FRACTION * TRAIN_SAMPLES validation samples
  BATCH_SIZE: number; // default 32, per process
  DROP_LAST: boolean; // default true
  /**
   * Fixes N without reading data (SPEC §1): enough for `train-native schedule`. N is the training
   * split, after any VAL_FRACTION hold-out; synthetic sources generate exactly this many.
   */
  TRAIN_SAMPLES?: number;
  /** Column / array names for csv and npy sources. */
  FEATURES?: string; // npy: feature array file or csv: comma list of feature columns
  LABELS?: string; // npy: label array file or csv: label column
  /** Metadata components that can be masked (meta-masking), e.g. ['TEMPORAL', 'SPATIAL']. */
  META_COMPONENTS: string[]; // default []
  /** npy: group-label array file (mixup groups); csv: group column. */
  GROUPS?: string;
  /** tokens: element type of the flat token file. */
  TOKEN_DTYPE: 'uint16' | 'uint32'; // default 'uint16'
  /** Tokens and text sources: block length in tokens. */
  BLOCK_SIZE?: number;
  /** Tokens and text: tokens between block starts (default BLOCK_SIZE: no overlap; smaller: overlapping blocks). */
  STRIDE?: number;
  /** Tokens and text: each sample's block starts at a seeded random offset in [0, STRIDE) each epoch. */
  RANDOM_OFFSETS: boolean; // default false
}

export type ModelType = 'mlp' | 'transformer' | 'gpt' | 'torchscript';
export type ModelTask = 'classification' | 'regression';

export interface ModelConfig {
  TYPE: ModelType; // default 'mlp'
  PATH?: string; // torchscript: the module file
  INPUT: 'features' | 'tokens'; // torchscript, default 'features'
  LOSS: 'auto' | 'model'; // torchscript, default 'auto'
  TASK: ModelTask; // default 'classification' (gpt ignores it: language modelling)
  INPUT_DIM?: number; // mlp: inferred from data when absent
  NUM_CLASSES?: number; // classification: inferred from data when absent
  HIDDEN_SIZES: number[]; // mlp, default [128, 128]
  VOCAB_SIZE?: number; // transformer / gpt: inferred from data when absent
  D_MODEL: number; // default 128
  NUM_HEADS: number; // default 4, must divide D_MODEL
  NUM_LAYERS: number; // default 2
  FF_DIM?: number; // default 4 * D_MODEL
  DROPOUT: number; // default 0.0, [0, 1)
  TOKEN_LIMIT: number; // default 1024: longest sequence accepted
  ATTENTION_CHUNK_SIZE?: number; // query-chunked attention when set
}

export interface OptimizerConfig {
  NAME: 'adamw' | 'sgd'; // default 'adamw'
  WEIGHT_DECAY: number; // default 0.01
  BETAS: [number, number]; // default [0.9, 0.999]
  EPS: number; // default 1e-8
  MOMENTUM: number; // sgd, default 0.9
  NESTEROV: boolean; // sgd, default false
}

/** Scheduler keys; a parameter group or stage 2 may override any subset of them. */
export interface SchedulerKeys {
  NAME: SchedulerName; // default 'cosine'
  BASE_LR: number; // default 1e-4
  MIN_LR: number; // default 0
  /** When the LR changes: every optimizer step, or once per epoch (SPEC §16, Lightning's `interval`). */
  INTERVAL: 'step' | 'epoch'; // default 'step'
  /** Warmup start. Absent: 0 in stage 1; MIN_LR for a stage-2 warmup (SPEC §3). */
  WARMUP_LR?: number;
  WARMUP_STEPS?: number;
  WARMUP_FRACTION?: number;
  WARMUP_EPOCHS?: number;
  /** polynomial */
  POWER: number; // default 1.0
  /** step */
  DECAY_STEPS?: number;
  DECAY_FRACTION?: number;
  DECAY_EPOCHS?: number;
  DECAY_RATE: number; // default 0.1
  /** multistep (absolute milestones) */
  MILESTONES_STEPS?: number[];
  MILESTONES_FRACTIONS?: number[];
  MILESTONES_EPOCHS?: number[];
  /** multistep and exponential */
  GAMMA: number; // default 0.1
  /** cosine_restart */
  RESTART_STEPS?: number;
  RESTART_FRACTION?: number;
  RESTART_EPOCHS?: number;
  T_MULT: number; // default 2 (seed 002's --t-mult default)
  RESTART_DECAY: number; // default 1.0
  /** onecycle (PyTorch OneCycleLR defaults) */
  PCT_START: number; // 0.3
  DIV_FACTOR: number; // 25
  FINAL_DIV_FACTOR: number; // 1e4
  ANNEAL_STRATEGY: 'cos' | 'linear'; // 'cos'
  THREE_PHASE: boolean; // false
  /** wsd */
  STABLE_DURATION_FRACTION: number; // 0.8
  DECAY_DURATION_FRACTION: number; // 0.1
  DECAY_TYPE: 'cosine' | 'linear' | '1-sqrt'; // 'cosine'
  /** plateau (PyTorch ReduceLROnPlateau defaults) */
  METRIC: string; // 'val_loss'
  MODE: 'auto' | 'min' | 'max'; // 'auto' = inferred from METRIC's name
  FACTOR: number; // 0.1
  PATIENCE: number; // 10 validations
  THRESHOLD: number; // 1e-4
  THRESHOLD_MODE: 'rel' | 'abs'; // 'rel'
  COOLDOWN: number; // 0
}

export interface ParameterGroupConfig {
  NAME: string;
  /** Glob patterns over parameter names (`encoder.*`, `*.bias`); first matching group wins. */
  PATTERNS: string[];
  /** Multiplies the (scaled) LR of the group's schedule; ignored when the group sets BASE_LR. */
  LR_MULTIPLIER: number; // default 1.0
  BASE_LR?: number; // the group's own base LR (before scaling)
  WEIGHT_DECAY?: number; // default: OPTIMIZER.WEIGHT_DECAY
  /** The group's own scheduler: any subset of LR_SCHEDULER's keys, the rest inherited. */
  LR_SCHEDULER: Partial<SchedulerKeys>; // default {}
}

export interface LrSchedulerConfig extends SchedulerKeys {
  REFERENCE_BS?: number; // enables LR scaling by effective batch size
  SCALING: 'linear' | 'sqrt'; // default 'linear'
  PARAMETER_GROUPS: ParameterGroupConfig[]; // default []
}

export interface EarlyStopConfig {
  ACTIVE: boolean; // default false
  METRIC: string; // default 'val_loss'
  MODE: 'auto' | 'min' | 'max'; // default 'auto'
  PATIENCE_STEPS?: number;
  PATIENCE_EPOCHS?: number;
  MIN_DELTA: number; // default 0
  MAX_STEPS?: number;
  MAX_LOSS?: number;
  MIN_LR?: number;
  MAX_GRAD_NORM?: number;
}

export interface TrainConfig {
  EPOCHS: number; // default 10 (total over both stages when STAGE1 is enabled)
  MAX_STEPS?: number;
  ACCUMULATION_STEPS: number; // default 1
  GRAD_CLIP: number; // default 1.0; 0 disables clipping
  DEVICE: 'auto' | 'cpu' | 'cuda'; // default 'auto'
  PRECISION: 'fp32' | 'bf16'; // default 'fp32'
  THREADS: number; // default 0 = LibTorch's choice
  EXPANDABLE_SEGMENTS: boolean; // CUDA, default false
  EMPTY_CACHE: 'never' | 'epoch' | 'batch' | 'chunk'; // CUDA, default 'epoch'
  AUTO_RESUME: boolean; // default false
  RESUME_FROM?: string;
  /** With RESUME_FROM: load the weights alone; optimizer, counters and schedule start fresh (SPEC §15). */
  RESUME_WEIGHTS_ONLY: boolean; // default false
  EARLY_STOP: EarlyStopConfig;
  ON_NONFINITE: 'stop' | 'skip'; // default 'stop'
}

export interface Stage1Config {
  ENABLED: boolean; // default false
  EPOCHS: number; // default 0: the first EPOCHS of TRAIN.EPOCHS are stage 1
  /** masked_tokens: seed 003's pretraining; supervised: seed 002's task training with FREEZE frozen. */
  OBJECTIVE: 'masked_tokens' | 'supervised'; // default 'masked_tokens'
  MASK_PROB: number; // default 0.15
  /** supervised: parameter-name patterns frozen in stage 1; absent: the model's base (all but the head). */
  FREEZE?: string[];
}

export interface Stage2Config {
  FREEZE_BASE: boolean; // default false
  PROGRESSIVE_UNFREEZE: boolean; // default false
  /** Stage 2's per-process batch size (`--stage2-batch-size`); absent: DATA.BATCH_SIZE. */
  BATCH_SIZE?: number;
  /** Stage 2's scheduler: any subset of LR_SCHEDULER's keys; BASE_LR is `--stage2-lr`. */
  LR_SCHEDULER: Partial<SchedulerKeys>; // default {}
}

export interface StagesConfig {
  SKIP_STAGE1: boolean; // default false
  STAGE1: Stage1Config;
  STAGE2: Stage2Config;
}

export interface ValidationScheduleConfig {
  INTERVAL_STEPS?: number;
  INTERVAL_FRACTION?: number;
  INTERVAL_EPOCHS?: number; // default 1 when none of the three is given
  MASK_META_INTERVAL_STEPS?: number;
  MASK_META_INTERVAL_FRACTION?: number;
  MASK_META_INTERVAL_EPOCHS?: number;
  PARTIAL_MASK_META: {
    ENABLED: boolean; // default false
    INTERVAL_STEPS?: number;
    INTERVAL_FRACTION?: number;
    INTERVAL_EPOCHS?: number;
    WHITELIST: string[][]; // default []
  };
  FINAL_EPOCH: {
    EXHAUSTIVE_PARTIAL_META_VALIDATION: boolean; // default false
    EXHAUSTIVE_META_COMPONENTS: string[]; // default []
  };
}

export interface CheckpointGenerateConfig {
  FIRST_EPOCH_CHECKPOINTS: number; // default 20
  SUBSEQUENT_EPOCHS_SPACING: 'log' | 'linear'; // default 'log'
  LOG_BASE: number; // default 2
  LINEAR_INTERVAL?: number; // default floor(steps_per_epoch / 10)
  MIN_CHECKPOINT_INTERVAL: number; // default 100
}

export interface CheckpointScheduleConfig {
  INTERVAL_STEPS?: number;
  INTERVAL_FRACTION?: number;
  INTERVAL_EPOCHS?: number; // default 1 when no method is given
  GENERATE?: CheckpointGenerateConfig;
  STEPS?: number[];
  KEEP_TOP_N: number; // default 0
  KEEP_LAST_N: number; // default 2
  SYNC: CheckpointSyncConfig;
}

export interface CheckpointSyncConfig {
  ENABLED?: boolean; // default: true when COMMAND is given
  COMMAND?: string;
  RETRIES: number; // default 3
  RETRY_DELAY_S: number; // default 2
}

export interface ProbabilityRampConfig {
  ENABLED: boolean; // default false
  START_PROB: number;
  END_PROB: number;
  END_STEPS?: number;
  END_FRACTION?: number;
  END_EPOCHS?: number;
}

export interface PartialMetaMaskingConfig {
  ENABLED: boolean; // default false
  START_FRACTION: number; // default 0
  END_FRACTION: number; // default 1
  START_PROB: number; // default 0
  END_PROB: number; // default 0
  PROB_END_STEPS?: number;
  PROB_END_FRACTION?: number;
  PROB_END_EPOCHS?: number;
  WHITELIST: string[][]; // default []
  WEIGHTS?: number[];
}

export interface MetaMaskingConfig extends ProbabilityRampConfig {
  PARTIAL: PartialMetaMaskingConfig;
}

export interface MixupConfig {
  GROUP_LEVELS: string[]; // default []
  LEVEL_SWITCH_STEPS: number[]; // must be empty (SPEC §6)
  LEVEL_SWITCH_EPOCHS: number[]; // must be empty
  PROB: ProbabilityRampConfig;
  ALPHA: number; // default 1.0
  MIN_GROUP_SIZE: number; // default 4
  EXCLUDE_NULL_SAMPLES: boolean; // default true
}

export interface MetricsScheduleConfig {
  STEP_INTERVAL?: number; // default 50 when STEP_FRACTION is absent
  STEP_FRACTION?: number;
  CONSOLE_INTERVAL: number; // default 100
  LR_INTERVAL: number; // default 100
}

export interface ScheduleConfig {
  VALIDATION: ValidationScheduleConfig;
  CHECKPOINT: CheckpointScheduleConfig;
  META_MASKING: MetaMaskingConfig;
  MIXUP: MixupConfig;
  METRICS: MetricsScheduleConfig;
}

export interface LoggingConfig {
  TENSORBOARD: boolean; // default true
  HISTOGRAM_INTERVAL_EPOCHS: number; // default 10
  PROGRESS: 'auto' | 'bar' | 'plain' | 'none'; // default 'auto'
}

export interface DistConfig {
  BACKEND: 'gloo' | 'nccl' | 'auto'; // default 'auto'
  WORLD_SIZE: number; // default 1 (filled from the environment's WORLD_SIZE by `train`)
  RANK: number; // default 0
  LOCAL_RANK: number; // default 0
  LOCAL_WORLD_SIZE: number; // default 1
  MASTER_ADDR: string; // default '127.0.0.1'
  MASTER_PORT: number; // default 29500
  TIMEOUT_S: number; // default 300
}

export interface TrainNativeConfig {
  EXPERIMENT: ExperimentConfig;
  DATA: DataConfig;
  MODEL: ModelConfig;
  OPTIMIZER: OptimizerConfig;
  LR_SCHEDULER: LrSchedulerConfig;
  TRAIN: TrainConfig;
  STAGES: StagesConfig;
  SCHEDULE: ScheduleConfig;
  LOGGING: LoggingConfig;
  DIST: DistConfig;
}
