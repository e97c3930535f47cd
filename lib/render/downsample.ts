/**
 * Min-max downsampling for line plots: a long series is cut into buckets and each keeps its
 * smallest and largest value (in order), so spikes and LR drops survive while the point count is
 * bounded. Shared by the LR-schedule plot and the training-curves plot.
 */

/**
 * Indices to keep of a series of `n` values (n > limit): index 0, then each bucket's min and max
 * index in ascending order, then n - 1 — at most `limit` indices.
 */
export function minMaxIndices(n: number, limit: number, valueAt: (i: number) => number): number[] {
  const out = [0];
  const buckets = Math.floor((limit - 2) / 2);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    if (to <= from) continue;
    let iMin = from;
    let iMax = from;
    for (let k = from + 1; k < to; k++) {
      if (valueAt(k) < valueAt(iMin)) iMin = k;
      if (valueAt(k) > valueAt(iMax)) iMax = k;
    }
    out.push(Math.min(iMin, iMax));
    if (iMin !== iMax) out.push(Math.max(iMin, iMax));
  }
  out.push(n - 1);
  return out;
}
