/**
 * The schedule engine: pure functions of the optimizer step (LR of every parameter group, events,
 * probabilities, checkpoint plans) plus the two stateful parts (ReduceLROnPlateau, early stopping)
 * whose state is plain JSON. SPEC §1–§7.
 */
export type { ScheduleJson, ResolvedValue } from './json-types';
export { resolveTimeBase, resolveDuration, roundSteps, runEpochs } from './time-base';
export type { TimeBase, DurationTriple, ResolvedDuration } from './time-base';
export { Schedule, buildSchedule, EVENT } from './schedule';
export type { EventFlag, ScheduleOptions } from './schedule';
export { buildScheduleJson, scheduleToJson, resolvedValues, resolvedValuesOf } from './json';
export { DEFAULT_GROUP } from './lr/groups';
export { lrAt } from './lr/curves';
export type { CurveSpec, PlateauSpec } from './lr/keys';
export { buildLrPlan, resolveStages } from './lr/plan';
export type { LrPlan, StageSpan, StageName } from './lr/plan';
export { PlateauScheduler } from './lr/plateau';
export type { PlateauState, PlateauGroup } from './lr/plateau';
export { epochBoundaries, allCombinations, buildEventPlan } from './events';
export type { EventPlan } from './events';
export { generateCheckpointPlan, planInput } from './checkpoint-plan';
export type { CheckpointPlanInput, CheckpointPlanOverrides } from './checkpoint-plan';
export { checkpointPlanFromConfig, GENERATE_DEFAULTS } from './checkpoint-plan-config';
export { buildProbabilityPlan, rampAt } from './probabilities';
export type { ProbabilityPlan, Ramp } from './probabilities';
export { EarlyStopping } from './early-stop';
export type { EarlyStopCode, EarlyStopObservation, EarlyStopState } from './early-stop';
export { inferMode, resolveMode } from './metric-mode';
export type { MetricMode } from './metric-mode';
export { collectWarnings } from './warnings';
