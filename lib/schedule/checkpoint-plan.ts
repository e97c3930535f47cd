/**
 * Generated checkpoint plans (SCHEDULE.CHECKPOINT.GENERATE, seed 001, SPEC §4): evenly spaced
 * points through the first epoch, then log- or linear-spaced points from the start of every later
 * epoch, and every epoch end. Also what `train-native generate-checkpoints` prints, whose flags
 * override the plan's keys.
 */
import { ConfigError } from '../config/errors';
import type { CheckpointGenerateConfig } from '../config/types';

export interface CheckpointPlanInput {
  stepsPerEpoch: number;
  epochs: number;
  /** Cuts the plan (TRAIN.MAX_STEPS): points past it are dropped and it ends the last epoch. */
  totalSteps?: number;
  firstEpochCheckpoints: number;
  spacing: 'log' | 'linear';
  logBase: number;
  /** Default floor(steps_per_epoch / 10), at least 1. */
  linearInterval?: number;
  minInterval: number;
}

/** The `generate-checkpoints` flags; each replaces the key it names. */
export interface CheckpointPlanOverrides {
  firstEpoch?: number; // --first-epoch
  spacing?: 'log' | 'linear'; // --spacing
  logBase?: number; // --log-base
  linearInterval?: number; // --linear-interval
  minInterval?: number; // --min-interval
}

const KEY = 'SCHEDULE.CHECKPOINT.GENERATE';

export function planInput(
  gen: CheckpointGenerateConfig,
  time: { stepsPerEpoch: number; epochs: number; totalSteps: number },
  overrides: CheckpointPlanOverrides = {},
): CheckpointPlanInput {
  return {
    stepsPerEpoch: time.stepsPerEpoch,
    epochs: time.epochs,
    totalSteps: time.totalSteps,
    firstEpochCheckpoints: overrides.firstEpoch ?? gen.FIRST_EPOCH_CHECKPOINTS,
    spacing: overrides.spacing ?? gen.SUBSEQUENT_EPOCHS_SPACING,
    logBase: overrides.logBase ?? gen.LOG_BASE,
    linearInterval: overrides.linearInterval ?? gen.LINEAR_INTERVAL,
    minInterval: overrides.minInterval ?? gen.MIN_CHECKPOINT_INTERVAL,
  };
}

function check(input: CheckpointPlanInput): void {
  const n = input.firstEpochCheckpoints;
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`must be a whole number >= 0, got ${n}`, `${KEY}.FIRST_EPOCH_CHECKPOINTS`);
  // A base below 1 makes the offsets converge: the loop would never reach the epoch end.
  if (input.spacing === 'log' && !(Number.isFinite(input.logBase) && input.logBase >= 1)) {
    throw new ConfigError(`must be a number >= 1, got ${input.logBase}`, `${KEY}.LOG_BASE`);
  }
  if (input.linearInterval !== undefined && !(Number.isInteger(input.linearInterval) && input.linearInterval >= 1)) {
    throw new ConfigError(`must be a whole number >= 1, got ${input.linearInterval}`, `${KEY}.LINEAR_INTERVAL`);
  }
  if (!(Number.isFinite(input.minInterval) && input.minInterval >= 0)) {
    throw new ConfigError(`must be a number >= 0, got ${input.minInterval}`, `${KEY}.MIN_CHECKPOINT_INTERVAL`);
  }
}

/**
 * Per-epoch lists of global steps (index 0 = epoch 1). Epoch e (0-based) ends at
 * (e+1)·steps_per_epoch and, for e ≥ 1, starts at e·steps_per_epoch + 1.
 */
export function generateCheckpointPlan(input: CheckpointPlanInput): number[][] {
  check(input);
  const spe = input.stepsPerEpoch;
  const T = input.totalSteps ?? spe * input.epochs;
  const epochs = Math.min(input.epochs, Math.ceil(T / spe));
  const plan: number[][] = [];
  let lastKept = 0;
  for (let e = 0; e < epochs; e++) {
    const end = Math.min((e + 1) * spe, T);
    const points: number[] = [];
    if (e === 0) {
      const n = input.firstEpochCheckpoints;
      const fullEnd = spe; // the first epoch's points are spaced over the full epoch …
      if (n >= 2) for (let i = 0; i < n; i++) points.push(Math.floor((i * fullEnd) / (n - 1)));
      // … and the ones past a MAX_STEPS cut are dropped; the epoch end is always there.
      // Short epochs make floor() repeat a step: keep each once.
      const kept = points.filter((s, i) => s < end && (i === 0 || s !== points[i - 1]));
      kept.push(end);
      plan.push(kept);
      lastKept = end;
      continue;
    }
    const start = e * spe + 1;
    const candidates: number[] = [];
    if (input.spacing === 'log') {
      let o = 0;
      for (let i = 0; start + Math.floor(o) < end; i++) {
        candidates.push(start + Math.floor(o));
        o += Math.pow(input.logBase, i + 1);
      }
    } else {
      const interval = input.linearInterval ?? Math.max(1, Math.floor(spe / 10));
      for (let s = start; s < end; s += interval) candidates.push(s);
    }
    for (const s of candidates) {
      // Generated later-epoch points closer than MIN_CHECKPOINT_INTERVAL to the last kept point
      // are dropped; first-epoch points and epoch ends never are.
      if (s - lastKept < input.minInterval) continue;
      if (points.length > 0 && points[points.length - 1] === s) continue; // fractional log bases
      points.push(s);
      lastKept = s;
    }
    points.push(end);
    lastKept = end;
    plan.push(points);
  }
  return plan;
}
