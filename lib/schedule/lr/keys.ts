/**
 * Builds the scheduler keys one LR curve runs on: LR_SCHEDULER, overlaid by stage 2's keys
 * (in stage 2), overlaid by a parameter group's keys. Then resolves every duration against the
 * stage it belongs to and applies batch-size scaling and the group's multiplier, giving the flat
 * `CurveSpec` that lr/curves.ts evaluates.
 */
import { ConfigError } from '../../config/errors';
import type { LrSchedulerConfig, ParameterGroupConfig, SchedulerKeys, SchedulerName } from '../../config/types';
import { resolveDuration, roundSteps, type ResolvedDuration } from '../time-base';
import { inferMode, type MetricMode } from '../metric-mode';

/** Key-path prefix each merged key came from, so an error names the key the user wrote. */
export type KeySources = Partial<Record<keyof SchedulerKeys, string>>;

export interface MergedKeys {
  keys: SchedulerKeys;
  sources: KeySources;
}

/**
 * One-of-three families: an overlay that sets any member replaces the whole family, so a stage
 * giving WARMUP_EPOCHS does not clash with an inherited WARMUP_FRACTION.
 */
const FAMILIES: ReadonlyArray<ReadonlyArray<keyof SchedulerKeys>> = [
  ['WARMUP_STEPS', 'WARMUP_FRACTION', 'WARMUP_EPOCHS'],
  ['DECAY_STEPS', 'DECAY_FRACTION', 'DECAY_EPOCHS'],
  ['MILESTONES_STEPS', 'MILESTONES_FRACTIONS', 'MILESTONES_EPOCHS'],
  ['RESTART_STEPS', 'RESTART_FRACTION', 'RESTART_EPOCHS'],
];

/** The SchedulerKeys part of LR_SCHEDULER (drops REFERENCE_BS, SCALING, PARAMETER_GROUPS). */
export function baseKeys(lr: LrSchedulerConfig): MergedKeys {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { REFERENCE_BS, SCALING, PARAMETER_GROUPS, ...keys } = lr;
  const sources: KeySources = {};
  for (const k of Object.keys(keys) as Array<keyof SchedulerKeys>) sources[k] = 'LR_SCHEDULER';
  return { keys, sources };
}

export function overlayKeys(base: MergedKeys, over: Partial<SchedulerKeys>, source: string): MergedKeys {
  const keys: Record<string, unknown> = { ...base.keys };
  const sources: KeySources = { ...base.sources };
  for (const family of FAMILIES) {
    if (family.some((k) => over[k] !== undefined)) {
      for (const k of family) {
        delete keys[k];
        delete sources[k];
      }
    }
  }
  for (const k of Object.keys(over) as Array<keyof SchedulerKeys>) {
    if (over[k] === undefined) continue;
    keys[k] = over[k];
    sources[k] = source;
  }
  return { keys: keys as unknown as SchedulerKeys, sources };
}

export interface PlateauSpec {
  metric: string;
  mode: MetricMode;
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
}

/** Everything one group's curve in one stage needs, in steps and scaled LRs. */
export interface CurveSpec {
  name: SchedulerName;
  /** Scaled (and multiplied) LRs. */
  base: number;
  min: number;
  warmupLr: number;
  warmup: number;
  /** Steps (epochs when perEpoch) of the stage this curve covers; `*_FRACTION` keys are relative to it. */
  total: number;
  /** LR_SCHEDULER.INTERVAL: epoch — indices, durations and `total` count epochs (SPEC §16). */
  perEpoch: boolean;
  stepsPerEpoch: number;
  power: number;
  decaySteps: number;
  decayRate: number;
  milestones: number[];
  gamma: number;
  restartSteps: number;
  tMult: number;
  restartDecay: number;
  pctStart: number;
  divFactor: number;
  finalDivFactor: number;
  annealStrategy: 'cos' | 'linear';
  threePhase: boolean;
  stableSteps: number;
  decayPhaseSteps: number;
  decayType: 'cosine' | 'linear' | '1-sqrt';
  plateau: PlateauSpec;
  /** Resolved durations for the human summary, key paths as the user wrote them. */
  resolved: ResolvedDuration[];
}

