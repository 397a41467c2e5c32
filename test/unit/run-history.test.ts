/**
 * The panel's bounded history (src/shared/columns.ts): exact values below capacity, pairwise
 * merging beyond it (weighted means, contiguous step ranges), bounded memory for any run
 * length, and a receiver that mirrors a sender exactly through snapshots and deltas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerProbe } from '../../src/engine/probes';
import type { StepRecord } from '../../src/engine/trainer';
import { ColumnStore, freshCursor, fromBase64, LAYER_QUANTITIES, packedSize, RecordPacker, SCALARS, toBase64 } from '../../src/shared/columns';
import { Rng } from '../../src/engine/rng';

function record(step: number, units = 4, bins = 5, layers = 3): StepRecord {
  const r = new Rng(step);
  const L: LayerProbe[] = [];
  for (let k = 0; k < layers; k++) {
    const hidden = k < layers - 1;
    L.push({
      layer: k, activation: hidden ? 'sigmoid' : 'softmax',
      saturation: hidden ? r.uniform(0, 1) : null,
      unitSaturation: hidden ? Array.from({ length: units }, () => Math.floor(r.uniform(0, 33)) / 32) : undefined,
      mean: r.uniform(-1, 1), std: r.uniform(0, 1),
      histogram: hidden ? { min: 0, max: 1, counts: Array.from({ length: bins }, () => Math.floor(r.uniform(0, 50))) } : undefined,
      gradW: 10 ** r.uniform(-6, 1), gradB: r.uniform(0, 1), delta: 10 ** r.uniform(-6, 1), updateRatio: r.uniform(0, 0.01),
    });
  }
  return { kind: 'step', step, epoch: Math.floor((step - 1) / 50), loss: r.uniform(0, 3), accuracy: r.uniform(0, 1), lr: 0.1, layers: L };
}

test('below capacity every record is its own column, values exact', () => {
  const h = new ColumnStore(100);
  const recs = Array.from({ length: 37 }, (_, i) => record(i + 1));
  for (const r of recs) h.push(r);
  assert.equal(h.count, 37);
  assert.equal(h.stride, 1);
  assert.deepEqual(h.meta!.map((m) => [m.name, m.hidden, m.units, m.histBins]), [['hidden 1', true, 4, 5], ['hidden 2', true, 4, 5], ['output', false, 0, 0]]);
  recs.forEach((r, c) => {
    assert.equal(h.s.step[c], r.step);
    assert.equal(h.s.loss[c], r.loss);
    assert.equal(h.layers[1]!.q.delta[c], r.layers[1]!.delta);
    assert.ok(Number.isNaN(h.layers[2]!.q.sat[c]!), 'output saturation is missing, not 0');
    assert.equal(h.layers[0]!.units[c * 4 + 3], Math.fround(r.layers[0]!.unitSaturation![3]!));
    const counts = r.layers[0]!.histogram!.counts;
    const total = Array.from(counts).reduce((a, b) => a + b, 0);
    assert.equal(h.layers[0]!.hist[c * 5 + 2], Math.fround(counts[2]! / total));
  });
  assert.equal(h.columnOfStep(1), 0);
  assert.equal(h.columnOfStep(37), 36);
  assert.equal(h.columnOfStep(1000), 36);
});

test('beyond capacity neighbouring columns merge: contiguous steps, weighted means, powers of two', () => {
  const cap = 16;
  const h = new ColumnStore(cap);
  const recs = Array.from({ length: 1000 }, (_, i) => record(i + 1));
  for (const r of recs) h.push(r);
  assert.ok(h.count <= cap, `${h.count} columns`);
  assert.equal(h.stride, 64, '1000 records in 16 columns: 64 per column');
  let expectFrom = 1;
  for (let c = 0; c < h.count; c++) {
    assert.equal(h.s.stepFrom[c], expectFrom, `column ${c} starts where the previous ended`);
    const n = h.s.n[c]!;
    assert.equal(h.s.step[c], expectFrom + n - 1);
    const slice = recs.slice(expectFrom - 1, expectFrom - 1 + n);
    const mean = (f: (r: StepRecord) => number) => slice.reduce((a, r) => a + f(r), 0) / n;
    assert.ok(Math.abs(h.s.loss[c]! - mean((r) => r.loss)) < 1e-12);
    assert.ok(Math.abs(h.layers[0]!.q.delta[c]! - mean((r) => r.layers[0]!.delta)) < 1e-12 * mean((r) => r.layers[0]!.delta) + 1e-15);
    assert.ok(Math.abs(h.layers[1]!.units[c * 4]! - mean((r) => r.layers[1]!.unitSaturation![0]!)) < 1e-5);
    if (c < h.count - 1) assert.equal(n, h.stride, 'every column but the last is full');
    expectFrom += n;
  }
  assert.equal(expectFrom, 1001, 'the whole run is visible');
});

test('memory stays bounded however long the run', () => {
  const h = new ColumnStore(200);
  let after1k = 0;
  for (let i = 1; i <= 100_000; i++) {
    h.push(record(i, 64, 20));
    if (i === 1000) after1k = h.bytes;
  }
  assert.ok(h.count <= 200);
  assert.equal(h.bytes, after1k, 'no growth after the capacity is reached');
  assert.ok(h.bytes < 300 * 1024, `${h.bytes} bytes for 100,000 steps`);
  assert.equal(h.s.stepFrom[0], 1);
  assert.equal(h.s.step[h.count - 1], 100_000);
});

test('a receiver fed one snapshot and then deltas mirrors the sender exactly, across compactions', () => {
  const sender = new ColumnStore(32);
  const cursor = freshCursor();
  let receiver: ColumnStore | null = null;
  let messages = 0;
  let bytesAfterCompaction = 0;
  for (let i = 1; i <= 500; i++) {
    sender.push(record(i));
    if (i % 7 !== 0 && i !== 500) continue; // batched: one message per 7 records
    const block = sender.takeSince(cursor);
    if (!block) continue;
    messages++;
    if (!receiver) {
      receiver = new ColumnStore(32);
      receiver.setLayers(sender.meta!);
    }
    if (i > 100) bytesAfterCompaction = Math.max(bytesAfterCompaction, JSON.stringify(block).length);
    receiver.apply(JSON.parse(JSON.stringify(block)));
  }
  assert.ok(receiver);
  assert.equal(sender.takeSince(cursor), null, 'nothing new: no message');
  assert.equal(receiver.count, sender.count);
  assert.equal(receiver.stride, sender.stride);
  for (const k of SCALARS) assert.deepEqual(Array.from(receiver.s[k].subarray(0, receiver.count)), Array.from(sender.s[k].subarray(0, sender.count)), k);
  sender.layers.forEach((L, i) => {
    for (const q of LAYER_QUANTITIES) assert.deepEqual(Array.from(receiver!.layers[i]!.q[q].subarray(0, receiver!.count)), Array.from(L.q[q].subarray(0, sender.count)), q);
    assert.deepEqual(Array.from(receiver!.layers[i]!.units.subarray(0, receiver!.count * 4)), Array.from(L.units.subarray(0, sender.count * 4)));
  });
  assert.ok(messages < 80);
  assert.ok(bytesAfterCompaction < 8 * 1024, `deltas stay small across compactions: largest ${bytesAfterCompaction} bytes`);
});

/**
 * A message as VS Code carries it to a webview when it holds typed arrays: JSON with references
 * to the distinct ArrayBuffers (each view's offset and length), the buffers sent beside it as
 * bytes, and views made again over copies of them on the other side.
 */
