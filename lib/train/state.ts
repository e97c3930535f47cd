/**
 * trainer_state.json (SPEC §10): everything besides weights and optimizer moments that a resumed
 * run needs to continue exactly where an uninterrupted one would be — step, epoch, sampler
 * position, the native RNG, the plateau and early-stop state, the loss accumulators behind the
 * logged averages — plus the metrics and a hash of the config for a consistency warning.
 *
 * The LR schedule, the batches and the augmentations are functions of the step (lib/schedule,
 * lib/train/batches.ts), so the step is their state.
 */
import { createHash } from 'crypto';
import { CheckpointError } from '../checkpoint';
import type { TrainNativeConfig } from '../config/types';
import type { EarlyStopState, PlateauState } from '../schedule';

export const TRAINER_STATE_FORMAT = 1;

/** A running mean's numerator and denominator (floats add in the same order after a resume). */
export interface LossAccumulator {
  sum: number;
  count: number;
}

export interface TrainerState {
  format: number;
  /** Optimizer steps done. */
  step: number;
  /** The step a resumed run continues with: `step`, or stage 2's first step after a stage-1 early stop. */
  nextStep: number;
  /** 1-based epoch the next step belongs to. */
  epoch: number;
  /** Stage of the last step done, and its index into the schedule's stages. */
  stage: string;
  stageIndex: number;
  totalSteps: number;
  sampler: { epoch: number; batch: number };
  /** `ranks`: every rank's state (base64, rank order) when several processes trained. */
  rng: { native: string; ranks?: string[] };
  plateau: PlateauState | null;
  /** Index into the schedule's stages the plateau state belongs to. */
  plateauStage: number;
  earlyStop: EarlyStopState;
  /** Loss since the last LOG_STEP and since the epoch began (for the logged means). */
  logLoss: LossAccumulator;
  epochLoss: LossAccumulator;
  lastGradNorm: number | null;
  /** Newest validation metrics by name (val_loss, …). */
  metrics: Record<string, number | null>;
  /** The monitored metric at this checkpoint, when validated at this step. */
  monitored: { name: string; value: number | null } | null;
  lrs: Record<string, number>;
  configHash: string;
  /** The schedule-relevant settings (resume-plan.ts), to tell a changed configuration on resume; absent in older checkpoints. */
  scheduleKeys?: Record<string, string>;
  /** The checkpoint this run was resumed from with a changed configuration or --weights-only (SPEC §15). */
  source?: { checkpoint: string; step: number; mode: 'rebased' | 'weights-only' };
  stopReason: string | null;
  savedAt: string;
}

/** Keys that may differ between a run and its resumption without changing what is computed. */
const RESUME_NEUTRAL: Array<[string, string]> = [
  // Where a rank runs and how it finds the others; WORLD_SIZE (the batch) does change the run.
  ['DIST', 'RANK'],
  ['DIST', 'LOCAL_RANK'],
  ['DIST', 'LOCAL_WORLD_SIZE'],
  ['DIST', 'MASTER_ADDR'],
  ['DIST', 'MASTER_PORT'],
  ['DIST', 'TIMEOUT_S'],
  ['DIST', 'BACKEND'],
  ['TRAIN', 'AUTO_RESUME'],
  ['TRAIN', 'RESUME_FROM'],
  ['EXPERIMENT', 'OUTPUT_DIR'],
  ['LOGGING', 'PROGRESS'],
];

export function configHash(config: TrainNativeConfig): string {
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, unknown>>;
  for (const [s, k] of RESUME_NEUTRAL) if (plain[s]) delete plain[s][k];
  return createHash('sha256').update(JSON.stringify(plain)).digest('hex').slice(0, 16);
}

/** JSON has no NaN / Infinity: those become null (and come back as NaN). */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function metricsToJson(m: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, finiteOrNull(v)]));
}

export function metricsFromJson(m: Record<string, number | null> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v === null ? Number.NaN : v]));
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberOrNull = (v: unknown): boolean => v === null || isFiniteNumber(v);
const isStringOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function accumulatorProblem(v: unknown, key: string): string | null {
  if (!isRecord(v)) return `${key} is missing`;
  if (!isFiniteNumber(v.sum)) return `${key}.sum must be a finite number`;
  if (!isInt(v.count, 0)) return `${key}.count must be a non-negative integer`;
  return null;
}

/**
 * The first field of trainer_state.json that is missing, of the wrong type or out of range, as a
 * phrase ("nextStep must be …"); null when every field the loop reads is usable. Steps must be
 * safe integers with step <= nextStep <= totalSteps, so no later sum or comparison goes wrong.
 */
