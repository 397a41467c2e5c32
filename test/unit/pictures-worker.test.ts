/**
 * The training worker (dist/worker.js) on image data: it posts a page of first-layer weight
 * pictures and, after epochs, misclassified examples; a weightPage message moves the page; the
 * epoch records' errors are written to the run folder and read back checked, in both record
 * formats, equal to what the worker streamed. And the picture sampler's parts on their own.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { EpochRecord } from '../../src/engine/trainer';
import { Trainer } from '../../src/engine/trainer';
import { errorStrip, PictureSampler } from '../../src/node/pictures-session';
import { readCheckedRecords } from '../../src/runs/read';
import type { HostToWorker, WeightFrame, WorkerToHost } from '../../src/shared/protocol';
import { makeConfig, randomDataset } from '../support/fixtures';

const root = path.resolve(__dirname, '../../..');
const DIGITS = JSON.stringify({
  dataset: { type: 'digits', testFraction: 0.2, seed: 0 },
  layers: [96], activation: 'relu', init: 'he_normal', optimizer: 'sgd', lr: 0.1, batchSize: 16, epochs: 12, seed: 1,
});

async function run(recordFormat: 'binary' | 'jsonl'): Promise<{ msgs: WorkerToHost[]; runDir: string }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-pictures-'));
  const w = new Worker(path.join(root, 'dist/worker.js'));
  const msgs: WorkerToHost[] = [];
  let paged = false;
  await new Promise<void>((resolve, reject) => {
    w.on('message', (m: WorkerToHost) => {
      msgs.push(m);
      // the panel turns the page after the first weight frame
      if (m.type === 'pictures' && m.weights && !paged) {
        paged = true;
        w.postMessage({ type: 'weightPage', first: 64 } satisfies HostToWorker);
      }
      if (m.type === 'finished' || m.type === 'crashed' || m.type === 'inputError') resolve();
    });
    w.on('error', reject);
    const file = path.join(out, 'digits.mlp.json');
    w.postMessage({ type: 'start', configText: DIGITS, configFile: file, outDir: out, assetDir: path.join(root, 'media/datasets'), postIntervalMs: 50, recordFormat } satisfies HostToWorker);
  });
  await w.terminate();
  const done = msgs.find((m) => m.type === 'variantDone') as Extract<WorkerToHost, { type: 'variantDone' }>;
  assert.ok(done, `the run ended: ${JSON.stringify(msgs.filter((m) => m.type === 'crashed'))}`);
  return { msgs, runDir: done.runDir };
}

for (const format of ['binary', 'jsonl'] as const) {
  test(`the worker posts weight pages and misclassified examples; the errors are recorded (${format})`, async () => {
    const { msgs, runDir } = await run(format);
    const weights = msgs.flatMap((m) => (m.type === 'pictures' && m.weights ? [m.weights] : [])) as WeightFrame[];
    assert.ok(weights.length >= 2, `${weights.length} weight frames`);
    assert.deepEqual([weights[0]!.first, weights[0]!.count], [0, 64], 'the first page');
    const last = weights.at(-1)!;
    assert.deepEqual([last.first, last.count, last.layerUnits], [64, 32, 96], 'the page asked for: units 64 to 95');
    assert.equal(Buffer.from(last.pixels, 'base64').length, 32 * 64);
    const streamed = msgs.flatMap((m) => (m.type === 'packedRecords' ? m.epochs : [])) as EpochRecord[];
    assert.equal(streamed.length, 12);
    const strips = msgs.flatMap((m) => (m.type === 'pictures' && m.errors ? [m.errors] : []));
    assert.ok(strips.length >= 1 && strips.length <= 12);
    assert.equal(strips.at(-1)!.epoch, 12, 'the last epoch\'s strip is posted at the end');
    for (const s of strips) assert.deepEqual(s.index, streamed[s.epoch - 1]!.errors!.misclassified.map((m) => m[0]));
    // the run folder's epoch records, read back checked, hold the same errors
    const read: EpochRecord[] = [];
    await readCheckedRecords(runDir, (_, epochs) => read.push(...epochs));
    assert.equal(read.length, 12);
    read.forEach((r, i) => {
      assert.deepEqual(r.errors, streamed[i]!.errors, `epoch ${i + 1}`);
      assert.equal(r.errors!.confusion.flat().reduce((a, b) => a + b, 0), 359, 'the digits test split (1797 × 0.2)');
    });
  });
}

test('the picture sampler: pages clamp to the layer, strips only for image data and real test examples', () => {
  const plain = randomDataset(60, 16, 3, 2, 20);
  const trainer = new Trainer(makeConfig({ layers: [70] }), plain);
  assert.equal(PictureSampler.for(trainer, plain), null, 'no image shape: no pictures');
  const img = { ...plain, imageShape: [4, 4] as [number, number] };
  const t2 = new Trainer(makeConfig({ layers: [70] }), img);
  const s = PictureSampler.for(t2, img)!;
  const f = s.weightFrame(64, 64);
  assert.deepEqual([f.first, f.count, f.layerUnits, f.scales.length], [64, 6, 70, 6]);
  assert.equal(Buffer.from(f.pixels, 'base64').length, 6 * 16);
  const due = s.due(0, true)!;
  assert.ok(due.weights && !due.errors, 'no epoch yet: weights only');
  assert.equal(s.due(1, false), null, 'nothing due right after');
  const rec: EpochRecord = { kind: 'epoch', epoch: 1, step: 4, train: { loss: 1, accuracy: 0.5 }, test: null, errors: { confusion: [[1, 0], [0, 1]], misclassified: [[3, 1], [999, 0]] } };
  const strip = errorStrip(img, rec)!;
  assert.deepEqual(strip.index, [3], 'an index past the test split is dropped');
  assert.deepEqual(strip.truth, [img.testY[3]]);
  assert.deepEqual(strip.predicted, [1]);
  assert.equal(errorStrip(plain, rec), null);
  s.epoch(rec);
  assert.ok(s.due(2, false)?.errors, 'a strip goes out at the next check');
  assert.ok(s.report().weights!.count === 70, 'the report holds every unit up to 256');
  trainer.dispose();
  t2.dispose();
});