export interface CurveContext {
  /** Steps in this curve's stage (epochs when perEpoch). */
  total: number;
  perEpoch: boolean;
  stepsPerEpoch: number;
  /** LR scaling factor from the effective batch size (1 without REFERENCE_BS). */
  scale: number;
  /** Stage 2 starts its warmup at MIN_LR unless WARMUP_LR is given (SPEC §3). */
  warmupFromMin: boolean;
  /** The parameter group, if any, whose multiplier / BASE_LR apply, and its index in the list. */
  group?: ParameterGroupConfig;
  groupIndex?: number;
}

function path(sources: KeySources, key: keyof SchedulerKeys): string {
  return `${sources[key] ?? 'LR_SCHEDULER'}.${key}`;
}

function names(sources: KeySources, prefix: string, fractionSuffix = 'FRACTION') {
  const k = (s: string) => `${sources[`${prefix}_${s}` as keyof SchedulerKeys] ?? 'LR_SCHEDULER'}.${prefix}_${s}`;
  return { steps: k('STEPS'), fraction: k(fractionSuffix), epochs: k('EPOCHS') };
}

function finiteAtLeast(value: number, min: number, key: string, strict = false): number {
  if (!Number.isFinite(value) || value < min || (strict && value === min)) {
    throw new ConfigError(`must be a finite number ${strict ? '>' : '>='} ${min}, got ${value}`, key);
  }
  return value;
}

