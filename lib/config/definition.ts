/**
 * Every configuration key, once: type, default, range or allowed values, a one-line doc, and the
 * groups of keys that exclude one another. `types.ts` is the TypeScript view of the same tree; a
 * test checks that validating `{}` yields every non-optional field of TrainNativeConfig.
 */
import { SCHEDULER_NAMES } from './types';
import type { ArrayDef, BooleanDef, Def, GroupDef, NumberDef, SectionDef, StringDef } from './dsl';
import { partialOf } from './dsl';

type Opts<T> = Omit<T, 'kind' | 'doc'>;
const num = (doc: string, o: Opts<NumberDef> = {}): NumberDef => ({ kind: 'number', doc, ...o });
const int = (doc: string, o: Opts<NumberDef> = {}): NumberDef => ({ kind: 'number', int: true, doc, ...o });
const str = (doc: string, o: Opts<StringDef> = {}): StringDef => ({ kind: 'string', doc, ...o });
const oneOf = (doc: string, values: readonly string[], o: Opts<StringDef> = {}): StringDef => ({
  kind: 'string',
  doc,
  enum: values,
  ...o,
});
const bool = (doc: string, o: Opts<BooleanDef> = {}): BooleanDef => ({ kind: 'boolean', doc, ...o });
const arr = (doc: string, items: Def, o: Omit<ArrayDef, 'kind' | 'doc' | 'items'> = {}): ArrayDef => ({
  kind: 'array',
  doc,
  items,
  ...o,
});
const section = (doc: string, fields: Record<string, Def>, groups?: GroupDef[], o: Partial<SectionDef> = {}): SectionDef => ({
  kind: 'section',
  doc,
  fields,
  ...(groups ? { groups } : {}),
  ...o,
});

const LR = (doc: string, o: Opts<NumberDef> = {}) => num(doc, { min: 0, ...o });
const PROB = (doc: string, o: Opts<NumberDef> = {}) => num(doc, { min: 0, max: 1, ...o });

/**
 * Upper bounds that keep derived totals representable (steps, typed-array lengths, int32 indices
 * and token ids on the native side). Far above any run that fits in memory; a size that fits these
 * but not the machine is refused by the size check (lib/train/size-check.ts).
 */
export const LIMITS = {
  /** The schedule holds per-step arrays: ~10 bytes per step and parameter group. */
  TOTAL_STEPS: 100_000_000,
  EPOCHS: 1_000_000,
  /** Row indices and token ids are int32. */
  INT32: 2_147_483_647,
  BATCH_SIZE: 16_777_216,
  LAYERS: 10_000,
} as const;

/**
 * The `X_STEPS | X_FRACTION | X_EPOCHS` triple (SPEC §2). `interval`: a period, so 0 makes no
 * sense (STEPS ≥ 1, FRACTION in (0, 1], EPOCHS > 0); otherwise a duration or a point in time
 * that may be 0 (warmup length, ramp end).
 */
function triple(
  prefix: string,
  what: string,
  interval: boolean,
  examples: [number, number, number],
  names: [string, string, string] = [`${prefix}_STEPS`, `${prefix}_FRACTION`, `${prefix}_EPOCHS`],
): Record<string, NumberDef> {
  const [s, f, e] = names;
  return {
    [s]: int(`${what}, in optimizer steps (give one of ${s}, ${f}, ${e}).`, {
      min: interval ? 1 : 0,
      example: examples[0],
    }),
    [f]: num(`${what}, as a fraction of total steps (one of ${s}, ${f}, ${e}).`, {
      ...(interval ? { exclMin: 0 } : { min: 0 }),
      max: 1,
      example: examples[1],
    }),
    [e]: num(`${what}, in epochs, may be fractional (one of ${s}, ${f}, ${e}).`, {
      ...(interval ? { exclMin: 0 } : { min: 0 }),
      example: examples[2],
    }),
  };
}
const tripleGroup = (prefix: string, def?: { key: string; value: unknown }): GroupDef => ({
  kind: 'one-of',
  members: [[`${prefix}_STEPS`], [`${prefix}_FRACTION`], [`${prefix}_EPOCHS`]],
  ...(def ? { default: def } : {}),
});

// ---------------------------------------------------------------------------------------------

