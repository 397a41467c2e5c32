/**
 * The checks on what a run folder holds (src/runs/validate.ts): config.json as a resolved config
 * of the schema's sizes, and each metrics record against its config, rebuilt from its known
 * fields. The files around them (symlinks, FIFOs, sizes) are hostile-runs.test.ts's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StepRecord } from '../../src/engine/trainer';
import { checkRecord, configProblem } from '../../src/runs/validate';
import { makeConfig } from '../support/fixtures';
import { goodStep } from '../support/run-records';

const cfg = makeConfig({ layers: [3, 2], epochs: 2, probes: { every: 1, histogramBins: 4, unitSaturation: true } });

test('configProblem: a resolved config passes; sizes past the schema and wrong types are refused, saying which field', () => {
  assert.equal(configProblem(cfg), null);
  assert.equal(configProblem(makeConfig({ layers: [4096, 4096], activation: ['relu', 'relu'] })), null);
  const cases: [unknown, RegExp][] = [
    [null, /not a JSON object/], [[], /not a JSON object/], ['x', /not a JSON object/],
    [{ ...cfg, layers: [20_000_000] }, /"layers"\[0\].*1 to 4096 units/],
    [{ ...cfg, layers: [4097] }, /"layers"\[0\]/],
    [{ ...cfg, layers: [0] }, /"layers"\[0\]/],
    [{ ...cfg, layers: [1.5] }, /"layers"\[0\]/],
    [{ ...cfg, layers: ['64'] }, /"layers"\[0\] is the string "64"/],
    [{ ...cfg, layers: { length: 20_000_000 } }, /"layers" is an object/],
    [{ ...cfg, layers: Array(17).fill(4), activation: Array(17).fill('relu') }, /17 hidden layers; at most 16/],
    [{ ...cfg, activation: ['tanh'] }, /"activation"/],
    [{ ...cfg, activation: ['tanh', 'evil'] }, /"activation"\[1\]/],
    [{ ...cfg, probes: { ...cfg.probes, histogramBins: 1_000_000 } }, /histogramBins.*4 to 100/],
    [{ ...cfg, probes: { ...cfg.probes, histogramBins: 3 } }, /histogramBins/],
    [{ ...cfg, probes: null }, /"probes" is null/],
    [{ ...cfg, epochs: '2' }, /"epochs"/],
    [{ ...cfg, epochs: Infinity }, /"epochs"/],
    [{ ...cfg, name: { a: 1 } }, /"name" is an object/],
    [{ ...cfg, variant: 'v'.repeat(5000) }, /"variant"/],
    [{ ...cfg, output: 'evil' }, /"output"/],
    [{ ...cfg, dataset: { type: 'spiral', classes: 1e9 } }, /"dataset.classes"/],
  ];
  for (const [v, re] of cases) assert.match(configProblem(v) ?? 'passed', re, JSON.stringify(v)?.slice(0, 100));
});

test('checkRecord: good step and epoch records pass rebuilt from their fields; each wrong shape is refused', () => {
  const s = goodStep();
  const got = checkRecord({ ...s, extra: 'x'.repeat(1000) }, cfg) as StepRecord;
  assert.deepEqual(got, s, 'rebuilt, the extra field dropped');
  const noUnits = goodStep();
  for (const l of noUnits.layers as Record<string, unknown>[]) delete l.unitSaturation;
  assert.deepEqual(checkRecord(noUnits, cfg), noUnits, 'per-unit saturation is optional');
  const diverged = { ...goodStep(), loss: null, accuracy: null };
  assert.deepEqual(checkRecord(diverged, cfg), diverged, 'a NaN written as null passes');
  const epoch = { kind: 'epoch', epoch: 1, step: 10, train: { loss: 1, accuracy: 0.5 }, test: null };
  assert.deepEqual(checkRecord({ ...epoch, __proto__: null }, cfg), epoch);
  const layer = (k: number, over: Record<string, unknown>) => {
    const r = goodStep();
    (r.layers as Record<string, unknown>[])[k] = { ...(r.layers as Record<string, unknown>[])[k], ...over };
    return r;
  };
  const cases: [unknown, RegExp][] = [
    [null, /not a JSON object/], [[1, 2], /not a JSON object/], [42, /not a JSON object/],
    [{ ...goodStep(), kind: 'evil' }, /"kind"/],
    [{ ...goodStep(), step: -1 }, /"step"/], [{ ...goodStep(), step: 1.5 }, /"step"/], [{ ...goodStep(), step: '1' }, /"step"/],
    [{ ...goodStep(), step: Infinity }, /"step"/],
    [{ ...goodStep(), epoch: 3 }, /"epoch".*2/],
    [{ ...goodStep(), loss: 'NaN' }, /"loss" is the string "NaN"/],
    [{ ...goodStep(), lr: { a: 1 } }, /"lr"/],
    [{ ...goodStep(), layers: { length: 20_000_000 } }, /"layers" is an object/],
    [{ ...goodStep(), layers: [] }, /"layers" has 0 entries; the run's network has 3/],
    [{ ...goodStep(), layers: null }, /"layers" is null/],
    [layer(0, { unitSaturation: { length: 20_000_000 } }), /"layers"\[0\]\.unitSaturation is an object/],
    [layer(0, { unitSaturation: [1, 2] }), /unitSaturation has 2 entries, not 3/],
    [layer(1, { unitSaturation: [1, 'x'] }), /unitSaturation\[1\]/],
    [layer(0, { histogram: { min: 0, max: 1, counts: [1, 2, 3] } }), /counts has 3 entries, not 4/],
    [layer(0, { histogram: { min: 0, max: 1, counts: { length: 4 } } }), /counts is an object/],
    [layer(0, { histogram: 'x' }), /histogram/],
    [layer(2, { histogram: { min: 0, max: 1, counts: [1, 2, 3, 4] } }), /output layer/],
    [layer(2, { unitSaturation: [] }), /output layer/],
    [layer(0, { layer: 5 }), /\.layer is 5/],
    [layer(0, { activation: 'softmax' }), /activation/],
    [layer(0, { mean: [] }), /\.mean/],
    [{ ...goodStep(), layers: [null, ...(goodStep().layers as unknown[]).slice(1)] }, /"layers"\[0\] is null/],
    [{ ...epoch, epoch: -1 }, /"epoch"/], [{ ...epoch, train: null }, /"train"/], [{ ...epoch, test: 'x' }, /"test"/],
    [{ ...epoch, train: { loss: '1', accuracy: 0 } }, /"train"/],
  ];
  for (const [v, re] of cases) {
    const r = checkRecord(v, cfg);
    assert.equal(typeof r, 'string', JSON.stringify(v)?.slice(0, 200));
    assert.match(r as string, re);
  }
});