/** Builds the CurveSpec for merged keys in a stage; throws ConfigError for post-resolution errors. */
export function buildCurveSpec(merged: MergedKeys, ctx: CurveContext): CurveSpec {
  const { keys, sources } = merged;
  const opts = { totalSteps: ctx.total, stepsPerEpoch: ctx.stepsPerEpoch };
  const resolved: ResolvedDuration[] = [];
  const take = (d: ResolvedDuration | undefined): number | undefined => {
    if (d) resolved.push(d);
    return d?.steps;
  };

  if (ctx.perEpoch) {
    // Per-epoch curves count epochs: a duration in steps would have to be rounded to them silently.
    const stepKeys: Array<keyof SchedulerKeys> = ['WARMUP_STEPS', 'DECAY_STEPS', 'MILESTONES_STEPS', 'RESTART_STEPS'];
    for (const k of stepKeys) {
      if (keys[k] !== undefined) {
        throw new ConfigError(`${path(sources, 'INTERVAL')} is epoch: give this duration in epochs (${k.replace('_STEPS', '_EPOCHS')}) or as a fraction`, path(sources, k));
      }
    }
  }
  const warmupNames = names(sources, 'WARMUP');
  const warmupTriple = { steps: keys.WARMUP_STEPS, fraction: keys.WARMUP_FRACTION, epochs: keys.WARMUP_EPOCHS };
  // onecycle warms up by itself; a zero warmup key is allowed (the way to cancel an inherited one).
  if (keys.NAME === 'onecycle' && Object.values(warmupTriple).some((v) => v !== undefined && v !== 0)) {
    const key = keys.WARMUP_STEPS !== undefined ? warmupNames.steps : keys.WARMUP_FRACTION !== undefined ? warmupNames.fraction : warmupNames.epochs;
    throw new ConfigError('onecycle has its own warmup (PCT_START, DIV_FACTOR); remove the WARMUP_* key or set it to 0', key);
  }
  const warmupResolved = keys.NAME === 'onecycle' ? undefined : resolveDuration(warmupTriple, warmupNames, opts);
  const warmup = take(warmupResolved) ?? 0;
  if (warmupResolved && warmup > ctx.total) {
    throw new ConfigError(`warmup of ${warmup} steps is longer than the ${ctx.total} steps it belongs to`, warmupResolved.key);
  }

  // The group's own BASE_LR (top-level or in its LR_SCHEDULER) replaces the multiplier.
  const group = ctx.group;
  const gPath = groupPath(ctx.groupIndex ?? 0);
  const groupSetsBase = group !== undefined && (group.BASE_LR !== undefined || group.LR_SCHEDULER.BASE_LR !== undefined);
  const mult = group !== undefined && !groupSetsBase ? finiteAtLeast(group.LR_MULTIPLIER, 0, `${gPath}.LR_MULTIPLIER`) : 1;
  const groupSource = group ? `${gPath}.LR_SCHEDULER` : '';
  // A value the group wrote itself is taken as written; inherited values are multiplied.
  const m = (key: keyof SchedulerKeys) => (group !== undefined && sources[key] === groupSource ? 1 : mult);

  const rawBase = group?.BASE_LR ?? keys.BASE_LR;
  finiteAtLeast(rawBase, 0, group?.BASE_LR !== undefined ? `${gPath}.BASE_LR` : path(sources, 'BASE_LR'));
  finiteAtLeast(keys.MIN_LR, 0, path(sources, 'MIN_LR'));
  const base = rawBase * ctx.scale * (group?.BASE_LR !== undefined ? 1 : m('BASE_LR'));
  const min = keys.MIN_LR * ctx.scale * m('MIN_LR');
  let warmupLr: number;
  if (keys.WARMUP_LR !== undefined) {
    finiteAtLeast(keys.WARMUP_LR, 0, path(sources, 'WARMUP_LR'));
    warmupLr = keys.WARMUP_LR * ctx.scale * m('WARMUP_LR');
  } else {
    warmupLr = ctx.warmupFromMin ? min : 0;
  }

  const postWarmup = ctx.total - warmup;
  let decaySteps = 0;
  if (keys.NAME === 'step') {
    const d = take(resolveDuration({ steps: keys.DECAY_STEPS, fraction: keys.DECAY_FRACTION, epochs: keys.DECAY_EPOCHS }, names(sources, 'DECAY'), { ...opts, atLeastOne: true }));
    if (d === undefined) throw new ConfigError('the step scheduler needs DECAY_STEPS, DECAY_FRACTION or DECAY_EPOCHS', path(sources, 'DECAY_STEPS'));
    decaySteps = d;
  }
  let milestones: number[] = [];
  if (keys.NAME === 'multistep') {
    const n = names(sources, 'MILESTONES', 'FRACTIONS');
    const lists: Array<[string, number[] | undefined, (v: number) => number]> = [
      [n.steps, keys.MILESTONES_STEPS, (v) => v],
      [n.fraction, keys.MILESTONES_FRACTIONS, (v) => roundSteps(v * ctx.total)],
      [n.epochs, keys.MILESTONES_EPOCHS, (v) => roundSteps(v * ctx.stepsPerEpoch)],
    ];
    const given = lists.filter((l) => l[1] !== undefined);
    if (given.length > 1) throw new ConfigError(`give only one of ${given.map((g) => g[0]).join(' and ')}`, given[1][0]);
    if (given.length === 1) {
      const [key, values, conv] = given[0];
      milestones = (values as number[]).map((v) => {
        finiteAtLeast(v, 0, key);
        return conv(v);
      });
      milestones.sort((a, b) => a - b);
      milestones.forEach((s, i) => resolved.push({ key: `${key}[${i}]`, given: (values as number[])[i], steps: s }));
    }
  }
  let restartSteps = 0;
  if (keys.NAME === 'cosine_restart') {
    const d = take(resolveDuration({ steps: keys.RESTART_STEPS, fraction: keys.RESTART_FRACTION, epochs: keys.RESTART_EPOCHS }, names(sources, 'RESTART'), { ...opts, atLeastOne: true }));
    // Without a first-cycle length the whole post-warmup run is one cycle (plain cosine).
    restartSteps = d ?? Math.max(1, postWarmup);
    finiteAtLeast(keys.T_MULT, 1, path(sources, 'T_MULT'));
  }
  let stableSteps = 0;
  let decayPhaseSteps = 0;
  if (keys.NAME === 'wsd') {
    finiteAtLeast(keys.STABLE_DURATION_FRACTION, 0, path(sources, 'STABLE_DURATION_FRACTION'));
    finiteAtLeast(keys.DECAY_DURATION_FRACTION, 0, path(sources, 'DECAY_DURATION_FRACTION'));
    stableSteps = roundSteps(keys.STABLE_DURATION_FRACTION * postWarmup);
    decayPhaseSteps = roundSteps(keys.DECAY_DURATION_FRACTION * postWarmup);
    resolved.push({ key: path(sources, 'STABLE_DURATION_FRACTION'), given: keys.STABLE_DURATION_FRACTION, steps: stableSteps });
    resolved.push({ key: path(sources, 'DECAY_DURATION_FRACTION'), given: keys.DECAY_DURATION_FRACTION, steps: decayPhaseSteps });
  }
  if (keys.NAME === 'onecycle') {
    finiteAtLeast(keys.DIV_FACTOR, 0, path(sources, 'DIV_FACTOR'), true);
    finiteAtLeast(keys.FINAL_DIV_FACTOR, 0, path(sources, 'FINAL_DIV_FACTOR'), true);
    if (!(keys.PCT_START > 0 && keys.PCT_START < 1)) throw new ConfigError(`must be in (0, 1), got ${keys.PCT_START}`, path(sources, 'PCT_START'));
  }
  if (keys.NAME === 'plateau') {
    if (!(keys.FACTOR > 0 && keys.FACTOR < 1)) throw new ConfigError(`must be in (0, 1), got ${keys.FACTOR}`, path(sources, 'FACTOR'));
    finiteAtLeast(keys.PATIENCE, 0, path(sources, 'PATIENCE'));
    finiteAtLeast(keys.COOLDOWN, 0, path(sources, 'COOLDOWN'));
  }

  return {
    name: keys.NAME,
    base,
    min,
    warmupLr,
    warmup,
    total: ctx.total,
    perEpoch: ctx.perEpoch,
    stepsPerEpoch: ctx.stepsPerEpoch,
    power: keys.POWER,
    decaySteps,
    decayRate: keys.DECAY_RATE,
    milestones,
    gamma: keys.GAMMA,
    restartSteps,
    tMult: keys.T_MULT,
    restartDecay: keys.RESTART_DECAY,
    pctStart: keys.PCT_START,
    divFactor: keys.DIV_FACTOR,
    finalDivFactor: keys.FINAL_DIV_FACTOR,
    annealStrategy: keys.ANNEAL_STRATEGY,
    threePhase: keys.THREE_PHASE,
    stableSteps,
    decayPhaseSteps,
    decayType: keys.DECAY_TYPE,
    plateau: {
      metric: keys.METRIC,
      mode: keys.MODE === 'auto' ? inferMode(keys.METRIC) : keys.MODE,
      factor: keys.FACTOR,
      patience: keys.PATIENCE,
      threshold: keys.THRESHOLD,
      thresholdMode: keys.THRESHOLD_MODE,
      cooldown: keys.COOLDOWN,
    },
    resolved,
  };
}

/** Key path of a parameter group: `LR_SCHEDULER.PARAMETER_GROUPS[<index>]`. */
export function groupPath(index: number): string {
  return `LR_SCHEDULER.PARAMETER_GROUPS[${index}]`;
}

/** factor = eff_bs / REFERENCE_BS (linear) or its square root (sqrt); 1 without REFERENCE_BS. */
export function lrScaleFactor(lr: LrSchedulerConfig, effectiveBatchSize: number): number {
  if (lr.REFERENCE_BS === undefined) return 1;
  finiteAtLeast(lr.REFERENCE_BS, 0, 'LR_SCHEDULER.REFERENCE_BS', true);
  const ratio = effectiveBatchSize / lr.REFERENCE_BS;
  return lr.SCALING === 'sqrt' ? Math.sqrt(ratio) : ratio;
}
