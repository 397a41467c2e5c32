/**
 * Pause, Step and Resume in the training worker (dist/worker.js in a real worker_threads
 * Worker): paused, each Step trains exactly one minibatch of each variant and posts it at once
 * with its probes recorded; Resume goes on to the end. And 'continue': a run the worker stopped,
 * continued by the worker, holds byte for byte the records and weights of a run that never stopped.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { HostToWorker, WorkerToHost } from '../../src/shared/protocol';

const root = path.resolve(__dirname, '../../..');
const workerJs = path.join(root, 'dist/worker.js');
const assetDir = path.join(root, 'media/datasets');

/** A worker and its messages, with a way to wait for one that passes a test. */
function open() {
  const w = new Worker(workerJs);
  const msgs: WorkerToHost[] = [];
  let waiters: { ok: (m: WorkerToHost) => boolean; resolve: (m: WorkerToHost) => void }[] = [];
  w.on('message', (m: WorkerToHost) => {
    msgs.push(m);
    for (const x of waiters.filter((x) => x.ok(m))) x.resolve(m);
    waiters = waiters.filter((x) => !x.ok(m));
  });
  const next = (ok: (m: WorkerToHost) => boolean) => new Promise<WorkerToHost>((resolve) => waiters.push({ ok, resolve }));
  const send = (m: HostToWorker) => w.postMessage(m);
  return { w, msgs, next, send };
}

const config = (epochs: number) => JSON.stringify({
  dataset: { type: 'spiral', samples: 300, classes: 3 },
  layers: [16, 16], activation: 'tanh', batchSize: 8, epochs, seed: 3, probes: { every: 50 },
  variants: [{ name: 'a' }, { name: 'b', activation: 'relu' }],
});

test('paused, every Step trains exactly one minibatch of each variant, posted at once with its probes; Resume goes on', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-pause-'));
  const { w, msgs, next, send } = open();
  const file = path.join(out, 'x.mlp.json');
  send({ type: 'start', configText: config(20), configFile: file, outDir: out, assetDir, postIntervalMs: 50 });
  await next((m) => m.type === 'packedRecords' && m.count > 0);
  send({ type: 'pause' });
  assert.deepEqual(await next((m) => m.type === 'paused'), { type: 'paused', paused: true });
  // each variant, held, posts where it is held
  const heldAt = new Map<string, number>();
  await Promise.all(['a', 'b'].map((v) => next((m) => m.type === 'packedRecords' && m.variant === v && msgs.indexOf(m) > msgs.findIndex((x) => x.type === 'paused'))
    .then((m) => { if (m.type === 'packedRecords') heldAt.set(v, m.progress.step); })));
  for (let k = 1; k <= 3; k++) {
    const got = Promise.all(['a', 'b'].map((v) => next((m) => m.type === 'packedRecords' && m.variant === v && m.count > 0)));
    send({ type: 'step' });
    for (const m of await got) {
      assert.ok(m.type === 'packedRecords');
      assert.equal(m.progress.step, heldAt.get(m.variant)! + k, `${m.variant}: step ${k} advances the step by exactly one`);
      assert.equal(m.count, 1, 'the stepped step is recorded (probes on), and only it');
      assert.equal(m.data[0], m.progress.step, 'the record is that step');
    }
  }
  // nothing trains while paused
  const before = msgs.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(msgs.slice(before).filter((m) => m.type === 'packedRecords' && m.count > 0).length, 0, 'no steps while paused');
  send({ type: 'resume' });
  assert.deepEqual(await next((m) => m.type === 'paused'), { type: 'paused', paused: false });
  const fin = await next((m) => m.type === 'finished');
  assert.deepEqual(fin, { type: 'finished', stopped: false });
  for (const d of msgs.filter((m) => m.type === 'variantDone')) {
    assert.ok(d.type === 'variantDone');
    assert.equal(d.summary.status, 'completed');
    assert.equal(d.summary.steps, 20 * 30);
  }
  await w.terminate();
});

test('Stop while paused ends the run as stopped', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-pause-'));
  const { w, next, send } = open();
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  send({ type: 'start', configText: config(1000), configFile: path.join(out, 'x.mlp.json'), outDir: out, assetDir, postIntervalMs: 50, stopFlag: stopFlag.buffer as SharedArrayBuffer });
  await next((m) => m.type === 'packedRecords' && m.count > 0);
  send({ type: 'pause' });
  await next((m) => m.type === 'paused');
  Atomics.store(stopFlag, 0, 1); // the host's Stop: the flag only, no message
  const fin = await next((m) => m.type === 'finished');
  assert.ok(fin.type === 'finished' && fin.stopped);
  await w.terminate();
});

test("'continue': a run the worker stopped, continued by the worker, is byte for byte the uninterrupted run", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-pause-'));
  const text = config(40).replace('"probes":{"every":50}', '"probes":{"every":7}');
  const run = async (stopAfterFirst: boolean, dir: string) => {
    fs.mkdirSync(dir);
    const { w, msgs, next, send } = open();
    send({ type: 'start', configText: text, configFile: path.join(out, 'x.mlp.json'), outDir: dir, assetDir, postIntervalMs: 50 });
    if (stopAfterFirst) {
      await next((m) => m.type === 'packedRecords' && m.progress.step >= 40); // somewhere in epoch 2 or later
      send({ type: 'stop' });
    }
    await next((m) => m.type === 'finished');
    await w.terminate();
    return msgs.filter((m) => m.type === 'variantDone').map((m) => (m.type === 'variantDone' ? m : null)!);
  };
  const whole = await run(false, path.join(out, 'whole'));
  const part = await run(true, path.join(out, 'part'));
  assert.ok(part.every((d) => d.summary.status === 'stopped' && d.summary.steps < 40 * 30), `stopped early: ${part.map((d) => d.summary.steps)}`);
  const { w, msgs, next, send } = open();
  send({ type: 'continue', runDirs: part.map((d) => d.runDir), assetDir, postIntervalMs: 50 });
  await next((m) => m.type === 'finished');
  await w.terminate();
  const started = msgs.find((m) => m.type === 'started');
  assert.ok(started?.type === 'started');
  assert.deepEqual(started.runDirs, part.map((d) => d.runDir));
  for (const d of part) {
    const wd = whole.find((x) => x.summary.variant === d.summary.variant)!.runDir; // variants finish in either order
    for (const f of ['metrics.bin', 'epochs.jsonl', 'model.bin']) {
      assert.ok(fs.readFileSync(path.join(wd, f)).equals(fs.readFileSync(path.join(d.runDir, f))), `${f} of ${d.summary.variant}`);
    }
    const s = JSON.parse(fs.readFileSync(path.join(d.runDir, 'summary.json'), 'utf8'));
    assert.equal(s.status, 'completed');
    assert.equal(s.continued.length, 1);
  }
  // a run that cannot be continued comes back as an inputError
  const bad = open();
  bad.send({ type: 'continue', runDirs: [part[0]!.runDir], assetDir, postIntervalMs: 50 });
  const err = await bad.next((m) => m.type === 'inputError' || m.type === 'crashed');
  assert.ok(err.type === 'inputError', JSON.stringify(err));
  assert.match(err.message, /the run has trained 40 of 40 epochs: ask for more/);
  await bad.w.terminate();
});