function throughWebviewTransport<T>(msg: T): { msg: T; buffers: ArrayBuffer[] } {
  const buffers: ArrayBuffer[] = [];
  const json = JSON.stringify(msg, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      let index = buffers.indexOf(v.buffer as ArrayBuffer);
      if (index < 0) index = buffers.push(v.buffer as ArrayBuffer) - 1;
      return { $ref: index, type: v.constructor.name, byteOffset: v.byteOffset, byteLength: v.byteLength };
    }
    return v;
  });
  const copies = buffers.map((b) => b.slice(0));
  const kinds: Record<string, Float64ArrayConstructor | Float32ArrayConstructor> = { Float64Array, Float32Array };
  const out = JSON.parse(json, (_k, v: { $ref?: number; type: string; byteOffset: number; byteLength: number }) => {
    if (!v || typeof v !== 'object' || v.$ref === undefined) return v;
    const C = kinds[v.type]!;
    return new C(copies[v.$ref]!, v.byteOffset, v.byteLength / C.BYTES_PER_ELEMENT);
  }) as T;
  return { msg: out, buffers };
}

test('binary blocks (typed arrays, as the panel posts them) mirror the sender like base64 ones, one buffer each', () => {
  const sender = new ColumnStore(32);
  const cursor = freshCursor();
  const receiver = new ColumnStore(32);
  let largestBinary = 0, largestBase64 = 0;
  for (let i = 1; i <= 300; i++) {
    sender.push(record(i));
    if (i === 1) receiver.setLayers(sender.meta!);
    if (i % 11 !== 0 && i !== 300) continue;
    const from = cursor.final, count = sender.count;
    const block = sender.takeSince(cursor, true)!;
    const { msg, buffers } = throughWebviewTransport(block);
    assert.equal(buffers.length, 1, 'one buffer per block');
    assert.ok(buffers[0]!.byteLength > 0);
    largestBinary = Math.max(largestBinary, buffers[0]!.byteLength);
    largestBase64 = Math.max(largestBase64, JSON.stringify(sender.pack(from, count)).length);
    receiver.apply(msg);
  }
  assert.equal(receiver.count, sender.count);
  assert.deepEqual(receiver.pack(), sender.pack(), 'the same columns, base64 of the same bytes');
  assert.ok(largestBinary < 0.8 * largestBase64, `binary ${largestBinary} bytes against base64 ${largestBase64}`);
  // the views are of the block's own buffer, not the store's: the store's arrays stay its own
  const whole = sender.pack(0, sender.count, true);
  const scalars = whole.scalars.step as Float64Array;
  assert.ok(scalars.buffer !== sender.s.step.buffer);
  assert.equal(scalars.buffer.byteLength, (whole.layers[0]!.units as Float32Array).buffer.byteLength);
  // an empty block has no buffer to carry
  assert.equal(typeof sender.pack(sender.count, sender.count, true).scalars.step, 'string');
});

