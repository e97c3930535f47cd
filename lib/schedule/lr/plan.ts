/**
 * The whole run's learning rates: the stages (SPEC §3 "Stage 2", seeds 002/003), the parameter
 * groups, one CurveSpec per (stage, group), and every group's lr[k] for the whole run precomputed
 * into a Float64Array, so the training loop's per-step query is an array read.
 */
import { ConfigError } from '../../config/errors';
import type { ParameterGroupConfig, TrainNativeConfig } from '../../config/types';
import { epochIndexOf, epochsAtStep, segmentOf, stage1Epochs, stepOfEpoch, type TimeBase } from '../time-base';
import { lrAt, postWarmupStart } from './curves';
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
  const s1 = Math.min(T, stepOfEpoch(tb.segments, stage1Epochs(config)));
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
  /** curveStarts[stage] = the global step its curves start at: the stage's start, or the step a resume re-based them at. */
  curveStarts: number[];
}

/** Where a stage's curves start: a resume with a changed configuration re-bases the stage it lands in (SPEC §15). */
function curveStartOf(stage: StageSpan, rebaseAt: number | undefined): number {
  return rebaseAt !== undefined && rebaseAt > stage.start && rebaseAt < stage.end ? rebaseAt : stage.start;
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

export function buildLrPlan(config: TrainNativeConfig, tb: TimeBase, rebaseAt?: number): LrPlan {
  checkGroups(config);
  const stages = resolveStages(config, tb);
  const groups = groupNames(config.LR_SCHEDULER.PARAMETER_GROUPS);
  const scale = lrScaleFactor(config.LR_SCHEDULER, tb.effectiveBatchSize);
  const base = baseKeys(config.LR_SCHEDULER);
  const curves = groups.map(() => new Float64Array(tb.totalSteps));
  const curveStarts = stages.map((stage) => curveStartOf(stage, rebaseAt));
  const specOf = (stage: StageSpan, from: number, merged: MergedKeys, found: ReturnType<typeof configuredGroup>): CurveSpec => {
    const perEpoch = merged.keys.INTERVAL === 'epoch';
    const firstEpoch = epochIndexOf(tb.segments, from).epoch;
    return buildCurveSpec(merged, {
      // Per epoch, the curve's index is the epoch within the span (SPEC §16): durations are in epochs.
      total: perEpoch ? Math.max(1, epochsAtStep(tb.segments, stage.end) - firstEpoch) : stage.end - from,
      stepsPerEpoch: perEpoch ? 1 : segmentOf(tb.segments, from).stepsPerEpoch,
      perEpoch,
      scale,
      warmupFromMin: stage.name === 'stage2',
      group: found?.group,
      groupIndex: found?.index,
    });
  };
  /** Fills curve[k] for k in [from, to) from a spec whose index 0 is step `origin`. */
  const fill = (spec: CurveSpec, out: Float64Array, origin: number, from: number, to: number) => {
    const e0 = epochIndexOf(tb.segments, origin).epoch;
    for (let k = from; k < to; k++) out[k] = lrAt(spec, spec.perEpoch ? Math.min(spec.total - 1, epochIndexOf(tb.segments, k).epoch - e0) : k - origin);
  };
  const specs = stages.map((stage, si) => {
    const stageKeys: MergedKeys =
      stage.name === 'stage2' ? overlayKeys(base, config.STAGES.STAGE2.LR_SCHEDULER, 'STAGES.STAGE2.LR_SCHEDULER') : base;
    const from = curveStarts[si];
    return groups.map((name, gi) => {
      const found = configuredGroup(config, name);
      const merged = found ? overlayKeys(stageKeys, found.group.LR_SCHEDULER, `${groupPath(found.index)}.LR_SCHEDULER`) : stageKeys;
      const spec = specOf(stage, from, merged, found);
      // Before a re-base point lies the checkpoint's past: shown with the stage's own curve.
      if (from > stage.start) fill(specOf(stage, stage.start, merged, found), curves[gi], stage.start, stage.start, from);
      fill(spec, curves[gi], from, from, stage.end);
      return spec;
    });
  });
  return { groups, stages, specs, curves, scale, curveStarts };
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
export function createPlateau(plan: LrPlan, tb: TimeBase, stageIndex: number): PlateauScheduler | null {
  const specs = plan.specs[stageIndex];
  const first = specs.find((s) => s.name === 'plateau');
  if (!first) return null;
  const stage = plan.stages[stageIndex];
  const from = plan.curveStarts[stageIndex];
  let activeFrom = from;
  const groups = specs.map((s) => {
    if (s.name !== 'plateau') return null;
    const w = postWarmupStart(s);
    activeFrom = Math.max(activeFrom, s.perEpoch ? stepOfEpoch(tb.segments, epochIndexOf(tb.segments, from).epoch + w) : from + w);
    return { base: s.base, min: s.min };
  });
  return new PlateauScheduler(first.plateau, groups, activeFrom, stage.end);
}

export { DEFAULT_GROUP };
