/**
 * Histogram statistics in TensorFlow's layout (tensorflow/core/lib/histogram/histogram.cc), which
 * TensorBoard's histogram plugin expects: the default exponential bucket limits ±1e-12·1.1^k up to
 * 1e20, a 0 edge, and ±DBL_MAX outer edges; bucket i counts values in [limit[i-1], limit[i]).
 * Runs of empty buckets are collapsed into one entry ending at the run's last limit, as TF's
 * EncodeToProto(preserve_zero_buckets=false) does, so a typical weight histogram is compact.
 */

export interface HistogramData {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

/** TF's default limits, built with the same repeated multiplication so the edges match bit for bit. */
export const DEFAULT_BUCKET_LIMITS: readonly number[] = (() => {
  const positive: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) positive.push(v);
  positive.push(Number.MAX_VALUE);
  const negative = positive.map((v) => -v).reverse();
  return [...negative, 0, ...positive];
})();

/** Index of the first limit strictly greater than `value` (std::upper_bound). */
function bucketIndex(limits: readonly number[], value: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid] > value) hi = mid;
    else lo = mid + 1;
  }
  return Math.min(lo, limits.length - 1);
}

/**
 * Statistics of the finite entries of `values`. NaN and ±Inf entries are left out (they would make
 * sum, min and max meaningless), so `num` counts finite values only. An empty input gives num 0,
 * min/max 0 and no buckets.
 */
export function computeHistogram(values: ArrayLike<number>): HistogramData {
  const limits = DEFAULT_BUCKET_LIMITS;
  const counts = new Float64Array(limits.length);
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    num++;
    sum += v;
    sumSquares += v * v;
    counts[bucketIndex(limits, v)]++;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };

  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length; ) {
    let end = limits[i];
    let count = counts[i];
    i++;
    if (count <= 0) {
      while (i < counts.length && counts[i] <= 0) {
        end = limits[i];
        count = counts[i];
        i++;
      }
    }
    bucketLimit.push(end);
    bucket.push(count);
  }
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}
