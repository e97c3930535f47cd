/**
 * When things happen (SPEC §4): validation, mask-meta and partial mask-meta validation, the final
 * exhaustive combinations, checkpoints, and metric logging, all as global steps ("at step s" =
 * after the optimizer step that makes global_step == s).
 *
 * Validation and interval checkpoints only happen at epoch boundaries. The boundaries are
 * e·steps_per_epoch for every epoch e, and total_steps: when TRAIN.MAX_STEPS cuts an epoch short,
 * the cut is the last epoch's end (so the final epoch always ends, validates and saves as it
 * would have had it been whole).
 */
import { ConfigError } from '../config/errors';
import type { TrainNativeConfig } from '../config/types';
import { generateCheckpointPlan, planInput } from './checkpoint-plan';
import { boundariesOf, resolveDuration, type DurationTriple, type ResolvedDuration, type TimeBase } from './time-base';

/** Global steps ending epochs 1 … E (the last one is total_steps). */
export function epochBoundaries(tb: Pick<TimeBase, 'stepsPerEpoch' | 'totalSteps'> & { segments?: TimeBase['segments'] }): number[] {
  if (tb.segments) return boundariesOf(tb.segments, tb.totalSteps);
  const out: number[] = [];
  for (let b = tb.stepsPerEpoch; b < tb.totalSteps; b += tb.stepsPerEpoch) out.push(b);
  out.push(tb.totalSteps);
  return out;
}

/**
 * An interval resolved from its triple: `epochs` (a whole INTERVAL_EPOCHS N: the end of epochs
 * N, 2N, …) or `steps` (INTERVAL_STEPS, INTERVAL_FRACTION, or a fractional INTERVAL_EPOCHS turned
 * into steps: the first boundary at or after each multiple).
 */
export interface ResolvedInterval {
  kind: 'epochs' | 'steps';
  every: number;
  resolved: ResolvedDuration;
}

export function resolveInterval(
  triple: DurationTriple,
  names: { steps: string; fraction: string; epochs: string },
  tb: TimeBase,
): ResolvedInterval | undefined {
  const r = resolveDuration(triple, names, { totalSteps: tb.totalSteps, stepsPerEpoch: tb.stepsPerEpoch, atLeastOne: true });
  if (!r) return undefined;
  if (r.key === names.epochs && Number.isInteger(r.given) && r.given >= 1) return { kind: 'epochs', every: r.given, resolved: r };
  return { kind: 'steps', every: r.steps, resolved: r };
}

/** The epoch boundaries an interval fires at, ascending. */
export function intervalSteps(iv: ResolvedInterval, boundaries: readonly number[]): number[] {
  const out: number[] = [];
  let prev = 0;
  boundaries.forEach((b, i) => {
    const epoch = i + 1;
    if (iv.kind === 'epochs') {
      if (epoch % iv.every === 0) out.push(b);
    } else if (Math.floor(b / iv.every) > Math.floor(prev / iv.every)) {
      // A multiple of the interval lies in (prev, b]: this is the first boundary at or after it.
      out.push(b);
    }
    prev = b;
  });
  return out;
}

/** Every non-empty subset of `components`, smallest first, each in the components' order. */
export function allCombinations(components: readonly string[]): string[][] {
  const out: string[][] = [];
  const n = components.length;
  for (let mask = 1; mask < 1 << n; mask++) out.push(components.filter((_, i) => (mask >> i) & 1));
  return out.sort((a, b) => a.length - b.length);
}

export interface EventPlan {
  boundaries: number[];
  validation: number[];
  maskMetaValidation: number[];
  partialMaskMetaValidation: number[];
  /** Combinations run at each partial mask-meta validation (the WHITELIST). */
  partialCombinations: string[][];
  /** Final-epoch exhaustive combinations at total_steps (empty when not configured). */
  exhaustiveCombinations: string[][];
  checkpoint: number[];
  /** The generated plan per epoch, when SCHEDULE.CHECKPOINT.GENERATE is used. */
  checkpointPlan?: number[][];
  /** Metric logging intervals: log when global_step % interval == 0. */
  metrics: { step: number; console: number; lr: number };
  /** Resolved intervals for the human summary. */
  resolved: ResolvedDuration[];
  /** Things worth a warning found while resolving (dropped explicit steps, …). */
  notes: string[];
  /** The interval objects, for warnings ("never fires"). */
  intervals: Array<{ key: string; interval: ResolvedInterval; fires: number }>;
}

function positiveInteger(v: number, key: string): number {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`must be a whole number >= 1, got ${v}`, key);
  return v;
}

