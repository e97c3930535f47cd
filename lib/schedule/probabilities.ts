/**
 * Probability schedules (SPEC §6): full meta-masking, partial meta-masking (a window of the run
 * with its own ramp) and mixup. Each is a linear ramp from START_PROB to END_PROB, constant
 * afterwards, and 0 at every step when the feature is disabled.
 */
import { ConfigError } from '../config/errors';
import type { ProbabilityRampConfig, TrainNativeConfig } from '../config/types';
import { resolveDuration, type ResolvedDuration, type TimeBase } from './time-base';

/** A ramp: `start` at step `from`, `end` at step `to`, flat outside; zero outside [activeFrom, activeTo). */
export interface Ramp {
  enabled: boolean;
  startProb: number;
  endProb: number;
  from: number;
  to: number;
  activeFrom: number;
  activeTo: number;
}

const OFF: Ramp = { enabled: false, startProb: 0, endProb: 0, from: 0, to: 0, activeFrom: 0, activeTo: 0 };

export function rampAt(r: Ramp, k: number): number {
  if (!r.enabled || k < r.activeFrom || k >= r.activeTo) return 0;
  if (k >= r.to) return r.endProb;
  if (k <= r.from) return r.startProb;
  return r.startProb + ((r.endProb - r.startProb) * (k - r.from)) / (r.to - r.from);
}

export interface ProbabilityPlan {
  metaMask: Ramp;
  partialMetaMask: Ramp;
  mixup: Ramp;
  /** WHITELIST combinations for partial masking and their sampling weights (uniform if absent). */
  partialWhitelist: string[][];
  partialWeights: number[];
  /** The one GROUP_LEVELS entry mixup uses (SPEC §6), undefined when none is configured. */
  mixupGroupLevel?: string;
  resolved: ResolvedDuration[];
}

function prob(v: number, key: string): number {
  if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new ConfigError(`must be a probability in [0, 1], got ${v}`, key);
  return v;
}

function simpleRamp(cfg: ProbabilityRampConfig, section: string, tb: TimeBase, resolved: ResolvedDuration[]): Ramp {
  if (!cfg.ENABLED) return OFF;
  const end = resolveDuration(
    { steps: cfg.END_STEPS, fraction: cfg.END_FRACTION, epochs: cfg.END_EPOCHS },
    { steps: `${section}.END_STEPS`, fraction: `${section}.END_FRACTION`, epochs: `${section}.END_EPOCHS` },
    { totalSteps: tb.totalSteps, stepsPerEpoch: tb.stepsPerEpoch },
  );
  if (end) resolved.push(end);
  return {
    enabled: true,
    startProb: prob(cfg.START_PROB, `${section}.START_PROB`),
    endProb: prob(cfg.END_PROB, `${section}.END_PROB`),
    from: 0,
    // Without an END_* key the ramp spans the whole run.
    to: end ? end.steps : tb.totalSteps,
    activeFrom: 0,
    activeTo: Infinity,
  };
}

export function buildProbabilityPlan(config: TrainNativeConfig, tb: TimeBase): ProbabilityPlan {
  const resolved: ResolvedDuration[] = [];
  const MM = config.SCHEDULE.META_MASKING;
  const metaMask = simpleRamp(MM, 'SCHEDULE.META_MASKING', tb, resolved);

  const P = MM.PARTIAL;
  const PK = 'SCHEDULE.META_MASKING.PARTIAL';
  let partialMetaMask = OFF;
  let partialWeights: number[] = [];
  const partialWhitelist = P.ENABLED ? P.WHITELIST.map((c) => [...c]) : [];
  if (P.ENABLED) {
    for (const [k, v] of [['START_FRACTION', P.START_FRACTION], ['END_FRACTION', P.END_FRACTION]] as const) {
      if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new ConfigError(`must be in [0, 1], got ${v}`, `${PK}.${k}`);
    }
    if (!(P.START_FRACTION < P.END_FRACTION)) {
      throw new ConfigError(`the window's start (${P.START_FRACTION}) must be before its end END_FRACTION (${P.END_FRACTION})`, `${PK}.START_FRACTION`);
    }
    const T = tb.totalSteps;
    // Active for START_FRACTION <= k/T < END_FRACTION: first and one-past-last active steps.
    const activeFrom = Math.ceil(P.START_FRACTION * T - 1e-9);
    const activeTo = Math.ceil(P.END_FRACTION * T - 1e-9);
    if (activeFrom >= activeTo) {
      throw new ConfigError(`the window [${P.START_FRACTION}, ${P.END_FRACTION}) holds no step of a ${T}-step run`, `${PK}.END_FRACTION`);
    }
    const end = resolveDuration(
      { steps: P.PROB_END_STEPS, fraction: P.PROB_END_FRACTION, epochs: P.PROB_END_EPOCHS },
      { steps: `${PK}.PROB_END_STEPS`, fraction: `${PK}.PROB_END_FRACTION`, epochs: `${PK}.PROB_END_EPOCHS` },
      { totalSteps: T, stepsPerEpoch: tb.stepsPerEpoch },
    );
    if (end) resolved.push(end);
    partialMetaMask = {
      enabled: true,
      startProb: prob(P.START_PROB, `${PK}.START_PROB`),
      endProb: prob(P.END_PROB, `${PK}.END_PROB`),
      from: activeFrom,
      // Without PROB_END_* the probability ramps over the whole window.
      to: end ? end.steps : activeTo,
      activeFrom,
      activeTo,
    };
    if (P.WEIGHTS !== undefined) {
      if (P.WEIGHTS.length !== partialWhitelist.length) {
        throw new ConfigError(`has ${P.WEIGHTS.length} weights for ${partialWhitelist.length} WHITELIST combinations`, `${PK}.WEIGHTS`);
      }
      P.WEIGHTS.forEach((w, i) => {
        if (!(Number.isFinite(w) && w >= 0)) throw new ConfigError(`must be >= 0, got ${w}`, `${PK}.WEIGHTS[${i}]`);
      });
      partialWeights = [...P.WEIGHTS];
    } else {
      partialWeights = partialWhitelist.map(() => 1);
    }
  }

  const X = config.SCHEDULE.MIXUP;
  if (X.LEVEL_SWITCH_STEPS.length > 0) throw new ConfigError('level switching is not supported: leave it empty (only the first GROUP_LEVELS entry is used)', 'SCHEDULE.MIXUP.LEVEL_SWITCH_STEPS');
  if (X.LEVEL_SWITCH_EPOCHS.length > 0) throw new ConfigError('level switching is not supported: leave it empty (only the first GROUP_LEVELS entry is used)', 'SCHEDULE.MIXUP.LEVEL_SWITCH_EPOCHS');
  const mixup = simpleRamp(X.PROB, 'SCHEDULE.MIXUP.PROB', tb, resolved);

  return { metaMask, partialMetaMask, mixup, partialWhitelist, partialWeights, mixupGroupLevel: X.GROUP_LEVELS[0], resolved };
}
