/**
 * The two outputs renderers consume: the SPEC §7 JSON object of a dry run (`train-native schedule
 * --json`) and the resolved values listed in the human summary.
 */
import type { TrainNativeConfig } from '../config/types';
import type { ResolvedValue, ScheduleJson } from './json-types';
import { buildSchedule, Schedule, type ScheduleOptions } from './schedule';
import type { ResolvedDuration } from './time-base';

function toArray(a: Float64Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

export function scheduleToJson(s: Schedule): ScheduleJson {
  const lr: Record<string, number[]> = {};
  s.groups.forEach((g, i) => (lr[g] = toArray(s.lrCurve(i))));
  const T = s.totalSteps;
  const prob = (f: (k: number) => number) => {
    const out = new Array<number>(T);
    for (let k = 0; k < T; k++) out[k] = f(k);
    return out;
  };
  const ev = s.eventPlan;
  const json: ScheduleJson = {
    total_steps: T,
    steps_per_epoch: s.stepsPerEpoch,
    epochs: s.timeBase.epochs,
    effective_batch_size: s.timeBase.effectiveBatchSize,
    lr,
    events: {
      validation: [...ev.validation],
      mask_meta_validation: [...ev.maskMetaValidation],
      partial_mask_meta_validation: [...ev.partialMaskMetaValidation],
      checkpoint: [...ev.checkpoint],
    },
    probabilities: {
      meta_mask: prob((k) => s.metaMaskProb(k)),
      partial_meta_mask: prob((k) => s.partialMetaMaskProb(k)),
      mixup: prob((k) => s.mixupProb(k)),
    },
    warnings: [...s.warnings],
  };
  // Optional extras: only when they say something the required fields do not.
  if (s.stages.length > 1 || s.stages[0].name !== 'main') {
    json.stages = s.stages.map((st) => ({ name: st.name, start_step: st.start, end_step: st.end }));
  }
  if (ev.exhaustiveCombinations.length > 0) json.exhaustive_meta_combinations = ev.exhaustiveCombinations.map((c) => [...c]);
  return json;
}

/** `train-native schedule CONFIG --json`: the schedule of a dry run (no data, no native code). */
export function buildScheduleJson(config: TrainNativeConfig, options: ScheduleOptions = {}): ScheduleJson {
  return scheduleToJson(buildSchedule(config, options));
}

/** The resolved values the human summary lists, with epoch equivalents. */
export function resolvedValuesOf(s: Schedule): ResolvedValue[] {
  const tb = s.timeBase;
  const spe = tb.stepsPerEpoch;
  const epochs = (steps: number) => steps / spe;
  const out: ResolvedValue[] = [];
  const seen = new Set<string>();
  const push = (v: ResolvedValue) => {
    const id = `${v.key}|${v.given}|${v.steps ?? ''}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push(v);
  };
  const dur = (d: ResolvedDuration, offset = 0) => push({ key: d.key, given: d.given, steps: d.steps + offset, epochs: epochs(d.steps + offset) });
  const c = s.config;

  push({ key: 'DATA.TRAIN_SAMPLES', given: tb.trainSamples });
  push({ key: 'batches_per_epoch', given: `${tb.dropLast ? 'floor' : 'ceil'}(${tb.trainSamples} / (${tb.batchSize} x ${tb.worldSize}))`, steps: tb.batchesPerEpoch });
  push({ key: 'steps_per_epoch', given: `ceil(${tb.batchesPerEpoch} / ${tb.accumulationSteps})`, steps: spe, epochs: 1 });
  push({ key: 'effective_batch_size', given: `${tb.batchSize} x ${tb.worldSize} x ${tb.accumulationSteps} = ${tb.effectiveBatchSize}` });
  if (c.TRAIN.MAX_STEPS !== undefined) push({ key: 'TRAIN.MAX_STEPS', given: c.TRAIN.MAX_STEPS, steps: tb.totalSteps, epochs: epochs(tb.totalSteps) });
  else push({ key: 'TRAIN.EPOCHS', given: c.TRAIN.EPOCHS, steps: tb.totalSteps, epochs: epochs(tb.totalSteps) });
  if (c.LR_SCHEDULER.REFERENCE_BS !== undefined) {
    push({ key: 'LR_SCHEDULER.REFERENCE_BS', given: `${c.LR_SCHEDULER.SCALING} scaling by ${tb.effectiveBatchSize} / ${c.LR_SCHEDULER.REFERENCE_BS}: LRs x ${s.lrPlan.scale}` });
  }
  s.stages.forEach((st) => {
    if (st.name !== 'main') push({ key: `stage ${st.name.slice(-1)}`, given: `steps ${st.start}-${st.end - 1}`, steps: st.end - st.start, epochs: epochs(st.end - st.start) });
  });
  s.lrPlan.specs.forEach((groupSpecs, si) =>
    groupSpecs.forEach((spec, gi) => {
      const who = s.groups[gi] === 'default' ? '' : ` [group ${s.groups[gi]}]`;
      const where = s.stages[si].name === 'main' ? '' : ` [${s.stages[si].name}]`;
      push({ key: `lr${where}${who}`, given: `${spec.name}: base ${spec.base}, min ${spec.min}${spec.warmup > 0 ? `, warmup from ${spec.warmupLr}` : ''}` });
      // Stage durations are stage-local; the summary shows them as given, in steps of that stage.
      spec.resolved.forEach((d) => dur(d));
    }),
  );
  s.eventPlan.resolved.forEach((d) => dur(d));
  s.probabilityPlan.resolved.forEach((d) => dur(d));
  const es = s.config.TRAIN.EARLY_STOP;
  if (es.ACTIVE) {
    const p = s.createEarlyStopping().patienceSteps;
    if (p !== undefined) {
      const key = es.PATIENCE_STEPS !== undefined ? 'TRAIN.EARLY_STOP.PATIENCE_STEPS' : 'TRAIN.EARLY_STOP.PATIENCE_EPOCHS';
      push({ key, given: (es.PATIENCE_STEPS ?? es.PATIENCE_EPOCHS) as number, steps: p, epochs: epochs(p) });
    }
  }
  return out;
}

export function resolvedValues(config: TrainNativeConfig, options: ScheduleOptions = {}): ResolvedValue[] {
  return resolvedValuesOf(buildSchedule(config, options));
}
