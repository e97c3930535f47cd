/**
 * How a stage-2 or parameter-group LR_SCHEDULER combines with the base LR_SCHEDULER: every key it
 * gives wins, the rest are inherited; a given member of an `X_STEPS | X_FRACTION | X_EPOCHS`
 * group replaces the whole inherited group (stage 2 saying WARMUP_STEPS drops an inherited
 * WARMUP_FRACTION rather than conflicting with it).
 */
import { SCHEDULER_ONE_OF_GROUPS } from './definition';
import type { SchedulerKeys } from './types';

export function effectiveScheduler(base: SchedulerKeys, override: Partial<SchedulerKeys>): SchedulerKeys {
  const out: Record<string, unknown> = { ...base };
  const given = override as Record<string, unknown>;
  for (const g of SCHEDULER_ONE_OF_GROUPS) {
    const keys = g.members.flat();
    if (keys.some((k) => given[k] !== undefined)) for (const k of keys) delete out[k];
  }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) out[k] = v;
  // LrSchedulerConfig extras (REFERENCE_BS, PARAMETER_GROUPS…) are not scheduler keys.
  delete out.REFERENCE_BS;
  delete out.SCALING;
  delete out.PARAMETER_GROUPS;
  return out as unknown as SchedulerKeys;
}

