/**
 * Init-time inspection (src/engine/inspect/inspect.ts): its numbers equal `mlp-lens dump` for the same
 * config and seed (bit for bit: the CLI is run and its JSON compared), the architecture and
 * memory figures, the measured gains next to the theory, the lecture config's warnings, the
 * cache, the dataset summaries, and the JSON paths / text ranges the diagnostics use.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseConfigText, resolveConfig } from '../../src/engine/config';
import { loadDataset } from '../../src/engine/datasets';
import { architectureOf, initVariance, inspect, InspectCache, inspectVariant, summarizeDataset, type Inspection } from '../../src/engine/inspect/inspect';
import { erf, gaussianExpectation, gaussianMoments, normalCdf } from '../../src/engine/inspect/math';
import { fieldPath, formatJsonPath, locatePath, parseJsonPath } from '../../src/engine/inspect/paths';
import { Trainer } from '../../src/engine/trainer';
import type { Dataset, ResolvedConfig } from '../../src/engine/types';
import { setupKernels } from '../../src/node/kernel-setup';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { cli, ROOT, show, tmp } from '../support/cli';
import { makeConfig, randomDataset } from '../support/fixtures';

const assets = findAssetDir();
const lectureFile = path.join(ROOT, 'examples/lecture.mlp.json');

async function load(file: string, text = fs.readFileSync(file, 'utf8')) {
  const cfgs = resolveConfig(text, file);
  const data = await loadDataset(cfgs[0]!.dataset, nodeDataIO(path.dirname(file), assets), file);
  return { text, cfgs, data, raw: parseConfigText(text, file) };
}

let lecture: { text: string; cfgs: ResolvedConfig[]; data: Dataset; raw: unknown };
let result: Inspection;
before(async () => {
  setupKernels(); // the kernel path the CLI (and the inspection worker) use: the dump must match bit for bit
  lecture = await load(lectureFile);
  result = inspect(lecture.cfgs, lecture.data, { config: lecture.raw });
});
const variant = (name: string) => result.variants.find((v) => v.variant === name)!;

/** `mlp-lens dump` of one variant, run as a user would; returns the result file. */
function dump(configFile: string, name: string | undefined): any {
  const dir = tmp('mlp-lens-inspect-');
  const r = cli(['dump', configFile, '--out', path.join(dir, 'd'), '--no-probs', ...(name ? ['--variant', name] : [])], dir);
  assert.equal(r.status, 0, show(r));
  return JSON.parse(fs.readFileSync(path.join(dir, 'd.out.json'), 'utf8'));
}

function assertEqualsDump(insp: Inspection['variants'][number], out: any): void {
  assert.equal(insp.batch, out.batch_size);
  assert.equal(insp.loss, out.loss, 'loss');
  assert.equal(insp.accuracy, out.accuracy, 'accuracy');
  assert.equal(insp.layers!.length, out.layers.length);
  insp.layers!.forEach((l, k) => {
    const d = out.layers[k];
    assert.equal(l.activation, d.activation);
    assert.deepEqual([l.units, insp.architecture!.layers[k]!.inSize], d.shape);
    assert.equal(l.delta, d.delta_norm, `‖δ‖ of layer ${k}`);
    assert.equal(l.gradW, d.grad_norm_W, `‖dW‖ of layer ${k}`);
    assert.equal(l.gradB, d.grad_norm_b, `‖db‖ of layer ${k}`);
    assert.equal(l.saturation, d.saturation, `saturation of layer ${k}`);
    assert.equal(l.mean, d.mean_activation, `mean activation of layer ${k}`);
  });
}

