/**
 * The weights' and weight gradients' percentile probes (engine/probes.ts parameterPercentiles):
 * against a sort of the layer's entries (all of a small layer; the strided sample of a large one,
 * and near the whole layer's), written to metrics.bin and read back exactly, and shellSort
 * against Array.prototype.sort.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { percentileOfSorted } from '../../src/engine/percentiles';
import { PARAM_PERCENTILE_MAX_EVERY, PARAM_PERCENTILES, PARAM_SAMPLE, percentileEvery, shellSort } from '../../src/engine/probes';
import { Rng } from '../../src/engine/rng';
import { Trainer, type StepRecord } from '../../src/engine/trainer';
import { readCheckedRecords } from '../../src/runs/read';
import { RunRecorder } from '../../src/runs/record';
import { runMeta } from '../../src/runs/summary';
import { trainVariant } from '../../src/node/train-session';
import { makeConfig, randomDataset } from '../support/fixtures';

const sorted = (a: ArrayLike<number>) => Float64Array.from(a).sort();
const pct = (s: Float64Array) => PARAM_PERCENTILES.map((p) => percentileOfSorted(s, p));

function oneStep(layers: number[], features: number): { trainer: Trainer; rec: StepRecord } {
  const trainer = new Trainer(makeConfig({ layers, batchSize: 16 }), randomDataset(64, features, 3, 4));
  let rec: StepRecord | null = null;
  trainer.runSteps(1, { step: (r) => { rec = r; } });
  return { trainer, rec: rec! };
}

test('small layers: the percentiles of all their weights and gradients, as a sort gives them', () => {
  const { trainer, rec } = oneStep([8, 6], 5); // 40, 48 and 18 weights
  trainer.net.layers.forEach((layer, k) => {
    assert.ok(layer.W.length <= PARAM_SAMPLE);
    assert.deepEqual(Array.from(rec.layers[k]!.weightPercentiles!), pct(sorted(layer.W)), `layer ${k} weights (after the step's update)`);
    assert.deepEqual(Array.from(rec.layers[k]!.gradPercentiles!), pct(sorted(layer.dW)), `layer ${k} gradients`);
  });
  const w = rec.layers[0]!.weightPercentiles!;
  for (let j = 1; j < w.length; j++) assert.ok(w[j]! >= w[j - 1]!, 'ascending');
  trainer.dispose();
});

test('a large layer: the percentiles of its strided sample, close to the whole layer\'s', () => {
  const { trainer, rec } = oneStep([120], 60); // 7,200 first-layer weights
  const W = trainer.net.layers[0]!.W, n = W.length;
  const sample = Float64Array.from({ length: PARAM_SAMPLE }, (_, i) => W[Math.floor(((i + 0.5) * n) / PARAM_SAMPLE)]!);
  const got = Array.from(rec.layers[0]!.weightPercentiles!);
  assert.deepEqual(got, pct(sorted(sample)));
  const all = pct(sorted(W)), spread = all[4]! - all[0]!;
  for (let j = 1; j < 4; j++) assert.ok(Math.abs(got[j]! - all[j]!) < 0.08 * spread, `p${PARAM_PERCENTILES[j]}: ${got[j]} vs ${all[j]} of all`);
  trainer.dispose();
});

test('k: the sort work against the step\'s, at most 50; W2 every probe step', () => {
  const net = (...sizes: number[]) => sizes.slice(1).map((n, i) => ({ W: { length: n * sizes[i]! } }));
  // W2 (784-256-256-256-10, batch 64): 4 layers of 128 sampled entries, 2 arrays each, 7 = ⌈log2 128⌉
  assert.equal(percentileEvery(net(784, 256, 256, 256, 10), 64), 1);
  // the MNIST lecture (784-64-64-64-10, batch 32): ⌈1300 · 7168 / (32 · 59008)⌉ = ⌈4.93⌉
  assert.equal(percentileEvery(net(784, 64, 64, 64, 10), 32), 5);
  // digits, one hidden layer of 64 (batch 32): ⌈1300 · 3584 / (32 · 4736)⌉ = ⌈30.7⌉
  assert.equal(percentileEvery(net(64, 64, 10), 32), 31);
  // a tiny network: capped
  assert.equal(percentileEvery(net(2, 8, 8, 8, 2), 16), PARAM_PERCENTILE_MAX_EVERY);
  assert.equal(PARAM_PERCENTILE_MAX_EVERY, 50);
  // a layer of 3 weights: m = 3, ⌈log2 3⌉ = 2; a layer of one weight sorts nothing
  assert.equal(percentileEvery([{ W: { length: 3 } }, { W: { length: 1 } }], 1000), Math.ceil((1300 * 2 * 3 * 2) / (4 * 1000)));
  // a larger batch thins nothing below 1
  assert.equal(percentileEvery(net(784, 1024, 1024, 1024, 10), 128), 1);
});

test('a small network measures them every k-th probe step; the records between repeat them', () => {
  const trainer = new Trainer(makeConfig({ layers: [8, 6], batchSize: 16, epochs: 20 }), randomDataset(64, 5, 3, 4));
  const k = percentileEvery(trainer.net.layers, 16);
  assert.equal(k, 50);
  const recs: StepRecord[] = [];
  trainer.runSteps(k + 1, { step: (r) => recs.push(r) });
  assert.equal(recs.length, k + 1);
  const w = (i: number) => Array.from(recs[i]!.layers[0]!.weightPercentiles!);
  for (let i = 1; i < k; i++) assert.deepEqual(w(i), w(0), `record ${i + 1} repeats the first measurement`);
  assert.notDeepEqual(w(k), w(0), `record ${k + 1} is measured afresh (the weights moved)`);
  assert.deepEqual(w(k), pct(sorted(trainer.net.layers[0]!.W)));
  trainer.dispose();
});

test('shellSort sorts as Array.prototype.sort does', () => {
  const r = new Rng(5);
  for (const n of [0, 1, 2, 7, 255, 256, 1000]) {
    const a = Float64Array.from({ length: n }, () => Math.round(r.normal() * 4) / 4 + 0); // ties, no -0
    const b = Float64Array.from(a);
    shellSort(a);
    assert.deepEqual(Array.from(a), Array.from(b).sort((x, y) => x - y), `n ${n}`);
  }
});

test('metrics.bin and metrics.jsonl keep the percentiles exactly', async () => {
  for (const format of ['binary', 'jsonl'] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-pct-'));
    const cfg = makeConfig({ layers: [10], batchSize: 16, epochs: 1 });
    const trainer = new Trainer(cfg, randomDataset(64, 5, 3, 6));
    const kept: StepRecord[] = [];
    await trainVariant(trainer, null, { recorder: new RunRecorder(dir, cfg, null, runMeta(trainer), format), onStep: (r) => kept.push(r) });
    const read: StepRecord[] = [];
    await readCheckedRecords(dir, (s) => read.push(...s));
    assert.equal(read.length, kept.length);
    read.forEach((r, i) => r.layers.forEach((l, k) => {
      assert.deepEqual(Array.from(l.weightPercentiles!), Array.from(kept[i]!.layers[k]!.weightPercentiles!), `${format} step ${i + 1} layer ${k}`);
      assert.deepEqual(Array.from(l.gradPercentiles!), Array.from(kept[i]!.layers[k]!.gradPercentiles!));
    }));
    trainer.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
