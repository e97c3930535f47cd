/**
 * The one translation from the (validated) config plus what the data revealed into the native
 * session's options bag. Also decides the model-level facts the loop needs: the masked-token id of
 * stage 1 and whether the model takes metadata.
 */
import { resolve as resolvePath } from 'path';
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { metaMaskFor, validateMetaMasking, type Dataset, type ModelDims } from '../data';
import type { NativeSessionOptions } from '../native/types';
import { threadsPerProcess } from './dist';

/** What inferModelDims (lib/data) found; config values already won where set. */
export type { ModelDims };

export interface ModelPlan {
  native: NativeSessionOptions;
  /** Stage 1's [MASK] token id (one past the data's vocabulary), or null without stage 1. */
  maskTokenId: number | null;
}

/** Config combinations the loop cannot run, reported before anything is created. */
export function checkTrainable(config: TrainNativeConfig): void {
  const st = config.STAGES;
  if (st.STAGE1.ENABLED && st.STAGE1.OBJECTIVE === 'masked_tokens' && config.MODEL.TYPE !== 'transformer') {
    throw new ConfigError(
      `stage 1 pretrains a transformer encoder on masked tokens; MODEL.TYPE ${config.MODEL.TYPE} has none (use MODEL.TYPE: transformer, STAGES.STAGE1.OBJECTIVE: supervised, or disable stage 1)`,
      'STAGES.STAGE1.ENABLED',
    );
  }
  if (st.STAGE2.FREEZE_BASE && st.STAGE2.PROGRESSIVE_UNFREEZE) {
    throw new ConfigError('give FREEZE_BASE or PROGRESSIVE_UNFREEZE, not both: one keeps the encoder frozen, the other thaws it layer by layer', 'STAGES.STAGE2.PROGRESSIVE_UNFREEZE');
  }
  if (st.STAGE1.FREEZE !== undefined && !(st.STAGE1.ENABLED && st.STAGE1.OBJECTIVE === 'supervised')) {
    throw new ConfigError('FREEZE applies to a supervised stage 1: set STAGES.STAGE1.ENABLED: true and STAGES.STAGE1.OBJECTIVE: supervised', 'STAGES.STAGE1.FREEZE');
  }
  // A TorchScript module's parameter names are its own: there is no built-in "base" to freeze.
  if (config.MODEL.TYPE === 'torchscript') {
    if (st.STAGE2.FREEZE_BASE || st.STAGE2.PROGRESSIVE_UNFREEZE) {
      throw new ConfigError('a torchscript module has no built-in base to freeze: freeze its own parameter names with STAGES.STAGE1.FREEZE or LR_SCHEDULER.PARAMETER_GROUPS', st.STAGE2.FREEZE_BASE ? 'STAGES.STAGE2.FREEZE_BASE' : 'STAGES.STAGE2.PROGRESSIVE_UNFREEZE');
    }
    if (st.STAGE1.ENABLED && st.STAGE1.OBJECTIVE === 'supervised' && st.STAGE1.FREEZE === undefined) {
      throw new ConfigError("a torchscript module has no built-in base: name what stage 1 freezes (its parameter names, '*' any characters)", 'STAGES.STAGE1.FREEZE');
    }
  }
  if (config.DATA.META_COMPONENTS.length > 0 && config.MODEL.TYPE !== 'transformer') {
    throw new ConfigError(
      `metadata components feed the transformer's metadata input (and meta-masking); MODEL.TYPE ${config.MODEL.TYPE} has none: use MODEL.TYPE transformer or remove DATA.META_COMPONENTS`,
      'DATA.META_COMPONENTS',
    );
  }
}

