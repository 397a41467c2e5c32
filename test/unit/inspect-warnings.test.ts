/**
 * Every init-time warning's threshold (src/engine/inspect/warnings.ts THRESHOLDS):
 * 1. at the boundary: a measured value just past it fires, one just inside does not;
 * 2. against the engine's own numbers: what the warning claims is what the engine then does
 *    (saturated units get ~no gradient, a vanishing signal leaves the net at chance, an exploding
 *    one diverges, a learning rate or batch size outside the range does not train, unscaled
 *    features do not train, ...), and the configs just inside the range do train.
 * Accuracies are after 5 epochs on digits unless said otherwise (the lecture's setting).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseConfigText, resolveConfig } from '../../src/engine/config';
import { loadDataset } from '../../src/engine/datasets';
import { inspect, inspectVariant, summarizeDataset, type VariantInspection } from '../../src/engine/inspect/inspect';
import { dataWarnings, THRESHOLDS, variantWarnings } from '../../src/engine/inspect/warnings';
import type { WarningCode } from '../../src/engine/inspect/types';
import { measureLayers } from '../../src/engine/probes';
import { Trainer, type EpochRecord } from '../../src/engine/trainer';
import type { Dataset, DatasetSpec, ResolvedConfig } from '../../src/engine/types';
import { setupKernels } from '../../src/node/kernel-setup';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { ROOT } from '../support/cli';

const assets = findAssetDir();
const lectureFile = path.join(ROOT, 'examples/lecture.mlp.json');
let digits: Dataset;
let reluHe: ResolvedConfig;
let raw: unknown;
let base: VariantInspection;

before(async () => {
  setupKernels(); // the kernel path of the CLI, the training worker and the inspection worker
  const text = fs.readFileSync(lectureFile, 'utf8');
  const cfgs = resolveConfig(text, lectureFile);
  raw = parseConfigText(text, lectureFile);
  digits = await loadDataset(cfgs[0]!.dataset, nodeDataIO(path.dirname(lectureFile), assets), lectureFile);
  reluHe = cfgs.find((c) => c.variant === 'relu+he')!;
  base = inspectVariant(reluHe, digits, 1, { config: raw });
  assert.deepEqual(base.warnings, [], 'the healthy base case has no warnings');
});

/** The lecture relu+he variant with fields replaced (one variant config, no variants array). */
const cfgWith = (over: Partial<ResolvedConfig>): ResolvedConfig => ({ ...reluHe, variant: 'base', ...over });

/** Warning codes for the base inspection with some measured numbers replaced. */
function codesFor(edit: (v: VariantInspection) => void, cfg: ResolvedConfig = reluHe): WarningCode[] {
  const v: VariantInspection = structuredClone(base);
  edit(v);
  return variantWarnings(cfg, digits, v, raw).map((w) => w.code);
}

/** Trains with the engine; final test accuracy and status. */
function train(cfg: ResolvedConfig, data = digits): { acc: number; status: string } {
  const t = new Trainer({ ...cfg, probes: { ...cfg.probes, every: 100000 } }, data);
  let last: EpochRecord | null = null;
  t.runSteps(Infinity, { epoch: (e) => (last = e) });
  return { acc: (last as EpochRecord | null)?.test?.accuracy ?? NaN, status: t.status };
}

const codes = (cfg: ResolvedConfig, data = digits) => inspectVariant(cfg, data, -1, {}).warnings.map((w) => w.code);