describe('inspection numbers equal `mlp-lens dump` (same config, same seed)', () => {
  for (const name of ['sigmoid+glorot', 'relu+he', 'sigmoid+normal(1)']) {
    test(`lecture, ${name}`, () => assertEqualsDump(variant(name), dump(lectureFile, name)));
  }
  test('another seed, batch size and dataset (spiral, tanh and relu variants)', async () => {
    const dir = tmp('mlp-lens-inspect-');
    const file = path.join(dir, 's.mlp.json');
    fs.writeFileSync(file, JSON.stringify({
      dataset: { type: 'spiral', samples: 300, classes: 3, seed: 4 }, layers: [16, 12, 8], seed: 11, batchSize: 20,
      variants: [{ name: 't', activation: 'tanh', init: 'glorot_normal' }, { name: 'r', activation: 'relu', init: { scheme: 'he_uniform', bias: 0.1 } }],
    }));
    const s = await load(file);
    const r = inspect(s.cfgs, s.data, { config: s.raw });
    for (const v of r.variants) assertEqualsDump(v, dump(file, v.variant));
  });
  test('the MNIST lecture config (784-256-256-256-10), sigmoid+glorot', async () => {
    const file = path.join(ROOT, 'examples/lecture-mnist.mlp.json');
    const s = await load(file);
    const cfg = s.cfgs.find((c) => c.variant === 'sigmoid+glorot')!;
    assertEqualsDump(inspectVariant(cfg, s.data, 0, { config: s.raw }), dump(file, 'sigmoid+glorot'));
  });
});

describe('architecture and memory', () => {
  test('lecture: 64-64-64-64-10, parameters as the engine allocates them', () => {
    const v = variant('relu+he');
    const a = v.architecture!;
    assert.deepEqual(a.sizes, [64, 64, 64, 64, 10]);
    assert.equal(a.parameterCount, 3 * 64 * 65 + 10 * 65);
    assert.equal(a.parameterCount, new Trainer(lecture.cfgs[1]!, lecture.data).net.parameterCount);
    assert.deepEqual(a.layers.map((l) => l.name), ['layer 1', 'layer 2', 'layer 3', 'output']);
    assert.deepEqual(a.layers.map((l) => l.activation), ['relu', 'relu', 'relu', 'softmax']);
    assert.equal(a.batchSize, 32);
    assert.equal(a.stepsPerEpoch, Math.ceil(lecture.data.trainY.length / 32));
    assert.equal(a.totalSteps, a.stepsPerEpoch * 5);
    // float32: parameters and gradients 4 bytes each, no optimizer state for sgd
    assert.equal(a.memory.parameters, a.parameterCount * 4);
    assert.equal(a.memory.gradients, a.parameterCount * 4);
    assert.equal(a.memory.optimizerState, 0);
    assert.equal(a.memory.activations, (2 * 32 * (64 * 3 + 10) + 32 * 64) * 4 + 32 * 4);
    assert.equal(a.memory.total, a.memory.parameters + a.memory.gradients + a.memory.activations);
  });
  test('adam keeps two state buffers, momentum one; batch clamps to the training set', () => {
    const data = randomDataset(50, 3, 2);
    const adam = architectureOf(makeConfig({ optimizer: { ...makeConfig().optimizer, type: 'adam' }, batchSize: 64 }), data);
    assert.equal(adam.memory.optimizerState, 2 * adam.parameterCount * 4);
    assert.equal(adam.batchSize, 50);
    assert.equal(adam.stepsPerEpoch, 1);
    const mom = architectureOf(makeConfig({ optimizer: { ...makeConfig().optimizer, type: 'momentum' } }), data);
    assert.equal(mom.memory.optimizerState, mom.parameterCount * 4);
  });
  test('init variance per scheme', () => {
    const init = makeConfig().init;
    assert.equal(initVariance({ ...init, scheme: 'normal', std: 0.5 }, 10, 20), 0.25);
    assert.equal(initVariance({ ...init, scheme: 'uniform', limit: 0.3 }, 10, 20), 0.09 / 3);
    assert.equal(initVariance({ ...init, scheme: 'glorot_uniform' }, 10, 20), 2 / 30);
    assert.equal(initVariance({ ...init, scheme: 'glorot_normal' }, 10, 20), 2 / 30);
    assert.equal(initVariance({ ...init, scheme: 'he_normal' }, 10, 20), 0.2);
    assert.equal(initVariance({ ...init, scheme: 'he_uniform' }, 10, 20), 0.2);
  });
});

