/**
 * A standalone SVG plot of a schedule (`train-native schedule --plot FILE.svg`): each group's LR
 * curve as a polyline, epoch grid lines, one marker lane per event kind, axes, legend and title.
 * Pure string building, no dependencies; every piece of user text goes through `escapeXml`.
 *
 * Curves are drawn as step functions (lr[k] holds from step k to k+1). Long runs are reduced to at
 * most `maxPoints` points by keeping each bucket's min and max, so warmup ends, decay steps and
 * restarts stay visible at any length.
 */
import type { ScheduleJson } from '../schedule/json-types';
import { extent, niceStep } from './format';
import { EVENT_KINDS } from './events';
import { minMaxIndices } from './downsample';

export interface SvgOptions {
  title?: string;
  /** Canvas size in px (default 1000 × 560). */
  width?: number;
  height?: number;
  /** Most points per polyline (default 2000). */
  maxPoints?: number;
}

export interface PointSeries {
  /** Step coordinate (0 … n). */
  x: number[];
  y: number[];
}

export const GROUP_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** Marker style per event kind: shape and colour, shared by lanes and legend. */
export const EVENT_STYLES: Record<string, { shape: 'circle' | 'diamond' | 'triangle' | 'square'; colour: string }> = {
  validation: { shape: 'circle', colour: '#2ca02c' },
  mask_meta_validation: { shape: 'diamond', colour: '#ff7f0e' },
  partial_mask_meta_validation: { shape: 'triangle', colour: '#9467bd' },
  checkpoint: { shape: 'square', colour: '#444444' },
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/**
 * A series of `values` (value k drawn at x = k) with at most `maxPoints` points (≥ 4).
 * - `staircase` and few changes: an exact step function (a corner at every change, ending at x = n),
 *   right for short runs where one step is several pixels wide.
 * - at most `maxPoints` values: every value.
 * - otherwise: for each of ⌊(maxPoints − 2) / 2⌋ buckets its min and max in index order, plus the
 *   first and last value, so no extreme (a warmup peak, a restart, a decay step) is lost.
 */
export function downsampleSteps(values: ArrayLike<number>, maxPoints = 2000, staircase = false): PointSeries {
  const n = values.length;
  const x: number[] = [];
  const y: number[] = [];
  if (n === 0) return { x, y };
  const limit = Math.max(4, Math.floor(maxPoints));

  let changes = 0;
  if (staircase) for (let k = 1; k < n; k++) if (values[k] !== values[k - 1]) changes++;
  if (staircase && 2 + 2 * changes <= limit) {
    x.push(0);
    y.push(values[0]);
    for (let k = 1; k < n; k++) {
      if (values[k] === values[k - 1]) continue;
      x.push(k, k);
      y.push(values[k - 1], values[k]);
    }
    x.push(n);
    y.push(values[n - 1]);
    return { x, y };
  }
  if (n <= limit) {
    for (let k = 0; k < n; k++) {
      x.push(k);
      y.push(values[k]);
    }
    return { x, y };
  }

  for (const k of minMaxIndices(n, limit, (i) => values[i])) {
    x.push(k);
    y.push(values[k]);
  }
  return { x, y };
}

/** Short tick label: 0, 2e-4, 1.5e-3 (shortest scientific form). */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  return Number(v.toPrecision(6)).toExponential();
}

