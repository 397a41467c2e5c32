/**
 * Decision regions (engine/regions.ts): the grid is the engine's forward pass on the grid's
 * points, the thumbnails are the hidden units' activations there, an evaluation allocates nothing,
 * and on the spiral example the ReLU variant's regions classify the training points as the run
 * says it does, and change from the first epoch to the last.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { resolveConfig } from '../../src/engine/config';
import { loadDataset } from '../../src/engine/datasets';
import { planeOf, RegionProbe } from '../../src/engine/regions';
import { Trainer } from '../../src/engine/trainer';
import type { Dataset } from '../../src/engine/types';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { planeView, regionFrame } from '../../src/node/regions-session';
import { fromBase64 } from '../../src/shared/columns';
import { makeConfig, randomDataset } from '../support/fixtures';
import { sampledBytes } from '../support/heap-sampling';

const root = path.resolve(__dirname, '../../..');

async function spiral(): Promise<{ trainer: Trainer; data: Dataset }> {
  const file = path.join(root, 'examples/spiral.mlp.json');
  const cfg = resolveConfig(fs.readFileSync(file, 'utf8'), file).find((c) => c.variant === 'relu')!;
  const data = await loadDataset(cfg.dataset, nodeDataIO(path.dirname(file), findAssetDir()), file);
  return { trainer: new Trainer(cfg, data), data };
}

/** Checks every grid cell and thumbnail pixel against the training network's own forward pass. */
function checkAgainstForward(trainer: Trainer, probe: RegionProbe, layer: number): void {
  const net = trainer.net, G = probe.size, B = net.maxBatch, X = net.inputBuffer;
  const n = net.sizes[net.sizes.length - 1]!;
  const classes = net.output === 'sigmoid' ? 2 : n;
  let cells = 0;
  for (let start = 0; start < G * G; start += B) {
    const M = Math.min(B, G * G - start);
    for (let m = 0; m < M; m++) {
      const [x, y] = probe.pointOf((start + m) % G, Math.floor((start + m) / G));
      X[2 * m] = x;
      X[2 * m + 1] = y;
    }
    net.forward(X, M);
    const probs = net.acts[net.layers.length - 1]!;
    for (let m = 0; m < M; m++) {
      const c = start + m, cls = net.predict(m);
      assert.equal(probe.grid[2 * c], cls, `cell ${c}: class`);
      const p = net.output === 'sigmoid' ? (cls ? probs[m]! : 1 - probs[m]!) : probs[m * n + cls]!;
      const conf = Math.round(255 * Math.min(1, Math.max(0, (p - 1 / classes) / (1 - 1 / classes))));
      assert.ok(Math.abs(probe.grid[2 * c + 1]! - conf) <= 1, `cell ${c}: confidence ${probe.grid[2 * c + 1]} vs ${conf}`);
      cells++;
    }
  }
  assert.equal(cells, G * G);
  // thumbnails: unit u's pixel (ti, tj) is the activation at grid cell (ti·s + s/2, tj·s + s/2)
  const T = probe.thumbSide, s = G / T, U = probe.thumbUnits, width = net.sizes[layer + 1]!;
  assert.equal(probe.thumbLayer, layer);
  const [lo, hi] = probe.range;
  for (let tj = 0; tj < T; tj++) {
    for (let ti = 0; ti < T; ti++) {
      const [x, y] = probe.pointOf(ti * s + s / 2, tj * s + s / 2);
      X[0] = x;
      X[1] = y;
      net.forward(X, 1);
      for (let u = 0; u < U; u++) {
        const a = net.acts[layer]![u]!;
        const q = Math.round(Math.min(255, Math.max(0, ((a - lo!) * 255) / (hi! - lo!))));
        assert.ok(Math.abs(probe.thumbs[(u * T + tj) * T + ti]! - q) <= 1, `unit ${u} (${ti}, ${tj}): ${probe.thumbs[(u * T + tj) * T + ti]} vs ${q}`);
      }
      assert.ok(width >= U);
    }
  }
}

