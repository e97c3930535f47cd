/**
 * A TrainNativeConfig with the defaults lib/config/types.ts documents, for schedule tests that
 * must not depend on the config loader. `makeConfig(partial)` deep-merges plain objects (arrays
 * and scalars replace), so a test writes only what it is about.
 */
import type { TrainNativeConfig } from '../../../lib/config/types';

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<infer _U> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

export function defaultConfig(): TrainNativeConfig {
  return {
    EXPERIMENT: { NAME: 'default', OUTPUT_DIR: 'runs', SEED: 42 },
    DATA: { SOURCE: 'synthetic:classification', BATCH_SIZE: 32, DROP_LAST: true, META_COMPONENTS: [], TOKEN_DTYPE: 'uint16' },
    MODEL: {
      TYPE: 'mlp',
      TASK: 'classification',
      HIDDEN_SIZES: [128, 128],
      D_MODEL: 128,
      NUM_HEADS: 4,
      NUM_LAYERS: 2,
      DROPOUT: 0,
      TOKEN_LIMIT: 1024,
    },
    OPTIMIZER: { NAME: 'adamw', WEIGHT_DECAY: 0.01, BETAS: [0.9, 0.999], EPS: 1e-8, MOMENTUM: 0.9, NESTEROV: false },
    LR_SCHEDULER: {
      NAME: 'cosine',
      BASE_LR: 1e-4,
      MIN_LR: 0,
      POWER: 1.0,
      DECAY_RATE: 0.1,
      GAMMA: 0.1,
      T_MULT: 2,
      RESTART_DECAY: 1.0,
      PCT_START: 0.3,
      DIV_FACTOR: 25,
      FINAL_DIV_FACTOR: 1e4,
      ANNEAL_STRATEGY: 'cos',
      THREE_PHASE: false,
      STABLE_DURATION_FRACTION: 0.8,
      DECAY_DURATION_FRACTION: 0.1,
      DECAY_TYPE: 'cosine',
      METRIC: 'val_loss',
      MODE: 'auto',
      FACTOR: 0.1,
      PATIENCE: 10,
      THRESHOLD: 1e-4,
      THRESHOLD_MODE: 'rel',
      COOLDOWN: 0,
      SCALING: 'linear',
      PARAMETER_GROUPS: [],
    },
    TRAIN: {
      EPOCHS: 10,
      ACCUMULATION_STEPS: 1,
      GRAD_CLIP: 1.0,
      DEVICE: 'auto',
      PRECISION: 'fp32',
      THREADS: 0,
      AUTO_RESUME: false,
      EARLY_STOP: { ACTIVE: false, METRIC: 'val_loss', MODE: 'auto', MIN_DELTA: 0 },
      ON_NONFINITE: 'stop',
    },
    STAGES: {
      SKIP_STAGE1: false,
      STAGE1: { ENABLED: false, EPOCHS: 0, OBJECTIVE: 'masked_tokens', MASK_PROB: 0.15 },
      STAGE2: { FREEZE_BASE: false, PROGRESSIVE_UNFREEZE: false, LR_SCHEDULER: {} },
    },
    SCHEDULE: {
      VALIDATION: {
        PARTIAL_MASK_META: { ENABLED: false, WHITELIST: [] },
        FINAL_EPOCH: { EXHAUSTIVE_PARTIAL_META_VALIDATION: false, EXHAUSTIVE_META_COMPONENTS: [] },
      },
      CHECKPOINT: { KEEP_TOP_N: 1, KEEP_LAST_N: 2 },
      META_MASKING: {
        ENABLED: false,
        START_PROB: 0,
        END_PROB: 0,
        PARTIAL: { ENABLED: false, START_FRACTION: 0, END_FRACTION: 1, START_PROB: 0, END_PROB: 0, WHITELIST: [] },
      },
      MIXUP: {
        GROUP_LEVELS: [],
        LEVEL_SWITCH_STEPS: [],
        LEVEL_SWITCH_EPOCHS: [],
        PROB: { ENABLED: false, START_PROB: 0, END_PROB: 0 },
        ALPHA: 1.0,
        MIN_GROUP_SIZE: 4,
        EXCLUDE_NULL_SAMPLES: true,
      },
      METRICS: { CONSOLE_INTERVAL: 100, LR_INTERVAL: 100 },
    },
    LOGGING: { TENSORBOARD: true, HISTOGRAM_INTERVAL_EPOCHS: 10, PROGRESS: 'auto' },
    DIST: { BACKEND: 'gloo', WORLD_SIZE: 1, RANK: 0, LOCAL_RANK: 0, MASTER_ADDR: '127.0.0.1', MASTER_PORT: 29500 },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? merge(base[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

export function makeConfig(partial: DeepPartial<TrainNativeConfig> = {}): TrainNativeConfig {
  return merge(defaultConfig() as unknown as Record<string, unknown>, partial as Record<string, unknown>) as unknown as TrainNativeConfig;
}

/** A config whose time base is `stepsPerEpoch` steps per epoch (batch 1, N = steps · epochs known). */
export function stepsConfig(stepsPerEpoch: number, epochs: number, partial: DeepPartial<TrainNativeConfig> = {}): TrainNativeConfig {
  const c = makeConfig(partial);
  c.DATA.TRAIN_SAMPLES = stepsPerEpoch;
  c.DATA.BATCH_SIZE = 1;
  c.TRAIN.EPOCHS = epochs;
  return c;
}