describe('saturated at init (sigmoid, tanh): saturation >= 0.2 in a hidden layer', () => {
  const sigmoid = () => cfgWith({ activation: ['sigmoid', 'sigmoid', 'sigmoid'] });
  test('boundary', () => {
    assert.ok(codesFor((v) => { v.layers![1]!.activation = 'sigmoid'; v.layers![1]!.saturation = THRESHOLDS.saturated; }, sigmoid()).includes('saturated-init'));
    assert.ok(!codesFor((v) => { v.layers!.forEach((l) => (l.activation = 'sigmoid')); v.layers![1]!.saturation = 0.199; v.layers![0]!.saturation = v.layers![2]!.saturation = 0; }, sigmoid()).includes('saturated-init'));
    assert.ok(!codesFor((v) => { v.layers![1]!.saturation = 0.9; }).includes('saturated-init'), 'relu zeros are not saturation');
  });
  test('engine: saturated units receive ~no gradient (their dW rows are < 1/5 of the others\')', () => {
    const cfg = cfgWith({ activation: ['sigmoid', 'sigmoid', 'sigmoid'], init: { ...reluHe.init, scheme: 'normal', std: 1 } });
    const t = new Trainer(cfg, digits);
    const M = t.loadBatch();
    t.net.forward(t.batch.X, M);
    t.net.lossAndCorrect(t.batch.y, M, { loss: 0, correct: 0 });
    t.net.backward(t.batch.y, M, 0);
    measureLayers(t.net, M, t.probes);
    const layer = t.net.layers[1]!;
    const unitSat = t.probes.unitSat[1]!;
    const rowNorm = (j: number) => Math.hypot(...layer.dW.subarray(j * layer.inSize, (j + 1) * layer.inSize));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sat = mean([...unitSat.keys()].filter((j) => unitSat[j]! >= 0.9).map(rowNorm));
    const free = mean([...unitSat.keys()].filter((j) => unitSat[j]! <= 0.1).map(rowNorm));
    assert.ok(sat < free / 5, `saturated units' ‖dW row‖ ${sat} vs unsaturated ${free}`);
    assert.ok(codes(cfg).includes('saturated-init'));
    assert.ok(!codes(cfgWith({ activation: ['sigmoid', 'sigmoid', 'sigmoid'], init: { ...reluHe.init, scheme: 'glorot_uniform' } })).includes('saturated-init'));
  });
});

describe('vanishing / exploding signal: ‖δ1‖/‖δ_last hidden‖ < 1/8 or > 8', () => {
  test('boundary', () => {
    assert.ok(codesFor((v) => (v.deltaRatio = 1 / 8 - 1e-9)).includes('vanishing-signal'));
    assert.deepEqual(codesFor((v) => (v.deltaRatio = 1 / 8)), []);
    assert.ok(codesFor((v) => (v.deltaRatio = 8 + 1e-9)).includes('exploding-signal'));
    assert.deepEqual(codesFor((v) => (v.deltaRatio = 8)), []);
    assert.deepEqual(codesFor((v) => (v.deltaRatio = null)), [], 'one hidden layer: no ratio, no warning');
  });
  test('engine: sigmoid+glorot (1/19) stays at chance; tanh+glorot (0.71) learns', () => {
    const sg = cfgWith({ activation: ['sigmoid', 'sigmoid', 'sigmoid'], init: { ...reluHe.init, scheme: 'glorot_uniform' } });
    assert.ok(codes(sg).includes('vanishing-signal'));
    assert.ok(train(sg).acc < 0.2);
    const tg = cfgWith({ activation: ['tanh', 'tanh', 'tanh'], init: { ...reluHe.init, scheme: 'glorot_uniform' } });
    assert.deepEqual(codes(tg), []);
    assert.ok(train(tg).acc > 0.8);
  });
  test('engine: relu+normal(1) (34x, activations 36x) diverges in its first epoch; normal(0.5) (8.6x) learns less than normal(0.4) (5.5x, no warning)', () => {
    const n = (std: number) => cfgWith({ init: { ...reluHe.init, scheme: 'normal', std } });
    assert.deepEqual(codes(n(1)), ['exploding-signal', 'exploding-activations']);
    assert.equal(train(n(1)).status, 'diverged');
    assert.deepEqual(codes(n(0.5)), ['exploding-signal', 'exploding-activations']);
    assert.deepEqual(codes(n(0.4)), []);
    const [a5, a4] = [train(n(0.5)).acc, train(n(0.4)).acc];
    assert.ok(a4 > 0.9 && a5 < a4 - 0.05, `normal(0.5) ${a5}, normal(0.4) ${a4}`);
  });
});

