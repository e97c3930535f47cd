/**
 * The parameter groups' names (LR_SCHEDULER.PARAMETER_GROUPS): unmatched parameters form
 * `default`. Which parameter belongs to which group is decided by the native session when it
 * builds the optimizer (NativeParameterGroup.patterns).
 */
import type { ParameterGroupConfig } from '../../config/types';

export const DEFAULT_GROUP = 'default';

/** Group names in the order the schedule reports them: `default` first, then as configured (the validator reserves `default`). */
export function groupNames(groups: ReadonlyArray<Pick<ParameterGroupConfig, 'NAME'>>): string[] {
  return [DEFAULT_GROUP, ...groups.map((g) => g.NAME)];
}
