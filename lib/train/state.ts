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
  rng: { native: string };
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

/** Checks the fields the loop relies on; a checkpoint from elsewhere gets a clear error. */
export function parseTrainerState(raw: Record<string, unknown>, where: string): TrainerState {
  const s = raw as Partial<TrainerState>;
  const bad = (what: string) => new CheckpointError(`${where}: trainer_state.json ${what}; is this a train-native checkpoint?`);
  if (s.format !== TRAINER_STATE_FORMAT) throw bad(`has format ${String(s.format)}, expected ${TRAINER_STATE_FORMAT}`);
  if (typeof s.step !== 'number' || !Number.isInteger(s.step) || s.step < 0) throw bad('has no valid step');
  if (typeof s.nextStep !== 'number' || !Number.isInteger(s.nextStep) || s.nextStep < s.step) throw bad('has no valid nextStep');
  if (!s.rng || typeof s.rng.native !== 'string') throw bad('has no RNG state');
  if (!s.earlyStop || !s.logLoss || !s.epochLoss) throw bad('misses the early-stop or loss state');
  return s as TrainerState;
}
