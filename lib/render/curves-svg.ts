/**
 * A standalone SVG of a run's training curves (`train-native plot RUN_DIR`, seed 004): two panels
 * side by side with the same series — loss on a linear y-axis (left) and a log y-axis (right, where
 * the drops after each ReduceLROnPlateau step stand out). Each panel has the train and validation
 * losses (and one validation metric on the same axis), the LR as a dashed staircase on a secondary
 * log axis so LR drops show as steps, checkpoint markers along the x-axis (global step), a legend
 * and the run name in the title. Pure string building; user text goes through `escapeXml`.
 */
import { escapeXml, tickLabel } from './svg';
import { extent, niceStep } from './format';
import { minMaxIndices } from './downsample';

export interface CurvePoint {
  step: number;
  value: number;
}

export interface TrainingCurves {
  runName: string;
  trainLoss: CurvePoint[];
  valLoss: CurvePoint[];
  /** The first non-loss validation metric (e.g. accuracy), drawn on the loss axis. */
  valMetric?: { name: string; points: CurvePoint[] };
  lr: CurvePoint[];
  checkpointSteps: number[];
}

export interface CurvesSvgOptions {
  /** Canvas size in px (default 1400 × 600). */
  width?: number;
  height?: number;
  /** Most points per polyline (default 2000); longer series keep each bucket's min and max. */
  maxPoints?: number;
}

const COLOURS = { train: '#1f77b4', val: '#d62728', metric: '#2ca02c', lr: '#555555', checkpoint: '#444444' };

const r2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Tick text: plain decimals (0.25, 1.5, 40) in the everyday range, else the short 1e-3 form. */
function axisLabel(v: number): string {
  const abs = Math.abs(v);
  if (v === 0 || (abs >= 1e-3 && abs < 1e5)) return String(Number(v.toPrecision(6)));
  return tickLabel(v);
}

/** Points with finite values (and positive ones when `positive`), sorted by step. */
function usable(points: CurvePoint[], positive: boolean): CurvePoint[] {
  return points
    .filter((p) => Number.isFinite(p.step) && Number.isFinite(p.value) && (!positive || p.value > 0))
    .sort((a, b) => a.step - b.step);
}

/** At most `maxPoints` points: first, last, and each bucket's min and max in step order. */
export function downsamplePoints(points: CurvePoint[], maxPoints: number): CurvePoint[] {
  const limit = Math.max(4, Math.floor(maxPoints));
  if (points.length <= limit) return points;
  return minMaxIndices(points.length, limit, (i) => points[i].value).map((i) => points[i]);
}

/** A y-axis: value → pixel, and its ticks. */
interface Axis {
  toPx(v: number): number;
  ticks: number[];
}

function linearAxis(values: number[], bottom: number, top: number): Axis {
  const [min, max] = extent(values);
  let lo = Math.min(0, min);
  let hi = values.length > 0 ? max : 1;
  if (!(hi > lo)) hi = lo + 1;
  const step = niceStep(hi - lo, 6);
  hi = Math.ceil(hi / step - 1e-9) * step;
  lo = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = lo, i = 0; v <= hi + step * 1e-6 && i < 50; v += step, i++) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { toPx: (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top), ticks };
}

/** Decades that cover the positive `values`; 2× and 5× ticks too when they span few decades. */
function logAxis(values: number[], bottom: number, top: number): Axis {
  const [min, max] = extent(values.filter((v) => v > 0));
  let lo = Number.isFinite(min) ? Math.floor(Math.log10(min)) : -1;
  let hi = Number.isFinite(max) ? Math.ceil(Math.log10(max)) : 0;
  if (hi <= lo) hi = lo + 1;
  if (hi - lo > 40) lo = hi - 40;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push(Math.pow(10, e));
    if (hi - lo <= 2 && e < hi) ticks.push(2 * Math.pow(10, e), 5 * Math.pow(10, e));
  }
  ticks.sort((a, b) => a - b);
  return { toPx: (v) => bottom - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top), ticks };
}

interface Series {
  key: string;
  label: string;
  colour: string;
  points: CurvePoint[];
}

interface PanelGeometry {
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMax: number;
}

