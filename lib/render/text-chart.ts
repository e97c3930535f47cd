/**
 * Character-grid charts for the schedule summary (SPEC §7): an LR curve with scientific y labels
 * and an epoch x axis, and an event timeline that shares the same x axis. Pure functions returning
 * lines; the summary assembles them.
 *
 * X mapping: the plot is `cols = min(width, totalSteps)` characters wide and column c holds the
 * optimizer steps k with floor(k * cols / T) == c. An event "at step s" happens after step s-1 ran,
 * so it is drawn in the column of step max(s-1, 0); a checkpoint at step 0 lands in column 0.
 */
import { extent, niceStep, padLeft, sci } from './format';

export interface AxisOptions {
  totalSteps: number;
  stepsPerEpoch: number;
  /** Plot width in characters (default 60). */
  width?: number;
  /** Width of the left gutter that holds y labels / event names, excluding the axis character. */
  gutter?: number;
}

export interface LrChartOptions extends AxisOptions {
  /** Plot height in rows (default 12). */
  height?: number;
}

export const DEFAULT_CHART_WIDTH = 60;
export const DEFAULT_CHART_HEIGHT = 12;
export const DEFAULT_GUTTER = 19;

/** Number of plot columns actually used: never more columns than steps. */
export function plotColumns(totalSteps: number, width = DEFAULT_CHART_WIDTH): number {
  return Math.max(1, Math.min(width, Math.max(1, totalSteps)));
}

/** Column of optimizer step k. */
export function columnOfStep(k: number, totalSteps: number, cols: number): number {
  if (totalSteps <= 0) return 0;
  const c = Math.floor((k * cols) / totalSteps);
  return Math.min(cols - 1, Math.max(0, c));
}

/** Column of an event at global step s (it follows optimizer step s-1). */
export function columnOfEvent(s: number, totalSteps: number, cols: number): number {
  return columnOfStep(Math.max(0, s - 1), totalSteps, cols);
}

/** Value range used for a curve's y axis; a flat curve gets a range that puts it on the top row. */
export function yRange(values: ArrayLike<number>): [number, number] {
  let [lo, hi] = extent(values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo <= Math.abs(hi) * 1e-12) {
    if (hi > 0) lo = 0;
    else if (hi < 0) hi = 0;
    else hi = 1;
  }
  return [lo, hi];
}

/**
 * The LR curve as lines: `height` plot rows, then the x axis and its epoch labels.
 * Each column draws every row between the min and max of its steps, extended to the last value of
 * the previous column, so steps, restarts and warmup ramps show as connected strokes.
 */
export function renderLrChart(values: ArrayLike<number>, opts: LrChartOptions): string[] {
  const T = Math.min(opts.totalSteps, values.length);
  const height = Math.max(2, opts.height ?? DEFAULT_CHART_HEIGHT);
  const gutter = opts.gutter ?? DEFAULT_GUTTER;
  if (T <= 0) return [`${padLeft('', gutter)} (no steps)`];
  const cols = plotColumns(T, opts.width);
  const [lo, hi] = yRange(values);
  const rowOf = (v: number): number => {
    const r = Math.round(((hi - v) / (hi - lo)) * (height - 1));
    return Math.min(height - 1, Math.max(0, r));
  };

  const grid: string[][] = Array.from({ length: height }, () => new Array<string>(cols).fill(' '));
  let prevLast: number | undefined;
  let k = 0;
  for (let c = 0; c < cols; c++) {
    let bMin = Infinity;
    let bMax = -Infinity;
    let last = NaN;
    while (k < T && columnOfStep(k, T, cols) === c) {
      const v = values[k];
      if (v < bMin) bMin = v;
      if (v > bMax) bMax = v;
      last = v;
      k++;
    }
    if (bMin === Infinity) continue; // cannot happen when cols <= T, kept for safety
    if (prevLast !== undefined) {
      bMin = Math.min(bMin, prevLast);
      bMax = Math.max(bMax, prevLast);
    }
    for (let r = rowOf(bMax); r <= rowOf(bMin); r++) grid[r][c] = '*';
    prevLast = last;
  }

  const labelRows = new Set([0, Math.round((height - 1) / 3), Math.round((2 * (height - 1)) / 3), height - 1]);
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    const value = hi - (r * (hi - lo)) / (height - 1);
    const label = labelRows.has(r) ? sci(value) : '';
    lines.push(`${padLeft(label, gutter)} |${grid[r].join('')}`.trimEnd());
  }
  lines.push(...renderEpochAxis({ ...opts, totalSteps: T, width: cols, gutter }));
  return lines;
}

/**
 * The x axis: `+` ticks at chosen epoch boundaries, labels below, "epoch" at the end.
 * Tick epochs are multiples of a nice step (1, 2, 5, 10, …) so labels never crowd.
 */
export function renderEpochAxis(opts: AxisOptions): string[] {
  const T = opts.totalSteps;
  const gutter = opts.gutter ?? DEFAULT_GUTTER;
  const cols = plotColumns(T, opts.width);
  const spe = Math.max(1, opts.stepsPerEpoch);
  const totalEpochs = T / spe;
  const step = niceStep(totalEpochs, Math.max(1, Math.floor(cols / 6)), true);

  // Index 0 is the axis corner (under the '|' of the plot), index c + 1 is plot column c.
  const axis = ['+', ...new Array<string>(cols).fill('-')];
  const labels = new Array<string>(cols + 9).fill(' ');
  let labelEnd = -1; // first free label position
  for (let e = 0; e <= totalEpochs + 1e-9; e += step) {
    const pos = e === 0 ? 0 : columnOfEvent(Math.round(e * spe), T, cols) + 1;
    axis[pos] = '+';
    const text = String(e);
    let start = pos;
    if (start + text.length > cols + 1) start = Math.max(0, cols + 1 - text.length);
    if (start <= labelEnd) continue;
    for (let i = 0; i < text.length; i++) labels[start + i] = text[i];
    labelEnd = start + text.length;
  }
  return [`${padLeft('', gutter)} ${axis.join('')}`, `${padLeft('', gutter)} ${labels.join('').trimEnd()}  epoch`];
}

export interface TimelineRow {
  label: string;
  mark: string;
  steps: readonly number[];
}

/** One row per event kind on the chart's x axis, with the number of events at the right. */
export function renderEventTimeline(rows: readonly TimelineRow[], opts: AxisOptions): string[] {
  const T = opts.totalSteps;
  const gutter = opts.gutter ?? DEFAULT_GUTTER;
  const cols = plotColumns(T, opts.width);
  return rows.map((row) => {
    const cells = new Array<string>(cols).fill(' ');
    for (const s of row.steps) cells[columnOfEvent(s, T, cols)] = row.mark;
    return `${padLeft(row.label, gutter)} |${cells.join('')}| ${row.steps.length}`;
  });
}
