/**
 * metrics.bin (src/runs/steps-format.ts): every number read back is the number the engine's step
 * record held, on every kernel path, short last batches and wide counts included; the JSON-lines
 * form reads the same; torn and corrupted frames; the header checked against the config;
 * convert both ways; openRunTail following a file a child process appends to in pieces.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { availableKernelPaths, type KernelPath } from '../../src/engine/kernel-path';
import { copyStepRecord, Trainer, type EpochRecord, type StepRecord } from '../../src/engine/trainer';
import type { Dataset, ResolvedConfig } from '../../src/engine/types';
import { trainVariant } from '../../src/node/train-session';
import { convertRun } from '../../src/runs/convert';
import { columnStride, loadRunModel } from '../../src/runs/loader';
import { ColumnStore } from '../../src/shared/columns';
import { readRunRecords } from '../../src/runs/read';
import { RunRecorder, type RecordFormat } from '../../src/runs/record';
import { runMeta } from '../../src/runs/summary';
import { openRunTail } from '../../src/runs/tail';
import { checkRecord } from '../../src/runs/validate';
import { makeConfig, randomDataset } from '../support/fixtures';
import { tmp } from '../support/cli';


/** Trains `cfg` on `data` into `dir` in `format`; the engine's own records, copied. */
async function trainInto(dir: string, cfg: ResolvedConfig, data: Dataset, format: RecordFormat, kernel?: KernelPath): Promise<{ steps: StepRecord[]; epochs: EpochRecord[] }> {
  const trainer = new Trainer(cfg, data, 'float32', kernel);
  const rec = new RunRecorder(dir, cfg, null, runMeta(trainer), format);
  const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
  await trainVariant(trainer, null, { recorder: rec, sliceMs: 2, onStepTransient: true, onStep: (r) => steps.push(copyStepRecord(r)), onEpoch: (r) => epochs.push(r) });
  trainer.dispose();
  assert.equal(rec.failure, null);
  return { steps, epochs };
}

async function readBack(dir: string, cfg: ResolvedConfig) {
  const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
  const m = await readRunRecords(dir, (v) => checkRecord(v, cfg), (s, e) => { steps.push(...s); epochs.push(...e); }, { chunk: 4096 });
  return { steps, epochs, m };
}

/** A record as JSON would give it back (NaN and infinities become null). */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const CASES: { name: string; cfg: ResolvedConfig; data: () => Dataset }[] = [
  {
    // 250 examples in batches of 24: the last batch of every epoch has 10 rows
    name: 'three activations, short last batch',
    cfg: makeConfig({ layers: [16, 12, 8], activation: ['relu', 'sigmoid', 'tanh'], batchSize: 24, epochs: 2 }),
    data: () => randomDataset(250, 6, 3, 5, 40),
  },
  {
    // 300 rows: per-unit counts in 2 bytes, 300 x 256 entries: histogram counts in 4
    name: 'wide counts',
    cfg: makeConfig({ layers: [256, 4], activation: ['leaky_relu', 'relu'], batchSize: 300, epochs: 2 }),
    data: () => randomDataset(700, 5, 2, 9),
  },
];

