/**
 * Retention (SPEC §10) as pure functions: keep the union of the KEEP_TOP_N best checkpoints by the
 * monitored metric and the KEEP_LAST_N newest, never nothing; and pick `best`.
 *
 * The monitored metric is the one of the newest checkpoint that has a finite value: its name and
 * mode. Checkpoints whose metric is absent, non-finite or has another name (the config changed
 * between runs) are not comparable and never count as "best". Ties go to the newer checkpoint.
 */
import type { CheckpointInfo } from './types';

function newestFirst(checkpoints: readonly CheckpointInfo[]): CheckpointInfo[] {
  return [...checkpoints].sort((a, b) => b.step - a.step);
}

/** Comparable checkpoints, best first (ties: newer first). */
export function rankByMetric(checkpoints: readonly CheckpointInfo[]): CheckpointInfo[] {
  const byStep = newestFirst(checkpoints);
  const reference = byStep.find((c) => c.metric !== undefined && Number.isFinite(c.metric.value))?.metric;
  if (reference === undefined) return [];
  const sign = reference.mode === 'min' ? 1 : -1;
  // Compare, never subtract: the difference of two huge finite values can overflow.
  const compare = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);
  return byStep
    .filter((c) => c.metric !== undefined && c.metric.name === reference.name && Number.isFinite(c.metric.value))
    .sort((a, b) => sign * compare(a.metric?.value ?? 0, b.metric?.value ?? 0) || b.step - a.step);
}

/** The best checkpoint by the monitored metric, or undefined when none has a comparable finite value. */
export function bestCheckpoint(checkpoints: readonly CheckpointInfo[]): CheckpointInfo | undefined {
  return rankByMetric(checkpoints)[0];
}

function assertCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer (got ${n})`);
}

/**
 * Names to keep: top `keepTopN` by metric ∪ newest `keepLastN` by step; when that is empty (both 0,
 * or no finite metrics with keepLastN 0) the newest alone, so a run never deletes its only checkpoint.
 */
export function selectRetained(checkpoints: readonly CheckpointInfo[], keepTopN: number, keepLastN: number): Set<string> {
  assertCount(keepTopN, 'keepTopN (SCHEDULE.CHECKPOINT.KEEP_TOP_N)');
  assertCount(keepLastN, 'keepLastN (SCHEDULE.CHECKPOINT.KEEP_LAST_N)');
  const byStep = newestFirst(checkpoints);
  const keep = new Set<string>([
    ...rankByMetric(checkpoints).slice(0, keepTopN).map((c) => c.name),
    ...byStep.slice(0, keepLastN).map((c) => c.name),
  ]);
  if (keep.size === 0 && byStep.length > 0) keep.add(byStep[0].name);
  return keep;
}
