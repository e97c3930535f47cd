/**
 * The time base (SPEC §1): how many optimizer steps an epoch and the whole run have, and the
 * one rule (SPEC §2) that turns every `*_STEPS | *_FRACTION | *_EPOCHS` triple into steps.
 * Everything else in lib/schedule is a function of the numbers computed here.
 */
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { LIMITS } from '../config/definition';

/**
 * A run of consecutive epochs with the same length. A plain run has one; a stage-2 batch size
 * (STAGES.STAGE2.BATCH_SIZE) or a resume whose batching changed (SPEC §15) adds one where the
 * length changes, so epochs keep counting across it.
 */
export interface EpochSegment {
  /** Global step the segment's first epoch starts at. */
  start: number;
  /** Global step its last epoch ends at (exclusive bound of its steps). */
  end: number;
  /** Epochs completed before the segment (its first epoch is firstEpoch + 1 in what people read). */
  firstEpoch: number;
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  batchesPerEpoch: number;
}

/** Where a resumed run with a changed configuration takes up the count (SPEC §15). */
export interface TimeOrigin {
  /** The checkpoint's global step s0. */
  step: number;
  /** Epochs the checkpoint completed; an epoch it was in the middle of counts as done. */
  epochsDone: number;
}

export interface TimeBase {
  /** N, the training samples the schedule was computed for. */
  trainSamples: number;
  /** The batch size of the first epoch trained (DATA.BATCH_SIZE, or stage 2's with SKIP_STAGE1). */
  batchSize: number;
  worldSize: number;
  accumulationSteps: number;
  dropLast: boolean;
  batchesPerEpoch: number;
  /** Steps of the first epoch trained; the one length `*_EPOCHS` keys of events resolve with. */
  stepsPerEpoch: number;
  /** Optimizer steps in the run (TRAIN.MAX_STEPS when set). */
  totalSteps: number;
  /** Epochs the run touches (the last may be partial), counted from epoch 1 of the whole run. */
  epochs: number;
  /** B * W * A of the first epoch trained. */
  effectiveBatchSize: number;
  /** The epoch layout, ascending; the first may be a resumed run's past (a placeholder). */
  segments: EpochSegment[];
  /** Set on a resume with a changed configuration. */
  origin?: TimeOrigin;
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

function epochLength(n: number, batchSize: number, worldSize: number, accumulationSteps: number, dropLast: boolean, key: string): { batchesPerEpoch: number; stepsPerEpoch: number } {
  const perStep = batchSize * worldSize;
  const batchesPerEpoch = dropLast ? Math.floor(n / perStep) : Math.ceil(n / perStep);
  if (batchesPerEpoch < 1) {
    throw new ConfigError(
      `${n} training samples make zero batches per epoch with batch size ${batchSize} x world size ${worldSize} ` +
        `and DATA.DROP_LAST: true; lower the batch size or set DATA.DROP_LAST: false`,
      key,
    );
  }
  // A short last accumulation window still steps (SPEC §1), hence ceil.
  return { batchesPerEpoch, stepsPerEpoch: Math.ceil(batchesPerEpoch / accumulationSteps) };
}

/** The batch size of 0-based epoch e of the run's own count: stage 2's from its first epoch on. */
function batchSizeOfEpoch(config: TrainNativeConfig, e: number): number {
  const st = config.STAGES;
  const b2 = st.STAGE2.BATCH_SIZE;
  if (b2 === undefined || !st.STAGE1.ENABLED) return config.DATA.BATCH_SIZE;
  return st.SKIP_STAGE1 || e >= stage1Epochs(config) ? positiveInt(b2, 'STAGES.STAGE2.BATCH_SIZE') : config.DATA.BATCH_SIZE;
}

/**
 * Resolves the time base. `trainSamples` (the caller's N once data is read) wins over
 * DATA.TRAIN_SAMPLES; with neither, a dry run cannot know how long an epoch is. With an `origin`
 * (a resume with a changed configuration) the epochs after the checkpoint's take the new lengths
 * from its step on, and the steps before it are one placeholder segment.
 */
export function resolveTimeBase(config: TrainNativeConfig, trainSamples?: number, origin?: TimeOrigin): TimeBase {
  const n = trainSamples ?? config.DATA.TRAIN_SAMPLES;
  if (n === undefined) {
    throw new ConfigError(
      'the number of training samples is unknown: set DATA.TRAIN_SAMPLES, or DATA.TRAIN_PATH to files it can be counted from',
      'DATA.TRAIN_SAMPLES',
    );
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigError(`must be a positive integer, got ${n}`, 'DATA.TRAIN_SAMPLES');
  }
  positiveInt(config.DATA.BATCH_SIZE, 'DATA.BATCH_SIZE');
  const worldSize = positiveInt(config.DIST.WORLD_SIZE, 'DIST.WORLD_SIZE');
  const accumulationSteps = positiveInt(config.TRAIN.ACCUMULATION_STEPS, 'TRAIN.ACCUMULATION_STEPS');
  const dropLast = config.DATA.DROP_LAST;

  const segments: EpochSegment[] = [];
  let step = 0;
  let firstEpoch = 0;
  if (origin && origin.step > 0) {
    const done = Math.max(1, origin.epochsDone);
    segments.push({ start: 0, end: origin.step, firstEpoch: 0, epochs: done, stepsPerEpoch: origin.step / done, batchSize: config.DATA.BATCH_SIZE, batchesPerEpoch: 0 });
    step = origin.step;
    firstEpoch = done;
  }
  // Epochs up to the last one the run trains; MAX_STEPS alone runs whole epochs until it is reached.
  const maxSteps = config.TRAIN.MAX_STEPS !== undefined ? positiveInt(config.TRAIN.MAX_STEPS, 'TRAIN.MAX_STEPS') : undefined;
  const epochsInRun = maxSteps !== undefined ? 0 : runEpochs(config);
  if (maxSteps === undefined) {
    // Checked before the epochs are laid out, so an absurd TRAIN.EPOCHS is refused at once.
    const spe = epochLength(n, config.DATA.BATCH_SIZE, worldSize, accumulationSteps, dropLast, 'DATA.BATCH_SIZE').stepsPerEpoch;
    const b2 = config.STAGES.STAGE1.ENABLED ? config.STAGES.STAGE2.BATCH_SIZE : undefined;
    const spe2 = b2 !== undefined ? epochLength(n, positiveInt(b2, 'STAGES.STAGE2.BATCH_SIZE'), worldSize, accumulationSteps, dropLast, 'STAGES.STAGE2.BATCH_SIZE').stepsPerEpoch : spe;
    const bound = epochsInRun * Math.max(spe, spe2);
    if (bound > LIMITS.TOTAL_STEPS) {
      throw new ConfigError(
        `${epochsInRun} epochs of ${Math.max(spe, spe2)} steps make ${bound} steps, more than the ${LIMITS.TOTAL_STEPS} a run may have; lower it or give TRAIN.MAX_STEPS`,
        'TRAIN.EPOCHS',
      );
    }
  }
  for (let e = firstEpoch; e < epochsInRun || (maxSteps !== undefined && step < maxSteps); e++) {
    const b = batchSizeOfEpoch(config, e);
    const key = b === config.DATA.BATCH_SIZE ? 'DATA.BATCH_SIZE' : 'STAGES.STAGE2.BATCH_SIZE';
    const len = epochLength(n, b, worldSize, accumulationSteps, dropLast, key);
    const last = segments[segments.length - 1];
    if (last && last.batchesPerEpoch > 0 && last.batchSize === b) {
      last.epochs++;
      last.end += len.stepsPerEpoch;
    } else {
      segments.push({ start: step, end: step + len.stepsPerEpoch, firstEpoch: e, epochs: 1, batchSize: b, ...len });
    }
    step += len.stepsPerEpoch;
  }
  const totalSteps = maxSteps ?? step;
  if (segments.length === 0 || segments[segments.length - 1].batchesPerEpoch === 0) {
    // A resumed run past its epochs: one (empty) segment of the new length says how long an epoch is.
    const b = batchSizeOfEpoch(config, firstEpoch);
    const len = epochLength(n, b, worldSize, accumulationSteps, dropLast, 'DATA.BATCH_SIZE');
    segments.push({ start: step, end: step, firstEpoch, epochs: 0, batchSize: b, ...len });
  }
  const first = segments.find((g) => g.batchesPerEpoch > 0) as EpochSegment;
  return {
    trainSamples: n,
    batchSize: first.batchSize,
    worldSize,
    accumulationSteps,
    dropLast,
    batchesPerEpoch: first.batchesPerEpoch,
    stepsPerEpoch: first.stepsPerEpoch,
    totalSteps,
    epochs: epochsAtStep(segments, totalSteps),
    effectiveBatchSize: first.batchSize * worldSize * accumulationSteps,
    segments,
    ...(origin ? { origin } : {}),
  };
}

/** The segment global step k (0-based optimizer step) belongs to; past the end: the last. */
export function segmentOf(segments: readonly EpochSegment[], k: number): EpochSegment {
  for (let i = segments.length - 1; i > 0; i--) if (k >= segments[i].start) return segments[i];
  return segments[0];
}

/** 0-based epoch of optimizer step k, and the step its epoch starts at. */
export function epochIndexOf(segments: readonly EpochSegment[], k: number): { epoch: number; start: number; length: number } {
  const g = segmentOf(segments, k);
  if (g.batchesPerEpoch === 0) {
    // The placeholder of a resumed run's past: its epochs as evenly spread as whole steps allow.
    const j = Math.min(g.epochs - 1, Math.floor(((k - g.start) * g.epochs) / Math.max(1, g.end - g.start)));
    const start = g.start + Math.round((j * (g.end - g.start)) / g.epochs);
    const end = g.start + Math.round(((j + 1) * (g.end - g.start)) / g.epochs);
    return { epoch: g.firstEpoch + j, start, length: end - start };
  }
  const j = Math.floor((k - g.start) / g.stepsPerEpoch);
  return { epoch: g.firstEpoch + j, start: g.start + j * g.stepsPerEpoch, length: g.stepsPerEpoch };
}

/** Epochs touched by the first `steps` steps (a partial last one counts). */
export function epochsAtStep(segments: readonly EpochSegment[], steps: number): number {
  if (steps <= 0) return 0;
  return epochIndexOf(segments, steps - 1).epoch + 1;
}

/** The global step 0-based epoch e starts at (the end of the layout when past it). */
export function stepOfEpoch(segments: readonly EpochSegment[], e: number): number {
  for (const g of segments) {
    if (e < g.firstEpoch + g.epochs) {
      const j = Math.max(0, e - g.firstEpoch);
      return g.batchesPerEpoch === 0 ? g.start + Math.round((j * (g.end - g.start)) / g.epochs) : g.start + j * g.stepsPerEpoch;
    }
  }
  return segments[segments.length - 1].end;
}

/** Global steps ending each epoch up to total_steps, which always ends the last one. */
export function boundariesOf(segments: readonly EpochSegment[], totalSteps: number): number[] {
  const out: number[] = [];
  for (const g of segments) {
    for (let j = 1; j <= g.epochs; j++) {
      const b = g.batchesPerEpoch === 0 ? g.start + Math.round((j * (g.end - g.start)) / g.epochs) : g.start + j * g.stepsPerEpoch;
      if (b < totalSteps && b > (out[out.length - 1] ?? 0)) out.push(b);
    }
  }
  out.push(totalSteps);
  return out;
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