function polyline(series: Series, g: PanelGeometry, axis: Axis, maxPoints: number): string {
  const xOf = (s: number): number => g.left + (s / g.xMax) * (g.right - g.left);
  const pts = downsamplePoints(series.points, maxPoints).map((p) => `${r2(xOf(p.step))},${r2(axis.toPx(p.value))}`);
  const dots =
    series.points.length <= 60
      ? series.points.map((p) => `<circle cx="${r2(xOf(p.step))}" cy="${r2(axis.toPx(p.value))}" r="2.2" fill="${series.colour}"/>`).join('')
      : '';
  return `<g data-series="${series.key}"><polyline fill="none" stroke="${series.colour}" stroke-width="1.6" stroke-linejoin="round" points="${pts.join(' ')}"/>${dots}</g>`;
}

/** LR between logged points holds its value, so it is drawn as a staircase (corners at changes). */
function staircase(points: CurvePoint[]): CurvePoint[] {
  const out: CurvePoint[] = [];
  points.forEach((p, i) => {
    if (i > 0 && p.value !== points[i - 1].value) out.push({ step: p.step, value: points[i - 1].value });
    out.push(p);
  });
  return out;
}

function renderPanel(
  kind: 'linear' | 'log',
  curves: TrainingCurves,
  g: PanelGeometry,
  maxPoints: number,
): string {
  const log = kind === 'log';
  const series: Series[] = [
    { key: 'train_loss', label: 'train loss', colour: COLOURS.train, points: usable(curves.trainLoss, log) },
    { key: 'val_loss', label: 'val loss', colour: COLOURS.val, points: usable(curves.valLoss, log) },
  ];
  if (curves.valMetric) {
    series.push({ key: 'val_metric', label: `val ${curves.valMetric.name}`, colour: COLOURS.metric, points: usable(curves.valMetric.points, log) });
  }
  const values = series.flatMap((s) => s.points.map((p) => p.value));
  const axis = log ? logAxis(values, g.bottom, g.top) : linearAxis(values, g.bottom, g.top);
  const lrPoints = usable(curves.lr, true);
  const lrAxis = logAxis(lrPoints.map((p) => p.value), g.bottom, g.top);
  const xOf = (s: number): number => g.left + (s / g.xMax) * (g.right - g.left);
  const parts: string[] = [`<g class="panel" data-panel="${kind}">`];

  parts.push(
    `<text x="${r2((g.left + g.right) / 2)}" y="${g.top - 10}" text-anchor="middle" font-size="14" font-weight="bold">${log ? 'Loss (log scale)' : 'Loss (linear scale)'}</text>`,
  );
  // Loss axis (left), with horizontal grid.
  parts.push(`<g class="y-axis" fill="#333" text-anchor="end">`);
  for (const v of axis.ticks) {
    const y = r2(axis.toPx(v));
    parts.push(
      `<line x1="${g.left}" y1="${y}" x2="${g.right}" y2="${y}" stroke="#eeeeee"/>`,
      `<line x1="${g.left - 5}" y1="${y}" x2="${g.left}" y2="${y}" stroke="#333"/>`,
      `<text x="${g.left - 8}" y="${r2(axis.toPx(v) + 4)}">${escapeXml(axisLabel(v))}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(${g.left - 58},${r2((g.top + g.bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${log ? 'loss (log)' : 'loss'}</text>`,
    `</g>`,
  );
  // LR axis (right), only when an LR was logged.
  if (lrPoints.length > 0) {
    parts.push(`<g class="lr-axis" fill="${COLOURS.lr}" text-anchor="start">`);
    for (const v of lrAxis.ticks) {
      const y = r2(lrAxis.toPx(v));
      parts.push(
        `<line x1="${g.right}" y1="${y}" x2="${g.right + 5}" y2="${y}" stroke="${COLOURS.lr}"/>`,
        `<text x="${g.right + 8}" y="${r2(lrAxis.toPx(v) + 4)}">${escapeXml(tickLabel(v))}</text>`,
      );
    }
    parts.push(
      `<text transform="translate(${g.right + 62},${r2((g.top + g.bottom) / 2)}) rotate(90)" text-anchor="middle" font-size="13">learning rate (log)</text>`,
      `</g>`,
    );
  }
  // X axis (global step).
  const xStep = niceStep(g.xMax, 8, true);
  parts.push(`<g class="x-axis" fill="#333" text-anchor="middle">`);
  for (let s = 0, i = 0; s <= g.xMax + 1e-9 && i < 100; s += xStep, i++) {
    const x = r2(xOf(s));
    parts.push(`<line x1="${x}" y1="${g.bottom}" x2="${x}" y2="${g.bottom + 5}" stroke="#333"/>`, `<text x="${x}" y="${g.bottom + 18}">${s}</text>`);
  }
  parts.push(`<text x="${r2((g.left + g.right) / 2)}" y="${g.bottom + 38}" font-size="13">global step</text>`, `</g>`);

  // Curves: LR first so the losses draw on top of it.
  if (lrPoints.length > 0) {
    const stairs = lrPoints.length * 2 <= maxPoints ? staircase(lrPoints) : lrPoints;
    const pts = downsamplePoints(stairs, maxPoints).map((p) => `${r2(xOf(p.step))},${r2(lrAxis.toPx(p.value))}`);
    parts.push(
      `<g data-series="lr"><polyline fill="none" stroke="${COLOURS.lr}" stroke-width="1.3" stroke-dasharray="6,4" points="${pts.join(' ')}"/></g>`,
    );
  }
  for (const s of series) if (s.points.length > 0) parts.push(polyline(s, g, axis, maxPoints));

  // Checkpoints: small upward triangles sitting on the x-axis.
  parts.push(`<g class="checkpoints" fill="${COLOURS.checkpoint}">`);
  for (const step of curves.checkpointSteps) {
    const x = xOf(step);
    parts.push(
      `<polygon class="checkpoint" data-step="${step}" points="${r2(x)},${r2(g.bottom - 7)} ${r2(x + 4)},${r2(g.bottom)} ${r2(x - 4)},${r2(g.bottom)}"><title>checkpoint step ${step}</title></polygon>`,
    );
  }
  parts.push(`</g>`);

  if (values.length === 0) {
    parts.push(`<text x="${r2((g.left + g.right) / 2)}" y="${r2((g.top + g.bottom) / 2)}" text-anchor="middle" fill="#888">no ${log ? 'positive ' : ''}loss values logged</text>`);
  }
  parts.push(`<rect x="${g.left}" y="${g.top}" width="${r2(g.right - g.left)}" height="${r2(g.bottom - g.top)}" fill="none" stroke="#333"/>`);
  parts.push(`</g>`);
  return parts.join('\n');
}

function legend(curves: TrainingCurves, x: number, y: number): string {
  const items: string[] = [];
  let cx = x;
  const entry = (swatch: string, label: string): void => {
    items.push(swatch, `<text x="${cx + 34}" y="${y + 4}">${escapeXml(label)}</text>`);
    cx += 46 + Math.max(60, label.length * 7);
  };
  const line = (colour: string, dash = ''): string =>
    `<line x1="${cx}" y1="${y}" x2="${cx + 28}" y2="${y}" stroke="${colour}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  entry(line(COLOURS.train), 'train loss');
  entry(line(COLOURS.val), 'val loss');
  if (curves.valMetric) entry(line(COLOURS.metric), `val ${curves.valMetric.name}`);
  entry(line(COLOURS.lr, '6,4'), 'learning rate (right axis)');
  entry(
    `<polygon points="${cx + 14},${y - 5} ${cx + 19},${y + 4} ${cx + 9},${y + 4}" fill="${COLOURS.checkpoint}"/>`,
    `checkpoint (${curves.checkpointSteps.length})`,
  );
  return `<g class="legend" fill="#222">\n${items.join('\n')}\n</g>`;
}

/** The complete SVG document as a string. */
export function renderCurvesSvg(curves: TrainingCurves, opts: CurvesSvgOptions = {}): string {
  const W = opts.width ?? 1400;
  const H = opts.height ?? 600;
  const maxPoints = opts.maxPoints ?? 2000;
  const allSteps = [
    ...curves.trainLoss.map((p) => p.step),
    ...curves.valLoss.map((p) => p.step),
    ...(curves.valMetric?.points.map((p) => p.step) ?? []),
    ...curves.lr.map((p) => p.step),
    ...curves.checkpointSteps,
  ].filter((s) => Number.isFinite(s));
  const xMax = Math.max(1, extent(allSteps)[1]);
  const panelW = W / 2;
  const geometry = (i: number): PanelGeometry => ({
    left: i * panelW + 90,
    right: (i + 1) * panelW - 90,
    top: 80,
    bottom: H - 110,
    xMax,
  });
  const title = `Training curves — ${curves.runName}`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="90" y="32" font-size="18" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
    renderPanel('linear', curves, geometry(0), maxPoints),
    renderPanel('log', curves, geometry(1), maxPoints),
    legend(curves, 90, H - 30),
    `</svg>`,
  ].join('\n') + '\n';
}