for (const kernel of availableKernelPaths()) {
  for (const c of CASES) {
    test(`${kernel}, ${c.name}: metrics.bin reads back every number of the engine's records exactly; metrics.jsonl the same`, async () => {
      const dir = tmp('mlp-bin-');
      const data = c.data();
      const engine = await trainInto(path.join(dir, 'bin'), c.cfg, data, 'binary', kernel);
      await trainInto(path.join(dir, 'jsonl'), c.cfg, data, 'jsonl', kernel);
      const bin = await readBack(path.join(dir, 'bin'), c.cfg);
      const txt = await readBack(path.join(dir, 'jsonl'), c.cfg);
      assert.equal(bin.m.format, 'binary');
      assert.equal(txt.m.format, 'jsonl');
      assert.equal(bin.m.badCount, 0, bin.m.problems.join('; '));
      assert.ok(engine.steps.length > 3);
      // exact: doubles stay doubles, per-unit fractions come back as count / rows
      assert.deepStrictEqual(bin.steps, engine.steps);
      assert.deepStrictEqual(bin.epochs, engine.epochs);
      assert.deepStrictEqual(viaJson(txt.steps), viaJson(engine.steps));
      assert.deepStrictEqual(viaJson(bin.steps), viaJson(txt.steps));
      assert.deepStrictEqual(viaJson(bin.epochs), viaJson(txt.epochs));
      // convert: binary -> jsonl gives the JSON form's records; jsonl -> binary the binary form's
      await convertRun(path.join(dir, 'bin'), 'jsonl', true);
      assert.ok(!fs.existsSync(path.join(dir, 'bin', 'metrics.bin')));
      const back = await readBack(path.join(dir, 'bin'), c.cfg);
      assert.deepStrictEqual(viaJson(back.steps), viaJson(engine.steps));
      assert.deepStrictEqual(back.epochs, engine.epochs);
      await convertRun(path.join(dir, 'jsonl'), 'binary');
      assert.ok(fs.existsSync(path.join(dir, 'jsonl', 'metrics.jsonl')), 'the other form is kept without --replace');
      const conv = await readBack(path.join(dir, 'jsonl'), c.cfg);
      assert.equal(conv.m.format, 'binary');
      assert.deepStrictEqual(viaJson(conv.steps), viaJson(engine.steps));
      assert.deepStrictEqual(conv.epochs, engine.epochs);
    });
  }
}

/** A small binary run to corrupt: its folder, config, frame size and data offset. */
async function smallRun(): Promise<{ dir: string; cfg: ResolvedConfig; fb: number; d: number; frames: number; steps: StepRecord[] }> {
  const dir = path.join(tmp('mlp-bin-bad-'), 'run');
  const cfg = makeConfig({ layers: [8, 8], batchSize: 16, epochs: 1 });
  const { steps } = await trainInto(dir, cfg, randomDataset(160, 3, 3, 2), 'binary');
  const raw = fs.readFileSync(path.join(dir, 'metrics.bin'));
  const h = JSON.parse(raw.subarray(12, 12 + raw.readUInt32LE(8)).toString()) as { frameBytes: number; dataOffset: number };
  return { dir, cfg, fb: h.frameBytes, d: h.dataOffset, frames: (raw.length - h.dataOffset) / h.frameBytes, steps };
}

test('a torn last frame and a last frame whose CRC fails are dropped; a bad CRC in the middle is one bad record, reading goes on', async () => {
  const { dir, cfg, fb, d, frames, steps } = await smallRun();
  assert.equal(frames, 10);
  const file = path.join(dir, 'metrics.bin');
  fs.truncateSync(file, d + 9 * fb + 17); // killed in the middle of frame 10
  let r = await readBack(dir, cfg);
  assert.equal(r.m.badCount, 0);
  assert.deepStrictEqual(r.steps, steps.slice(0, 9));
  const raw = fs.readFileSync(file);
  raw[d + 8 * fb + 30] ^= 0x40; // the last whole frame
  raw[d + 3 * fb + 5] ^= 0x01; // one in the middle
  fs.writeFileSync(file, raw.subarray(0, d + 9 * fb));
  r = await readBack(dir, cfg);
  assert.deepStrictEqual(r.steps.map((s) => s.step), [1, 2, 3, 5, 6, 7, 8]);
  assert.equal(r.m.badCount, 1);
  assert.match(r.m.problems[0]!, /^frame 4: its CRC does not match/);
});