/** Shortens text that would run off the canvas. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

const r2 = (v: number): string => (Math.round(v * 100) / 100).toString();

function marker(shape: string, cx: number, cy: number, colour: string, size = 4.5): string {
  const s = size;
  switch (shape) {
    case 'circle':
      return `<circle cx="${r2(cx)}" cy="${r2(cy)}" r="${s}" fill="${colour}"/>`;
    case 'diamond':
      return `<polygon points="${r2(cx)},${r2(cy - s - 1)} ${r2(cx + s + 1)},${r2(cy)} ${r2(cx)},${r2(cy + s + 1)} ${r2(cx - s - 1)},${r2(cy)}" fill="${colour}"/>`;
    case 'triangle':
      return `<polygon points="${r2(cx)},${r2(cy - s - 1)} ${r2(cx + s + 1)},${r2(cy + s)} ${r2(cx - s - 1)},${r2(cy + s)}" fill="${colour}"/>`;
    default:
      return `<rect x="${r2(cx - s)}" y="${r2(cy - s)}" width="${2 * s}" height="${2 * s}" fill="${colour}"/>`;
  }
}

/** The complete SVG document as a string. */
export function renderScheduleSvg(json: ScheduleJson, opts: SvgOptions = {}): string {
  const W = opts.width ?? 1000;
  const H = opts.height ?? 560;
  const maxPoints = opts.maxPoints ?? 2000;
  const T = Math.max(1, json.total_steps);
  const spe = Math.max(1, json.steps_per_epoch);
  const groups = Object.keys(json.lr);

  // Layout: title band, LR plot, event lanes, x axis; legend in the right column.
  const left = 150;
  const right = W - 200;
  const top = 70;
  const laneH = 22;
  const lanesH = laneH * EVENT_KINDS.length;
  const axisBottom = H - 78;
  const lanesTop = axisBottom - lanesH;
  const plotBottom = lanesTop - 12;
  const plotW = right - left;
  const plotH = plotBottom - top;

  // Y scale over all groups: from min(0, lowest) to a nice top above the highest.
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of groups) {
    const [a, b] = extent(json.lr[g]);
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  lo = Math.min(0, lo);
  if (hi <= lo) hi = lo === 0 ? 1 : lo + Math.abs(lo);
  const yStep = niceStep(hi - lo, 5);
  const yTop = Math.ceil(hi / yStep - 1e-9) * yStep;
  const yBottom = Math.floor(lo / yStep + 1e-9) * yStep;
  const xOf = (step: number): number => left + (step / T) * plotW;
  const yOf = (v: number): number => plotBottom - ((v - yBottom) / (yTop - yBottom)) * plotH;

  const parts: string[] = [];
  const title = opts.title ?? 'Learning-rate schedule';
  const epochsText = Number.isInteger(json.epochs) ? String(json.epochs) : json.epochs.toFixed(2);
  const subtitle = `${json.total_steps} optimizer steps · ${epochsText} epochs × ${json.steps_per_epoch} steps · effective batch ${json.effective_batch_size}`;
  parts.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="28" font-size="18" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
    `<text x="${left}" y="48" fill="#555">${escapeXml(subtitle)}</text>`,
  );

  // Epoch grid (lines through plot and lanes) and x ticks.
  const epochsTotal = T / spe;
  const gridStep = niceStep(epochsTotal, 40, true);
  const labelStep = niceStep(epochsTotal, 10, true);
  parts.push(`<g class="epoch-grid" stroke="#e3e3e3" stroke-width="1">`);
  for (let e = gridStep; e < epochsTotal - 1e-9; e += gridStep) {
    const x = r2(xOf(e * spe));
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${axisBottom}"/>`);
  }
  parts.push(`</g>`);
  parts.push(`<g class="x-axis" fill="#333" text-anchor="middle">`);
  for (let e = 0; e <= epochsTotal + 1e-9; e += labelStep) {
    const x = r2(xOf(Math.min(T, e * spe)));
    parts.push(`<line x1="${x}" y1="${axisBottom}" x2="${x}" y2="${axisBottom + 5}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${axisBottom + 18}">${e}</text>`);
  }
  parts.push(`<text x="${r2(left + plotW / 2)}" y="${axisBottom + 38}" font-size="13">epoch</text>`);
  parts.push(`</g>`);

  // Y axis: ticks, horizontal grid, label.
  parts.push(`<g class="y-axis" fill="#333" text-anchor="end">`);
  for (let v = yBottom, i = 0; v <= yTop + yStep * 1e-6 && i < 50; v += yStep, i++) {
    const value = Math.abs(v) < yStep * 1e-9 ? 0 : v;
    const y = r2(yOf(value));
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#f0f0f0"/>`);
    parts.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333"/>`);
    parts.push(`<text x="${left - 8}" y="${r2(yOf(value) + 4)}">${escapeXml(tickLabel(value))}</text>`);
  }
  parts.push(
    `<text transform="translate(${left - 80},${r2(top + plotH / 2)}) rotate(-90)" text-anchor="middle" font-size="13">learning rate</text>`,
  );
  parts.push(`</g>`);

  // Stage boundaries of a two-stage run: a dashed line where each later stage starts.
  const stages = json.stages ?? [];
  if (stages.length > 1) {
    parts.push(`<g class="stages" fill="#666" stroke="#888" font-size="11">`);
    for (const st of stages.slice(1)) {
      const x = r2(xOf(st.start_step));
      parts.push(
        `<line x1="${x}" y1="${top}" x2="${x}" y2="${axisBottom}" stroke-dasharray="5,4"/>`,
        `<text x="${r2(xOf(st.start_step) + 4)}" y="${top + 14}" stroke="none">${escapeXml(st.name)} from step ${st.start_step}</text>`,
      );
    }
    parts.push(`</g>`);
  }

  // Curves.
  parts.push(`<g class="lr-curves" fill="none" stroke-width="1.6" stroke-linejoin="round">`);
  groups.forEach((g, i) => {
    // A step wider than 3 px is drawn as a stair; narrower ones as a line through the values.
    const series = downsampleSteps(json.lr[g], maxPoints, json.lr[g].length * 3 <= plotW);
    const pts: string[] = new Array(series.x.length);
    for (let j = 0; j < series.x.length; j++) pts[j] = `${r2(xOf(series.x[j]))},${r2(yOf(series.y[j]))}`;
    parts.push(
      `<polyline data-group="${escapeXml(g)}" stroke="${GROUP_COLOURS[i % GROUP_COLOURS.length]}" points="${pts.join(' ')}"/>`,
    );
  });
  parts.push(`</g>`);

  // Event lanes: one row per kind, markers deduplicated per half pixel.
  parts.push(`<g class="event-lanes" font-size="11" fill="#333">`);
  EVENT_KINDS.forEach((kind, i) => {
    const cy = lanesTop + laneH * i + laneH / 2;
    const style = EVENT_STYLES[kind.key];
    const steps = json.events[kind.key] ?? [];
    parts.push(`<line x1="${left}" y1="${r2(cy)}" x2="${right}" y2="${r2(cy)}" stroke="#f3f3f3"/>`);
    parts.push(`<text x="${left - 8}" y="${r2(cy + 4)}" text-anchor="end">${escapeXml(kind.label)} (${steps.length})</text>`);
    const seen = new Set<number>();
    const markers: string[] = [];
    for (const s of steps) {
      const key = Math.round(xOf(s) * 2);
      if (seen.has(key)) continue;
      seen.add(key);
      markers.push(marker(style.shape, xOf(s), cy, style.colour));
    }
    parts.push(`<g class="events" data-kind="${kind.key}">${markers.join('')}</g>`);
  });
  parts.push(`</g>`);

  // Frame.
  parts.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${r2(plotH)}" fill="none" stroke="#333"/>`,
    `<line x1="${left}" y1="${axisBottom}" x2="${right}" y2="${axisBottom}" stroke="#333"/>`,
  );

  // Legend.
  const lx = right + 24;
  let ly = top + 6;
  parts.push(`<g class="legend" fill="#222">`);
  parts.push(`<text x="${lx}" y="${ly}" font-weight="bold">LR groups</text>`);
  groups.forEach((g, i) => {
    ly += 20;
    parts.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${GROUP_COLOURS[i % GROUP_COLOURS.length]}" stroke-width="2.5"/>`,
      `<text x="${lx + 32}" y="${ly}">${escapeXml(clip(g, 20))}</text>`,
    );
  });
  ly += 32;
  parts.push(`<text x="${lx}" y="${ly}" font-weight="bold">Events</text>`);
  for (const kind of EVENT_KINDS) {
    ly += 20;
    const style = EVENT_STYLES[kind.key];
    parts.push(marker(style.shape, lx + 12, ly - 4, style.colour), `<text x="${lx + 32}" y="${ly}">${escapeXml(kind.label)}</text>`);
  }
  parts.push(`</g>`);

  if (json.warnings.length > 0) {
    parts.push(
      `<text x="${left}" y="${H - 8}" fill="#b35900">${escapeXml(clip(`${json.warnings.length} warning(s): ${json.warnings[0]}${json.warnings.length > 1 ? ' …' : ''}`, Math.floor((W - left) / 6.5)))}</text>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join('\n') + '\n';
}
