/**
 * The seed view's statistics (src/shared/seed-stats.ts) against numbers computed by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupBySeed, hasSeeds, meanStd, medianIndex, quantile, seedBand, summarize } from '../../src/shared/seed-stats';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('summarize: mean, min, max and type-7 quartiles of four accuracies', () => {
  // sorted 0.7 0.8 0.9 1.0: q1 at h = 0.75 -> 0.7 + 0.75 * 0.1; median at h = 1.5; q3 at h = 2.25
  const s = summarize([0.9, 0.7, 0.8, 1.0]);
  assert.equal(s.n, 4);
  close(s.mean, 0.85, 'mean');
  close(s.min, 0.7, 'min');
  close(s.max, 1.0, 'max');
  close(s.q1, 0.775, 'q1');
  close(s.median, 0.85, 'median');
  close(s.q3, 0.925, 'q3');
  // non-finite values (a diverged seed) are left out
  const t = summarize([2, NaN, 4, Infinity]);
  assert.equal(t.n, 2);
  close(t.mean, 3, 'mean without NaN');
  assert.ok(Number.isNaN(summarize([]).mean));
  close(quantile([5], 0.25), 5, 'one value');
});

test('meanStd: sample standard deviation (n - 1)', () => {
  // deviations ±0.05, ±0.15: squares sum 0.05, / 3, sqrt
  const m = meanStd([0.9, 0.7, 0.8, 1.0]);
  close(m.mean, 0.85, 'mean');
  close(m.std, Math.sqrt(0.05 / 3), 'std');
  assert.ok(Math.abs(m.std - 0.1290994) < 1e-7);
  assert.deepEqual(meanStd([0.5]), { n: 1, mean: 0.5, std: 0 });
  const none = meanStd([NaN]);
  assert.equal(none.n, 0);
  assert.ok(Number.isNaN(none.mean) && Number.isNaN(none.std));
});

test('medianIndex: the median seed (lower middle of an even count, nulls left out)', () => {
  assert.equal(medianIndex([3, 1, 2]), 2); // values 1 2 3: the middle is 2, at index 2
  assert.equal(medianIndex([0.9, 0.7, 0.8, 1.0]), 2); // 0.7 0.8 | 0.9 1.0: the lower middle, 0.8
  assert.equal(medianIndex([0.9, null, 0.8]), 2); // 0.8 0.9: lower middle 0.8
  assert.equal(medianIndex([0.5, 0.5, 0.5]), 1); // ties in order
  assert.equal(medianIndex([null, undefined, NaN]), -1);
});

test('seedBand: curves interpolated on the furthest curve\'s steps; a band covers the seeds that reached x', () => {
  const A = { x: [0, 10, 20], y: [1, 2, 3] };
  const B = { x: [0, 10], y: [3, 4] }; // still training: it reached step 10
  const C = { x: [0, 5, 10, 20], y: [2, 2, 2, 5] }; // reached 20 like A, with more points: its steps are the grid
  const mm = seedBand([A, B, C], 'minmax');
  assert.deepEqual(mm.x, [0, 5, 10, 20]);
  assert.deepEqual(mm.count, [3, 3, 3, 2]);
  // x 0: 1 3 2; x 5: A 1.5 (interpolated), B 3.5, C 2; x 10: 2 4 2; x 20: 3 5
  [2, 7 / 3, 8 / 3, 4].forEach((v, i) => close(mm.mean[i]!, v, `mean at ${mm.x[i]}`));
  assert.deepEqual(mm.lo, [1, 1.5, 2, 3]);
  assert.deepEqual(mm.hi, [3, 3.5, 4, 5]);
  const q = seedBand([A, B, C], 'quartiles');
  // [1 2 3]: 1.5, 2.5; [1.5 2 3.5]: 1.75, 2.75; [2 2 4]: 2, 3; [3 5]: 3.5, 4.5
  [1.5, 1.75, 2, 3.5].forEach((v, i) => close(q.lo[i]!, v, `q1 at ${q.x[i]}`));
  [2.5, 2.75, 3, 4.5].forEach((v, i) => close(q.hi[i]!, v, `q3 at ${q.x[i]}`));
  // n limits the points used (a column store's arrays are longer than its count)
  const part = seedBand([{ x: [0, 1, 2, 99], y: [1, 1, 1, 99], n: 3 }], 'minmax');
  assert.deepEqual(part.x, [0, 1, 2]);
  assert.equal(seedBand([], 'minmax').x.length, 0);
});

test('groupBySeed: runs grouped by variant in first-seen order', () => {
  const runs = [{ v: 'relu', s: 0 }, { v: 'relu', s: 1 }, { v: 'tanh', s: 0 }, { v: 'tanh', s: 1 }, { v: 'relu', s: 2 }];
  const g = groupBySeed(runs.length, (i) => runs[i]!.v, (i) => runs[i]!.s);
  assert.deepEqual(g, [{ name: 'relu', members: [0, 1, 4], seeds: [0, 1, 2] }, { name: 'tanh', members: [2, 3], seeds: [0, 1] }]);
  assert.equal(hasSeeds(g), true);
  assert.equal(hasSeeds(groupBySeed(2, (i) => `v${i}`, () => 0)), false);
  assert.equal(hasSeeds(null), false);
});
