/**
 * Percentiles (engine/percentiles.ts): of sorted values against a sort and the rank definition,
 * and of a histogram against the sorted values it counts (within a bin's width).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BAND_PERCENTILES, percentileOfHistogram, percentileOfSorted } from '../../src/engine/percentiles';
import { Rng } from '../../src/engine/rng';

test('percentiles of sorted values: the ranks, interpolated linearly', () => {
  const s = [1, 2, 4, 8];
  assert.equal(percentileOfSorted(s, 0), 1);
  assert.equal(percentileOfSorted(s, 100), 8);
  assert.equal(percentileOfSorted(s, 50), 3); // rank 1.5
  assert.ok(Math.abs(percentileOfSorted(s, 90) - 6.8) < 1e-12); // rank 2.7
  assert.equal(percentileOfSorted([5], 37), 5);
  assert.ok(Number.isNaN(percentileOfSorted([], 50)));
  const r = new Rng(3), xs = Float64Array.from({ length: 1001 }, () => r.normal());
  const sorted = Float64Array.from(xs).sort();
  for (const p of BAND_PERCENTILES) {
    // rank p·(n−1)/100 is a whole number for n = 1001 and these p×10
    const k = (p / 100) * 1000;
    if (Number.isInteger(k)) assert.equal(percentileOfSorted(sorted, p), sorted[k]);
    // the share of values at or below it is p%
    const below = Array.from(xs).filter((x) => x <= percentileOfSorted(sorted, p)).length;
    assert.ok(Math.abs(below / 1001 - p / 100) <= 1.5 / 1001, `p${p}: ${below}`);
  }
});

test('percentiles of a histogram: within a bin of the sorted values\' own', () => {
  const r = new Rng(9), n = 50_000, lo = -4, hi = 4, B = 80, w = (hi - lo) / B;
  const xs = Float64Array.from({ length: n }, () => Math.max(lo, Math.min(hi - 1e-9, r.normal() * 0.8 + 0.3)));
  const counts = new Float64Array(B);
  for (const x of xs) counts[Math.floor((x - lo) / w)]!++;
  const sorted = Float64Array.from(xs).sort();
  for (const p of BAND_PERCENTILES) {
    const h = percentileOfHistogram(counts, lo, hi, p), s = percentileOfSorted(sorted, p);
    assert.ok(Math.abs(h - s) <= w, `p${p}: ${h} vs ${s}`);
  }
  // fractions work as counts do; an empty histogram has none
  const frac = counts.map((c) => c / n);
  assert.ok(Math.abs(percentileOfHistogram(frac, lo, hi, 50) - percentileOfHistogram(counts, lo, hi, 50)) < 1e-9);
  assert.ok(Number.isNaN(percentileOfHistogram(new Float64Array(4), 0, 1, 50)));
  // all in one bin: the percentiles spread over that bin
  assert.equal(percentileOfHistogram([0, 10, 0, 0], 0, 1, 0), 0.25);
  assert.equal(percentileOfHistogram([0, 10, 0, 0], 0, 1, 50), 0.375);
  assert.equal(percentileOfHistogram([0, 10, 0, 0], 0, 1, 100), 0.5);
});