describe('exploding activations: RMS grows > 8x from the first hidden layer to the last, or loss > 25x chance', () => {
  test('boundary', () => {
    const grow = (f: number) => codesFor((v) => { const h = v.layers!; h[2]!.rms = h[0]!.rms * f; });
    assert.ok(grow(8.001).includes('exploding-activations'));
    assert.deepEqual(grow(7.999), []);
    const loss = (f: number) => codesFor((v) => (v.loss = v.chanceLoss! * f));
    assert.ok(loss(25.01).includes('exploding-activations'));
    assert.deepEqual(loss(24.99), []);
    assert.ok(codesFor((v) => (v.loss = Infinity)).includes('exploding-activations'));
  });
  test('engine: huge logits from unscaled inputs (raw wine, relu+he: loss 45x chance) learn to < 50%', async () => {
    const file = path.join(ROOT, 'wine.mlp.json');
    const [cfg] = resolveConfig(JSON.stringify({ dataset: { type: 'wine', standardize: false }, layers: [32, 32], activation: 'relu', init: 'he_normal', lr: 0.05, batchSize: 16, epochs: 30, seed: 0 }), file);
    const data = await loadDataset(cfg!.dataset, nodeDataIO(ROOT, assets), file);
    const v = inspectVariant(cfg!, data, -1, { config: { dataset: { type: 'wine', standardize: false } } });
    const w = v.warnings.find((x) => x.code === 'exploding-activations')!;
    assert.ok(v.loss! / v.chanceLoss! > 25 && w, v.warnings.map((x) => x.message).join('\n'));
    assert.equal(w.path, '$.dataset.standardize', 'the data is to blame, not the init');
    assert.ok(train(cfg!, data).acc < 0.5);
  });
});

describe('dead ReLU units at init: >= 50% of a layer\'s units zero on a whole batch of >= 16', () => {
  test('boundary', () => {
    assert.ok(codesFor((v) => (v.layers![2]!.deadUnits = 32)).includes('dead-relu'));
    assert.deepEqual(codesFor((v) => (v.layers![2]!.deadUnits = 31)), []);
    assert.deepEqual(codesFor((v) => { v.layers![2]!.deadUnits = 64; v.batch = 15; }), [], 'too small a batch to tell');
  });
  test('engine: bias -0.5 (97% of layer 3 dead) learns to < 60%; bias -0.2 (31%) no warning, > 85%', () => {
    const dead = cfgWith({ init: { ...reluHe.init, bias: -0.5 } });
    const v = inspectVariant(dead, digits, -1);
    const w = v.warnings.find((x) => x.code === 'dead-relu')!;
    assert.ok(w, v.warnings.map((x) => x.message).join('\n'));
    assert.equal(w.layer, 2);
    assert.match(w.fix, /biases at 0/);
    assert.ok(train(dead).acc < 0.6);
    const mild = cfgWith({ init: { ...reluHe.init, bias: -0.2 } });
    assert.ok(!codes(mild).includes('dead-relu'));
    assert.ok(train(mild).acc > 0.85);
  });
});

describe('learning rate: sgd [0.001, 1), momentum (lr/(1-m)) [0.001, 1.5), adam [1e-4, 0.05)', () => {
  const sgd = () => reluHe.optimizer;
  const adam = () => ({ ...sgd(), type: 'adam' as const });
  const mom = () => ({ ...sgd(), type: 'momentum' as const, momentum: 0.9 });
  const lrCodes = (lr: number, optimizer = sgd()) => codesFor(() => undefined, cfgWith({ lr, optimizer }));
  test('boundary', () => {
    assert.deepEqual(lrCodes(1), ['learning-rate']);
    assert.deepEqual(lrCodes(0.999), []);
    assert.deepEqual(lrCodes(0.001), []);
    assert.deepEqual(lrCodes(0.00099), ['learning-rate']);
    assert.deepEqual(lrCodes(0.15, mom()), ['learning-rate'], 'effective 1.5');
    assert.deepEqual(lrCodes(0.1, mom()), [], 'effective 1');
    assert.deepEqual(lrCodes(0.0499, adam()), []);
    assert.deepEqual(lrCodes(0.05, adam()), ['learning-rate']);
    assert.deepEqual(lrCodes(0.0001, adam()), []);
    assert.deepEqual(lrCodes(0.000099, adam()), ['learning-rate']);
  });
  test('the message names the value, the range and a fix; the path is the lr field', () => {
    const v: VariantInspection = structuredClone(base);
    const [w] = variantWarnings(cfgWith({ lr: 2 }), digits, v, raw);
    assert.equal(w!.path, '$.lr');
    assert.match(w!.message, /learning rate 2 is above the sane range for sgd \(0\.001 to 1\): .*overshoot.*; try 0\.1/);
  });
  test('engine: outside the range does not train, inside does', () => {
    const acc = (lr: number, optimizer = sgd()) => train(cfgWith({ lr, optimizer })).acc;
    assert.ok(acc(1) < 0.3, 'sgd 1'); // 0.10 on the TypeScript kernels, 0.21 on relaxed-SIMD FMA: chaotic, all far below 0.5's
    assert.ok(acc(0.0009) < 0.15, 'sgd 0.0009');
    assert.ok(acc(0.5) > 0.6, 'sgd 0.5');
    assert.ok(acc(0.01) > 0.6, 'sgd 0.01');
    assert.ok(acc(0.2, mom()) < 0.4, 'momentum 0.9, lr 0.2 (effective 2)');
    assert.ok(acc(0.1, mom()) > 0.85, 'momentum 0.9, lr 0.1 (effective 1)');
    assert.ok(acc(0.00001, adam()) < 0.1, 'adam 1e-5');
    assert.ok(acc(0.0001, adam()) > 0.3, 'adam 1e-4');
    assert.ok(acc(0.03, adam()) > 0.9, 'adam 0.03');
    assert.ok(acc(0.1, adam()) < 0.7, 'adam 0.1');
  });
});