describe('gain: measured next to the theory', () => {
  test('measured gain is ‖δ_k‖/‖δ_k+1‖; the batch prediction tracks it within 15%', () => {
    for (const v of result.variants) {
      const L = v.layers!;
      for (let k = 0; k < L.length - 1; k++) {
        const g = L[k]!.gain!;
        assert.equal(g.measured, L[k]!.delta / L[k + 1]!.delta);
        assert.equal(g.n, 64);
        assert.equal(g.predictedBatch, Math.sqrt(g.n * g.weightVariance * g.fp2Batch));
        assert.ok(Math.abs(g.predictedBatch / g.measured - 1) < 0.15, `${v.variant} layer ${k + 1}: measured ${g.measured}, predicted ${g.predictedBatch}`);
      }
      assert.equal(L[L.length - 1]!.gain, null, 'the output layer has no gain into it');
    }
  });
  test('sigmoid + Glorot: theory says at most 1/4 per layer; E[f\'²] near 1/16', () => {
    for (const l of variant('sigmoid+glorot').layers!.slice(0, 2)) {
      const g = l.gain!;
      assert.ok(g.fp2Init < 1 / 16 && g.fp2Init > 0.05, `E_init[f'^2] ${g.fp2Init}`);
      assert.ok(Math.abs(g.n * g.weightVariance - 1) < 1e-12, "Glorot between equal layers: n·Var(W) = 1");
      assert.ok(g.predictedInit < 0.25 && g.predictedInit > 0.22, `predicted ${g.predictedInit}`);
      assert.ok(g.measured < 0.25, `measured ${g.measured}`);
    }
  });
  test('relu + He: the theory predicts exactly 1 (n·Var(W) = 2, E[relu\'²] = 1/2), measured within 10%', () => {
    for (const l of variant('relu+he').layers!.slice(0, 3)) {
      assert.ok(Math.abs(l.gain!.predictedInit - 1) < 1e-6, `predicted ${l.gain!.predictedInit}`);
      assert.ok(Math.abs(l.gain!.measured - 1) < 0.1, `measured ${l.gain!.measured}`);
    }
  });
  test('sigmoid + normal(1): the predicted saturation is within 0.06 of the measured', () => {
    for (const l of variant('sigmoid+normal(1)').layers!.slice(0, 3)) {
      assert.ok(Math.abs(l.predictedSaturation! - l.saturation!) < 0.06, `${l.name}: measured ${l.saturation}, predicted ${l.predictedSaturation}`);
    }
  });
  test('per-unit saturation and dead units agree with the layer figure', () => {
    for (const v of result.variants) {
      for (const l of v.layers!.slice(0, -1)) {
        const u = l.unitSaturation!;
        assert.equal(u.length, l.units);
        assert.ok(Math.abs(u.reduce((a, b) => a + b, 0) / u.length - l.saturation!) < 1e-12);
        assert.equal(l.deadUnits, u.filter((x) => x === 1).length);
        assert.equal(l.histogram!.counts.reduce((a, b) => a + b, 0), 32 * l.units);
      }
    }
  });
});

describe('gaussian maths', () => {
  test('erf and the normal CDF', () => {
    assert.ok(Math.abs(erf(0.5) - 0.5204998778) < 2e-7);
    assert.ok(Math.abs(erf(-1.5) + 0.9661051465) < 2e-7);
    assert.ok(Math.abs(normalCdf(1.959963985) - 0.975) < 2e-7);
  });
  test('closed forms agree with numeric integration; limits', () => {
    const relu = gaussianMoments('relu', 0.3, 1.7);
    assert.ok(Math.abs(relu.a2 - gaussianExpectation((z) => Math.max(z, 0) ** 2, 0.3, 1.7)) < 1e-3);
    assert.ok(Math.abs(relu.fp2 - normalCdf(0.3 / 1.7)) < 1e-12);
    assert.ok(Math.abs(gaussianMoments('relu', 0, 2).fp2 - 0.5) < 1e-7);
    assert.ok(Math.abs(gaussianMoments('sigmoid', 0, 1e-6).fp2 - 1 / 16) < 1e-9, 'σ\'(0)² = 1/16');
    assert.ok(Math.abs(gaussianMoments('tanh', 0, 1e-6).fp2 - 1) < 1e-9);
    assert.ok(gaussianMoments('sigmoid', 0, 50).saturation > 0.95);
    assert.equal(gaussianMoments('linear', 1, 2).a2, 5);
    const lk = gaussianMoments('leaky_relu', 0, 1, 0.1);
    assert.ok(Math.abs(lk.fp2 - (0.5 + 0.01 * 0.5)) < 1e-7);
  });
});