const SCHEDULER_FIELDS: Record<string, Def> = {
  NAME: oneOf('Scheduler after warmup (SPEC §3).', SCHEDULER_NAMES, { default: 'cosine', noun: 'scheduler' }),
  BASE_LR: LR('Peak learning rate, before batch-size scaling.', { default: 1e-4 }),
  MIN_LR: LR('Floor of the decaying schedulers (cosine, linear, polynomial, step, wsd, plateau).', { default: 0 }),
  INTERVAL: oneOf(
    "When the LR changes: 'step' (every optimizer step) or 'epoch' (constant within an epoch, the formulas evaluated on the epoch index; warmup epoch e of W at WARMUP_LR + (BASE_LR - WARMUP_LR)·e/W; durations in _EPOCHS or _FRACTION).",
    ['step', 'epoch'],
    { default: 'step' },
  ),
  WARMUP_LR: LR('LR at the start of warmup; absent: 0 in stage 1, MIN_LR for a stage-2 warmup.', { example: 0 }),
  ...triple('WARMUP', 'Linear warmup length', false, [500, 0.05, 1]),
  POWER: num('polynomial: exponent of (1 - p).', { default: 1.0, exclMin: 0 }),
  ...triple('DECAY', 'step: decay period', true, [1000, 0.25, 10]),
  DECAY_RATE: num('step: factor applied every decay period.', { default: 0.1, exclMin: 0 }),
  MILESTONES_STEPS: arr('multistep: absolute milestones in steps (one of the MILESTONES_* lists).', int('', { min: 0 }), {
    increasing: true,
    example: [1000, 2000],
  }),
  MILESTONES_FRACTIONS: arr(
    'multistep: milestones as fractions of total steps (one of the MILESTONES_* lists).',
    num('', { min: 0, max: 1 }),
    { increasing: true, example: [0.5, 0.75] },
  ),
  MILESTONES_EPOCHS: arr('multistep: milestones in epochs (one of the MILESTONES_* lists).', num('', { min: 0 }), {
    increasing: true,
    example: [30, 60],
  }),
  GAMMA: num('multistep: factor per milestone; exponential: factor per epoch.', { default: 0.1, exclMin: 0 }),
  ...triple('RESTART', 'cosine_restart: first cycle length T_0', true, [1000, 0.25, 10]),
  T_MULT: int('cosine_restart: each cycle is T_MULT times longer than the previous.', { default: 2, min: 1 }),
  RESTART_DECAY: num('cosine_restart: multiplies the peak LR of each new cycle.', { default: 1.0, exclMin: 0, max: 1 }),
  PCT_START: PROB('onecycle: fraction of the cycle spent increasing the LR.', { default: 0.3 }),
  DIV_FACTOR: num('onecycle: initial LR = BASE_LR / DIV_FACTOR.', { default: 25, exclMin: 0 }),
  FINAL_DIV_FACTOR: num('onecycle: final LR = initial LR / FINAL_DIV_FACTOR.', { default: 1e4, exclMin: 0 }),
  ANNEAL_STRATEGY: oneOf('onecycle: annealing shape.', ['cos', 'linear'], { default: 'cos' }),
  THREE_PHASE: bool('onecycle: use the three-phase variant.', { default: false }),
  STABLE_DURATION_FRACTION: PROB('wsd: fraction of the post-warmup steps held at BASE_LR.', { default: 0.8 }),
  DECAY_DURATION_FRACTION: PROB('wsd: fraction of the post-warmup steps spent decaying to MIN_LR.', { default: 0.1 }),
  DECAY_TYPE: oneOf('wsd: decay shape.', ['cosine', 'linear', '1-sqrt'], { default: 'cosine' }),
  METRIC: str('plateau: validation metric to monitor.', { default: 'val_loss', nonEmpty: true }),
  MODE: oneOf("plateau: 'min' or 'max'; 'auto' infers it from METRIC's name.", ['auto', 'min', 'max'], { default: 'auto' }),
  FACTOR: num('plateau: LR multiplier on a plateau.', { default: 0.1, exclMin: 0, exclMax: 1 }),
  PATIENCE: int('plateau: validations without improvement before reducing.', { default: 10, min: 0 }),
  THRESHOLD: num('plateau: minimum significant change.', { default: 1e-4, min: 0 }),
  THRESHOLD_MODE: oneOf('plateau: relative or absolute threshold.', ['rel', 'abs'], { default: 'rel' }),
  COOLDOWN: int('plateau: validations to wait after a reduction.', { default: 0, min: 0 }),
};