test('metrics.bin\'s header must be the one the config implies: refused with the reason', async () => {
  const { dir, cfg } = await smallRun();
  const file = path.join(dir, 'metrics.bin');
  const good = fs.readFileSync(file);
  const n = good.readUInt32LE(8);
  const header = JSON.parse(good.subarray(12, 12 + n).toString()) as Record<string, unknown> & { fields: { name: string; dtype: string }[] };
  const withHeader = (h: unknown) => {
    const json = Buffer.from(JSON.stringify(h));
    const head = Buffer.alloc(12);
    head.write('MLPLSTP1');
    head.writeUInt32LE(json.length, 8);
    return Buffer.concat([head, json, Buffer.alloc(8 - ((12 + json.length) % 8 || 8))]);
  };
  const cases: [string, Buffer, RegExp][] = [
    ['magic', Buffer.concat([Buffer.from('MLPLSTP2'), good.subarray(8)]), /does not start with MLPLSTP1/],
    ['huge header', Buffer.concat([good.subarray(0, 8), Buffer.from([0xff, 0xff, 0xff, 0x7f]), Buffer.alloc(100)]), /header is 2147483647 bytes/],
    ['cut header', good.subarray(0, 40), /cut short/],
    ['not JSON', withHeader('x'.repeat(20)).fill(0x7b, 12, 20), /not JSON/],
    ['frameBytes', withHeader({ ...header, frameBytes: 1 << 30 }), /frames are 1073741824 bytes/],
    ['fields', withHeader({ ...header, fields: header.fields.slice(1) }), /fields are not those/],
    ['dtype', withHeader({ ...header, fields: header.fields.map((f) => (f.name === 'loss' ? { ...f, dtype: '<f4' } : f)) }), /fields are not those/],
  ];
  for (const [name, bytes, why] of cases) {
    fs.writeFileSync(file, bytes);
    await assert.rejects(readBack(dir, cfg), why, name);
  }
  // a config with other layers does not read these frames
  fs.writeFileSync(file, good);
  await assert.rejects(readRunRecords(dir, (v) => checkRecord(v, cfg), () => {}, { config: { ...cfg, layers: [8, 9] } }), /fields are not those/);
});