describe('the lecture config\'s warnings', () => {
  test('sigmoid+normal(1) gets the saturation warning at $.variants[2].init', () => {
    const ws = variant('sigmoid+normal(1)').warnings;
    assert.deepEqual(ws.map((w) => w.code), ['saturated-init']);
    const w = ws[0]!;
    assert.equal(w.path, '$.variants[2].init');
    assert.match(w.message, /^\d+% of layer-\d units are saturated at init.*: their gradient is ~0.*; use glorot_uniform/);
  });
  test('sigmoid+glorot gets the vanishing-signal warning at $.variants[0].activation', () => {
    const ws = variant('sigmoid+glorot').warnings;
    assert.deepEqual(ws.map((w) => w.code), ['vanishing-signal']);
    assert.equal(ws[0]!.path, '$.variants[0].activation');
    assert.match(ws[0]!.message, /^layer 1 receives 1\/19\.4 of the gradient of layer 3/);
    assert.match(ws[0]!.message, /sigmoid scales it by at most 1\/4 per layer/);
    assert.match(ws[0]!.message, /try relu with he_normal$/);
  });
  test('relu+he gets neither (nor any other)', () => {
    assert.deepEqual(variant('relu+he').warnings, []);
    assert.deepEqual(result.warnings, []);
  });
  test('the MNIST lecture config: the same verdicts', async () => {
    const s = await load(path.join(ROOT, 'examples/lecture-mnist.mlp.json'));
    const r = inspect(s.cfgs, s.data, { config: s.raw });
    const codes = (n: string) => r.variants.find((v) => v.variant === n)!.warnings.map((w) => w.code);
    assert.ok(codes('sigmoid+normal(1)').includes('saturated-init'));
    assert.ok(!codes('sigmoid+normal(1)').includes('vanishing-signal'));
    assert.deepEqual(codes('sigmoid+glorot'), ['vanishing-signal']);
    assert.deepEqual(codes('relu+he'), []);
  });
  test('a base field is blamed at its base path', async () => {
    const text = JSON.stringify({ dataset: { type: 'digits' }, layers: [64, 64, 64], activation: 'sigmoid', init: { scheme: 'normal', std: 1 } });
    const s = await load(lectureFile, text);
    const v = inspect(s.cfgs, s.data, { config: s.raw }).variants[0]!;
    assert.equal(v.index, -1);
    assert.equal(v.warnings.find((w) => w.code === 'saturated-init')!.path, '$.init');
  });
});

describe('cache: unchanged networks are not recomputed', () => {
  test('a second call reuses every variant; changing lr recomputes only the warnings', () => {
    const cache = new InspectCache();
    const a = inspect(lecture.cfgs, lecture.data, { config: lecture.raw, cache });
    const b = inspect(lecture.cfgs, lecture.data, { config: lecture.raw, cache });
    a.variants.forEach((v, i) => assert.equal(b.variants[i]!.layers, v.layers, 'the same measured object'));
    const cfgs = lecture.cfgs.map((c, i) => (i === 1 ? { ...c, lr: 5 } : c));
    const c = inspect(cfgs, lecture.data, { config: lecture.raw, cache });
    assert.equal(c.variants[1]!.layers, a.variants[1]!.layers);
    assert.deepEqual(c.variants[1]!.warnings.map((w) => w.code), ['learning-rate']);
    const d = inspect(lecture.cfgs.map((c2, i) => (i === 1 ? { ...c2, seed: 3 } : c2)), lecture.data, { config: lecture.raw, cache });
    assert.notEqual(d.variants[1]!.layers, a.variants[1]!.layers, 'a new seed is a new network');
    assert.deepEqual(d.variants[0], { ...a.variants[0], ms: d.variants[0]!.ms, cached: true });
  });
});