/** Fraction of the training points whose grid cell predicts their label. */
function regionAccuracy(probe: RegionProbe, data: Dataset): number {
  let right = 0;
  const n = data.trainY.length;
  for (let i = 0; i < n; i++) {
    const [ci, cj] = probe.cellOf(data.trainX[2 * i]!, data.trainX[2 * i + 1]!);
    if (probe.grid[2 * (cj * probe.size + ci)] === data.trainY[i]) right++;
  }
  return right / n;
}

describe('decision regions', () => {
  test('the grid and thumbnails equal the forward pass (softmax, tanh and ReLU layers)', async () => {
    const { trainer } = await spiral();
    trainer.runSteps(300, {});
    const probe = new RegionProbe(trainer.net, planeOf(trainer.data)!);
    for (const layer of [0, 1]) {
      probe.evaluate(layer);
      checkAgainstForward(trainer, probe, layer);
    }
    const tanh = new Trainer(makeConfig({ layers: [40, 6], activation: ['tanh', 'sigmoid'], epochs: 2, output: 'sigmoid' }), randomDataset(200, 2, 2, 4));
    tanh.runSteps(20, {});
    const p2 = new RegionProbe(tanh.net, planeOf(tanh.data)!);
    for (const layer of [1, 0]) {
      p2.evaluate(layer);
      checkAgainstForward(tanh, p2, layer);
    }
    assert.equal(p2.thumbSide, 16, '40 units: 16-pixel pictures');
    probe.dispose();
    p2.dispose();
  });

  test('an evaluation allocates nothing', async () => {
    const { trainer } = await spiral();
    const probe = new RegionProbe(trainer.net, planeOf(trainer.data)!);
    for (let i = 0; i < 300; i++) probe.evaluate(i % 2);
    const all: number[] = [];
    for (let attempt = 0; attempt < 3 && !(all.length && Math.min(...all) < 8); attempt++) {
      const bytes = await sampledBytes('evaluateMany', function evaluateMany() { for (let i = 0; i < 100; i++) probe.evaluate(i % 2); });
      all.push(bytes / 100);
    }
    console.log(`  region evaluation: ${Math.min(...all).toFixed(2)} bytes each (measurements ${all.map((b) => b.toFixed(1)).join(', ')})`);
    assert.ok(Math.min(...all) < 8, `bytes an evaluation: ${all.join(', ')}`);
    probe.dispose();
  });

  test('spiral, ReLU: the regions classify the training points as the run reports, and they change', async () => {
    const { trainer, data } = await spiral();
    const probe = new RegionProbe(trainer.net, planeOf(data)!);
    trainer.runSteps(trainer.stepsPerEpoch, {});
    assert.equal(trainer.epoch, 1);
    probe.evaluate(0);
    const first = probe.grid.slice();
    const firstFrame = regionFrame(probe, trainer);
    trainer.runSteps(trainer.totalSteps, {});
    assert.equal(trainer.status, 'completed');
    probe.evaluate(0);
    const reported = trainer.evaluate(data.trainX, data.trainY).accuracy;
    const fromRegions = regionAccuracy(probe, data);
    console.log(`  spiral relu: train accuracy ${reported.toFixed(4)}, from the regions ${fromRegions.toFixed(4)}`);
    assert.ok(Math.abs(fromRegions - reported) <= 0.01, `regions ${fromRegions} vs run ${reported}`);
    let changed = 0;
    for (let c = 0; c < probe.size * probe.size; c++) if (first[2 * c] !== probe.grid[2 * c]) changed++;
    console.log(`  cells whose class changed from epoch 1 to the end: ${changed} of ${probe.size ** 2}`);
    assert.ok(changed > 0.05 * probe.size ** 2, `only ${changed} cells changed`);
    // the frame the panel gets carries the grid as it is
    assert.deepEqual(fromBase64(firstFrame.grid), first);
    assert.equal(firstFrame.size, 128);
    const plane = planeView(data)!;
    assert.equal(plane.train.count, data.trainY.length);
    assert.equal(fromBase64(plane.train.y).length, data.trainY.length);
    probe.dispose();
  });

  test('only 2-feature data has a plane', () => {
    assert.equal(planeOf(randomDataset(50, 3, 2)), null);
    assert.ok(planeOf(randomDataset(50, 2, 2)));
  });
});
