/**
 * The side view's inspection pipeline off the extension host: InspectSession (validate, dataset
 * cache, inspect, cancellation) and InspectClient + dist/inspect-worker.js (a real worker
 * thread: results, superseded requests cancelled, a crash answered, not hung).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { InspectSession } from '../../src/engine/inspect/session';
import type { DataIO } from '../../src/engine/types';
import { setupKernels } from '../../src/node/kernel-setup';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { InspectClient } from '../../src/sideview/inspect-client';
import { ROOT, tmp } from '../support/cli';

// the kernel path the inspection worker picks (it calls setupKernels too), so results compare exactly
setupKernels();
const assets = findAssetDir();
const lectureFile = path.join(ROOT, 'examples/lecture.mlp.json');
const lecture = fs.readFileSync(lectureFile, 'utf8');

/** nodeDataIO that counts asset and file reads. */
function countingIO(dir: string, counts: { asset: number; text: number }): DataIO {
  const io = nodeDataIO(dir, assets);
  return {
    readAsset: (n) => { counts.asset++; return io.readAsset(n); },
    readText: (p) => { counts.text++; return io.readText(p); },
  };
}

describe('InspectSession', () => {
  test('the dataset is loaded once across edits; unchanged networks are reused', async () => {
    const counts = { asset: 0, text: 0 };
    const s = new InspectSession((f) => countingIO(path.dirname(f), counts));
    const a = await s.run(lecture, lectureFile);
    assert.equal(a.kind, 'ok');
    if (a.kind !== 'ok') return;
    assert.equal(a.timings.datasetCached, false);
    assert.equal(a.inspection.variants.length, 3);
    const b = await s.run(lecture.replace('"lr": 0.1', '"lr": 0.2'), lectureFile);
    assert.equal(b.kind, 'ok');
    if (b.kind !== 'ok') return;
    assert.equal(b.timings.datasetCached, true);
    assert.equal(b.timings.reused, 3, 'lr does not change any network');
    const c = await s.run(lecture.replace('"activation": "relu"', '"activation": "tanh"'), lectureFile);
    assert.equal(c.kind === 'ok' && c.timings.reused, 2, 'one variant changed');
    assert.equal(counts.asset, 1, 'digits read once');
  });
  test('broken JSON: invalid with the syntax issue and its position; nothing loaded', async () => {
    const counts = { asset: 0, text: 0 };
    const s = new InspectSession((f) => countingIO(path.dirname(f), counts));
    const o = await s.run(lecture.replace('"lr": 0.1,', '"lr": 0.1'), lectureFile);
    assert.equal(o.kind, 'invalid');
    if (o.kind !== 'invalid') return;
    assert.equal(o.issues[0]!.kind, 'syntax');
    assert.equal(o.issues[0]!.line, 9, 'the missing comma is reported at the next property');
    assert.equal(counts.asset, 0);
  });
  test('a CSV is re-read every run but re-parsed only when its text changed; its errors are data problems', async () => {
    const dir = tmp('mlp-lens-session-');
    const csv = path.join(dir, 'd.csv');
    fs.writeFileSync(csv, 'a,b,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2 ? 'x' : 'y'}`).join('\n'));
    const file = path.join(dir, 'c.mlp.json');
    const text = JSON.stringify({ dataset: { type: 'csv', path: 'd.csv', label: 'label' }, layers: [8], batchSize: 8 });
    const s = new InspectSession((f) => nodeDataIO(path.dirname(f), assets));
    const a = await s.run(text, file);
    assert.equal(a.kind === 'ok' && a.timings.datasetCached, false);
    const b = await s.run(text, file);
    assert.equal(b.kind === 'ok' && b.timings.datasetCached, true);
    fs.appendFileSync(csv, '\n1,2,z');
    const c = await s.run(text, file);
    assert.equal(c.kind === 'ok' && c.timings.datasetCached, false);
    assert.equal(c.kind === 'ok' && c.inspection.dataset.classes, 3);
    fs.appendFileSync(csv, '\n1,oops,z');
    const d = await s.run(text, file);
    assert.equal(d.kind, 'dataError');
    if (d.kind !== 'dataError') return;
    assert.equal(d.problem.path, '$.dataset.path');
    assert.equal(d.problem.file, 'd.csv');
    assert.equal(d.problem.line, 43);
    assert.match(d.problem.message, /column 'b': 'oops' is not a number/);
    const e = await s.run(JSON.stringify({ dataset: { type: 'csv', path: 'nope.csv', label: 'label' }, layers: [8] }), file);
    assert.equal(e.kind === 'dataError' && e.problem.path, '$.dataset.path');
    const f = await s.run(JSON.stringify({ dataset: { type: 'csv', path: 'd.csv', label: 'Label' }, layers: [8] }), file);
    assert.equal(f.kind === 'dataError' && f.problem.path, '$.dataset.label');
  });
  test('cancelled: stops after validation, or between variants', async () => {
    const s = new InspectSession((f) => nodeDataIO(path.dirname(f), assets));
    assert.equal((await s.run(lecture, lectureFile, () => true)).kind, 'cancelled');
    let checks = 0;
    assert.equal((await s.run(lecture, lectureFile, () => ++checks > 2)).kind, 'cancelled');
    assert.equal(checks, 3, 'after validation, after the dataset, before the second variant');
  });
});

describe('InspectClient + the inspection worker', () => {
  const worker = path.join(ROOT, 'dist/inspect-worker.js');
  const client = new InspectClient(worker, assets);
  after(() => client.dispose());
  test('inspects in the worker; the result is what the session computes in-process', async () => {
    const o = await client.request(lecture, lectureFile);
    assert.equal(o.kind, 'ok');
    const local = await new InspectSession((f) => nodeDataIO(path.dirname(f), assets)).run(lecture, lectureFile);
    if (o.kind !== 'ok' || local.kind !== 'ok') return;
    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'ms' || k === 'cached' ? undefined : v)));
    assert.deepEqual(strip(o.inspection), strip(local.inspection));
  });
  test('a newer request supersedes older ones: they resolve cancelled, the newest gets its result', async () => {
    const texts = [0.11, 0.12, 0.13, 0.14].map((lr) => lecture.replace('"lr": 0.1', `"lr": ${lr}`).replace('"seed": 0', `"seed": ${Math.round(lr * 100)}`));
    const results = await Promise.all(texts.map((t) => client.request(t, lectureFile)));
    assert.deepEqual(results.map((r) => r.kind), ['cancelled', 'cancelled', 'cancelled', 'ok']);
    const last = results[3]!;
    assert.ok(last.kind === 'ok' && last.inspection.variants[0]!.lr === 0.14);
  });
  test('an exception in the worker is answered (crashed), and the next request works', async () => {
    const bad = await client.request(lecture, '/nonexistent-dir/\u0000bad.mlp.json');
    assert.ok(bad.kind === 'crashed' || bad.kind === 'ok' || bad.kind === 'dataError', bad.kind);
    const ok = await client.request(lecture, lectureFile);
    assert.equal(ok.kind, 'ok');
  });
});
