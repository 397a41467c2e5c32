/**
 * The training worker bundle (dist/worker.js) in a real worker_threads Worker: it trains a
 * config's variants side by side, streams batched, packed records, writes run records, stops
 * promptly on request, and reports bad input as an inputError message (never a crash).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { HostToWorker, WorkerToHost } from '../../src/shared/protocol';
import { Trainer, type StepRecord } from '../../src/engine/trainer';
import { freshStamp, timeStamp } from '../../src/runs/names';
import { RunRecorder } from '../../src/runs/record';
import { readRunRecords } from '../../src/runs/read';
import { runRecords } from '../support/steps-file';
import { trainVariant } from '../../src/node/train-session';
import { makeConfig, randomDataset } from '../support/fixtures';

const root = path.resolve(__dirname, '../../..');
const workerJs = path.join(root, 'dist/worker.js');
const assetDir = path.join(root, 'media/datasets');

function start(configText: string, onMessage: (m: WorkerToHost, w: Worker) => void, outDir: string) {
  const w = new Worker(workerJs);
  const msgs: WorkerToHost[] = [];
  const done = new Promise<WorkerToHost[]>((resolve, reject) => {
    w.on('message', (m: WorkerToHost) => {
      msgs.push(m);
      onMessage(m, w);
      if (m.type === 'finished' || m.type === 'inputError' || m.type === 'crashed') {
        void w.terminate();
        resolve(msgs);
      }
    });
    w.on('error', reject);
  });
  const file = path.join(outDir, 'x.mlp.json');
  const msg: HostToWorker = { type: 'start', configText, configFile: file, outDir, assetDir, postIntervalMs: 50 };
  w.postMessage(msg);
  return done;
}

const spiral = (epochs: number) => JSON.stringify({
  dataset: { type: 'spiral', samples: 300, classes: 3 },
  layers: [16, 16], activation: 'tanh', batchSize: 8, epochs, seed: 3,
  variants: [{ name: 'a' }, { name: 'b', activation: 'relu' }],
});

test('the worker trains every variant and streams batched records', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-worker-'));
  const msgs = await start(spiral(3), () => {}, out);
  const started = msgs.find((m) => m.type === 'started');
  assert.ok(started && started.type === 'started');
  assert.deepEqual(started.variants, ['a', 'b']);
  const records = msgs.filter((m) => m.type === 'packedRecords');
  const steps = records.reduce((a, m) => a + (m.type === 'packedRecords' ? m.count : 0), 0);
  const totalSteps = 2 * 3 * Math.ceil(240 / 8);
  assert.equal(steps, totalSteps, 'every step is recorded with probes every 1');
  assert.ok(records.length < totalSteps / 4, `records come batched: ${records.length} messages for ${totalSteps} steps`);
  const dones = msgs.filter((m) => m.type === 'variantDone');
  assert.equal(dones.length, 2);
  for (const d of dones) {
    if (d.type !== 'variantDone') continue;
    assert.equal(d.summary.status, 'completed');
    assert.equal(runRecords(d.runDir).records.length, totalSteps / 2 + 3);
    assert.ok(fs.existsSync(path.join(d.runDir, 'model.json')));
  }
  assert.deepEqual(msgs.at(-1), { type: 'finished', stopped: false });
});

test('stop ends training promptly and keeps the run as stopped', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-worker-'));
  let sentAt = 0;
  const msgs = await start(spiral(100000), (m, w) => {
    if (m.type === 'packedRecords' && m.count && !sentAt) {
      sentAt = performance.now();
      w.postMessage({ type: 'stop' } satisfies HostToWorker);
    }
  }, out);
  const doneAt = performance.now();
  const dones = msgs.flatMap((m) => (m.type === 'variantDone' ? [m] : []));
  assert.deepEqual(dones.map((d) => d.summary.status), ['stopped', 'stopped'], 'both variants, trained side by side, stop');
  const done = dones[0]!;
  const fin = msgs.at(-1)!;
  assert.ok(fin.type === 'finished' && fin.stopped && typeof fin.stopMs === 'number' && fin.stopMs >= 0 && fin.stopMs < 5000, JSON.stringify(fin));
  const summary = JSON.parse(fs.readFileSync(path.join(done.runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'stopped');
  // measured, not a speed goal: the worker notices stop at its next slice (about 50 ms)
  console.log(`stop -> finished in ${(doneAt - sentAt).toFixed(0)} ms`);
});

test('bad input comes back as an inputError naming the file and position', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-worker-'));
  const msgs = await start('{ "dataset": { "type": "digits" }, "layers": [8], "lr": -1 }', () => {}, out);
  const err = msgs.at(-1)!;
  assert.equal(err.type, 'inputError');
  if (err.type !== 'inputError') return;
  assert.match(err.message, /\$\.lr/);
  assert.equal(err.file, path.join(out, 'x.mlp.json'));
  assert.equal(err.line, 1);
  assert.ok(err.column! > 40);
});

test('runs of one config started within the same second get folders of their own', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-worker-'));
  const dirsOf = (msgs: WorkerToHost[]) => msgs.flatMap((m) => (m.type === 'started' ? m.runDirs : []));
  const first = dirsOf(await start(spiral(1), () => {}, out));
  // pretend the next run starts in the same second: its would-be folders already exist
  const second = dirsOf(await start(spiral(1), () => {}, out));
  const third = dirsOf(await start(spiral(1), () => {}, out));
  const all = [...first, ...second, ...third];
  assert.equal(all.length, 6);
  assert.equal(new Set(all).size, 6, all.join('\n'));
  for (const d of all) {
    assert.ok(fs.existsSync(path.join(d, 'summary.json')), d);
    // each folder holds its own run: one metrics line per step of one run
    assert.equal(JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8')).status, 'completed');
  }
  // the names keep <time>-<config>-<variant>, with ".2", ".3" on the time when it repeats
  for (const d of all) assert.match(path.basename(d), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(\.\d+)?-x-[ab]$/);
});

test('freshStamp: the time, or the time with .2, .3 when a run of that second has any of the folders', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-stamp-'));
  const now = new Date('2026-11-28T02:41:21.500Z');
  const t = timeStamp(now);
  const x = [{ name: 'x', variant: 'a' }, { name: 'x', variant: 'b' }];
  assert.equal(freshStamp(out, x, now), t);
  fs.mkdirSync(path.join(out, `${t}-x-b`));
  assert.equal(freshStamp(out, x, now), `${t}.2`);
  fs.mkdirSync(path.join(out, `${t}.2-x-a`));
  assert.equal(freshStamp(out, x, now), `${t}.3`);
  assert.equal(freshStamp(out, [{ name: 'y', variant: 'a' }], now), t, 'another config of the same second keeps the plain time');
});

test('metrics.jsonl (--jsonl): lines wait in memory for whole-line writes: at 64 KB, at the end of every slice, before the summary, at close', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-lines-'));
  const cfg = makeConfig({ layers: [8, 8], epochs: 3, batchSize: 8 });
  const meta = { parameters: 1, stepsPlanned: 1, batchSize: 8, kernel: 'k' };
  const lines = (d: string) => fs.readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
  const rec = new RunRecorder(path.join(dir, 'direct'), cfg, null, meta, 'jsonl');
  const epoch = (n: number) => ({ kind: 'epoch' as const, epoch: n, step: n, train: { loss: 1, accuracy: 0.5 }, test: null });
  rec.line(epoch(1));
  rec.line(epoch(2));
  assert.equal(lines(rec.dir).length, 0, 'not written yet');
  rec.flush();
  assert.deepEqual(lines(rec.dir).map((l) => JSON.parse(l).epoch), [1, 2]);
  // 64 KB of lines go out on their own, whole
  const size = JSON.stringify(epoch(3)).length + 1;
  const n = Math.ceil((64 * 1024) / size);
  for (let i = 0; i < n - 1; i++) rec.line(epoch(3));
  assert.equal(lines(rec.dir).length, 2);
  rec.line(epoch(3));
  assert.equal(lines(rec.dir).length, 2 + n);
  rec.line(epoch(4));
  rec.writeSummary();
  assert.equal(lines(rec.dir).length, 3 + n, 'the summary is never ahead of the lines');
  rec.line(epoch(5));
  await rec.close();
  assert.equal(lines(rec.dir).at(-1), JSON.stringify(epoch(5)));
  // a training session: every slice's lines are on disk when the slice ends
  const trainer = new Trainer(cfg, randomDataset(400, 2, 3, 5, 40));
  const rec2 = new RunRecorder(path.join(dir, 'session'), cfg, null, meta, 'jsonl');
  let records = 0, slices = 0;
  await trainVariant(trainer, null, {
    recorder: rec2, sliceMs: 1,
    onStep: () => records++, onEpoch: () => records++,
    onSlice: () => { slices++; assert.equal(lines(rec2.dir).length, records, `slice ${slices}`); },
  });
  assert.ok(slices > 3, `${slices} slices`);
  assert.equal(lines(rec2.dir).length, records);
  trainer.dispose();
});

test('metrics lines read back streamed: any chunk size gives the same records, lines cut across chunks and UTF-8 intact', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-read-'));
  const lines: string[] = [];
  const steps: unknown[] = [], epochs: unknown[] = [], bad: number[] = [];
  for (let i = 1; i <= 300; i++) {
    // two- and three-byte characters, so some chunk boundaries fall inside one
    const rec = { kind: 'step', step: i, note: 'é→ü'.repeat(i % 7), values: Array.from({ length: i % 13 }, (_, j) => j / 3) };
    lines.push(JSON.stringify(rec));
    steps.push(rec);
    if (i % 50 === 0) {
      const e = { kind: 'epoch', epoch: i / 50, step: i };
      lines.push(JSON.stringify(e));
      epochs.push(e);
    }
    if (i === 120) { lines.push('{"kind":"step","ste'); bad.push(lines.length); }
    if (i === 121) lines.push('');
    if (i === 122) { lines.push('{"kind":"other"}'); bad.push(lines.length); }
    if (i === 130) lines[lines.length - 1] += '\r'; // a line ending edited to CRLF
  }
  const text = lines.join('\n'); // the last line without its newline
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), text);
  for (const chunk of [7, 64, 1000, 1 << 20]) {
    const gotSteps: unknown[] = [], gotEpochs: unknown[] = [];
    let calls = 0;
    // any object of a record's kind passes (the record checks are validate.ts's, tested in hostile-runs)
    const kindOnly = (v: unknown) => (v as { kind?: string }).kind === 'step' || (v as { kind?: string }).kind === 'epoch' ? v as StepRecord : 'no kind';
    const { badLines } = await readRunRecords(dir, kindOnly, (s, e) => { calls++; gotSteps.push(...s); gotEpochs.push(...e); }, { chunk });
    assert.deepEqual(gotSteps, steps, `chunk ${chunk}: steps`);
    assert.deepEqual(gotEpochs, epochs, `chunk ${chunk}: epochs`);
    assert.deepEqual(badLines, bad, `chunk ${chunk}: the unreadable lines by number`);
    if (chunk <= 1000) assert.ok(calls > 10, `chunk ${chunk}: streamed in ${calls} parts`);
  }
  fs.rmSync(dir, { recursive: true });
});
