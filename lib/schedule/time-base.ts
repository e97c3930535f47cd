/**
 * The time base (SPEC §1): how many optimizer steps an epoch and the whole run have, and the
 * one rule (SPEC §2) that turns every `*_STEPS | *_FRACTION | *_EPOCHS` triple into steps.
 * Everything else in lib/schedule is a function of the numbers computed here.
 */
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { LIMITS } from '../config/definition';

export interface TimeBase {
  /** N, the training samples the schedule was computed for. */
  trainSamples: number;
  batchSize: number;
  worldSize: number;
  accumulationSteps: number;
  dropLast: boolean;
  batchesPerEpoch: number;
  stepsPerEpoch: number;
  /** Optimizer steps in the run (TRAIN.MAX_STEPS when set). */
  totalSteps: number;
  /** Epochs the run touches: ceil(total_steps / steps_per_epoch); the last may be partial. */
  epochs: number;
  /** B * W * A. */
  effectiveBatchSize: number;
}

/**
 * Half-up rounding with a tolerance for float noise, so that 0.7 * 15 (= 10.499999999999998 in
 * binary) rounds like the 10.5 the user meant. Python's banker's rounding is deliberately not
 * copied: `round(2.5) == 2` surprises people reading a schedule summary.
 */
export function roundSteps(x: number): number {
  return Math.floor(x + 0.5 + 1e-9);
}

function positiveInt(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`must be a positive integer, got ${value}`, key);
  }
  return value;
}

/** STAGES.STAGE1.EPOCHS, checked: a whole number >= 1 (stage 1 is enabled). */
export function stage1Epochs(config: TrainNativeConfig): number {
  const e1 = config.STAGES.STAGE1.EPOCHS;
  if (!Number.isInteger(e1) || e1 < 1) {
    throw new ConfigError(`stage 1 needs a whole number of epochs >= 1, got ${e1}`, 'STAGES.STAGE1.EPOCHS');
  }
  return e1;
}

/**
 * Epochs this run trains. TRAIN.EPOCHS counts both stages; with STAGES.SKIP_STAGE1 (and stage 1
 * enabled) the run goes straight to stage 2, so only the stage-2 epochs remain (seed 002's
 * `--epochs 150 --stage1-epochs 30 --skip-stage1` trains epochs 31-150).
 */
export function runEpochs(config: TrainNativeConfig): number {
  const epochs = positiveInt(config.TRAIN.EPOCHS, 'TRAIN.EPOCHS');
  const st = config.STAGES;
  if (!st.STAGE1.ENABLED) return epochs;
  const e1 = stage1Epochs(config);
  if (e1 >= epochs) {
    throw new ConfigError(
      `stage 1 needs a whole number of epochs from 1 to TRAIN.EPOCHS - 1 (${epochs - 1}), got ${e1}; ` +
        'TRAIN.EPOCHS counts both stages',
      'STAGES.STAGE1.EPOCHS',
    );
  }
  return st.SKIP_STAGE1 ? epochs - e1 : epochs;
}

/**
 * Resolves the time base. `trainSamples` (the caller's N once data is read) wins over
 * DATA.TRAIN_SAMPLES; with neither, a dry run cannot know how long an epoch is.
 */
