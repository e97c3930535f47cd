/**
 * Renderers of a schedule for people: the text summary (SPEC §7, also written to
 * `<run dir>/assets/schedule_summary.txt`), the SVG plot, and the checkpoint plan listing.
 * All are pure functions of plain data; nothing here reads files or calls native code.
 */
export { renderScheduleSummary, listSteps } from './summary';
export { renderSummaryOfSchedule, schedulerNames } from './of-schedule';
export type { SummaryOptions } from './summary';
export { renderScheduleSvg, downsampleSteps, escapeXml } from './svg';
export type { SvgOptions, PointSeries } from './svg';
export { renderLrChart, renderEventTimeline, renderEpochAxis, columnOfStep, columnOfEvent } from './text-chart';
export type { LrChartOptions, AxisOptions, TimelineRow } from './text-chart';
export { renderCheckpointPlan, checkpointPlanJson } from './checkpoints';
export type { CheckpointPlanView, CheckpointPlanEpoch, CheckpointPlanSettings, CheckpointPlanJson } from './checkpoints';
export { EVENT_KINDS } from './events';