/** What the config asks of the data that only the loaded data can answer (groups, component names). */
export function checkDataFits(config: TrainNativeConfig, train: Dataset): void {
  const sched = config.SCHEDULE;
  if (sched.MIXUP.PROB.ENABLED && !train.hasGroups) {
    throw new ConfigError(
      'mixup mixes samples within groups, but the training data has none (npy: groups.npy or DATA.GROUPS; csv: the DATA.GROUPS column; ' +
        'synthetic classification / sequence with META_COMPONENTS: the class)',
      'SCHEDULE.MIXUP.PROB.ENABLED',
    );
  }
  // Several processes: a short last global batch would leave ranks with unequal (or no) rows,
  // and the averaged gradient would no longer be the mean over the batch.
  const w = config.DIST.WORLD_SIZE;
  const global = config.DATA.BATCH_SIZE * w;
  if (w > 1 && !config.DATA.DROP_LAST && train.size % global !== 0) {
    throw new ConfigError(
      `with DIST.WORLD_SIZE ${w}, DATA.DROP_LAST false needs the ${train.size} training samples to fill whole global batches of BATCH_SIZE × WORLD_SIZE = ${global} (${train.size % global} are left over): set DROP_LAST true or change BATCH_SIZE`,
      'DATA.DROP_LAST',
    );
  }
  // Component names in the masking whitelists are checked now, not at the first step that masks.
  const comps = train.metaComponents;
  if (comps.length === 0) return;
  validateMetaMasking(comps, sched.META_MASKING.PARTIAL.WHITELIST, sched.META_MASKING.PARTIAL.WEIGHTS);
  for (const combo of sched.VALIDATION.PARTIAL_MASK_META.WHITELIST) metaMaskFor(comps, combo, 1, train.metaDim);
  metaMaskFor(comps, sched.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS, 1, train.metaDim, 'SCHEDULE.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS');
}

/** `scriptDir`: where MODEL.PATH resolves (the working directory). */
export function planModel(config: TrainNativeConfig, dims: ModelDims, scriptDir = process.cwd()): ModelPlan {
  const m = config.MODEL;
  const o = config.OPTIMIZER;
  const t = config.TRAIN;
  const stage1 = config.STAGES.STAGE1.ENABLED && config.STAGES.STAGE1.OBJECTIVE === 'masked_tokens';
  let vocabSize = dims.vocabSize;
  let maskTokenId: number | null = null;
  // The [MASK] token gets its own embedding row; a stage-2 run (--skip-stage1) keeps the same
  // table so that the stage-1 encoder loads into it.
  if (stage1 && vocabSize !== undefined) {
    maskTokenId = vocabSize;
    vocabSize += 1;
  }
  const native: NativeSessionOptions = {
    model: {
      type: m.TYPE,
      task: m.TASK,
      inputDim: dims.inputDim,
      numClasses: dims.numClasses,
      outputDim: dims.outputDim,
      hiddenSizes: m.HIDDEN_SIZES,
      vocabSize,
      dModel: m.D_MODEL,
      numHeads: m.NUM_HEADS,
      numLayers: m.NUM_LAYERS,
      ffDim: m.FF_DIM,
      dropout: m.DROPOUT,
      tokenLimit: m.TOKEN_LIMIT,
      attentionChunkSize: m.ATTENTION_CHUNK_SIZE,
      metaDim: m.TYPE === 'transformer' ? dims.metaDim : undefined,
      maskedTokenHead: m.TYPE === 'transformer' ? stage1 : undefined,
      ...(m.TYPE === 'torchscript'
        ? { scriptPath: resolvePath(scriptDir, m.PATH as string), input: m.INPUT, loss: m.LOSS, inputShape: dims.inputShape }
        : {}),
    },
    optimizer: {
      name: o.NAME,
      weightDecay: o.WEIGHT_DECAY,
      betas: o.BETAS,
      eps: o.EPS,
      momentum: o.MOMENTUM,
      nesterov: o.NESTEROV,
    },
    groups: config.LR_SCHEDULER.PARAMETER_GROUPS.map((g) => ({
      name: g.NAME,
      patterns: g.PATTERNS,
      weightDecay: g.WEIGHT_DECAY,
    })),
    device: t.DEVICE,
    precision: t.PRECISION,
    seed: config.EXPERIMENT.SEED,
    threads: threadsPerProcess(config),
    gradClip: t.GRAD_CLIP,
    expandableSegments: t.EXPANDABLE_SEGMENTS,
    emptyCacheAfterStep: t.EMPTY_CACHE === 'batch' || t.EMPTY_CACHE === 'chunk',
    emptyCacheAfterChunk: t.EMPTY_CACHE === 'chunk',
  };
  // Drop undefined members so the native option checks see only what was decided.
  native.model = Object.fromEntries(Object.entries(native.model).filter(([, v]) => v !== undefined)) as NativeSessionOptions['model'];
  return { native, maskTokenId };
}
