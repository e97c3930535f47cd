/**
 * Sanity warnings: configurations that are valid but probably not what was meant (an interval
 * longer than the run, warmup over half of it, retention by metric without validation, …).
 * Shown in the schedule summary and the JSON; never fatal.
 */
import type { TrainNativeConfig } from '../config/types';
import { EarlyStopping } from './early-stop';
import type { EventPlan } from './events';
import { createPlateau, type LrPlan } from './lr/plan';
import { inferModeOrUndefined } from './metric-mode';
import type { ProbabilityPlan } from './probabilities';
import type { TimeBase } from './time-base';

export interface WarningInputs {
  timeBase: TimeBase;
  lrPlan: LrPlan;
  eventPlan: EventPlan;
  probabilityPlan: ProbabilityPlan;
}

/** A generated or explicit plan above this many checkpoints fills disks quickly. */
export const MANY_CHECKPOINTS = 100;
/** Exhaustive validation above this many combinations makes the final validation long. */
export const MANY_COMBINATIONS = 63;

export function collectWarnings(config: TrainNativeConfig, s: WarningInputs): string[] {
  const out: string[] = [];
  const add = (w: string) => {
    if (!out.includes(w)) out.push(w);
  };
  const tb = s.timeBase;
  const T = tb.totalSteps;
  const ev = s.eventPlan;
  const lr = s.lrPlan;
  const stageLabel = (i: number) => (lr.stages[i].name === 'main' ? 'the run' : lr.stages[i].name.replace('stage', 'stage '));

  lr.specs.forEach((groupSpecs, si) =>
    groupSpecs.forEach((spec, gi) => {
      const group = lr.groups[gi] === 'default' ? '' : ` (group ${lr.groups[gi]})`;
      const warmKey = spec.resolved.find((r) => /WARMUP_(STEPS|FRACTION|EPOCHS)$/.test(r.key))?.key ?? 'LR_SCHEDULER.WARMUP_STEPS';
      const unit = spec.perEpoch ? 'epochs' : 'steps';
      if (spec.warmup * 2 > spec.total) {
        add(`${warmKey}: warmup takes ${spec.warmup} of the ${spec.total} ${unit} of ${stageLabel(si)}${group}, more than half`);
      }
      if (spec.min > spec.base && spec.name !== 'constant' && spec.name !== 'none') {
        add(`MIN_LR (${spec.min}) is above BASE_LR (${spec.base}) in ${stageLabel(si)}${group}: the "decay" rises`);
      }
      if (spec.name === 'cosine_restart' && spec.restartSteps >= spec.total - spec.warmup) {
        add(`LR_SCHEDULER: the first restart cycle (${spec.restartSteps} ${unit}) is as long as ${stageLabel(si)}${group}: no restart happens`);
      }
      if (spec.name === 'plateau' && spec.plateau.metric && config.LR_SCHEDULER.MODE === 'auto' && inferModeOrUndefined(spec.plateau.metric) === undefined) {
        add(`LR_SCHEDULER.METRIC: cannot tell whether "${spec.plateau.metric}" should go down or up; assuming lower is better (set LR_SCHEDULER.MODE)`);
      }
      if (spec.name === 'plateau') {
        const stage = lr.stages[si];
        // Where the plateau scheduler starts listening (a re-based stage: from the resumed step).
        const from = createPlateau(lr, tb, si)?.activeFrom ?? stage.start + spec.warmup;
        const after = ev.validation.filter((v) => v >= from && v <= stage.end).length;
        if (after <= spec.plateau.patience) {
          add(`LR_SCHEDULER.PATIENCE: ${stageLabel(si)} has ${after} validations after warmup, not more than the plateau patience (${spec.plateau.patience}): the LR never drops`);
        }
      }
    }),
  );

  for (const { key, interval, fires } of ev.intervals) {
    if (fires === 0) {
      const what = interval.kind === 'epochs' ? `${interval.every} epochs` : `${interval.every} steps`;
      add(`${interval.resolved.key}: an interval of ${what} is longer than the run (${T} steps, ${tb.epochs} epochs): it never fires`);
    } else if (key.includes('INTERVAL_STEPS') || key.includes('INTERVAL_FRACTION')) {
      // Step intervals snap to epoch boundaries; say so when the snapping is coarse.
      if (interval.kind === 'steps' && interval.every < tb.stepsPerEpoch) {
        add(`${interval.resolved.key}: ${interval.every} steps is shorter than an epoch (${tb.stepsPerEpoch} steps); it runs at every epoch end instead`);
      }
    }
  }
  const m = ev.metrics;
  for (const [key, iv] of [['SCHEDULE.METRICS.STEP_INTERVAL', m.step], ['SCHEDULE.METRICS.CONSOLE_INTERVAL', m.console], ['SCHEDULE.METRICS.LR_INTERVAL', m.lr]] as const) {
    if (iv > T) add(`${key}: ${iv} is longer than the run (${T} steps): nothing is logged`);
  }

  const C = config.SCHEDULE.CHECKPOINT;
  if (C.KEEP_TOP_N > 0 && ev.validation.length === 0) {
    add(`SCHEDULE.CHECKPOINT.KEEP_TOP_N: keeping the best ${C.KEEP_TOP_N} needs a validation metric, but no validation runs`);
  }
  if (ev.checkpoint.length > MANY_CHECKPOINTS) {
    const keep = C.KEEP_LAST_N + C.KEEP_TOP_N;
    add(`SCHEDULE.CHECKPOINT: the plan saves ${ev.checkpoint.length} checkpoints` + (keep > 0 ? ` (retention keeps ${keep})` : ''));
  }
  if (C.GENERATE !== undefined && C.KEEP_LAST_N > 0 && C.KEEP_LAST_N + C.KEEP_TOP_N < ev.checkpoint.length) {
    const best = C.KEEP_TOP_N > 0 ? ` and the best ${C.KEEP_TOP_N}` : '';
    add(`SCHEDULE.CHECKPOINT.KEEP_LAST_N: a generated plan is meant to keep its checkpoints, but only the last ${C.KEEP_LAST_N}${best} of ${ev.checkpoint.length} are kept`);
  }
  for (const note of ev.notes) add(note);
  // Epochs of two lengths (STAGES.STAGE2.BATCH_SIZE): the keys below count in the first length.
  const lengths = [...new Set(tb.segments.filter((g) => g.batchesPerEpoch > 0).map((g) => g.stepsPerEpoch))];
  if (lengths.length > 1) {
    if (C.GENERATE !== undefined) add(`SCHEDULE.CHECKPOINT.GENERATE: epochs have ${lengths.join(' and ')} steps (STAGES.STAGE2.BATCH_SIZE); the plan is laid out with ${tb.stepsPerEpoch}-step epochs`);
    if (config.TRAIN.EARLY_STOP.PATIENCE_EPOCHS !== undefined) add(`TRAIN.EARLY_STOP.PATIENCE_EPOCHS: epochs have ${lengths.join(' and ')} steps (STAGES.STAGE2.BATCH_SIZE); the patience counts ${tb.stepsPerEpoch}-step epochs`);
  }

  const V = config.SCHEDULE.VALIDATION;
  if (V.PARTIAL_MASK_META.ENABLED && V.PARTIAL_MASK_META.WHITELIST.length === 0) {
    add('SCHEDULE.VALIDATION.PARTIAL_MASK_META.WHITELIST: partial mask-meta validation is enabled with no combinations: it never runs');
  }
  if (ev.exhaustiveCombinations.length > MANY_COMBINATIONS) {
    add(`SCHEDULE.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS: ${ev.exhaustiveCombinations.length} combinations make the final validation long`);
  }
  if (V.FINAL_EPOCH.EXHAUSTIVE_PARTIAL_META_VALIDATION && V.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS.length === 0) {
    add('SCHEDULE.VALIDATION.FINAL_EPOCH.EXHAUSTIVE_META_COMPONENTS: exhaustive validation is on with no components: it never runs');
  }
  const P = config.SCHEDULE.META_MASKING.PARTIAL;
  if (P.ENABLED && P.WHITELIST.length === 0) {
    add('SCHEDULE.META_MASKING.PARTIAL.WHITELIST: partial meta-masking is enabled with no combinations: nothing is masked');
  }
  const X = config.SCHEDULE.MIXUP;
  if (X.PROB.ENABLED && X.GROUP_LEVELS.length === 0) {
    add('SCHEDULE.MIXUP.GROUP_LEVELS: mixup is enabled with no group level named; it mixes samples within the data\'s groups (groups.npy / DATA.GROUPS)');
  }
  if (X.GROUP_LEVELS.length > 1) {
    add(`SCHEDULE.MIXUP.GROUP_LEVELS: only the first level (${X.GROUP_LEVELS[0]}) is used; the others are ignored`);
  }
  for (const [key, r] of [['SCHEDULE.META_MASKING', s.probabilityPlan.metaMask], ['SCHEDULE.MIXUP.PROB', s.probabilityPlan.mixup]] as const) {
    if (r.enabled && r.to > T) add(`${key}: END_PROB is reached at step ${r.to}, after the run ends (${T})`);
  }

  const E = config.TRAIN.EARLY_STOP;
  if (E.ACTIVE) {
    const es = new EarlyStopping(E, tb.stepsPerEpoch);
    if (ev.validation.length === 0) add('TRAIN.EARLY_STOP: early stopping is checked at validation points, but no validation runs');
    if (es.patienceSteps !== undefined && es.patienceSteps >= T) {
      add(`TRAIN.EARLY_STOP: the patience (${es.patienceSteps} steps) is not shorter than the run (${T} steps): it never stops early`);
    }
    if (E.MODE === 'auto' && inferModeOrUndefined(E.METRIC) === undefined) {
      add(`TRAIN.EARLY_STOP.METRIC: cannot tell whether "${E.METRIC}" should go down or up; assuming lower is better (set TRAIN.EARLY_STOP.MODE)`);
    }
    if (E.MAX_STEPS !== undefined && E.MAX_STEPS >= T) add(`TRAIN.EARLY_STOP.MAX_STEPS (${E.MAX_STEPS}) is not before the end of the run (${T})`);
    const minLr = E.MIN_LR;
    if (minLr !== undefined) {
      // The check runs at validation points with the LR of the next step; the first one below the
      // floor ends the run there, which is rarely intended when it is before the end.
      const curve = lr.curves[0];
      const stopAt = ev.validation.find((v) => v < T && curve[v] < minLr);
      if (stopAt !== undefined) {
        add(`TRAIN.EARLY_STOP.MIN_LR (${minLr}): the scheduled LR is below it at the validation at step ${stopAt}, which stops the run there`);
      }
    }
  }
  return out;
}