test('openRunTail: a child process appends frames and epoch lines in pieces, a frame split across writes waits for its end', async () => {
  const { dir, fb, d, steps } = await smallRun();
  const whole = fs.readFileSync(path.join(dir, 'metrics.bin'));
  const epochText = fs.readFileSync(path.join(dir, 'epochs.jsonl'));
  const follow = path.join(path.dirname(dir), 'follow');
  fs.mkdirSync(follow);
  for (const f of ['config.json', 'summary.json']) fs.copyFileSync(path.join(dir, f), path.join(follow, f));
  fs.writeFileSync(path.join(follow, 'metrics.bin'), '');
  fs.writeFileSync(path.join(follow, 'epochs.jsonl'), '');
  // the writer: appends the bytes it is told to, then says "ok"
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs');
    const bin = fs.readFileSync(process.argv[1]), ep = fs.readFileSync(process.argv[2]);
    let buf = '';
    process.stdin.on('data', (c) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\\n')) >= 0) {
        const [file, a, b] = buf.slice(0, nl).split(' '); buf = buf.slice(nl + 1);
        const src = file === 'bin' ? bin : ep;
        fs.appendFileSync(process.argv[file === 'bin' ? 3 : 4], src.subarray(+a, +b));
        process.stdout.write('ok\\n');
      }
    });`, path.join(dir, 'metrics.bin'), path.join(dir, 'epochs.jsonl'), path.join(follow, 'metrics.bin'), path.join(follow, 'epochs.jsonl')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const acks: (() => void)[] = [];
  child.stdout.on('data', (b: Buffer) => { for (let i = 0; i < b.toString().split('\n').length - 1; i++) acks.shift()?.(); });
  const append = (file: 'bin' | 'ep', a: number, b: number) => new Promise<void>((resolve) => { acks.push(resolve); child.stdin.write(`${file} ${a} ${b}\n`); });
  try {
    const tail = openRunTail(follow);
    const got: StepRecord[] = [];
    const epochs: EpochRecord[] = [];
    const read = async () => { const r = await tail.read(); got.push(...r.steps); epochs.push(...r.epochs); assert.deepEqual(r.problems, []); return r; };
    // the header in two pieces: nothing yet
    await append('bin', 0, 10);
    assert.equal((await read()).steps.length, 0);
    let at = 10;
    // then frames in pieces of 0.4, 1.7, 2.5, 0.2 frames ...: each read has the whole frames written so far
    for (const piece of [d - 10 + Math.round(0.4 * fb), Math.round(1.7 * fb), Math.round(2.5 * fb), Math.round(0.2 * fb), 3, Math.round(2.1 * fb)]) {
      await append('bin', at, at + piece);
      at += piece;
      await read();
      assert.equal(got.length, Math.max(0, Math.floor((at - d) / fb)), `after ${at} bytes`);
    }
    // an epoch line in two pieces
    const half = Math.floor(epochText.length / 2);
    await append('ep', 0, half);
    assert.equal((await read()).epochs.length, 0);
    await append('ep', half, epochText.length);
    await append('bin', at, whole.length);
    await read();
    assert.equal(tail.format, 'binary');
    assert.deepStrictEqual(got, steps);
    assert.equal(epochs.length, 1);
    assert.equal((await read()).steps.length, 0, 'nothing new');
  } finally {
    child.kill();
  }
});

test('Open Run reads metrics.bin into the history packed: the same columns as pushing every record (bit for bit; averaged as read past EXACT_RECORDS, up to rounding); bad frames left out', async () => {
  const dir = path.join(tmp('mlp-bin-cols-'), 'run');
  // 2,400 steps into 100 columns: a stride of 32, the last column partly filled
  const cfg = makeConfig({ layers: [10, 7], activation: ['relu', 'tanh'], batchSize: 10, epochs: 24 });
  const { steps } = await trainInto(dir, cfg, randomDataset(995, 3, 3, 4), 'binary');
  assert.equal(steps.length, 2400);
  const expected = (records: StepRecord[]) => { const s = new ColumnStore(100); for (const r of records) s.push(r); return s; };
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!, y = b[i]!;
      assert.ok(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)) || (tol > 0 && Math.abs(x - y) <= tol * Math.max(1, Math.abs(y))), `${what}[${i}]: ${x} vs ${y}`);
    }
  };
  const compare = (got: ColumnStore, want: ColumnStore, tol = 0, tol32 = 0) => {
    assert.equal(got.count, want.count);
    assert.equal(got.stride, want.stride);
    const n = want.count;
    for (const k of ['step', 'stepFrom', 'epoch', 'n'] as const) assert.deepEqual([...got.s[k].subarray(0, n)], [...want.s[k].subarray(0, n)], k);
    for (const k of ['loss', 'accuracy', 'lr'] as const) close(got.s[k].subarray(0, n), want.s[k].subarray(0, n), tol, k);
    want.layers.forEach((L, k) => {
      for (const q of Object.keys(L.q) as (keyof typeof L.q)[]) close(got.layers[k]!.q[q].subarray(0, n), L.q[q].subarray(0, n), tol, `layer ${k} ${q}`);
      close(got.layers[k]!.units.subarray(0, n * want.meta![k]!.units), L.units.subarray(0, n * want.meta![k]!.units), tol32, `layer ${k} units`);
      close(got.layers[k]!.hist.subarray(0, n * want.meta![k]!.histBins), L.hist.subarray(0, n * want.meta![k]!.histBins), tol32, `layer ${k} hist`);
    });
  };
  let model = await loadRunModel([dir], 100, 'cols');
  compare(model.variants[0]!.store, expected(steps));
  // a run past EXACT_RECORDS: its frames averaged into the columns as they are read, the same up to rounding
  const averaged = new ColumnStore(100);
  await readRunRecords(dir, (v) => checkRecord(v, cfg), () => {}, {
    chunk: 7 * 1000, // columns of 32 frames cut across chunks
    packed: (meta, data, count, _last, _epochs, means) => averaged.pushMeans(meta, data, count, means!.weights, means!.stepFrom, means!.stride),
    stride: (frames) => columnStride(frames, 100),
  });
  compare(averaged, expected(steps), 1e-12, 1e-6);
  assert.equal(model.variants[0]!.epochs.length, 24);
  assert.equal(model.message, null);
  // a frame in the middle corrupted: left out of its column, reported
  const file = path.join(dir, 'metrics.bin');
  const raw = fs.readFileSync(file);
  const fb = (JSON.parse(raw.subarray(12, 12 + raw.readUInt32LE(8)).toString()) as { frameBytes: number }).frameBytes;
  raw[raw.length - 1000 * fb + 40] ^= 4; // step 1401
  fs.writeFileSync(file, raw);
  model = await loadRunModel([dir], 100, 'cols');
  compare(model.variants[0]!.store, expected(steps.filter((s) => s.step !== 1401)));
  assert.match(model.message ?? '', /record 1401; frame 1401: its CRC does not match/);
});