export function buildEventPlan(config: TrainNativeConfig, tb: TimeBase): EventPlan {
  const boundaries = epochBoundaries(tb);
  const resolved: ResolvedDuration[] = [];
  const notes: string[] = [];
  const intervals: EventPlan['intervals'] = [];
  const V = config.SCHEDULE.VALIDATION;
  const fire = (iv: ResolvedInterval | undefined): number[] => {
    if (!iv) return [];
    resolved.push(iv.resolved);
    const steps = intervalSteps(iv, boundaries);
    intervals.push({ key: iv.resolved.key, interval: iv, fires: steps.length });
    return steps;
  };
  const names = (p: string) => ({ steps: `${p}_STEPS`, fraction: `${p}_FRACTION`, epochs: `${p}_EPOCHS` });

  // Validation defaults to every epoch.
  const vTriple = { steps: V.INTERVAL_STEPS, fraction: V.INTERVAL_FRACTION, epochs: V.INTERVAL_EPOCHS };
  const noValidationKey = Object.values(vTriple).every((v) => v === undefined);
  const validation = fire(
    resolveInterval(noValidationKey ? { epochs: 1 } : vTriple, names('SCHEDULE.VALIDATION.INTERVAL'), tb),
  );

  const maskMetaValidation = fire(
    resolveInterval(
      { steps: V.MASK_META_INTERVAL_STEPS, fraction: V.MASK_META_INTERVAL_FRACTION, epochs: V.MASK_META_INTERVAL_EPOCHS },
      names('SCHEDULE.VALIDATION.MASK_META_INTERVAL'),
      tb,
    ),
  );

  const P = V.PARTIAL_MASK_META;
  let partial: number[] = [];
  const partialCombinations = P.ENABLED ? P.WHITELIST.map((c) => [...c]) : [];
  if (P.ENABLED && partialCombinations.length > 0) {
    const iv = resolveInterval(
      { steps: P.INTERVAL_STEPS, fraction: P.INTERVAL_FRACTION, epochs: P.INTERVAL_EPOCHS },
      names('SCHEDULE.VALIDATION.PARTIAL_MASK_META.INTERVAL'),
      tb,
    );
    // Without its own interval it runs alongside every standard validation.
    partial = iv ? fire(iv) : [...validation];
  }
  const F = V.FINAL_EPOCH;
  const exhaustiveCombinations = F.EXHAUSTIVE_PARTIAL_META_VALIDATION ? allCombinations(F.EXHAUSTIVE_META_COMPONENTS) : [];
  if (exhaustiveCombinations.length > 0 && partial[partial.length - 1] !== tb.totalSteps) partial.push(tb.totalSteps);

  const C = config.SCHEDULE.CHECKPOINT;
  const cTriple = { steps: C.INTERVAL_STEPS, fraction: C.INTERVAL_FRACTION, epochs: C.INTERVAL_EPOCHS };
  const methods: string[] = [];
  if (Object.values(cTriple).some((v) => v !== undefined)) methods.push('SCHEDULE.CHECKPOINT.INTERVAL_*');
  if (C.GENERATE !== undefined) methods.push('SCHEDULE.CHECKPOINT.GENERATE');
  if (C.STEPS !== undefined) methods.push('SCHEDULE.CHECKPOINT.STEPS');
  if (methods.length > 1) {
    throw new ConfigError(`choose one checkpoint method, not ${methods.join(' and ')}`, methods[1].replace('_*', '_STEPS'));
  }
  let checkpoint: number[];
  let checkpointPlan: number[][] | undefined;
  if (C.GENERATE !== undefined) {
    checkpointPlan = generateCheckpointPlan(planInput(C.GENERATE, tb));
    checkpoint = checkpointPlan.flat();
  } else if (C.STEPS !== undefined) {
    const given = C.STEPS;
    given.forEach((s, i) => {
      if (!Number.isInteger(s) || s < 0) throw new ConfigError(`must be whole numbers >= 0, got ${s}`, `SCHEDULE.CHECKPOINT.STEPS[${i}]`);
    });
    const late = given.filter((s) => s > tb.totalSteps);
    if (late.length > 0) notes.push(`SCHEDULE.CHECKPOINT.STEPS: ${late.join(', ')} ${late.length === 1 ? 'is' : 'are'} past the last step (${tb.totalSteps}) and will not be saved`);
    checkpoint = [...new Set(given.filter((s) => s <= tb.totalSteps))].sort((a, b) => a - b);
  } else {
    checkpoint = fire(resolveInterval(methods.length === 0 ? { epochs: 1 } : cTriple, names('SCHEDULE.CHECKPOINT.INTERVAL'), tb));
  }

  const M = config.SCHEDULE.METRICS;
  let step: number;
  if (M.STEP_INTERVAL !== undefined && M.STEP_FRACTION !== undefined) {
    throw new ConfigError('give only one of SCHEDULE.METRICS.STEP_INTERVAL and SCHEDULE.METRICS.STEP_FRACTION', 'SCHEDULE.METRICS.STEP_FRACTION');
  }
  if (M.STEP_FRACTION !== undefined) {
    const r = resolveDuration({ fraction: M.STEP_FRACTION }, names('SCHEDULE.METRICS.STEP'), { totalSteps: tb.totalSteps, stepsPerEpoch: tb.stepsPerEpoch, atLeastOne: true });
    step = (r as ResolvedDuration).steps;
    resolved.push(r as ResolvedDuration);
  } else {
    step = positiveInteger(M.STEP_INTERVAL ?? 50, 'SCHEDULE.METRICS.STEP_INTERVAL');
  }
  const metrics = {
    step,
    console: positiveInteger(M.CONSOLE_INTERVAL, 'SCHEDULE.METRICS.CONSOLE_INTERVAL'),
    lr: positiveInteger(M.LR_INTERVAL, 'SCHEDULE.METRICS.LR_INTERVAL'),
  };

  return {
    boundaries,
    validation,
    maskMetaValidation,
    partialMaskMetaValidation: partial,
    partialCombinations,
    exhaustiveCombinations,
    checkpoint,
    checkpointPlan,
    metrics,
    resolved,
    notes,
    intervals,
  };
}
