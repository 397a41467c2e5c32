/**
 * Weight pictures of a run opened from its folder (Open Run, the Runs view): the loader reads the
 * first page of the first layer's weights from model.bin, and further pages on request
 * (weightPageFromDisk), equal to the engine's encoding of the saved weights; a model.bin that is
 * not what the config makes, or a device in its place, opens the run without pictures and says why.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { weightRowsPictures } from '../../src/engine/pictures';
import { loadRunModel, weightPageFromDisk } from '../../src/runs/loader';
import { RunModel } from '../../src/runs/model';
import type { RunSummary } from '../../src/runs/summary';
import { weightFrame } from '../../src/shared/weight-frame';
import { readModel } from '../../src/runs/model-file';
import { fromBase64 } from '../../src/shared/columns';
import { cli, show, tmp } from '../support/cli';

function train(dir: string, config: object): string {
  fs.writeFileSync(join(dir, 'c.mlp.json'), JSON.stringify(config));
  const r = cli(['train', 'c.mlp.json', '--out', 'o', '--json'], dir);
  assert.equal(r.status, 0, show(r));
  return join(dir, (JSON.parse(r.stdout) as { runs: { dir: string }[] }).runs[0]!.dir);
}

const digits = { dataset: { type: 'digits', testFraction: 0.2, seed: 0 }, layers: [96, 32], activation: 'relu', init: 'he_normal', lr: 0.1, batchSize: 32, epochs: 1, seed: 3 };

test('a digits run opened from its folder: weight pictures from model.bin, page by page', async () => {
  const dir = tmp();
  const runDir = train(dir, digits);
  const model = await loadRunModel([runDir], 100, 'open');
  const v = model.variants[0]!;
  const f = v.pictures.weights;
  assert.ok(f, 'the first page is there when the run opens');
  assert.equal(model.message, null);
  const saved = readModel(runDir).weights[0]!;
  assert.equal(saved.length, 96 * 64);
  const summary = JSON.parse(fs.readFileSync(join(runDir, 'summary.json'), 'utf8')) as { steps: number; epochs: number };
  assert.deepEqual([f.first, f.count, f.layerUnits, f.shape, f.step, f.epoch], [0, 64, 96, [8, 8], summary.steps, summary.epochs]);
  const want = (first: number, count: number) => weightRowsPictures(saved, 64, 96, first, count);
  const w0 = want(0, 64);
  assert.deepEqual(Array.from(fromBase64(f.pixels)), Array.from(w0.pixels));
  assert.deepEqual(f.scales, Array.from(w0.scales));
  // a scale is the unit's largest |weight| (float32 from the file)
  assert.equal(f.scales[5], Math.max(...Array.from(saved.subarray(5 * 64, 6 * 64), Math.abs)));
  // the next page: units 64-95
  const gen = v.weightsGen;
  assert.equal(await weightPageFromDisk(model, v.meta.name, 64), true);
  const g = v.pictures.weights!;
  assert.equal(v.weightsGen, gen + 1);
  assert.deepEqual([g.first, g.count], [64, 32]);
  assert.deepEqual(Array.from(fromBase64(g.pixels)), Array.from(want(64, 32).pixels));
  // a page past the layer is clamped to its last unit
  await weightPageFromDisk(model, v.meta.name, 1000);
  assert.deepEqual([v.pictures.weights!.first, v.pictures.weights!.count], [95, 1]);
});

test('a run trained in the editor: once it ends, further pages come from its model.bin', async () => {
  const dir = tmp();
  const runDir = train(dir, digits);
  const summary = JSON.parse(fs.readFileSync(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const model = new RunModel('live', 'digits', null, [{ variant: 'base', epochs: 1 }], 100);
  const saved = readModel(runDir).weights[0]!;
  // the worker's last frame: units 0-63
  model.setPictures('base', { weights: weightFrame(weightRowsPictures(saved, 64, 96, 0, 64), [8, 8], 96, summary.steps, summary.epochs) });
  assert.equal(await weightPageFromDisk(model, 'base', 64), false, 'nothing on disk while it trains');
  model.variantDone('base', runDir, summary);
  assert.equal(await weightPageFromDisk(model, 'base', 64), true);
  const g = model.variants[0]!.pictures.weights!;
  assert.deepEqual([g.first, g.count, g.step], [64, 32, summary.steps]);
  assert.deepEqual(Array.from(fromBase64(g.pixels)), Array.from(weightRowsPictures(saved, 64, 96, 64, 32).pixels));
});

test('a model.bin that is not the config\'s network, or a device: the run opens, without pictures, saying why', async () => {
  const dir = tmp();
  const runDir = train(dir, digits);
  const bin = join(runDir, 'model.bin');
  fs.truncateSync(bin, 1000);
  let model = await loadRunModel([runDir], 100, 'short');
  assert.equal(model.variants[0]!.pictures.weights, null);
  assert.equal(model.variants[0]!.weightsOnDisk, undefined);
  assert.match(model.message ?? '', /^no weight pictures: .*model\.bin: 1000 bytes, but the run's 9,674 parameters make 38696$/);
  assert.ok(model.variants[0]!.store.count > 0, 'the records are shown all the same');
  fs.rmSync(bin);
  fs.symlinkSync('/dev/zero', bin);
  model = await loadRunModel([runDir], 100, 'device');
  assert.equal(model.variants[0]!.pictures.weights, null);
  assert.match(model.message ?? '', /^no weight pictures: cannot read .*model\.bin: it is a symbolic link to \/dev\/zero, outside /);
  // no model.bin at all (a run that did not end): no pictures, nothing to say
  fs.rmSync(bin);
  model = await loadRunModel([runDir], 100, 'none');
  assert.equal(model.variants[0]!.pictures.weights, null);
  assert.equal(model.message, null);
});

test('a run of non-image data has no weight pictures', async () => {
  const dir = tmp();
  const runDir = train(dir, { dataset: { type: 'xor', samples: 200 }, layers: [8], epochs: 1 });
  const model = await loadRunModel([runDir], 100, 'xor');
  assert.equal(model.variants[0]!.pictures.weights, null);
  assert.equal(model.variants[0]!.weightsOnDisk, undefined);
  assert.equal(await weightPageFromDisk(model, model.variants[0]!.meta.name, 0), false);
});