export function trainerStateProblem(raw: Record<string, unknown>): string | null {
  const s = raw;
  if (s.format !== TRAINER_STATE_FORMAT) return `format is ${JSON.stringify(s.format) ?? 'missing'}, expected ${TRAINER_STATE_FORMAT}`;
  if (!isInt(s.totalSteps, 1)) return `totalSteps must be a positive integer (got ${JSON.stringify(s.totalSteps)})`;
  if (!isInt(s.step, 0) || s.step > s.totalSteps) return `step must be an integer from 0 to totalSteps ${s.totalSteps} (got ${JSON.stringify(s.step)})`;
  if (!isInt(s.nextStep, s.step) || s.nextStep > s.totalSteps)
    return `nextStep must be an integer from step ${s.step} to totalSteps ${s.totalSteps} (got ${JSON.stringify(s.nextStep)})`;
  if (!isInt(s.epoch, 1)) return `epoch must be a positive integer (got ${JSON.stringify(s.epoch)})`;
  if (typeof s.stage !== 'string') return 'stage must be a string';
  if (!isInt(s.stageIndex, 0)) return `stageIndex must be a non-negative integer (got ${JSON.stringify(s.stageIndex)})`;
  if (!isRecord(s.sampler) || !isInt(s.sampler.epoch, 0) || !isInt(s.sampler.batch, 0)) return 'sampler must hold a non-negative integer epoch and batch';
  if (!isRecord(s.rng) || typeof s.rng.native !== 'string' || !BASE64.test(s.rng.native)) return 'rng.native (the RNG state) must be base64 text';
  if (s.rng.ranks !== undefined && !(Array.isArray(s.rng.ranks) && s.rng.ranks.every((r) => typeof r === 'string' && BASE64.test(r)))) return 'rng.ranks (the RNG state of every rank) must be a list of base64 texts';
  if (!isInt(s.plateauStage, -1)) return `plateauStage must be an integer >= -1 (got ${JSON.stringify(s.plateauStage)})`;
  if (s.plateau !== null) {
    const p = s.plateau;
    if (!isRecord(p)) return 'plateau must be null or the plateau scheduler state';
    if (!isNumberOrNull(p.best)) return 'plateau.best must be a number or null';
    for (const k of ['numBadValidations', 'cooldownCounter', 'validations', 'reductions'] as const)
      if (!isInt(p[k], 0)) return `plateau.${k} must be a non-negative integer`;
    if (!Array.isArray(p.lrs) || !p.lrs.every((v) => isFiniteNumber(v) && v >= 0)) return 'plateau.lrs must be a list of learning rates';
  }
  const es = s.earlyStop;
  if (!isRecord(es)) return 'earlyStop is missing';
  if (!isNumberOrNull(es.best) || !isInt(es.bestStep, 0) || typeof es.stopped !== 'boolean' || !isStringOrNull(es.reason) || !isStringOrNull(es.code))
    return 'earlyStop must hold best (number or null), bestStep (integer), stopped (boolean), reason and code (string or null)';
  const acc = accumulatorProblem(s.logLoss, 'logLoss') ?? accumulatorProblem(s.epochLoss, 'epochLoss');
  if (acc) return acc;
  if (!isNumberOrNull(s.lastGradNorm)) return 'lastGradNorm must be a finite number or null';
  if (!isRecord(s.metrics) || !Object.values(s.metrics).every(isNumberOrNull)) return 'metrics must map names to numbers or null';
  if (s.monitored !== null && (!isRecord(s.monitored) || typeof s.monitored.name !== 'string' || !isNumberOrNull(s.monitored.value)))
    return 'monitored must be null or {name, value}';
  if (typeof s.configHash !== 'string') return 'configHash must be a string';
  if (!isStringOrNull(s.stopReason)) return 'stopReason must be a string or null';
  return null;
}

/** What of a valid trainer state the schedule of this run cannot take (stage and LR-group counts). */
export function trainerStateFitsSchedule(st: TrainerState, stages: number, groups: number): string | null {
  if (st.stageIndex >= stages) return `stageIndex ${st.stageIndex} is past this schedule's ${stages} stage(s)`;
  if (st.plateauStage >= stages) return `plateauStage ${st.plateauStage} is past this schedule's ${stages} stage(s)`;
  if (st.plateau && st.plateau.lrs.length !== groups) return `the plateau state has ${st.plateau.lrs.length} LR groups, this schedule has ${groups}`;
  return null;
}

/** Checks every field the loop relies on; a checkpoint from elsewhere gets a clear error. */
export function parseTrainerState(raw: Record<string, unknown>, where: string): TrainerState {
  const problem = trainerStateProblem(raw);
  if (problem !== null) throw new CheckpointError(`${where}: trainer_state.json: ${problem}; is this a train-native checkpoint?`);
  return raw as unknown as TrainerState;
}