describe('batch size: below 4, or fewer than 20 updates in all', () => {
  const bCodes = (batchSize: number, epochs = 5) => {
    const cfg = cfgWith({ batchSize, epochs });
    return inspectVariant(cfg, digits, -1, {}).warnings.filter((w) => w.code === 'batch-size').length;
  };
  test('boundary', () => {
    assert.equal(bCodes(3), 1);
    assert.equal(bCodes(4), 1 - 1);
    const n = digits.trainY.length; // 1438: batch 360 -> 4 steps x 5 = 20 updates; 288 -> 5 x 5 = 25
    assert.equal(Math.ceil(n / 360) * 5, 20);
    assert.equal(bCodes(360), 0);
    assert.equal(Math.ceil(n / 480) * 5, 15);
    assert.equal(bCodes(480), 1);
    assert.equal(bCodes(480, 7), 0, 'more epochs: 21 updates');
  });
  test('engine: batch 1 at lr 0.1 does not train, 4 does; 10 updates stay at chance, 25 learn', () => {
    // lr 0.1 with tiny batches is chaotic: the kernel paths agree to float32 noise for a few
    // hundred steps, then part ways, and one seed says little. Measured over seeds 0-5, test
    // accuracy with batch 1: 0.10-0.53 (relaxed SIMD, mean 0.34), 0.17-0.65 (SIMD, 0.44),
    // 0.17-0.61 (TypeScript f32, 0.43); batch 4: 0.84-0.97 (one 0.66). So the means over 5 seeds.
    const mean = (batchSize: number) => [0, 1, 2, 3, 4].reduce((s, seed) => s + train(cfgWith({ batchSize, seed })).acc, 0) / 5;
    const b1 = mean(1), b4 = mean(4);
    assert.ok(b1 < 0.55, `batch 1: mean test accuracy ${b1.toFixed(2)}`);
    assert.ok(b4 > 0.8, `batch 4: mean test accuracy ${b4.toFixed(2)}`);
    assert.ok(train(cfgWith({ batchSize: 1437 })).acc < 0.2, 'batch 1437: 10 updates');
    assert.ok(train(cfgWith({ batchSize: 320 })).acc > 0.6, 'batch 320: 25 updates');
  });
});