test('a binary block with an array of the wrong kind or length is refused', () => {
  const a = new ColumnStore(10);
  for (let i = 1; i <= 5; i++) a.push(record(i));
  const b = new ColumnStore(10);
  b.setLayers(a.meta!);
  const short = a.pack(0, 5, true);
  short.scalars.loss = (short.scalars.loss as Float64Array).subarray(1);
  assert.throws(() => b.apply(short), /expected 5 numbers, got 4/);
  const kind = a.pack(0, 5, true);
  kind.layers[0]!.units = new Float64Array(5 * a.meta![0]!.units) as unknown as Float32Array;
  assert.throws(() => b.apply(kind), /neither a typed array of its kind nor base64/);
});

test('packed records (as the worker transfers them) give the same history as record objects', () => {
  const a = new ColumnStore(16), b = new ColumnStore(16);
  const packer = new RecordPacker();
  for (let i = 1; i <= 300; i++) {
    const r = record(i);
    a.push(r);
    packer.add(r);
    if (i % 13 === 0 || i === 300) {
      const { data, count } = packer.take();
      assert.equal(data.length, count * packedSize(packer.meta!));
      b.pushPacked(packer.meta!, data, count);
    }
  }
  assert.deepEqual(b.pack(), a.pack());
  assert.throws(() => b.pushPacked(packer.meta!, new Float64Array(3), 1), /packed records/);
});

test('a delta that does not line up is refused', () => {
  const a = new ColumnStore(10);
  for (let i = 1; i <= 5; i++) a.push(record(i));
  const b = new ColumnStore(10);
  b.setLayers(a.meta!);
  assert.throws(() => b.apply(a.pack(3, 5)), /starts at column 3/);
});

test('base64 matches Buffer for every length and byte', () => {
  const r = new Rng(5);
  for (let n = 0; n < 300; n++) {
    const u = new Uint8Array(n).map(() => Math.floor(r.uniform(0, 256)));
    const b64 = toBase64(u);
    assert.equal(b64, Buffer.from(u).toString('base64'));
    assert.deepEqual(fromBase64(b64), u);
  }
  assert.throws(() => fromBase64('ab$d'), /bad base64/);
});