describe('dataset summary and preview', () => {
  test('digits: sizes, class counts, one sample image per class', () => {
    const d = result.dataset;
    assert.equal(d.features, 64);
    assert.equal(d.classes, 10);
    assert.equal(d.train + d.test, 1797);
    assert.equal(d.classCounts.reduce((a, b) => a + b, 0), d.train);
    assert.equal(d.preview.kind, 'images');
    if (d.preview.kind !== 'images') return;
    assert.deepEqual(d.preview.shape, [8, 8]);
    assert.deepEqual(d.preview.images.map((i) => i.label), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(d.preview.images.every((i) => i.pixels.length === 64 && Math.max(...i.pixels) === 1 && Math.min(...i.pixels) === 0));
    assert.equal(d.featureStats, undefined, 'no per-pixel statistics for image sets');
  });
  test('a 2-D set: a scatter of at most 600 points; tables: feature statistics', () => {
    const data = randomDataset(1000, 2, 3);
    const s = summarizeDataset(data, makeConfig().dataset);
    assert.equal(s.preview.kind, 'scatter');
    if (s.preview.kind === 'scatter') {
      assert.ok(s.preview.points.length / 3 <= 600 && s.preview.points.length / 3 >= 500);
      const [x0, x1] = s.preview.bounds;
      assert.ok(x0 >= -1 && x1 <= 1);
    }
    const f = s.featureStats!;
    assert.equal(f.length, 2);
    assert.ok(f.every((x) => x.min >= -1 && x.max <= 1 && Math.abs(x.mean) < 0.1 && Math.abs(x.std - 1 / Math.sqrt(3)) < 0.05));
    assert.equal(summarizeDataset(data, makeConfig().dataset), s, 'cached per dataset');
  });
});

describe('errors and paths', () => {
  test('a network the data does not allow is an error on its field, not an exception', () => {
    const v = inspectVariant(makeConfig({ output: 'sigmoid', variant: 'b' }), randomDataset(60, 2, 3), 1, { config: { variants: [{}, { name: 'b', output: 'sigmoid' }] } });
    assert.match(v.error!, /sigmoid/);
    assert.equal(v.errorPath, '$.variants[1].output');
    assert.equal(v.layers, undefined);
  });
  test('fieldPath: the variant\'s own field, else the base field, else the variant', () => {
    const raw = { lr: 0.1, variants: [{ name: 'a', lr: 1 }, { name: 'b' }] };
    assert.equal(formatJsonPath(fieldPath(raw, 0, 'lr')), '$.variants[0].lr');
    assert.equal(formatJsonPath(fieldPath(raw, 1, 'lr')), '$.lr');
    assert.equal(formatJsonPath(fieldPath(raw, 1, 'init')), '$.variants[1]');
    assert.equal(formatJsonPath(fieldPath({}, -1, 'init')), '$.init');
    assert.deepEqual(parseJsonPath('$.variants[2].init'), ['variants', 2, 'init']);
    assert.deepEqual(parseJsonPath('$["odd key"][0]'), ['odd key', 0]);
  });
  test('locatePath: the value\'s range; objects by their key; missing paths by the nearest ancestor', () => {
    const text = '{\n  "lr": 0.1,\n  "init": { "scheme": "normal" },\n  "variants": [ { "name": "a" } ]\n}';
    assert.deepEqual(locatePath(text, '$.lr'), { line: 2, column: 9, endLine: 2, endColumn: 12 });
    assert.deepEqual(locatePath(text, '$.init'), { line: 3, column: 3, endLine: 3, endColumn: 9 });
    assert.deepEqual(locatePath(text, '$.variants[0].init'), { line: 4, column: 17, endLine: 4, endColumn: 18 });
    assert.deepEqual(locatePath(text, '$'), { line: 1, column: 1, endLine: 1, endColumn: 2 });
  });
});