describe('data: a label column that is not categorical', () => {
  function csvData(rows: number, classes: number): { data: Dataset; spec: DatasetSpec } {
    const X = new Float32Array(rows * 2).map((_, i) => (i * 7919) % 13);
    const y = new Int32Array(rows).map((_, i) => i % classes);
    return {
      data: {
        name: 'people.csv', features: 2, classes, classNames: Array.from({ length: classes }, (_, i) => String(20 + i)),
        featureNames: ['height', 'weight'], trainX: X, trainY: y, testX: new Float32Array(0), testY: new Int32Array(0), description: 'csv',
      },
      spec: { type: 'csv', path: 'people.csv', label: 'age', standardize: true, testFraction: 0, seed: 0 },
    };
  }
  const run = (rows: number, classes: number) => {
    const { data, spec } = csvData(rows, classes);
    return dataWarnings(data, spec, summarizeDataset(data, spec), { dataset: { type: 'csv', path: 'people.csv', label: 'age' } });
  };
  test('boundary: > 20 classes with < 5 examples each', () => {
    const [w] = run(84, 21);
    assert.equal(w!.code, 'label-not-categorical');
    assert.equal(w!.path, '$.dataset.label');
    assert.match(w!.message, /label column 'age' has 21 distinct values for 84 training rows/);
    assert.deepEqual(run(105, 21), [], '5 per class');
    assert.deepEqual(run(80, 20), [], '20 classes');
  });
});

describe('data: features on wildly different scales without standardization (std ratio > 100)', () => {
  test('boundary', () => {
    const mk = (ratio: number, standardize: boolean) => {
      const n = 100;
      const X = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) { const s = i % 2 ? 1 : -1; X[2 * i] = s; X[2 * i + 1] = s * ratio; }
      const data: Dataset = { name: 't', features: 2, classes: 2, classNames: ['a', 'b'], featureNames: ['small', 'big'], trainX: X, trainY: new Int32Array(n).map((_, i) => i % 2), testX: new Float32Array(0), testY: new Int32Array(0), description: '' };
      const spec: DatasetSpec = { type: 'iris', standardize, testFraction: 0, seed: 0 };
      return dataWarnings(data, spec, summarizeDataset(data, spec), { dataset: { type: 'iris', standardize } }).map((w) => [w.code, w.path]);
    };
    assert.deepEqual(mk(101, false), [['feature-scales', '$.dataset.standardize']]);
    assert.deepEqual(mk(99, false), []);
    assert.deepEqual(mk(1000, true), []);
  });
  test('engine: wine without standardization (proline vs phenols, ~2700x) learns to < 50%, standardized > 90%', async () => {
    const file = path.join(ROOT, 'wine.mlp.json');
    const load = async (standardize: boolean) => {
      const text = JSON.stringify({ dataset: { type: 'wine', standardize }, layers: [32, 32], activation: 'tanh', init: 'glorot_uniform', lr: 0.05, batchSize: 16, epochs: 30, seed: 0 });
      const [cfg] = resolveConfig(text, file);
      const data = await loadDataset(cfg!.dataset, nodeDataIO(ROOT, assets), file);
      return { cfg: cfg!, data, r: inspect([cfg!], data, { config: parseConfigText(text, file) }) };
    };
    const rawWine = await load(false);
    const w = rawWine.r.warnings.find((x) => x.code === 'feature-scales')!;
    assert.ok(w);
    assert.equal(w.path, '$.dataset.standardize');
    assert.match(w.measured, /'proline' has std/);
    // and the saturation it causes points at the same fix
    const sat = rawWine.r.variants[0]!.warnings.find((x) => x.code === 'saturated-init')!;
    assert.equal(sat.path, '$.dataset.standardize');
    assert.match(sat.fix, /standardize/);
    assert.ok(train(rawWine.cfg, rawWine.data).acc < 0.5);
    const std = await load(true);
    assert.deepEqual(std.r.warnings, []);
    assert.deepEqual(std.r.variants[0]!.warnings, []);
    assert.ok(train(std.cfg, std.data).acc > 0.9);
  });
});

describe('every warning names what was measured, why it matters, and a fix', () => {
  test('on a config that triggers many', () => {
    const cfg = cfgWith({ init: { ...reluHe.init, scheme: 'normal', std: 1 }, lr: 5, batchSize: 2 });
    const ws = inspectVariant(cfg, digits, -1, {}).warnings;
    assert.ok(ws.length >= 4, ws.map((w) => w.code).join());
    for (const w of ws) {
      assert.ok(w.measured && w.why && w.fix && /\d/.test(w.measured), JSON.stringify(w));
      assert.equal(w.message, `${w.measured}: ${w.why}; ${w.fix}`);
      assert.match(w.path, /^\$/);
    }
  });
});