const SCHEDULER_GROUPS: GroupDef[] = [
  tripleGroup('WARMUP'),
  tripleGroup('DECAY'),
  { kind: 'one-of', members: [['MILESTONES_STEPS'], ['MILESTONES_FRACTIONS'], ['MILESTONES_EPOCHS']] },
  tripleGroup('RESTART'),
];

const schedulerKeys = section('Learning-rate schedule (SPEC §3).', SCHEDULER_FIELDS, SCHEDULER_GROUPS);

export const PARTIAL_SCHEDULER: SectionDef = partialOf(
  schedulerKeys,
  'Overrides of any LR_SCHEDULER keys; the rest are inherited. A given X_STEPS|X_FRACTION|X_EPOCHS replaces the inherited one.',
);

const PARAMETER_GROUP: SectionDef = section('A named parameter group.', {
  NAME: str("Group name, unique, not 'default' (unmatched parameters form 'default').", {
    required: true,
    nonEmpty: true,
    example: 'no_decay',
  }),
  PATTERNS: arr('Glob patterns over parameter names (encoder.*, *.bias); the first matching group wins.', str('', { nonEmpty: true }), {
    required: true,
    minItems: 1,
    example: ['*.bias'],
  }),
  LR_MULTIPLIER: num('Multiplies the group schedule (give this or BASE_LR).', { default: 1.0, min: 0 }),
  BASE_LR: LR("The group's own base LR before scaling (give this or LR_MULTIPLIER).", { example: 1e-3 }),
  WEIGHT_DECAY: num('Weight decay of the group; default OPTIMIZER.WEIGHT_DECAY.', { min: 0, example: 0 }),
  LR_SCHEDULER: {
    ...PARTIAL_SCHEDULER,
    doc: "The group's own scheduler keys; the rest inherited from LR_SCHEDULER.",
    exampleKeys: { NAME: 'constant' },
  },
});

// ---------------------------------------------------------------------------------------------

const probabilityRamp = (what: string): SectionDef =>
  section(
    `${what}: probability ramping linearly from START_PROB at step 0 to END_PROB at END_*.`,
    {
      ENABLED: bool(`Enable ${what.toLowerCase()}.`, { default: false }),
      START_PROB: PROB('Probability at step 0.', { default: 0 }),
      END_PROB: PROB('Probability from END_STEPS|END_FRACTION|END_EPOCHS on.', { default: 0 }),
      ...triple('END', 'When END_PROB is reached', false, [10000, 0.3, 5]),
    },
    [tripleGroup('END')],
  );

export const DATA_SOURCES = [
  'synthetic:classification',
  'synthetic:regression',
  'synthetic:sequence',
  'synthetic:language',
  'npy',
  'csv',
  'tokens',
  'text',
] as const;

