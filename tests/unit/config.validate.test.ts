/**
 * The validator and defaulter: every class of config error, with its exact message, and the
 * defaults of types.ts. Errors come without a file here (validateConfig on plain objects); file
 * lines and override origins are tested in config.load.test.ts.
 */
import { ConfigError } from '../../lib/config/errors';
import { validateConfig } from '../../lib/config/validate';
import { effectiveScheduler } from '../../lib/config/effective';
import type { TrainNativeConfig } from '../../lib/config/types';

function errorOf(raw: unknown): ConfigError {
  try {
    validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(raw)}`);
}
const msg = (raw: unknown) => errorOf(raw).message;

describe('defaults', () => {
  const c: TrainNativeConfig = validateConfig({});

  test('an empty config gets every default named in types.ts', () => {
    expect(c.EXPERIMENT).toEqual({ NAME: 'default', OUTPUT_DIR: 'runs', SEED: 42 });
    expect(c.DATA).toEqual({ SOURCE: 'synthetic:classification', BATCH_SIZE: 32, DROP_LAST: true, META_COMPONENTS: [], TOKEN_DTYPE: 'uint16', RANDOM_OFFSETS: false });
    expect(c.MODEL).toEqual({
      TYPE: 'mlp',
      TASK: 'classification',
      INPUT: 'features',
      LOSS: 'auto',
      HIDDEN_SIZES: [128, 128],
      D_MODEL: 128,
      NUM_HEADS: 4,
      NUM_LAYERS: 2,
      DROPOUT: 0,
      TOKEN_LIMIT: 1024,
    });
    expect(c.OPTIMIZER).toEqual({ NAME: 'adamw', WEIGHT_DECAY: 0.01, BETAS: [0.9, 0.999], EPS: 1e-8, MOMENTUM: 0.9, NESTEROV: false });
    expect(c.LR_SCHEDULER).toEqual({
      NAME: 'cosine',
      BASE_LR: 1e-4,
      MIN_LR: 0,
      INTERVAL: 'step',
      POWER: 1,
      DECAY_RATE: 0.1,
      GAMMA: 0.1,
      T_MULT: 2,
      RESTART_DECAY: 1,
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
    });
    expect(c.TRAIN).toEqual({
      EPOCHS: 10,
      ACCUMULATION_STEPS: 1,
      GRAD_CLIP: 1.0,
      DEVICE: 'auto',
      PRECISION: 'fp32',
      THREADS: 0,
      EXPANDABLE_SEGMENTS: false,
      EMPTY_CACHE: 'epoch',
      AUTO_RESUME: false,
      RESUME_WEIGHTS_ONLY: false,
      EARLY_STOP: { ACTIVE: false, METRIC: 'val_loss', MODE: 'auto', MIN_DELTA: 0 },
      ON_NONFINITE: 'stop',
    });
    expect(c.STAGES).toEqual({
      SKIP_STAGE1: false,
      STAGE1: { ENABLED: false, EPOCHS: 0, OBJECTIVE: 'masked_tokens', MASK_PROB: 0.15 },
      STAGE2: { FREEZE_BASE: false, PROGRESSIVE_UNFREEZE: false, LR_SCHEDULER: {} },
    });
    expect(c.LOGGING).toEqual({ TENSORBOARD: true, HISTOGRAM_INTERVAL_EPOCHS: 10, PROGRESS: 'auto' });
    expect(c.DIST).toEqual({ BACKEND: 'auto', WORLD_SIZE: 1, RANK: 0, LOCAL_RANK: 0, LOCAL_WORLD_SIZE: 1, MASTER_ADDR: '127.0.0.1', MASTER_PORT: 29500, TIMEOUT_S: 300 });
  });

  test('schedule defaults: validation and checkpoints every epoch, metrics every 50 steps', () => {
    expect(c.SCHEDULE.VALIDATION).toEqual({
      INTERVAL_EPOCHS: 1,
      PARTIAL_MASK_META: { ENABLED: false, WHITELIST: [] },
      FINAL_EPOCH: { EXHAUSTIVE_PARTIAL_META_VALIDATION: false, EXHAUSTIVE_META_COMPONENTS: [] },
    });
    expect(c.SCHEDULE.CHECKPOINT).toEqual({ INTERVAL_EPOCHS: 1, KEEP_TOP_N: 1, KEEP_LAST_N: 2, SYNC: { RETRIES: 3, RETRY_DELAY_S: 2 } });
    expect(c.SCHEDULE.METRICS).toEqual({ STEP_INTERVAL: 50, CONSOLE_INTERVAL: 100, LR_INTERVAL: 100 });
    expect(c.SCHEDULE.MIXUP.LEVEL_SWITCH_STEPS).toEqual([]);
    expect(c.SCHEDULE.META_MASKING.PARTIAL).toEqual({
      ENABLED: false,
      START_FRACTION: 0,
      END_FRACTION: 1,
      START_PROB: 0,
      END_PROB: 0,
      WHITELIST: [],
    });
  });

  test('a group default yields to the member that is given', () => {
    const v = validateConfig({ SCHEDULE: { VALIDATION: { INTERVAL_STEPS: 100 }, CHECKPOINT: { STEPS: [5, 10] }, METRICS: { STEP_FRACTION: 0.01 } } });
    expect(v.SCHEDULE.VALIDATION.INTERVAL_EPOCHS).toBeUndefined();
    expect(v.SCHEDULE.VALIDATION.INTERVAL_STEPS).toBe(100);
    expect(v.SCHEDULE.CHECKPOINT.INTERVAL_EPOCHS).toBeUndefined();
    expect(v.SCHEDULE.CHECKPOINT.STEPS).toEqual([5, 10]);
    expect(v.SCHEDULE.METRICS.STEP_INTERVAL).toBeUndefined();
  });

  test('an optional section gets its own defaults once given', () => {
    const v = validateConfig({ SCHEDULE: { CHECKPOINT: { GENERATE: { LOG_BASE: 3 } } } });
    expect(v.SCHEDULE.CHECKPOINT.GENERATE).toEqual({
      FIRST_EPOCH_CHECKPOINTS: 20,
      SUBSEQUENT_EPOCHS_SPACING: 'log',
      LOG_BASE: 3,
      MIN_CHECKPOINT_INTERVAL: 100,
    });
    expect(v.SCHEDULE.CHECKPOINT.INTERVAL_EPOCHS).toBeUndefined();
    expect(validateConfig({}).SCHEDULE.CHECKPOINT.GENERATE).toBeUndefined();
  });

  test('parameter groups get their defaults; stage-2 and group schedulers stay partial', () => {
    const v = validateConfig({
      LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'head', PATTERNS: ['head.*'], LR_SCHEDULER: { NAME: 'constant' } }] },
      STAGES: { STAGE2: { LR_SCHEDULER: { BASE_LR: 2e-4 } } },
    });
    expect(v.LR_SCHEDULER.PARAMETER_GROUPS).toEqual([
      { NAME: 'head', PATTERNS: ['head.*'], LR_MULTIPLIER: 1, LR_SCHEDULER: { NAME: 'constant' } },
    ]);
    expect(v.STAGES.STAGE2.LR_SCHEDULER).toEqual({ BASE_LR: 2e-4 });
  });

  test('null means "not given": the default applies', () => {
    expect(validateConfig({ LR_SCHEDULER: { BASE_LR: null }, EXPERIMENT: null }).LR_SCHEDULER.BASE_LR).toBe(1e-4);
  });

  test('numeric strings are accepted for number keys', () => {
    const v = validateConfig({ LR_SCHEDULER: { BASE_LR: '5e-5', MIN_LR: '1E-6' }, DATA: { BATCH_SIZE: '64' } });
    expect(v.LR_SCHEDULER.BASE_LR).toBe(5e-5);
    expect(v.LR_SCHEDULER.MIN_LR).toBe(1e-6);
    expect(v.DATA.BATCH_SIZE).toBe(64);
  });

  test('defaults are copies: changing one config does not change the next', () => {
    const a = validateConfig({});
    a.MODEL.HIDDEN_SIZES.push(7);
    expect(validateConfig({}).MODEL.HIDDEN_SIZES).toEqual([128, 128]);
  });
});

describe('per-key errors', () => {
  test('type', () => {
    expect(msg({ LR_SCHEDULER: { BASE_LR: 'fast' } })).toBe("config error: LR_SCHEDULER.BASE_LR: expected a number, got string 'fast'");
    expect(msg({ DATA: { BATCH_SIZE: 2.5 } })).toBe('config error: DATA.BATCH_SIZE: expected an integer, got 2.5');
    expect(msg({ DATA: { DROP_LAST: 'yes' } })).toBe("config error: DATA.DROP_LAST: expected true or false, got string 'yes'");
    expect(msg({ EXPERIMENT: { NAME: 2024 } })).toBe("config error: EXPERIMENT.NAME: expected a string, got number 2024 (quote it: '2024')");
    expect(msg({ MODEL: { HIDDEN_SIZES: 64 } })).toBe("config error: MODEL.HIDDEN_SIZES: expected a list (e.g. [a, b] or '- a' lines), got number 64");
    expect(msg({ MODEL: [1] })).toBe('config error: MODEL: expected a mapping of MODEL keys (KEY: value lines), got a list');
    expect(msg({ MODEL: { HIDDEN_SIZES: [64, 'x'] } })).toBe("config error: MODEL.HIDDEN_SIZES[1]: expected an integer, got string 'x'");
  });

  test('non-finite numbers', () => {
    expect(msg({ LR_SCHEDULER: { BASE_LR: Infinity } })).toBe('config error: LR_SCHEDULER.BASE_LR: expected a finite number, got Infinity');
    expect(msg({ LR_SCHEDULER: { BASE_LR: NaN } })).toBe('config error: LR_SCHEDULER.BASE_LR: expected a finite number, got NaN');
  });

  test('range', () => {
    expect(msg({ DATA: { BATCH_SIZE: 0 } })).toBe('config error: DATA.BATCH_SIZE: must be in [1, 16777216], got 0');
    expect(msg({ LR_SCHEDULER: { BASE_LR: -1e-3 } })).toBe('config error: LR_SCHEDULER.BASE_LR: must be >= 0, got -0.001');
    expect(msg({ LR_SCHEDULER: { WARMUP_FRACTION: 1.5 } })).toBe('config error: LR_SCHEDULER.WARMUP_FRACTION: must be in [0, 1], got 1.5');
    expect(msg({ DATA: { VAL_FRACTION: 1 } })).toBe('config error: DATA.VAL_FRACTION: must be in (0, 1), got 1');
    expect(msg({ DATA: { VAL_FRACTION: 0 } })).toBe('config error: DATA.VAL_FRACTION: must be in (0, 1), got 0');
    expect(msg({ SCHEDULE: { VALIDATION: { INTERVAL_FRACTION: 0 } } })).toBe(
      'config error: SCHEDULE.VALIDATION.INTERVAL_FRACTION: must be in (0, 1], got 0',
    );
    expect(msg({ SCHEDULE: { META_MASKING: { START_PROB: 1.2 } } })).toBe('config error: SCHEDULE.META_MASKING.START_PROB: must be in [0, 1], got 1.2');
    expect(msg({ MODEL: { DROPOUT: 1 } })).toBe('config error: MODEL.DROPOUT: must be in [0, 1), got 1');
    expect(msg({ DIST: { MASTER_PORT: 70000 } })).toBe('config error: DIST.MASTER_PORT: must be in [1, 65535], got 70000');
    expect(msg({ OPTIMIZER: { BETAS: [0.9] } })).toBe('config error: OPTIMIZER.BETAS: expected a list of exactly 2 entries, got 1');
  });

  test('allowed values, with a suggestion and the allowed list', () => {
    expect(msg({ LR_SCHEDULER: { NAME: 'cosin' } })).toBe(
      "config error: LR_SCHEDULER.NAME: unknown scheduler 'cosin' (did you mean 'cosine'? allowed: constant, none, linear, cosine, polynomial, step, multistep, exponential, inverse_sqrt, cosine_restart, onecycle, wsd, plateau)",
    );
    expect(msg({ TRAIN: { DEVICE: 'gpu' } })).toBe("config error: TRAIN.DEVICE: unknown device 'gpu' (allowed: auto, cpu, cuda)");
    expect(msg({ OPTIMIZER: { NAME: 'Adam' } })).toBe("config error: OPTIMIZER.NAME: unknown optimizer 'Adam' (did you mean 'adamw'? allowed: adamw, sgd)");
    expect(msg({ MODEL: { TYPE: 3 } })).toBe('config error: MODEL.TYPE: expected one of mlp, transformer, gpt, torchscript; got number 3');
  });

  test('unknown keys: typo at the same level', () => {
    expect(msg({ LR_SCHEDULER: { WARMUP_EPOCH: 1 } })).toBe("config error: LR_SCHEDULER.WARMUP_EPOCH: unknown key 'WARMUP_EPOCH' (did you mean 'WARMUP_EPOCHS'?)");
    expect(msg({ LR_SCHEDULER: { base_lr: 1 } })).toBe("config error: LR_SCHEDULER.base_lr: unknown key 'base_lr' (did you mean 'BASE_LR'? keys are upper-case)");
    expect(msg({ LR_SCHEDULR: {} })).toBe("config error: LR_SCHEDULR: unknown key 'LR_SCHEDULR' (did you mean 'LR_SCHEDULER'?)");
  });

  test('unknown keys: the key belongs in another section', () => {
    expect(msg({ TRAIN: { WARMUP_EPOCHS: 2 } })).toBe(
      "config error: TRAIN.WARMUP_EPOCHS: unknown key 'WARMUP_EPOCHS' in TRAIN (did you mean LR_SCHEDULER.WARMUP_EPOCHS? WARMUP_EPOCHS belongs in another section)",
    );
    expect(msg({ BATCH_SIZE: 2 })).toBe(
      "config error: BATCH_SIZE: unknown key 'BATCH_SIZE' (did you mean DATA.BATCH_SIZE? BATCH_SIZE belongs in another section)",
    );
    expect(msg({ STAGES: { STAGE2: { WARMUP_EPOCHS: 2 } } })).toBe(
      "config error: STAGES.STAGE2.WARMUP_EPOCHS: unknown key 'WARMUP_EPOCHS' in STAGES.STAGE2 (did you mean STAGES.STAGE2.LR_SCHEDULER.WARMUP_EPOCHS? WARMUP_EPOCHS belongs in another section)",
    );
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'a', PATTERNS: ['x'] }, { NAME: 'b', PATTERNS: ['y'], WARMUP_STEPS: 5 }] } })).toBe(
      "config error: LR_SCHEDULER.PARAMETER_GROUPS[1].WARMUP_STEPS: unknown key 'WARMUP_STEPS' in LR_SCHEDULER.PARAMETER_GROUPS[1] (did you mean LR_SCHEDULER.PARAMETER_GROUPS[1].LR_SCHEDULER.WARMUP_STEPS? WARMUP_STEPS belongs in another section)",
    );
    expect(msg({ SCHEDULE: { KEEP_LAST_N: 2 } })).toBe(
      "config error: SCHEDULE.KEEP_LAST_N: unknown key 'KEEP_LAST_N' in SCHEDULE (did you mean SCHEDULE.CHECKPOINT.KEEP_LAST_N? KEEP_LAST_N belongs in another section)",
    );
  });

  test('unknown keys with nothing close list what is allowed', () => {
    expect(msg({ LOGGING: { WANDB: true } })).toBe(
      "config error: LOGGING.WANDB: unknown key 'WANDB' (allowed in LOGGING: TENSORBOARD, HISTOGRAM_INTERVAL_EPOCHS, PROGRESS)",
    );
  });

  test('missing required keys of a parameter group', () => {
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'a' }] } })).toBe(
      'config error: LR_SCHEDULER.PARAMETER_GROUPS[0].PATTERNS: missing required key PATTERNS',
    );
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [{ NAME: 'a', PATTERNS: [] }] } })).toBe(
      'config error: LR_SCHEDULER.PARAMETER_GROUPS[0].PATTERNS: expected at least 1 entry, got 0',
    );
  });

  test('lists: increasing milestones, unique components', () => {
    expect(msg({ LR_SCHEDULER: { NAME: 'multistep', MILESTONES_STEPS: [100, 50] } })).toBe(
      'config error: LR_SCHEDULER.MILESTONES_STEPS[1]: must be strictly increasing: 50 follows 100',
    );
    expect(msg({ DATA: { META_COMPONENTS: ['A', 'A'] } })).toBe('config error: DATA.META_COMPONENTS[1]: duplicate entry "A"');
  });
});

describe('exclusive groups', () => {
  test('two of X_STEPS | X_FRACTION | X_EPOCHS: the error names both keys', () => {
    const e = errorOf({ LR_SCHEDULER: { WARMUP_STEPS: 100, WARMUP_FRACTION: 0.1 } });
    expect(e.message).toBe(
      'config error: LR_SCHEDULER.WARMUP_FRACTION: conflicts with LR_SCHEDULER.WARMUP_STEPS: give only one of WARMUP_STEPS, WARMUP_FRACTION, WARMUP_EPOCHS',
    );
    expect(e.keyPath).toBe('LR_SCHEDULER.WARMUP_FRACTION');
    // The error is on the key written second.
    expect(msg({ SCHEDULE: { VALIDATION: { INTERVAL_EPOCHS: 1, INTERVAL_STEPS: 10 } } })).toBe(
      'config error: SCHEDULE.VALIDATION.INTERVAL_STEPS: conflicts with SCHEDULE.VALIDATION.INTERVAL_EPOCHS: give only one of INTERVAL_STEPS, INTERVAL_FRACTION, INTERVAL_EPOCHS',
    );
    expect(msg({ TRAIN: { EARLY_STOP: { PATIENCE_STEPS: 10, PATIENCE_EPOCHS: 1 } } })).toBe(
      'config error: TRAIN.EARLY_STOP.PATIENCE_EPOCHS: conflicts with TRAIN.EARLY_STOP.PATIENCE_STEPS: give only one of PATIENCE_STEPS, PATIENCE_EPOCHS',
    );
    expect(msg({ SCHEDULE: { METRICS: { STEP_INTERVAL: 10, STEP_FRACTION: 0.1 } } })).toBe(
      'config error: SCHEDULE.METRICS.STEP_FRACTION: conflicts with SCHEDULE.METRICS.STEP_INTERVAL: give only one of STEP_INTERVAL, STEP_FRACTION',
    );
    expect(msg({ STAGES: { STAGE2: { LR_SCHEDULER: { WARMUP_EPOCHS: 1, WARMUP_STEPS: 3 } } } })).toBe(
      'config error: STAGES.STAGE2.LR_SCHEDULER.WARMUP_STEPS: conflicts with STAGES.STAGE2.LR_SCHEDULER.WARMUP_EPOCHS: give only one of WARMUP_STEPS, WARMUP_FRACTION, WARMUP_EPOCHS',
    );
    expect(msg({ DATA: { VAL_PATH: 'v.npy', VAL_FRACTION: 0.1 } })).toBe(
      'config error: DATA.VAL_FRACTION: conflicts with DATA.VAL_PATH: give only one of VAL_PATH, VAL_FRACTION',
    );
  });

  test('checkpoint methods exclude one another', () => {
    expect(msg({ SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, GENERATE: {} } } })).toBe(
      'config error: SCHEDULE.CHECKPOINT.GENERATE: conflicts with SCHEDULE.CHECKPOINT.INTERVAL_EPOCHS: choose one method of INTERVAL_STEPS|INTERVAL_FRACTION|INTERVAL_EPOCHS, GENERATE, STEPS',
    );
    expect(msg({ SCHEDULE: { CHECKPOINT: { STEPS: [10], GENERATE: { LOG_BASE: 2 } } } })).toBe(
      'config error: SCHEDULE.CHECKPOINT.GENERATE: conflicts with SCHEDULE.CHECKPOINT.STEPS: choose one method of INTERVAL_STEPS|INTERVAL_FRACTION|INTERVAL_EPOCHS, GENERATE, STEPS',
    );
  });
});

describe('cross-key rules', () => {
  test('onecycle with a warmup key', () => {
    expect(msg({ LR_SCHEDULER: { NAME: 'onecycle', WARMUP_FRACTION: 0.1 } })).toBe(
      "config error: LR_SCHEDULER.WARMUP_FRACTION: not allowed with scheduler 'onecycle' (LR_SCHEDULER.NAME), which warms up by itself over PCT_START; remove it or choose another scheduler",
    );
    expect(msg({ LR_SCHEDULER: { WARMUP_EPOCHS: 2 }, STAGES: { STAGE2: { LR_SCHEDULER: { NAME: 'onecycle' } } } })).toBe(
      "config error: LR_SCHEDULER.WARMUP_EPOCHS: not allowed with scheduler 'onecycle' (STAGES.STAGE2.LR_SCHEDULER.NAME), which warms up by itself over PCT_START; set STAGES.STAGE2.LR_SCHEDULER.WARMUP_STEPS: 0 or choose another scheduler",
    );
    expect(msg({ LR_SCHEDULER: { NAME: 'onecycle', WARMUP_LR: 1e-6 } })).toBe(
      "config error: LR_SCHEDULER.WARMUP_LR: not allowed with scheduler 'onecycle' (LR_SCHEDULER.NAME), which starts from BASE_LR / DIV_FACTOR; remove it or choose another scheduler",
    );
    // A warmup of length 0 is no warmup.
    expect(() => validateConfig({ LR_SCHEDULER: { NAME: 'onecycle', WARMUP_STEPS: 0 } })).not.toThrow();
    // A stage 2 that zeroes the inherited warmup may use onecycle.
    expect(() =>
      validateConfig({ LR_SCHEDULER: { WARMUP_EPOCHS: 2 }, STAGES: { STAGE2: { LR_SCHEDULER: { NAME: 'onecycle', WARMUP_STEPS: 0 } } } }),
    ).not.toThrow();
  });

  test('schedulers that need a period', () => {
    expect(msg({ LR_SCHEDULER: { NAME: 'step' } })).toBe(
      "config error: LR_SCHEDULER.NAME: scheduler 'step' needs one of LR_SCHEDULER.DECAY_STEPS, LR_SCHEDULER.DECAY_FRACTION, LR_SCHEDULER.DECAY_EPOCHS",
    );
    expect(msg({ LR_SCHEDULER: { NAME: 'multistep' } })).toBe(
      "config error: LR_SCHEDULER.NAME: scheduler 'multistep' needs one of LR_SCHEDULER.MILESTONES_STEPS, LR_SCHEDULER.MILESTONES_FRACTIONS, LR_SCHEDULER.MILESTONES_EPOCHS",
    );
    expect(msg({ LR_SCHEDULER: { NAME: 'cosine_restart' } })).toBe(
      "config error: LR_SCHEDULER.NAME: scheduler 'cosine_restart' needs one of LR_SCHEDULER.RESTART_STEPS, LR_SCHEDULER.RESTART_FRACTION, LR_SCHEDULER.RESTART_EPOCHS",
    );
    expect(msg({ LR_SCHEDULER: { NAME: 'inverse_sqrt' } })).toBe(
      "config error: LR_SCHEDULER.NAME: scheduler 'inverse_sqrt' needs a warmup: give one of LR_SCHEDULER.WARMUP_STEPS, LR_SCHEDULER.WARMUP_FRACTION, LR_SCHEDULER.WARMUP_EPOCHS > 0",
    );
    expect(msg({ STAGES: { STAGE2: { LR_SCHEDULER: { NAME: 'step' } } } })).toBe(
      "config error: STAGES.STAGE2.LR_SCHEDULER.NAME: scheduler 'step' needs one of STAGES.STAGE2.LR_SCHEDULER.DECAY_STEPS, STAGES.STAGE2.LR_SCHEDULER.DECAY_FRACTION, STAGES.STAGE2.LR_SCHEDULER.DECAY_EPOCHS",
    );
    expect(() => validateConfig({ LR_SCHEDULER: { NAME: 'step', DECAY_EPOCHS: 3 } })).not.toThrow();
  });

  test('wsd fractions add up to at most 1', () => {
    expect(msg({ LR_SCHEDULER: { NAME: 'wsd', STABLE_DURATION_FRACTION: 0.9, DECAY_DURATION_FRACTION: 0.2 } })).toBe(
      'config error: LR_SCHEDULER.DECAY_DURATION_FRACTION: STABLE_DURATION_FRACTION + DECAY_DURATION_FRACTION must be <= 1, got 0.9 + 0.2',
    );
    expect(() => validateConfig({ LR_SCHEDULER: { NAME: 'wsd', STABLE_DURATION_FRACTION: 0.8, DECAY_DURATION_FRACTION: 0.2 } })).not.toThrow();
  });

  test('non-empty MIXUP.LEVEL_SWITCH_*', () => {
    expect(msg({ SCHEDULE: { MIXUP: { LEVEL_SWITCH_STEPS: [1000] } } })).toBe(
      'config error: SCHEDULE.MIXUP.LEVEL_SWITCH_STEPS: must be empty: level switching is not supported; only the first GROUP_LEVELS entry is used (SPEC §6)',
    );
    expect(msg({ SCHEDULE: { MIXUP: { LEVEL_SWITCH_EPOCHS: [2] } } })).toBe(
      'config error: SCHEDULE.MIXUP.LEVEL_SWITCH_EPOCHS: must be empty: level switching is not supported; only the first GROUP_LEVELS entry is used (SPEC §6)',
    );
  });

  test('partial meta-masking window must not be empty', () => {
    expect(msg({ SCHEDULE: { META_MASKING: { PARTIAL: { START_FRACTION: 0.6, END_FRACTION: 0.4 } } } })).toBe(
      'config error: SCHEDULE.META_MASKING.PARTIAL.START_FRACTION: must be less than SCHEDULE.META_MASKING.PARTIAL.END_FRACTION (0.4), got 0.6: the window [START_FRACTION, END_FRACTION) is empty',
    );
    expect(msg({ SCHEDULE: { META_MASKING: { PARTIAL: { START_FRACTION: 0.5, END_FRACTION: 0.5 } } } })).toMatch(/START_FRACTION: must be less than/);
  });

  test('WEIGHTS has one entry per WHITELIST entry', () => {
    expect(msg({ SCHEDULE: { META_MASKING: { PARTIAL: { WHITELIST: [['A'], ['B']], WEIGHTS: [1] } } } })).toBe(
      'config error: SCHEDULE.META_MASKING.PARTIAL.WEIGHTS: has 1 entries but SCHEDULE.META_MASKING.PARTIAL.WHITELIST has 2: give one weight per WHITELIST entry',
    );
  });

  test('whitelist and exhaustive components must be DATA.META_COMPONENTS when that is given', () => {
    const data = { META_COMPONENTS: ['TEMPORAL', 'SPATIAL'] };
    expect(msg({ DATA: data, SCHEDULE: { META_MASKING: { PARTIAL: { WHITELIST: [['TEMPORAL'], ['SPATIAL', 'ELEVATION']] } } } })).toBe(
      "config error: SCHEDULE.META_MASKING.PARTIAL.WHITELIST[1][1]: unknown component 'ELEVATION' (DATA.META_COMPONENTS: TEMPORAL, SPATIAL)",
    );
    expect(msg({ DATA: data, SCHEDULE: { VALIDATION: { FINAL_EPOCH: { EXHAUSTIVE_META_COMPONENTS: ['TIME'] } } } })).toBe(
      "config error: SCHEDULE.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS[0]: unknown component 'TIME' (DATA.META_COMPONENTS: TEMPORAL, SPATIAL)",
    );
    expect(msg({ DATA: data, SCHEDULE: { VALIDATION: { PARTIAL_MASK_META: { WHITELIST: [['SPACE']] } } } })).toBe(
      "config error: SCHEDULE.VALIDATION.PARTIAL_MASK_META.WHITELIST[0][0]: unknown component 'SPACE' (DATA.META_COMPONENTS: TEMPORAL, SPATIAL)",
    );
    // Without DATA.META_COMPONENTS any names are accepted.
    expect(() => validateConfig({ SCHEDULE: { META_MASKING: { PARTIAL: { WHITELIST: [['ANY']] } } } })).not.toThrow();
  });

  test('enabled features need what they use', () => {
    expect(msg({ SCHEDULE: { VALIDATION: { PARTIAL_MASK_META: { ENABLED: true, WHITELIST: [['A']] } } } })).toBe(
      'config error: SCHEDULE.VALIDATION.PARTIAL_MASK_META.ENABLED: needs one of INTERVAL_STEPS, INTERVAL_FRACTION, INTERVAL_EPOCHS',
    );
    expect(msg({ SCHEDULE: { META_MASKING: { PARTIAL: { ENABLED: true } } } })).toBe(
      'config error: SCHEDULE.META_MASKING.PARTIAL.WHITELIST: must list at least one component combination when ENABLED',
    );
    expect(msg({ SCHEDULE: { MIXUP: { PROB: { ENABLED: true } } } })).toBe(
      'config error: SCHEDULE.MIXUP.PROB.START_PROB: missing: give START_PROB and END_PROB when ENABLED is true',
    );
    expect(msg({ SCHEDULE: { META_MASKING: { ENABLED: true, START_PROB: 1, END_PROB: 0.1 } } })).toBe(
      'config error: SCHEDULE.META_MASKING.END_PROB: differs from START_PROB: give one of END_STEPS, END_FRACTION, END_EPOCHS to say when it is reached',
    );
    expect(msg({ DATA: { SOURCE: 'npy' } })).toBe("config error: DATA.TRAIN_PATH: missing: required when DATA.SOURCE is 'npy'");
  });

  test('model, optimizer, epochs, stages, dist', () => {
    expect(msg({ MODEL: { D_MODEL: 100, NUM_HEADS: 3 } })).toBe('config error: MODEL.NUM_HEADS: must divide MODEL.D_MODEL (100), got 3');
    expect(msg({ OPTIMIZER: { NAME: 'sgd', MOMENTUM: 0, NESTEROV: true } })).toBe(
      'config error: OPTIMIZER.NESTEROV: Nesterov momentum needs OPTIMIZER.MOMENTUM > 0, got 0',
    );
    expect(msg({ TRAIN: { EPOCHS: 0 } })).toBe('config error: TRAIN.EPOCHS: must be >= 1 unless TRAIN.MAX_STEPS is given, got 0');
    expect(validateConfig({ TRAIN: { EPOCHS: 0, MAX_STEPS: 100 } }).TRAIN.MAX_STEPS).toBe(100);
    expect(msg({ STAGES: { STAGE1: { ENABLED: true, EPOCHS: 10 } } })).toBe(
      'config error: STAGES.STAGE1.EPOCHS: must be less than TRAIN.EPOCHS (10, the total over both stages), got 10',
    );
    expect(msg({ STAGES: { STAGE1: { ENABLED: true } } })).toBe(
      'config error: STAGES.STAGE1.EPOCHS: must be >= 1 when STAGES.STAGE1.ENABLED is true, got 0',
    );
    expect(msg({ DIST: { WORLD_SIZE: 2, RANK: 2 } })).toBe('config error: DIST.RANK: must be less than DIST.WORLD_SIZE (2), got 2');
  });

  test('parameter groups: unique names, not "default", one way to give the LR', () => {
    const g = (o: object) => ({ NAME: 'a', PATTERNS: ['x.*'], ...o });
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [g({}), g({ PATTERNS: ['y'] })] } })).toBe(
      "config error: LR_SCHEDULER.PARAMETER_GROUPS[1].NAME: duplicate group name 'a' (also LR_SCHEDULER.PARAMETER_GROUPS[0].NAME)",
    );
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [g({ NAME: 'default' })] } })).toBe(
      "config error: LR_SCHEDULER.PARAMETER_GROUPS[0].NAME: 'default' is reserved for the parameters no group matches; choose another name",
    );
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [g({ LR_MULTIPLIER: 2, BASE_LR: 1e-3 })] } })).toBe(
      'config error: LR_SCHEDULER.PARAMETER_GROUPS[0].BASE_LR: conflicts with LR_SCHEDULER.PARAMETER_GROUPS[0].LR_MULTIPLIER: give BASE_LR or LR_MULTIPLIER, not both',
    );
    expect(msg({ LR_SCHEDULER: { PARAMETER_GROUPS: [g({ LR_SCHEDULER: { NAME: 'onecycle', WARMUP_STEPS: 5 } })] } })).toBe(
      "config error: LR_SCHEDULER.PARAMETER_GROUPS[0].LR_SCHEDULER.WARMUP_STEPS: not allowed with scheduler 'onecycle' (LR_SCHEDULER.PARAMETER_GROUPS[0].LR_SCHEDULER.NAME), which warms up by itself over PCT_START; remove it or choose another scheduler",
    );
  });
});

describe('effectiveScheduler', () => {
  test('stage 2 inherits unset keys; a given warmup member replaces the inherited group', () => {
    const c = validateConfig({ LR_SCHEDULER: { WARMUP_FRACTION: 0.1, MIN_LR: 1e-6 }, STAGES: { STAGE2: { LR_SCHEDULER: { BASE_LR: 3e-4, WARMUP_EPOCHS: 2 } } } });
    const s = effectiveScheduler(c.LR_SCHEDULER, c.STAGES.STAGE2.LR_SCHEDULER);
    expect(s.BASE_LR).toBe(3e-4);
    expect(s.MIN_LR).toBe(1e-6);
    expect(s.WARMUP_EPOCHS).toBe(2);
    expect(s.WARMUP_FRACTION).toBeUndefined();
    expect((s as unknown as Record<string, unknown>).PARAMETER_GROUPS).toBeUndefined();
    const inherited = effectiveScheduler(c.LR_SCHEDULER, {});
    expect(inherited.WARMUP_FRACTION).toBe(0.1);
  });
});
