/**
 * The human schedule summary (SPEC §7): what `train-native schedule CONFIG` prints and what
 * training writes to `<run dir>/assets/schedule_summary.txt`. One pure function of the §7 JSON,
 * the resolved values and a little run shape the JSON does not carry (samples, batch size).
 */
import type { ResolvedValue, ScheduleJson } from '../schedule/json-types';
import { epochs as fmtEpochs, extent, num, padLeft, padRight, sci } from './format';
import { EVENT_KINDS } from './events';
import {
  DEFAULT_CHART_HEIGHT,
  DEFAULT_CHART_WIDTH,
  DEFAULT_GUTTER,
  renderEventTimeline,
  renderLrChart,
  TimelineRow,
} from './text-chart';

export interface SummaryOptions {
  /** Where the config came from (a path, or "built-in quickstart"), shown in the title. */
  source?: string;
  /** Run shape the §7 JSON does not hold; lines are omitted when a value is unknown. */
  trainSamples?: number;
  batchSize?: number;
  worldSize?: number;
  accumulationSteps?: number;
  /** Scheduler name per group, shown in each chart's heading. */
  schedulers?: Record<string, string>;
  /** Chart size in characters (default 60 × 12). */
  chartWidth?: number;
  chartHeight?: number;
  /** How many event steps to list per kind before eliding (default 12). */
  maxListedSteps?: number;
}

const PROBABILITY_LABELS: ReadonlyArray<{ key: keyof ScheduleJson['probabilities']; label: string }> = [
  { key: 'meta_mask', label: 'meta-mask' },
  { key: 'partial_meta_mask', label: 'partial meta-mask' },
  { key: 'mixup', label: 'mixup' },
];

/** Aligned columns: the first left-aligned, the others right-aligned unless `align` says 'l'. */
function table(rows: string[][], align: ReadonlyArray<'l' | 'r'> = [], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) => ((align[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? padRight(cell, widths[i]) : padLeft(cell, widths[i])))
        .join('   ')
    ).trimEnd(),
  );
}

function heading(text: string): string[] {
  return ['', text, '-'.repeat(text.length)];
}

/** "100, 200, 300, …, 1000" keeping the first few and the last. */
export function listSteps(steps: readonly number[], max = 12): string {
  if (steps.length === 0) return '-';
  if (steps.length <= max) return steps.join(', ');
  return `${steps.slice(0, max - 1).join(', ')}, …, ${steps[steps.length - 1]}`;
}

function runShape(json: ScheduleJson, opts: SummaryOptions): string[] {
  const rows: string[][] = [];
  if (opts.trainSamples !== undefined) rows.push(['training samples', String(opts.trainSamples)]);
  if (opts.batchSize !== undefined) {
    const ws = opts.worldSize ?? 1;
    rows.push(['batch size', ws > 1 ? `${opts.batchSize} per process × ${ws} processes` : String(opts.batchSize)]);
  }
  if (opts.accumulationSteps !== undefined) rows.push(['accumulation steps', String(opts.accumulationSteps)]);
  rows.push(['effective batch size', String(json.effective_batch_size)]);
  rows.push(['steps per epoch', String(json.steps_per_epoch)]);
  rows.push(['epochs', fmtEpochs(json.epochs)]);
  rows.push(['total steps', String(json.total_steps)]);
  return table(rows, ['l', 'l']);
}

function resolvedTable(resolved: readonly ResolvedValue[]): string[] {
  if (resolved.length === 0) return ['  (none)'];
  const rows: string[][] = [['key', 'given', 'steps', 'epochs']];
  for (const r of resolved) {
    // Epochs only where the producer says the steps are optimizer steps of a duration.
    const ep = r.epochs;
    rows.push([r.key, num(r.given), r.steps === undefined ? '-' : String(r.steps), ep === undefined ? '-' : fmtEpochs(ep)]);
  }
  return table(rows, ['l', 'l', 'r', 'r']);
}

/** Start / peak / end of one LR curve, with the step of the peak. */
function lrFacts(values: readonly number[]): string {
  if (values.length === 0) return 'no steps';
  let peak = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[peak]) peak = k;
  const [lo] = extent(values);
  return `start ${sci(values[0])}, peak ${sci(values[peak])} at step ${peak}, min ${sci(lo)}, end ${sci(values[values.length - 1])}`;
}

function probabilityLines(json: ScheduleJson): string[] {
  const lines: string[] = [];
  for (const { key, label } of PROBABILITY_LABELS) {
    const values = json.probabilities[key] ?? [];
    if (values.length === 0) continue;
    const [lo, hi] = extent(values);
    if (lo === 0 && hi === 0) continue; // disabled
    lines.push(`  ${padRight(label, 18)} start ${num(values[0])}, end ${num(values[values.length - 1])}, range ${num(lo)} – ${num(hi)}`);
  }
  return lines;
}

/** The complete human summary as one string ending in a newline. */
export function renderScheduleSummary(
  json: ScheduleJson,
  resolved: readonly ResolvedValue[],
  opts: SummaryOptions = {},
): string {
  const width = opts.chartWidth ?? DEFAULT_CHART_WIDTH;
  const height = opts.chartHeight ?? DEFAULT_CHART_HEIGHT;
  const axis = { totalSteps: json.total_steps, stepsPerEpoch: json.steps_per_epoch, width, gutter: DEFAULT_GUTTER };
  const title = `Training schedule${opts.source ? ` — ${opts.source}` : ''}`;
  const out: string[] = [title, '='.repeat(title.length)];

  out.push(...heading('Run'), ...runShape(json, opts));
  out.push(...heading('Resolved values'), ...resolvedTable(resolved));

  out.push(...heading('Warnings'));
  out.push(...(json.warnings.length === 0 ? ['  (none)'] : json.warnings.map((w) => `  ! ${w}`)));

  for (const [group, values] of Object.entries(json.lr)) {
    const scheduler = opts.schedulers?.[group];
    out.push(...heading(`Learning rate — group "${group}"${scheduler ? ` (${scheduler})` : ''}`));
    out.push(`  ${lrFacts(values)}`, '');
    out.push(...renderLrChart(values, { ...axis, height }));
  }

  out.push(...heading('Events (global step after which each happens)'));
  const rows: TimelineRow[] = EVENT_KINDS.map((k) => ({ label: k.label, mark: k.mark, steps: json.events[k.key] ?? [] }));
  out.push(...renderEventTimeline(rows, axis));
  out.push('');
  const maxListed = opts.maxListedSteps ?? 12;
  out.push(...table(rows.map((r) => [`${r.label} (${r.mark})`, String(r.steps.length), listSteps(r.steps, maxListed)]), ['l', 'r', 'l']));

  const probs = probabilityLines(json);
  if (probs.length > 0) out.push(...heading('Probabilities'), ...probs);

  return out.join('\n') + '\n';
}
