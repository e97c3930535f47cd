/**
 * Small formatting helpers shared by the text and SVG renderers. Pure; no I/O.
 */

/** Scientific notation with `digits` decimals, e.g. 1.00e-3 (what LR axes and tables use). */
export function sci(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toExponential(digits);
}

/** A number as a person reads it in a table: integers as-is, otherwise up to 4 significant digits. */
export function num(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** Epoch count with at most 2 decimals and no trailing zeros: 2, 0.5, 1.33. */
export function epochs(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Math.round(value * 100) / 100);
}

export function padRight(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function padLeft(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

/**
 * A "nice" tick step (1, 2 or 5 times a power of ten) so that `span / step` is at most `maxTicks`.
 * Used for epoch axes (integer steps ≥ 1 when `integer`) and the SVG's LR axis.
 */
export function niceStep(span: number, maxTicks: number, integer = false): number {
  if (!(span > 0) || maxTicks < 1) return 1;
  const raw = span / maxTicks;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = power * 10;
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw * (1 - 1e-9)) {
      step = m * power;
      break;
    }
  }
  if (integer) step = Math.max(1, Math.round(step));
  return step;
}

/** Min and max of an array in one pass (no spread: arrays hold up to millions of steps). */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