export const CONFIG_DEFINITION: SectionDef = section('train-native configuration.', {
  EXPERIMENT: section('Run identity.', {
    NAME: str('Run name, a plain folder name (no / or \\, not . or ..): the run directory is OUTPUT_DIR/NAME.', { default: 'default', nonEmpty: true }),
    OUTPUT_DIR: str('Parent folder of run directories.', { default: 'runs', nonEmpty: true }),
    SEED: int('Seed for initialisation, sampling and augmentation.', { default: 42, min: 0 }),
  }),

  DATA: section(
    'Dataset and batching.',
    {
      SOURCE: oneOf('Data source.', DATA_SOURCES, { default: 'synthetic:classification', noun: 'data source' }),
      TRAIN_PATH: str('Training data: npy: a folder of .npy arrays; csv, tokens, text: a file. Relative paths are relative to the current directory.', { nonEmpty: true, example: 'data/train' }),
      VAL_PATH: str('Validation data, like TRAIN_PATH (or give VAL_FRACTION).', { nonEmpty: true, example: 'data/val' }),
      VAL_FRACTION: num('Hold out this fraction of TRAIN_PATH for validation (or give VAL_PATH); synthetic: generate VAL_FRACTION x TRAIN_SAMPLES validation samples.', {
        exclMin: 0,
        exclMax: 1,
        example: 0.1,
      }),
      BATCH_SIZE: int('Batch size per process.', { default: 32, min: 1, max: LIMITS.BATCH_SIZE }),
      DROP_LAST: bool('Drop the last incomplete batch of an epoch.', { default: true }),
      TRAIN_SAMPLES: int('Training samples N, after any VAL_FRACTION hold-out; fixes N without reading data (enough for `schedule`); synthetic: how many to generate.', {
        min: 1,
        max: LIMITS.INT32,
        example: 50000,
      }),
      FEATURES: str('npy: feature array file in the TRAIN_PATH / VAL_PATH folder (default features.npy); csv: comma list of feature columns (default: every column but LABELS and GROUPS).', { example: 'x.npy' }),
      LABELS: str('npy: label array file in the folder (default labels.npy); csv: label column (default label).', { example: 'y.npy' }),
      META_COMPONENTS: arr('Metadata components that meta-masking can mask; npy: one array meta_<NAME>.npy ([N] or [N, width] floats) per component in the data folder.', str('', { nonEmpty: true }), {
        default: [],
        uniqueItems: true,
      }),
      GROUPS: str('npy: group-label array file (int, one per sample) for mixup; csv: group column.', { example: 'groups.npy' }),
      TOKEN_DTYPE: oneOf('tokens: element type of the flat token file.', ['uint16', 'uint32'], { default: 'uint16', noun: 'token dtype' }),
      BLOCK_SIZE: int('tokens / text: block length in tokens.', { min: 1, max: LIMITS.INT32, example: 256 }),
      STRIDE: int('tokens / text: tokens between the starts of consecutive blocks; default BLOCK_SIZE (no overlap), smaller gives overlapping blocks and more samples.', { min: 1, max: LIMITS.INT32, example: 128 }),
      RANDOM_OFFSETS: bool('tokens / text: every epoch, each block starts at a random offset in [0, STRIDE) from its place, drawn from (EXPERIMENT.SEED, epoch, sample): the model sees every position over the epochs, and a resume sees the same blocks.', { default: false }),
    },
    [{ kind: 'one-of', members: [['VAL_PATH'], ['VAL_FRACTION']] }],
  ),

  MODEL: section('Model architecture.', {
    TYPE: oneOf('Architecture: a built-in one, or torchscript (your module, MODEL.PATH).', ['mlp', 'transformer', 'gpt', 'torchscript'], { default: 'mlp', noun: 'model type' }),
    PATH: str('torchscript: the module file (torch.jit.script(model).save(PATH) or torch.jit.trace); relative to the working directory.', { nonEmpty: true, example: 'examples/cnn/cnn.pt' }),
    INPUT: oneOf('torchscript: what forward takes: features (npy of any rank: [B, ...]) or tokens ([B, N] int64).', ['features', 'tokens'], { default: 'features', noun: 'input' }),
    LOSS: oneOf('torchscript: auto (cross-entropy / MSE by MODEL.TASK on the output) or model (forward(inputs, targets) returns the loss).', ['auto', 'model'], { default: 'auto', noun: 'loss' }),
    TASK: oneOf('Prediction task (gpt ignores it: language modelling).', ['classification', 'regression'], {
      default: 'classification',
      noun: 'task',
    }),
    INPUT_DIM: int('mlp: input features; inferred from data when absent.', { min: 1, max: LIMITS.INT32, example: 32 }),
    NUM_CLASSES: int('classification: number of classes; inferred from data when absent.', { min: 1, max: LIMITS.INT32, example: 10 }),
    HIDDEN_SIZES: arr('mlp: hidden layer widths.', int('', { min: 1, max: LIMITS.INT32 }), { default: [128, 128], maxItems: LIMITS.LAYERS }),
    VOCAB_SIZE: int('transformer / gpt: vocabulary size; inferred from data when absent.', { min: 1, max: LIMITS.INT32, example: 50257 }),
    D_MODEL: int('transformer / gpt: model width.', { default: 128, min: 1, max: LIMITS.INT32 }),
    NUM_HEADS: int('transformer / gpt: attention heads; must divide D_MODEL.', { default: 4, min: 1, max: LIMITS.INT32 }),
    NUM_LAYERS: int('transformer / gpt: blocks.', { default: 2, min: 1, max: LIMITS.LAYERS }),
    FF_DIM: int('transformer / gpt: feed-forward width; default 4 * D_MODEL.', { min: 1, max: LIMITS.INT32, example: 512 }),
    DROPOUT: num('Dropout probability.', { default: 0.0, min: 0, exclMax: 1 }),
    TOKEN_LIMIT: int('Longest sequence accepted.', { default: 1024, min: 1, max: LIMITS.INT32 }),
    ATTENTION_CHUNK_SIZE: int('Query-chunked attention with this chunk size: activation memory grows with n·chunk instead of n²; 128 keeps a 4k sequence under 1/8 of full attention (docs/benchmarks.md).', { min: 1, example: 128 }),
  }),

  OPTIMIZER: section('Optimizer.', {
    NAME: oneOf('Optimizer.', ['adamw', 'sgd'], { default: 'adamw', noun: 'optimizer' }),
    WEIGHT_DECAY: num('Decoupled (adamw) or L2 (sgd) weight decay.', { default: 0.01, min: 0 }),
    BETAS: arr('adamw: coefficients of the running averages.', num('', { min: 0, exclMax: 1 }), {
      default: [0.9, 0.999],
      minItems: 2,
      maxItems: 2,
    }),
    EPS: num('adamw: denominator epsilon.', { default: 1e-8, exclMin: 0 }),
    MOMENTUM: num('sgd: momentum.', { default: 0.9, min: 0, max: 1 }),
    NESTEROV: bool('sgd: Nesterov momentum (needs MOMENTUM > 0).', { default: false }),
  }),

  LR_SCHEDULER: section(
    'Learning-rate schedule (SPEC §3).',
    {
      ...SCHEDULER_FIELDS,
      REFERENCE_BS: int('Scale BASE_LR, WARMUP_LR and MIN_LR by effective batch size / REFERENCE_BS.', {
        min: 1,
        example: 256,
      }),
      SCALING: oneOf('LR scaling rule when REFERENCE_BS is set.', ['linear', 'sqrt'], { default: 'linear' }),
      PARAMETER_GROUPS: arr('Named parameter groups with their own LR, weight decay and scheduler keys.', PARAMETER_GROUP, {
        default: [],
      }),
    },
    SCHEDULER_GROUPS,
  ),

  TRAIN: section('The training loop.', {
    EPOCHS: int('Epochs (total over both stages when STAGE1 is enabled); 0 only with MAX_STEPS.', { default: 10, min: 0, max: LIMITS.EPOCHS }),
    MAX_STEPS: int('Total optimizer steps; overrides EPOCHS when set.', { min: 1, max: LIMITS.TOTAL_STEPS, example: 10000 }),
    ACCUMULATION_STEPS: int('Micro-batches per optimizer step.', { default: 1, min: 1, max: LIMITS.BATCH_SIZE }),
    GRAD_CLIP: num('Clip the gradient norm to this; 0 disables clipping.', { default: 1.0, min: 0 }),
    DEVICE: oneOf('Device.', ['auto', 'cpu', 'cuda'], { default: 'auto', noun: 'device' }),
    PRECISION: oneOf('Compute precision.', ['fp32', 'bf16'], { default: 'fp32', noun: 'precision' }),
    THREADS: int("Intra-op CPU threads; 0 = LibTorch's choice.", { default: 0, min: 0 }),
    EXPANDABLE_SEGMENTS: bool("CUDA: the caching allocator's expandable segments (PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True, set before CUDA allocates), less fragmentation for changing shapes; no effect on CPU.", { default: false }),
    EMPTY_CACHE: oneOf("CUDA: return cached blocks to the driver at every epoch end (epoch), after every step too (batch), and also after every chunk of chunked attention (chunk); each costs a device sync and re-allocations. No effect on CPU.", ['never', 'epoch', 'batch', 'chunk'], { default: 'epoch', noun: 'empty-cache policy' }),
    AUTO_RESUME: bool('Resume from the latest complete checkpoint of the run directory if there is one.', {
      default: false,
    }),
    RESUME_FROM: str('Resume from this checkpoint folder. With a changed schedule (LR_SCHEDULER, stage-2 keys, EPOCHS / MAX_STEPS, batching) the counters and optimizer continue, the schedule is re-based at the checkpoint step and the run goes to a new run directory (SPEC §15).', { nonEmpty: true, example: 'runs/default/checkpoints/step-00000420' }),
    RESUME_WEIGHTS_ONLY: bool('With RESUME_FROM (--weights-only): load the weights alone; the optimizer, the counters and the schedule start from step 0 in a new run directory.', { default: false }),
    EARLY_STOP: section(
      'Early stopping, checked at validation points (SPEC §5).',
      {
        ACTIVE: bool('Enable early stopping.', { default: false }),
        METRIC: str('Metric to monitor.', { default: 'val_loss', nonEmpty: true }),
        MODE: oneOf("'min' or 'max'; 'auto' infers it from METRIC's name.", ['auto', 'min', 'max'], { default: 'auto' }),
        PATIENCE_STEPS: int('Steps without improvement before stopping (or PATIENCE_EPOCHS).', { min: 1, example: 10000 }),
        PATIENCE_EPOCHS: num('Epochs without improvement before stopping (or PATIENCE_STEPS).', { exclMin: 0, example: 5 }),
        MIN_DELTA: num('An improvement must exceed this.', { default: 0, min: 0 }),
        MAX_STEPS: int('Stop at this global step.', { min: 1, example: 100000 }),
        MAX_LOSS: num('Stop when the metric exceeds this.', { example: 10.0 }),
        MIN_LR: LR('Stop when the LR falls below this.', { example: 1e-7 }),
        MAX_GRAD_NORM: num('Stop when the gradient norm exceeds this.', { exclMin: 0, example: 100.0 }),
      },
      [{ kind: 'one-of', members: [['PATIENCE_STEPS'], ['PATIENCE_EPOCHS']] }],
    ),
    ON_NONFINITE: oneOf("On a non-finite loss: 'stop' the run or 'skip' the step.", ['stop', 'skip'], { default: 'stop' }),
  }),

  STAGES: section('Two-stage training: self-supervised stage 1, then stage 2.', {
    SKIP_STAGE1: bool('Go straight to stage 2 (e.g. resuming a stage-2 run).', { default: false }),
    STAGE1: section('Self-supervised pretraining.', {
      ENABLED: bool('Run stage 1 for the first STAGE1.EPOCHS of TRAIN.EPOCHS.', { default: false }),
      EPOCHS: int('Stage-1 epochs (part of TRAIN.EPOCHS).', { default: 0, min: 0, max: LIMITS.EPOCHS }),
      OBJECTIVE: oneOf("Stage-1 objective: 'masked_tokens' (seed 003: self-supervised encoder pretraining on token data) or 'supervised' (seed 002: the task itself, with the FREEZE parameters frozen).", ['masked_tokens', 'supervised'], { default: 'masked_tokens', noun: 'objective' }),
      MASK_PROB: num('masked_tokens: probability of masking a token.', { default: 0.15, exclMin: 0, exclMax: 1 }),
      FREEZE: arr("supervised: parameter-name patterns ('*' any characters) frozen in stage 1; absent: the model's base (mlp: layers.*, the hidden layers; transformer / gpt: encoder.*).", str('', { nonEmpty: true }), {
        minItems: 1,
        example: ['encoder.*'],
      }),
    }),
    STAGE2: section('Fine-tuning.', {
      FREEZE_BASE: bool('Freeze the base model in stage 2 (train the head only).', { default: false }),
      PROGRESSIVE_UNFREEZE: bool('Unfreeze the base gradually during stage 2 (--progressive-unfreeze): one more block from the top each stage-2 epoch.', { default: false }),
      BATCH_SIZE: int('Stage-2 batch size per process (--stage2-batch-size); absent: DATA.BATCH_SIZE. Stage-2 epochs then have their own length.', { min: 1, example: 1 }),
      LR_SCHEDULER: {
        ...PARTIAL_SCHEDULER,
        doc: "Stage 2's scheduler keys (BASE_LR is --stage2-lr); the rest inherited from LR_SCHEDULER. A stage-2 warmup starts from MIN_LR unless WARMUP_LR is given.",
        exampleKeys: { BASE_LR: 2e-4, WARMUP_EPOCHS: 3 },
      },
    }),
  }),

  SCHEDULE: section('When things happen during training (SPEC §4, §6).', {
    VALIDATION: section(
      'Validation, run at epoch boundaries.',
      {
        ...triple('INTERVAL', 'Validation interval', true, [5000, 0.1, 1]),
        ...triple('MASK_META_INTERVAL', 'Meta-masked validation interval', true, [25000, 0.5, 5]),
        PARTIAL_MASK_META: section(
          'Validation with partial meta-masking, one run per WHITELIST combination.',
          {
            ENABLED: bool('Enable partial meta-masking validation.', { default: false }),
            ...triple('INTERVAL', 'Partial meta-masking validation interval', true, [50000, 0.5, 10]),
            WHITELIST: arr('Component combinations to validate.', arr('', str('', { nonEmpty: true }), { minItems: 1 }), {
              default: [],
              example: [['TEMPORAL'], ['SPATIAL', 'ELEVATION']],
            }),
          },
          [tripleGroup('INTERVAL')],
        ),
        FINAL_EPOCH: section('Exhaustive validation after the last epoch.', {
          EXHAUSTIVE_PARTIAL_META_VALIDATION: bool('Validate every combination of EXHAUSTIVE_META_COMPONENTS.', {
            default: false,
          }),
          EXHAUSTIVE_META_COMPONENTS: arr('Components combined by the exhaustive validation.', str('', { nonEmpty: true }), {
            default: [],
            uniqueItems: true,
          }),
        }),
      },
      [tripleGroup('INTERVAL', { key: 'INTERVAL_EPOCHS', value: 1 }), tripleGroup('MASK_META_INTERVAL')],
    ),

    CHECKPOINT: section(
      'Checkpoints: an interval, a GENERATE plan or explicit STEPS (one method), and retention.',
      {
        ...triple('INTERVAL', 'Checkpoint interval', true, [5000, 0.1, 1]),
        GENERATE: section(
          'Generated plan: dense in the first epoch, log- or linear-spaced after (SPEC §4).',
          {
            FIRST_EPOCH_CHECKPOINTS: int('Evenly spaced checkpoints in the first epoch, step 0 included.', {
              default: 20,
              min: 0,
            }),
            SUBSEQUENT_EPOCHS_SPACING: oneOf('Spacing of checkpoints in later epochs.', ['log', 'linear'], {
              default: 'log',
            }),
            LOG_BASE: num('log spacing: offsets grow by LOG_BASE^i.', { default: 2, exclMin: 1 }),
            LINEAR_INTERVAL: int('linear spacing: steps between checkpoints; default steps_per_epoch / 10.', {
              min: 1,
              example: 100,
            }),
            MIN_CHECKPOINT_INTERVAL: int('Drop a later-epoch point closer than this to the previous one.', {
              default: 100,
              min: 0,
            }),
          },
          undefined,
          { optional: true },
        ),
        STEPS: arr('Explicit checkpoint steps.', int('', { min: 0 }), { increasing: true, example: [100, 500, 1000] }),
        KEEP_TOP_N: int('Keep the N best checkpoints by TRAIN.EARLY_STOP.METRIC (validated checkpoints only), besides the KEEP_LAST_N newest.', { default: 1, min: 0 }),
        KEEP_LAST_N: int('Keep the N newest checkpoints.', { default: 2, min: 0 }),
        SYNC: section("Copy the run directory elsewhere after each checkpoint (seed 000's remote sync): in the background, one copy at a time.", {
          ENABLED: bool('Run COMMAND after each complete checkpoint; default: true when COMMAND is given.', { example: false }),
          COMMAND: str('One command line, split like a shell would but run without one; {run_dir}, {run_name}, {checkpoint_dir}, {checkpoint} and {step} are replaced in each argument.', {
            nonEmpty: true,
            example: 'rclone sync {run_dir} b2:my-bucket/runs/{run_name}',
          }),
          RETRIES: int('Retries of a failed copy before it is reported as a warning (training goes on).', { default: 3, min: 0 }),
          RETRY_DELAY_S: num('Seconds before the first retry; each next retry waits twice as long.', { default: 2, min: 0 }),
        }),
      },
      [
        tripleGroup('INTERVAL'),
        {
          kind: 'methods',
          members: [['INTERVAL_STEPS', 'INTERVAL_FRACTION', 'INTERVAL_EPOCHS'], ['GENERATE'], ['STEPS']],
          default: { key: 'INTERVAL_EPOCHS', value: 1 },
        },
      ],
    ),

    META_MASKING: (() => {
      const ramp = probabilityRamp('Meta-masking');
      ramp.fields.PARTIAL = section(
        'Partial meta-masking of samples not fully masked, inside [START_FRACTION, END_FRACTION).',
        {
          ENABLED: bool('Enable partial meta-masking.', { default: false }),
          START_FRACTION: PROB('Window start, as a fraction of total steps.', { default: 0 }),
          END_FRACTION: PROB('Window end (exclusive), as a fraction of total steps.', { default: 1 }),
          START_PROB: PROB('Probability at the window start.', { default: 0 }),
          END_PROB: PROB('Probability from PROB_END_* on.', { default: 0 }),
          ...triple('PROB_END', 'When END_PROB is reached', false, [25000, 0.5, 5]),
          WHITELIST: arr('Component combinations to mask.', arr('', str('', { nonEmpty: true }), { minItems: 1 }), {
            default: [],
            example: [['TEMPORAL'], ['SPATIAL', 'ELEVATION']],
          }),
          WEIGHTS: arr('Sampling weights of the WHITELIST entries (same length).', num('', { min: 0 }), {
            example: [1, 2],
          }),
        },
        [tripleGroup('PROB_END')],
      );
      return ramp;
    })(),

    MIXUP: section('Mixup within groups of samples.', {
      GROUP_LEVELS: arr('Grouping levels; only the first is used.', str('', { nonEmpty: true }), { default: [] }),
      LEVEL_SWITCH_STEPS: arr('Level switching is not supported: must be empty.', int('', { min: 0 }), {
        default: [],
        maxItems: 0,
        emptyReason: 'level switching is not supported; only the first GROUP_LEVELS entry is used (SPEC §6)',
      }),
      LEVEL_SWITCH_EPOCHS: arr('Level switching is not supported: must be empty.', num('', { min: 0 }), {
        default: [],
        maxItems: 0,
        emptyReason: 'level switching is not supported; only the first GROUP_LEVELS entry is used (SPEC §6)',
      }),
      PROB: probabilityRamp('Mixup'),
      ALPHA: num('Beta(ALPHA, ALPHA) mixing coefficient.', { default: 1.0, exclMin: 0 }),
      MIN_GROUP_SIZE: int('Groups smaller than this are not mixed.', { default: 4, min: 1 }),
      EXCLUDE_NULL_SAMPLES: bool('Do not mix samples with null labels.', { default: true }),
    }),

    METRICS: section(
      'Metric logging intervals.',
      {
        STEP_INTERVAL: int('Log training metrics every N steps (default 50 unless STEP_FRACTION).', { min: 1, example: 50 }),
        STEP_FRACTION: num('Log training metrics every fraction of total steps (or STEP_INTERVAL).', {
          exclMin: 0,
          max: 1,
          example: 0.001,
        }),
        CONSOLE_INTERVAL: int('Print a console summary every N steps.', { default: 100, min: 1 }),
        LR_INTERVAL: int('Log learning rates every N steps.', { default: 100, min: 1 }),
      },
      [{ kind: 'one-of', members: [['STEP_INTERVAL'], ['STEP_FRACTION']], default: { key: 'STEP_INTERVAL', value: 50 } }],
    ),
  }),

  LOGGING: section('Logging.', {
    TENSORBOARD: bool('Write TensorBoard event files.', { default: true }),
    HISTOGRAM_INTERVAL_EPOCHS: int('Weight and gradient histograms every N epochs; 0 disables.', { default: 10, min: 0 }),
    PROGRESS: oneOf("Console progress: 'auto' = a bar on a terminal, plain lines otherwise.", ['auto', 'bar', 'plain', 'none'], {
      default: 'auto',
    }),
  }),

  DIST: section('Distributed data parallel (one process per rank). `train` fills WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT from the environment variables of those names (torchrun\'s contract; `train-native launch` sets them), over what the file says.', {
    BACKEND: oneOf('Collective backend: gloo (CPU), nccl (CUDA), auto (nccl on CUDA when compiled in, else gloo).', ['gloo', 'nccl', 'auto'], { default: 'auto', noun: 'backend' }),
    WORLD_SIZE: int('Number of processes in the run (all machines).', { default: 1, min: 1 }),
    RANK: int('This process (0 … WORLD_SIZE-1); rank 0 writes the run directory.', { default: 0, min: 0 }),
    LOCAL_RANK: int('This process on its machine (its GPU on CUDA).', { default: 0, min: 0 }),
    LOCAL_WORLD_SIZE: int('Processes on this machine (TRAIN.THREADS 0 then gives each floor(cores / LOCAL_WORLD_SIZE) threads).', { default: 1, min: 1 }),
    MASTER_ADDR: str('Address of rank 0, which hosts the rendezvous store.', { default: '127.0.0.1', nonEmpty: true }),
    MASTER_PORT: int('Port of the rendezvous store on rank 0.', { default: 29500, min: 1, max: 65535 }),
    TIMEOUT_S: num('Seconds a rank waits for the others (start-up and every collective) before it fails, naming the rank that went away.', { default: 300, exclMin: 0 }),
  }),
});

/** The X_STEPS | X_FRACTION | X_EPOCHS groups of scheduler keys (effective.ts). */
export const SCHEDULER_ONE_OF_GROUPS: readonly GroupDef[] = SCHEDULER_GROUPS;
