/**
 * The summary of a built Schedule in one call: what `train-native schedule` prints and what the
 * trainer writes to `<run dir>/assets/schedule_summary.txt`, so both stay the same text.
 */
import type { Schedule } from '../schedule';
import { resolvedValuesOf, scheduleToJson } from '../schedule';
import type { ScheduleJson } from '../schedule/json-types';
import { renderScheduleSummary } from './summary';

/** Scheduler name per group for chart headings; "cosine → step" when the stages differ. */
export function schedulerNames(s: Schedule): Record<string, string> {
  const out: Record<string, string> = {};
  s.groups.forEach((g, gi) => {
    const names = s.lrPlan.specs.map((stage) => stage[gi].name);
    out[g] = names.filter((n, i) => i === 0 || n !== names[i - 1]).join(' → ');
  });
  return out;
}

/**
 * `source` names the config in the title (a path, or "built-in configs/quickstart.yaml").
 * Pass `json` when the caller already has `scheduleToJson(s)`, to avoid building it twice.
 */
export function renderSummaryOfSchedule(s: Schedule, opts: { source?: string; json?: ScheduleJson } = {}): string {
  const tb = s.timeBase;
  return renderScheduleSummary(opts.json ?? scheduleToJson(s), resolvedValuesOf(s), {
    source: opts.source,
    trainSamples: tb.trainSamples,
    batchSize: tb.batchSize,
    worldSize: tb.worldSize,
    accumulationSteps: tb.accumulationSteps,
    schedulers: schedulerNames(s),
  });
}
