/**
 * Percentiles for distributions over time (TensorBoard's bands): of sorted values (linear
 * interpolation between the two nearest ranks, as numpy's default), and of a fixed-range
 * histogram (linear interpolation inside the bin where the cumulative share crosses p, each bin's
 * values taken as spread evenly over it). The histogram probe counts values outside its range in
 * its edge bins (docs/dump-format.md section 5), so a percentile that falls there is clamped to
 * the range.
 */

/** The percentiles a band chart draws: TensorBoard's, the median and the ±1, ±1.5, ±2 σ shares of a normal and the extremes. */
export const BAND_PERCENTILES: readonly number[] = [0, 7, 16, 31, 50, 69, 84, 93, 100];

/** Percentile p (0..100) of ascending `sorted` values (n ≥ 1). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const r = (Math.min(100, Math.max(0, p)) / 100) * (n - 1), i = Math.floor(r), f = r - i;
  return i + 1 < n ? sorted[i]! + f * (sorted[i + 1]! - sorted[i]!) : sorted[n - 1]!;
}

/**
 * Percentile p (0..100) of the values a histogram counts: `counts` (or fractions) of B equal bins
 * over [lo, hi]. NaN when it counts nothing.
 */
export function percentileOfHistogram(counts: ArrayLike<number>, lo: number, hi: number, p: number): number {
  const B = counts.length;
  let total = 0;
  for (let b = 0; b < B; b++) total += Math.max(0, counts[b]! || 0);
  if (!(total > 0)) return NaN;
  const target = (Math.min(100, Math.max(0, p)) / 100) * total, width = (hi - lo) / B;
  if (target <= 0) {
    for (let b = 0; b < B; b++) if (counts[b]! > 0) return lo + b * width;
  }
  let cum = 0;
  for (let b = 0; b < B; b++) {
    const c = Math.max(0, counts[b]! || 0);
    if (c > 0 && cum + c >= target) return lo + (b + (target - cum) / c) * width;
    cum += c;
  }
  return hi;
}
