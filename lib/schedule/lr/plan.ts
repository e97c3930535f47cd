/**
 * The whole run's learning rates: the stages (SPEC §3 "Stage 2", seeds 002/003), the parameter
 * groups, one CurveSpec per (stage, group), and every group's lr[k] for the whole run precomputed
 * into a Float64Array, so the training loop's per-step query is an array read.
 */
import { ConfigError } from '../../config/errors';
import type { ParameterGroupConfig, TrainNativeConfig } from '../../config/types';
import { stage1Epochs, type TimeBase } from '../time-base';
import { epochCurve, fillCurve, fillEpochCurve, postWarmupStart } from './curves';
import { DEFAULT_GROUP, groupNames } from './groups';
import { baseKeys, buildCurveSpec, groupPath, lrScaleFactor, overlayKeys, type CurveSpec, type MergedKeys } from './keys';
import { PlateauScheduler } from './plateau';

export type StageName = 'main' | 'stage1' | 'stage2';

/** A stage's span of global steps: optimizer steps start … end-1. */
export interface StageSpan {
  name: StageName;
  start: number;
  end: number;
}

/**
 * `main` alone without STAGES.STAGE1.ENABLED; `stage2` alone with SKIP_STAGE1 (the time base
 * already left stage 1's epochs out); otherwise stage 1 for STAGE1.EPOCHS epochs and stage 2 for
 * the rest (MAX_STEPS can cut either; a stage with no steps is left out).
 */
export function resolveStages(config: TrainNativeConfig, tb: TimeBase): StageSpan[] {
  const st = config.STAGES;
  const T = tb.totalSteps;
  if (!st.STAGE1.ENABLED) return [{ name: 'main', start: 0, end: T }];
  if (st.SKIP_STAGE1) return [{ name: 'stage2', start: 0, end: T }];
  const s1 = Math.min(T, stage1Epochs(config) * tb.stepsPerEpoch);
  const stages: StageSpan[] = [{ name: 'stage1', start: 0, end: s1 }];
  if (T > s1) stages.push({ name: 'stage2', start: s1, end: T });
  return stages;
}

export interface LrPlan {
  /** Group names, `default` first; a group's index is its position here. */
  groups: string[];
  stages: StageSpan[];
  /** specs[stage][group]. */
  specs: CurveSpec[][];
  /** curves[group][k] = lr used by global step k, k = 0 … T-1 (dry-run plateau = BASE). */
  curves: Float64Array[];
  /** LR scaling factor from the effective batch size. */
  scale: number;
}

function configuredGroup(config: TrainNativeConfig, name: string): { group: ParameterGroupConfig; index: number } | undefined {
  const index = config.LR_SCHEDULER.PARAMETER_GROUPS.findIndex((g) => g.NAME === name);
  return index < 0 ? undefined : { group: config.LR_SCHEDULER.PARAMETER_GROUPS[index], index };
}

function checkGroups(config: TrainNativeConfig): void {
  const seen = new Set<string>();
  config.LR_SCHEDULER.PARAMETER_GROUPS.forEach((g, i) => {
    if (!g.NAME) throw new ConfigError('every parameter group needs a NAME', `${groupPath(i)}.NAME`);
    if (seen.has(g.NAME)) throw new ConfigError(`group name "${g.NAME}" is used twice`, `${groupPath(i)}.NAME`);
    seen.add(g.NAME);
  });
}

export function buildLrPlan(config: TrainNativeConfig, tb: TimeBase): LrPlan {
  checkGroups(config);
  const stages = resolveStages(config, tb);
  const groups = groupNames(config.LR_SCHEDULER.PARAMETER_GROUPS);
  const scale = lrScaleFactor(config.LR_SCHEDULER, tb.effectiveBatchSize);
  const base = baseKeys(config.LR_SCHEDULER);
  const specs = stages.map((stage) => {
    const stageKeys: MergedKeys =
      stage.name === 'stage2' ? overlayKeys(base, config.STAGES.STAGE2.LR_SCHEDULER, 'STAGES.STAGE2.LR_SCHEDULER') : base;
    return groups.map((name) => {
      const found = configuredGroup(config, name);
      const merged = found ? overlayKeys(stageKeys, found.group.LR_SCHEDULER, `${groupPath(found.index)}.LR_SCHEDULER`) : stageKeys;
      return buildCurveSpec(merged, {
        total: stage.end - stage.start,
        stepsPerEpoch: tb.stepsPerEpoch,
        scale,
        warmupFromMin: stage.name === 'stage2',
        group: found?.group,
        groupIndex: found?.index,
      });
    });
  });
  const curves = groups.map(() => new Float64Array(tb.totalSteps));
  const perEpoch = config.LR_SCHEDULER.INTERVAL === 'epoch';
  stages.forEach((stage, si) =>
    groups.forEach((_, gi) => {
      const spec = specs[si][gi];
      if (!perEpoch) return fillCurve(spec, curves[gi], stage.start);
      const e = epochCurve(spec);
      // The plateau scheduler takes over where the warmup ends: a whole number of epochs.
      specs[si][gi] = { ...spec, warmup: e.warmup * tb.stepsPerEpoch };
      fillEpochCurve(e, tb.stepsPerEpoch, spec.total, curves[gi], stage.start);
    }),
  );
  return { groups, stages, specs, curves, scale };
}

/** Index of the stage that global step k belongs to. */
export function stageIndexAt(plan: Pick<LrPlan, 'stages'>, k: number): number {
  const stages = plan.stages;
  for (let i = stages.length - 1; i > 0; i--) if (k >= stages[i].start) return i;
  return 0;
}

/**
 * The live ReduceLROnPlateau for one stage's plateau groups, or null when the stage has none.
 * It starts listening at the stage's latest plateau-group warmup end (global step), so a warmup
 * followed by plateau works (seed 004).
 */
export function createPlateau(plan: LrPlan, stageIndex: number): PlateauScheduler | null {
  const specs = plan.specs[stageIndex];
  const first = specs.find((s) => s.name === 'plateau');
  if (!first) return null;
  const stage = plan.stages[stageIndex];
  let activeFrom = stage.start;
  const groups = specs.map((s) => {
    if (s.name !== 'plateau') return null;
    activeFrom = Math.max(activeFrom, stage.start + postWarmupStart(s));
    return { base: s.base, min: s.min };
  });
  return new PlateauScheduler(first.plateau, groups, activeFrom, stage.end);
}

export { DEFAULT_GROUP };