export function resolveTimeBase(config: TrainNativeConfig, trainSamples?: number): TimeBase {
  const n = trainSamples ?? config.DATA.TRAIN_SAMPLES;
  if (n === undefined) {
    throw new ConfigError(
      'the number of training samples is unknown: set DATA.TRAIN_SAMPLES to preview a schedule without data',
      'DATA.TRAIN_SAMPLES',
    );
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigError(`must be a positive integer, got ${n}`, 'DATA.TRAIN_SAMPLES');
  }
  const batchSize = positiveInt(config.DATA.BATCH_SIZE, 'DATA.BATCH_SIZE');
  const worldSize = positiveInt(config.DIST.WORLD_SIZE, 'DIST.WORLD_SIZE');
  const accumulationSteps = positiveInt(config.TRAIN.ACCUMULATION_STEPS, 'TRAIN.ACCUMULATION_STEPS');
  const dropLast = config.DATA.DROP_LAST;
  const perStep = batchSize * worldSize;
  const batchesPerEpoch = dropLast ? Math.floor(n / perStep) : Math.ceil(n / perStep);
  if (batchesPerEpoch < 1) {
    throw new ConfigError(
      `${n} training samples make zero batches per epoch with batch size ${batchSize} x world size ${worldSize} ` +
        `and DATA.DROP_LAST: true; lower the batch size or set DATA.DROP_LAST: false`,
      'DATA.BATCH_SIZE',
    );
  }
  // A short last accumulation window still steps (SPEC §1), hence ceil.
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / accumulationSteps);
  let totalSteps: number;
  if (config.TRAIN.MAX_STEPS !== undefined) {
    totalSteps = positiveInt(config.TRAIN.MAX_STEPS, 'TRAIN.MAX_STEPS');
  } else {
    const epochs = runEpochs(config);
    totalSteps = stepsPerEpoch * epochs;
    if (totalSteps > LIMITS.TOTAL_STEPS) {
      throw new ConfigError(
        `${epochs} epochs of ${stepsPerEpoch} steps make ${totalSteps} steps, more than the ${LIMITS.TOTAL_STEPS} a run may have; lower it or give TRAIN.MAX_STEPS`,
        'TRAIN.EPOCHS',
      );
    }
  }
  return {
    trainSamples: n,
    batchSize,
    worldSize,
    accumulationSteps,
    dropLast,
    batchesPerEpoch,
    stepsPerEpoch,
    totalSteps,
    epochs: Math.ceil(totalSteps / stepsPerEpoch),
    effectiveBatchSize: batchSize * worldSize * accumulationSteps,
  };
}

/** The three ways of giving one duration or point in time (SPEC §2). */
export interface DurationTriple {
  steps?: number;
  fraction?: number;
  epochs?: number;
}

/** A resolved triple: the key that was used, what was written, and the steps it became. */
export interface ResolvedDuration {
  key: string;
  given: number;
  steps: number;
}

export interface ResolveOptions {
  /** Steps that `*_FRACTION` is relative to (a stage's own total for stage schedules). */
  totalSteps: number;
  stepsPerEpoch: number;
  /** Intervals resolve to at least 1 (SPEC §2). */
  atLeastOne?: boolean;
}

/**
 * Resolves `<prefix>_STEPS | _FRACTION | _EPOCHS` (keys named by `names`) to steps; undefined when
 * none is given. Two given is a config error naming both (the loader checks this too; a stage or
 * group overlay can only create the conflict here).
 */
export function resolveDuration(
  triple: DurationTriple,
  names: { steps: string; fraction: string; epochs: string },
  opts: ResolveOptions,
): ResolvedDuration | undefined {
  const given: Array<[string, number, (v: number) => number]> = [];
  if (triple.steps !== undefined) given.push([names.steps, triple.steps, (v) => v]);
  if (triple.fraction !== undefined) given.push([names.fraction, triple.fraction, (v) => roundSteps(v * opts.totalSteps)]);
  if (triple.epochs !== undefined) given.push([names.epochs, triple.epochs, (v) => roundSteps(v * opts.stepsPerEpoch)]);
  if (given.length === 0) return undefined;
  if (given.length > 1) {
    throw new ConfigError(`give only one of ${given.map((g) => g[0]).join(' and ')}`, given[1][0]);
  }
  const [key, value, toSteps] = given[0];
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigError(`must be a finite number >= 0, got ${value}`, key);
  }
  if (key === names.steps && !Number.isInteger(value)) {
    throw new ConfigError(`must be a whole number of steps, got ${value}`, key);
  }
  let steps = toSteps(value);
  if (opts.atLeastOne) steps = Math.max(1, steps);
  return { key, given: value, steps };
}

/** `PREFIX_STEPS`, `PREFIX_FRACTION`, `PREFIX_EPOCHS` under a section path. */
export function tripleNames(section: string, prefix: string): { steps: string; fraction: string; epochs: string } {
  const p = `${section}.${prefix}`;
  return { steps: `${p}_STEPS`, fraction: `${p}_FRACTION`, epochs: `${p}_EPOCHS` };
}
