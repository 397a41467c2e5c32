/**
 * The lecture's maths, measured by the engine on the shipped lecture config (8x8 digits,
 * 64-64-64-64-10): at initialization each sigmoid layer passes at most 1/4 of the
 * back-propagated signal (so ‖δ1‖/‖δ3‖ is near 1/16 with Glorot init), ReLU with Glorot halves
 * the signal's energy per layer (ratio near 1/2), ReLU with He keeps it (near 1), and normal(1)
 * init saturates about half of the sigmoid units. After 5 epochs ReLU+He passes 90% test
 * accuracy while sigmoid+Glorot is still near chance.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { resolveConfig } from '../../src/engine/config';
import { loadDataset } from '../../src/engine/datasets';
import { Trainer, type EpochRecord, type StepRecord } from '../../src/engine/trainer';
import type { Dataset, ResolvedConfig } from '../../src/engine/types';
import { findAssetDir, nodeDataIO } from '../../src/node/io';

const root = path.resolve(__dirname, '../../..');
const file = path.join(root, 'examples/lecture.mlp.json');
let variants: Map<string, ResolvedConfig>;
let data: Dataset;

before(async () => {
  const cfgs = resolveConfig(fs.readFileSync(file, 'utf8'), file);
  variants = new Map(cfgs.map((c) => [c.variant, c]));
  data = await loadDataset(cfgs[0]!.dataset, nodeDataIO(path.dirname(file), findAssetDir()), file);
});

/** Probes of the first step: measured on the first batch with the initial weights. */
function atInit(cfg: ResolvedConfig): StepRecord {
  return new Trainer(cfg, data).trainStep()!;
}
const hiddenDeltaRatio = (r: StepRecord) => r.layers[0]!.delta / r.layers[2]!.delta;

describe('lecture config: the maths shows through', () => {
  test('the config is the lecture exercise', () => {
    assert.deepEqual([...variants.keys()], ['sigmoid+glorot', 'relu+he', 'sigmoid+normal(1)']);
    const c = variants.get('relu+he')!;
    assert.deepEqual([data.features, ...c.layers, data.classes], [64, 64, 64, 64, 10]);
    assert.equal(c.lr, 0.1);
    assert.equal(c.batchSize, 32);
    assert.equal(c.epochs, 5);
  });
  test('sigmoid + Glorot: ‖δ1‖/‖δ3‖ about 1/16 (at most 1/4 per sigmoid layer)', () => {
    const r = atInit(variants.get('sigmoid+glorot')!);
    const ratio = hiddenDeltaRatio(r);
    assert.ok(ratio > 1 / 25 && ratio < 1 / 12, `ratio ${ratio} = 1/${(1 / ratio).toFixed(1)}`);
    // each layer passes at most 1/4: δ2/δ3 and δ1/δ2 are each below 0.27 (n·Var(W) = 1 for Glorot here)
    assert.ok(r.layers[1]!.delta / r.layers[2]!.delta < 0.27);
    assert.ok(r.layers[0]!.delta / r.layers[1]!.delta < 0.27);
    assert.ok(r.layers.slice(0, 3).every((l) => l.saturation! < 0.05), 'Glorot sigmoid units are not saturated');
  });
  test('relu + Glorot: about 1/2; relu + He: about 1', () => {
    const glorot = hiddenDeltaRatio(atInit({ ...variants.get('relu+he')!, variant: 'relu+glorot', init: { ...variants.get('relu+he')!.init, scheme: 'glorot_uniform' } }));
    assert.ok(glorot > 0.35 && glorot < 0.7, `relu+glorot ratio ${glorot}`);
    const he = hiddenDeltaRatio(atInit(variants.get('relu+he')!));
    assert.ok(he > 0.75 && he < 1.35, `relu+he ratio ${he}`);
  });
  test('sigmoid + normal(1): about half of the units saturated at init', () => {
    const r = atInit(variants.get('sigmoid+normal(1)')!);
    const sat = r.layers.slice(0, 3).map((l) => l.saturation!);
    const mean = sat.reduce((a, b) => a + b, 0) / 3;
    assert.ok(mean > 0.35 && mean < 0.7, `saturation ${sat.join(', ')}`);
  });
  test('after 5 epochs relu + He passes 90% test accuracy, sigmoid + Glorot is near chance', () => {
    const finalTest = (cfg: ResolvedConfig) => {
      const t = new Trainer(cfg, data);
      let last: EpochRecord | null = null;
      t.runSteps(Infinity, { epoch: (e) => (last = e) });
      assert.equal(t.status, 'completed');
      return (last as EpochRecord | null)!.test!.accuracy;
    };
    const relu = finalTest(variants.get('relu+he')!);
    const sig = finalTest(variants.get('sigmoid+glorot')!);
    assert.ok(relu > 0.9, `relu+he test accuracy ${relu}`);
    assert.ok(sig < 0.2, `sigmoid+glorot test accuracy ${sig} (chance is 0.1)`);
  });
});
