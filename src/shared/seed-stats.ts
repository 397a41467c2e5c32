/**
 * Statistics over the seeds of one variant, for the panel's seed view and its exports: the
 * runs of a variant grouped (SeedGroup), curves aligned on the step axis and reduced to a mean
 * with a band (min–max or quartiles), the seed whose final test accuracy is the median, and the
 * final accuracies as mean ± standard deviation. Pure: no DOM, no Node.
 *
 * Conventions (docs/panel.md):
 * - quantiles interpolate linearly between order statistics (R's type 7, NumPy's default);
 * - the standard deviation is the sample one (n − 1 in the denominator; 0 for one seed);
 * - the median seed of an even count is the lower of the two middle ones (a real run, not an
 *   average of two); ties keep the seeds' order;
 * - at step x, a band covers the seeds whose curve reached x (the others are still training):
 *   each such curve is interpolated linearly at x between its two nearest columns.
 */

/** The runs of one variant over its seeds: indices into the run's variants. */
export interface SeedGroup {
  /** the variant's name ("relu+he"; "base" without variants) */
  name: string;
  /** indices of the runs in PanelRun.variants, in seed order of the config */
  members: number[];
  seeds: number[];
}

export type BandMode = 'minmax' | 'quartiles';

export interface Summary {
  n: number;
  mean: number;
  min: number;
  max: number;
  q1: number;
  median: number;
  q3: number;
}

/** The p-quantile (0..1) of ascending `sorted` values (type 7); NaN when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Count, mean, min, max and quartiles of the finite values (n 0: every number NaN). */
export function summarize(values: readonly number[]): Summary {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = xs.length;
  if (!n) return { n: 0, mean: NaN, min: NaN, max: NaN, q1: NaN, median: NaN, q3: NaN };
  let s = 0;
  for (const x of xs) s += x;
  return { n, mean: s / n, min: xs[0]!, max: xs[n - 1]!, q1: quantile(xs, 0.25), median: quantile(xs, 0.5), q3: quantile(xs, 0.75) };
}

/** Mean and sample standard deviation of the finite values (std 0 for one value; both NaN for none). */
export function meanStd(values: readonly number[]): { n: number; mean: number; std: number } {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (!n) return { n, mean: NaN, std: NaN };
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  if (n === 1) return { n, mean, std: 0 };
  const ss = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0);
  return { n, mean, std: Math.sqrt(ss / (n - 1)) };
}

/**
 * The position of the median among `values` (null or non-finite: left out): the lower middle
 * one of an even count, ties in their order. -1 when none is finite.
 */
export function medianIndex(values: readonly (number | null | undefined)[]): number {
  const idx = values.map((v, i) => ({ v, i })).filter((e): e is { v: number; i: number } => typeof e.v === 'number' && Number.isFinite(e.v));
  if (!idx.length) return -1;
  idx.sort((a, b) => a.v - b.v || a.i - b.i);
  return idx[Math.floor((idx.length - 1) / 2)]!.i;
}

/** One seed's curve: x ascending. */
export interface Curve {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** points used (default x.length) */
  n?: number;
}

export interface Band {
  x: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  /** seeds that reached each x */
  count: number[];
}

/**
 * The curves of a group's seeds as one mean curve with a band: on the x values of the curve
 * that reached furthest (the most points among equals), each curve interpolated where it has
 * data (see the file's comment); lo/hi the min and max, or the first and third quartiles.
 */
export function seedBand(curves: readonly Curve[], mode: BandMode): Band {
  const len = (c: Curve) => c.n ?? c.x.length;
  const live = curves.filter((c) => len(c) > 0);
  const out: Band = { x: [], mean: [], lo: [], hi: [], count: [] };
  if (!live.length) return out;
  let grid = live[0]!;
  for (const c of live) {
    const a = c.x[len(c) - 1]!, b = grid.x[len(grid) - 1]!;
    if (a > b || (a === b && len(c) > len(grid))) grid = c;
  }
  const ptr = live.map(() => 0);
  const vals: number[] = [];
  for (let g = 0; g < len(grid); g++) {
    const x = grid.x[g]!;
    vals.length = 0;
    live.forEach((c, k) => {
      const n = len(c);
      if (x < c.x[0]! || x > c.x[n - 1]!) return;
      let j = ptr[k]!;
      while (j < n - 1 && c.x[j + 1]! <= x) j++;
      ptr[k] = j;
      const x0 = c.x[j]!, y0 = c.y[j]!;
      if (x0 === x || j === n - 1) vals.push(y0);
      else {
        const x1 = c.x[j + 1]!, y1 = c.y[j + 1]!;
        vals.push(y0 + ((x - x0) / (x1 - x0)) * (y1 - y0));
      }
    });
    const s = summarize(vals);
    if (!s.n) continue;
    out.x.push(x);
    out.mean.push(s.mean);
    out.lo.push(mode === 'minmax' ? s.min : s.q1);
    out.hi.push(mode === 'minmax' ? s.max : s.q3);
    out.count.push(s.n);
  }
  return out;
}

/**
 * The runs grouped by variant, in order of first appearance: `variantOf(i)` names run i's
 * variant and `seedOf(i)` its seed.
 */
export function groupBySeed(count: number, variantOf: (i: number) => string, seedOf: (i: number) => number): SeedGroup[] {
  const groups: SeedGroup[] = [];
  const byName = new Map<string, SeedGroup>();
  for (let i = 0; i < count; i++) {
    const name = variantOf(i);
    let g = byName.get(name);
    if (!g) {
      g = { name, members: [], seeds: [] };
      byName.set(name, g);
      groups.push(g);
    }
    g.members.push(i);
    g.seeds.push(seedOf(i));
  }
  return groups;
}

/** Whether the groups make a seed view (some variant has two seeds or more). */
export function hasSeeds(groups: readonly SeedGroup[] | null | undefined): groups is SeedGroup[] {
  return !!groups && groups.some((g) => g.members.length > 1);
}
