import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, type DataIO, type Dataset, type DatasetSpec, type SyntheticKind } from '../../src/engine/types';
import { Rng } from '../../src/engine/rng';
import {
  loadDataset,
  parseCsv,
  generateSynthetic,
  splitIndices,
  splitAndScale,
  fitStandardizer,
  parseMnistFile,
} from '../../src/engine/datasets/index';
import { findAssetDir, nodeDataIO } from '../../src/node/io';

const KINDS: SyntheticKind[] = ['spiral', 'moons', 'circles', 'xor', 'blobs'];

function counts(y: Int32Array, classes: number): number[] {
  const c = new Array<number>(classes).fill(0);
  for (const v of y) c[v]!++;
  return c;
}

function columnStats(X: Float32Array, features: number, j: number): { mean: number; std: number; min: number; max: number } {
  const n = X.length / features;
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = X[i * features + j]!;
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (X[i * features + j]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / n), min, max };
}

/** Runs fn and returns the InputError it throws (fails if it throws anything else or nothing). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an InputError');
}

async function inputErrorAsync(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an InputError');
}

// ---------------------------------------------------------------- synthetic

test('synthetic: shapes, label ranges, exact class counts, [-1,1] scale', () => {
  for (const kind of KINDS) {
    const classes = kind === 'spiral' || kind === 'blobs' ? 3 : 2;
    const { X, y } = generateSynthetic(kind, 301, classes, 0.05, 7);
    assert.equal(X.length, 602, kind);
    assert.equal(y.length, 301, kind);
    const c = counts(y, classes);
    assert.equal(c.reduce((a, b) => a + b, 0), 301);
    assert.ok(Math.max(...c) - Math.min(...c) <= 1, `${kind} balanced: ${c}`);
    for (const v of y) assert.ok(v >= 0 && v < classes);
    for (let j = 0; j < 2; j++) {
      const s = columnStats(X, 2, j);
      assert.ok(s.min > -1.5 && s.max < 1.5, `${kind} col ${j} range [${s.min}, ${s.max}]`);
      assert.ok(Math.abs(s.mean) < 0.3, `${kind} col ${j} roughly centred: ${s.mean}`);
      assert.ok(s.std > 0.2 && s.std < 1, `${kind} col ${j} spread ${s.std}`);
    }
  }
});

test('synthetic: geometry without noise', () => {
  // circles: class 0 on radius 1, class 1 on radius 0.5
  const c = generateSynthetic('circles', 100, 2, 0, 1);
  for (let i = 0; i < 100; i++) {
    const r = Math.hypot(c.X[2 * i]!, c.X[2 * i + 1]!);
    assert.ok(Math.abs(r - (c.y[i] === 0 ? 1 : 0.5)) < 1e-6, `r=${r}`);
  }
  // xor: class 0 where x*y > 0
  const x = generateSynthetic('xor', 200, 2, 0, 1);
  for (let i = 0; i < 200; i++) {
    const p = x.X[2 * i]! * x.X[2 * i + 1]!;
    assert.equal(p > 0 ? 0 : 1, x.y[i]);
    assert.ok(Math.abs(x.X[2 * i]!) >= 0.1 - 1e-6);
  }
  // spiral: radius grows from 0.05 to 1 along each arm
  const s = generateSynthetic('spiral', 40, 4, 0, 1);
  assert.ok(Math.abs(Math.hypot(s.X[0]!, s.X[1]!) - 0.05) < 1e-6);
  assert.ok(Math.abs(Math.hypot(s.X[18]!, s.X[19]!) - 1) < 1e-6);
  // blobs: the class means sit on the circle of radius 0.7
  const b = generateSynthetic('blobs', 4000, 4, 0, 3);
  for (let k = 0; k < 4; k++) {
    let mx = 0;
    let my = 0;
    for (let i = 0; i < 4000; i++) if (b.y[i] === k) (mx += b.X[2 * i]!), (my += b.X[2 * i + 1]!);
    assert.ok(Math.abs(Math.hypot(mx / 1000, my / 1000) - 0.7) < 0.02);
  }
});

test('synthetic: same seed -> identical, different seed -> different', () => {
  for (const kind of KINDS) {
    const classes = kind === 'spiral' || kind === 'blobs' ? 5 : 2;
    const a = generateSynthetic(kind, 200, classes, 0.1, 42);
    const b = generateSynthetic(kind, 200, classes, 0.1, 42);
    const c = generateSynthetic(kind, 200, classes, 0.1, 43);
    assert.deepEqual(a.X, b.X);
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(a.X, c.X, kind);
  }
});

test('synthetic: class-count and argument errors name the config key', () => {
  for (const kind of ['moons', 'circles', 'xor'] as const) {
    const e = inputError(() => generateSynthetic(kind, 100, 3, 0.1, 1));
    assert.match(e.message, /dataset\.classes must be 2/);
    assert.match(e.message, new RegExp(kind));
    assert.match(e.message, /spiral/);
  }
  assert.match(inputError(() => generateSynthetic('spiral', 100, 1, 0.1, 1)).message, /dataset\.classes must be an integer >= 2/);
  assert.match(inputError(() => generateSynthetic('blobs', 100, 2.5, 0.1, 1)).message, /dataset\.classes/);
  assert.match(inputError(() => generateSynthetic('spiral', 5, 3, 0.1, 1)).message, /dataset\.samples must be an integer of at least 6/);
  assert.match(inputError(() => generateSynthetic('moons', 100, 2, -1, 1)).message, /dataset\.noise/);
  // spiral and blobs take many classes
  assert.deepEqual(counts(generateSynthetic('spiral', 70, 7, 0.1, 1).y, 7), [10, 10, 10, 10, 10, 10, 10]);
});

// ---------------------------------------------------------------- split and standardization

test('split: sizes, stratification, disjoint cover, reproducible', () => {
  const y = new Int32Array(1000);
  for (let i = 0; i < 1000; i++) y[i] = i < 500 ? 0 : i < 800 ? 1 : 2;
  const a = splitIndices(y, 3, 0.2, new Rng(5));
  assert.equal(a.test.length, 200);
  assert.equal(a.train.length, 800);
  assert.deepEqual(counts(Int32Array.from(a.test, (i) => y[i]!), 3), [100, 60, 40]);
  const all = [...a.train, ...a.test].sort((p, q) => p - q);
  assert.deepEqual(all, Array.from({ length: 1000 }, (_, i) => i));
  const b = splitIndices(y, 3, 0.2, new Rng(5));
  assert.deepEqual(a, b);
  const c = splitIndices(y, 3, 0.2, new Rng(6));
  assert.notDeepEqual(a.test, c.test);
  // plain split: same sizes, also a partition
  const p = splitIndices(y, 3, 0.25, new Rng(5), false);
  assert.equal(p.test.length, 250);
  assert.equal(new Set([...p.train, ...p.test]).size, 1000);
  // largest-remainder rounding keeps the exact total
  const odd = splitIndices(Int32Array.from({ length: 10 }, (_, i) => i % 3), 3, 0.35, new Rng(1));
  assert.equal(odd.test.length, 4);
  // a tiny fraction still gives one test sample; 0 gives none
  assert.equal(splitIndices(y, 3, 0.0001, new Rng(1)).test.length, 1);
  assert.equal(splitIndices(y, 3, 0, new Rng(1)).test.length, 0);
  assert.match(inputError(() => splitIndices(y, 3, 1, new Rng(1))).message, /dataset\.testFraction/);
  assert.match(inputError(() => splitIndices(y, 3, -0.1, new Rng(1))).message, /dataset\.testFraction/);
});

test('split: rows follow their labels; testFraction 0 gives empty test arrays', () => {
  const n = 50;
  const X = Float32Array.from({ length: n * 3 }, (_, k) => Math.floor(k / 3) * 10 + (k % 3));
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const d = splitAndScale(X, y, 3, 2, { testFraction: 0.2, seed: 9, standardize: false });
  assert.equal(d.trainY.length, 40);
  assert.equal(d.testY.length, 10);
  assert.equal(d.trainX.length, 120);
  for (const [Xs, ys] of [[d.trainX, d.trainY], [d.testX, d.testY]] as const) {
    for (let r = 0; r < ys.length; r++) {
      const i = Xs[r * 3]! / 10; // original row index
      assert.equal(Xs[r * 3 + 2], i * 10 + 2);
      assert.equal(ys[r], i % 2);
    }
  }
  const z = splitAndScale(X, y, 3, 2, { testFraction: 0, seed: 9, standardize: true });
  assert.equal(z.trainY.length, 50);
  assert.equal(z.testX.length, 0);
  assert.equal(z.testY.length, 0);
  assert.ok(z.testX instanceof Float32Array && z.testY instanceof Int32Array);
});

test('standardization: train mean 0 / std 1, test uses train statistics, constant columns std 1', () => {
  const rng = new Rng(3);
  const n = 400;
  const X = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    X[i * 3] = 100 + 20 * rng.normal();
    X[i * 3 + 1] = -3 + 0.01 * rng.normal();
    X[i * 3 + 2] = 7; // constant
  }
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  const d = splitAndScale(X, y, 3, 4, { testFraction: 0.25, seed: 1, standardize: true });
  for (let j = 0; j < 2; j++) {
    const s = columnStats(d.trainX, 3, j);
    assert.ok(Math.abs(s.mean) < 1e-5, `mean ${s.mean}`);
    assert.ok(Math.abs(s.std - 1) < 1e-4, `std ${s.std}`);
  }
  const constant = columnStats(d.trainX, 3, 2);
  assert.equal(constant.min, 0);
  assert.equal(constant.max, 0);
  assert.deepEqual(Array.from(fitStandardizer(new Float32Array([7, 7, 7]), 1).std), [1]);
  // the test part is scaled with the train statistics: recompute them by hand from the raw rows
  const raw = splitAndScale(X, y, 3, 4, { testFraction: 0.25, seed: 1, standardize: false });
  const s0 = columnStats(raw.trainX, 3, 0);
  for (let r = 0; r < 5; r++) {
    assert.ok(Math.abs(d.testX[r * 3]! - (raw.testX[r * 3]! - s0.mean) / s0.std) < 1e-4);
  }
});

// ---------------------------------------------------------------- CSV

const IRIS_LIKE =
  'sepal_length,sepal_width,species\r\n' +
  '5.1,3.5,setosa\r\n' +
  '"7.0", 3.2 ,versicolor\r\n' +
  '6.3,3.3,"virginica"\r\n' +
  '4.9,3.0,setosa\r\n' +
  '\r\n\r\n';

test('csv: parses header, CRLF, quotes, blank trailing lines; string labels sorted', () => {
  const c = parseCsv(IRIS_LIKE, 'species', 'iris.csv');
  assert.equal(c.rows, 4);
  assert.equal(c.features, 2);
  assert.deepEqual(c.featureNames, ['sepal_length', 'sepal_width']);
  assert.deepEqual(c.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.equal(c.classes, 3);
  assert.deepEqual(Array.from(c.y), [0, 1, 2, 0]);
  assert.deepEqual(Array.from(c.X), [5.1, 3.5, 7, 3.2, 6.3, 3.3, 4.9, 3].map(Math.fround));
});

test('csv: label in the middle, integer labels sorted numerically, quoted commas and quotes', () => {
  const text = 'a,label,"b, with comma"\n1,10,2\n3,9,4\n5,-1,6\n7,10,8.5e1\n';
  const c = parseCsv(text, 'label', 'x.csv');
  assert.deepEqual(c.classNames, ['-1', '9', '10']);
  assert.deepEqual(Array.from(c.y), [2, 1, 0, 2]);
  assert.deepEqual(c.featureNames, ['a', 'b, with comma']);
  assert.deepEqual(Array.from(c.X), [1, 2, 3, 4, 5, 6, 7, 85]);
  const q = parseCsv('name,"x ""quoted""",y\n"multi\nline",1,0\nb,2,1\n', 'name', 'q.csv');
  assert.deepEqual(q.featureNames, ['x "quoted"', 'y']);
  assert.deepEqual(q.classNames, ['b', 'multi\nline']);
  assert.deepEqual(Array.from(q.X), [1, 0, 2, 1]);
  // "1" and "1.0" are the same class
  assert.deepEqual(parseCsv('x,y\n1,1\n2,1.0\n3,0\n', 'y', 'z.csv').classNames, ['0', '1']);
});

/** Checks the error's file, line, message and its "file:line:" formatting. */
function csvFails(text: string, label: string, line: number | undefined, message: RegExp, column?: number): InputError {
  const e = inputError(() => parseCsv(text, label, 'data/data.csv'));
  assert.equal(e.file, 'data/data.csv');
  assert.equal(e.line, line, `line of: ${e.message}`);
  if (column !== undefined) assert.equal(e.column, column);
  assert.match(e.message, message);
  assert.ok(e.format().startsWith(line ? `data/data.csv:${line}:` : 'data/data.csv: '), e.format());
  return e;
}

test('csv: every error names the file, line and column', () => {
  const head = 'petal_length,petal_width,species\n';
  const good = '1.4,0.2,setosa\n4.7,1.4,versicolor\n';
  csvFails(head + good + '\n1.5,abc,setosa\n', 'species', 5, /column 'petal_width': 'abc' is not a number/, 5);
  csvFails(head + good + '1.5,NaN,setosa\n', 'species', 4, /column 'petal_width': 'NaN' is not a finite number/);
  csvFails(head + good + 'Infinity,1,setosa\n', 'species', 4, /column 'petal_length': 'Infinity' is not a finite number/, 1);
  csvFails(head + good + '1e39,1,setosa\n', 'species', 4, /too large/);
  csvFails(head + good + '1.5,,setosa\n', 'species', 4, /column 'petal_width' is empty/, 5);
  csvFails(head + good + '1.5,0.3,\n', 'species', 4, /column 'species' is empty/);
  csvFails(head + good + '1.5,0.3\n', 'species', 4, /expected 3 fields as in the header, found 2/);
  csvFails(head + good + '1.5,0.3,setosa,9\n', 'species', 4, /expected 3 fields as in the header, found 4/);
  const missing = csvFails(head + good, 'Species', 1, /no column named 'Species'/);
  assert.match(missing.message, /did you mean 'species'\?/);
  assert.match(missing.message, /'petal_length', 'petal_width', 'species'/);
  csvFails('', 'species', undefined, /empty/);
  csvFails('\n\r\n  \n', 'species', undefined, /empty/);
  csvFails(head + '\n\n', 'species', 1, /header but no data rows/);
  csvFails(head + '1,2,setosa\n3,4,setosa\n', 'species', 1, /only one distinct value \('setosa'\).*at least 2 classes/, 26);
  csvFails(head + '1,2,0.5\n3,4,1\n', 'species', 2, /does not look categorical: '0.5' is not an integer/);
  const many = head + Array.from({ length: 150 }, (_, i) => `1,2,c${i}\n`).join('');
  csvFails(many, 'species', 1, /150 distinct values; it does not look categorical/);
  csvFails(head + good + '1,"2,setosa\n', 'species', 4, /quoted field is never closed/, 3);
  csvFails(head + good + '1,"2"x,setosa\n', 'species', 4, /after a closing quote/, 6);
  csvFails('a,,species\n1,2,x\n', 'species', 1, /names no column 2/);
  csvFails('a,a,species\n1,2,x\n', 'species', 1, /names column 'a' twice/, 3);
  csvFails('species\nx\ny\n', 'species', 1, /no feature columns/);
  // a quoted field spanning lines shifts the line numbers of what follows
  csvFails('n,x,species\n1,1,"a\nb"\n1,oops,t\n', 'species', 4, /column 'x': 'oops'/, 3);
});

// ---------------------------------------------------------------- loadDataset and nodeDataIO

function memoryIO(files: Record<string, string>): DataIO {
  return {
    readText: async (p) => {
      if (!(p in files)) throw new InputError(`cannot read CSV file '${p}': no such file`, p);
      return files[p]!;
    },
    readAsset: async () => {
      throw new Error('no assets');
    },
  };
}

test('loadDataset: csv with split and standardization, errors carry the spec path', async () => {
  const rows = Array.from({ length: 40 }, (_, i) => `${i},${i * 2 + 1},${i % 2 ? 'b' : 'a'}`).join('\n');
  const io = memoryIO({ 'data/d.csv': 'x,z,cls\n' + rows, 'bad.csv': 'x,cls\n1,a\nfoo,b\n' });
  const spec: DatasetSpec = { type: 'csv', path: 'data/d.csv', label: 'cls', standardize: true, testFraction: 0.25, seed: 4 };
  const d = await loadDataset(spec, io, 'exp.mlp.json');
  assert.equal(d.name, 'd.csv');
  assert.equal(d.features, 2);
  assert.equal(d.classes, 2);
  assert.deepEqual(d.classNames, ['a', 'b']);
  assert.equal(d.trainY.length, 30);
  assert.equal(d.testY.length, 10);
  assert.deepEqual(counts(d.testY, 2), [5, 5]);
  assert.ok(Math.abs(columnStats(d.trainX, 2, 1).mean) < 1e-5);
  assert.ok(Math.abs(columnStats(d.trainX, 2, 1).std - 1) < 1e-4);
  const again = await loadDataset(spec, io);
  assert.deepEqual(again.trainX, d.trainX);

  const bad = await inputErrorAsync(loadDataset({ ...spec, path: 'bad.csv', label: 'cls' }, io, 'exp.mlp.json'));
  assert.equal(bad.format(), "bad.csv:3:1: column 'x': 'foo' is not a number (every column except the label 'cls' must be numeric)");
  // problems with the spec itself are reported against the config file
  const cfg = await inputErrorAsync(loadDataset({ ...spec, testFraction: 2 }, io, 'exp.mlp.json'));
  assert.equal(cfg.file, 'exp.mlp.json');
  assert.match(cfg.message, /dataset\.testFraction/);
  const moons = await inputErrorAsync(
    loadDataset({ type: 'moons', samples: 100, classes: 4, noise: 0.1, seed: 1, testFraction: 0.2 }, io, 'exp.mlp.json'),
  );
  assert.equal(moons.file, 'exp.mlp.json');
  assert.match(moons.message, /dataset\.classes must be 2/);
});

test('loadDataset: synthetic datasets are split reproducibly', async () => {
  const io = memoryIO({});
  const spec: DatasetSpec = { type: 'spiral', samples: 300, classes: 3, noise: 0.1, seed: 11, testFraction: 0.2 };
  const a = await loadDataset(spec, io);
  const b = await loadDataset(spec, io);
  const c = await loadDataset({ ...spec, seed: 12 }, io);
  assert.equal(a.features, 2);
  assert.equal(a.trainY.length, 240);
  assert.equal(a.testY.length, 60);
  assert.deepEqual(counts(a.testY, 3), [20, 20, 20]);
  assert.deepEqual(a.trainX, b.trainX);
  assert.deepEqual(a.testY, b.testY);
  assert.notDeepEqual(a.trainX, c.trainX);
  assert.deepEqual(a.classNames, ['0', '1', '2']);
  const none = await loadDataset({ ...spec, testFraction: 0 }, io);
  assert.equal(none.trainY.length, 300);
  assert.equal(none.testX.length, 0);
});

test('nodeDataIO: reads CSV relative to the base dir; clear error for a missing file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlp-lens-ds-'));
  writeFileSync(join(dir, 'ok.csv'), 'a,b\n1,x\n2,y\n');
  const io = nodeDataIO(dir, findAssetDir());
  assert.equal(await io.readText('ok.csv'), 'a,b\n1,x\n2,y\n');
  const e = await inputErrorAsync(io.readText('nope.csv'));
  assert.match(e.message, /^cannot read CSV file 'nope.csv': no such file/);
  assert.equal(e.file, 'nope.csv');
  const d = await loadDataset({ type: 'csv', path: 'ok.csv', label: 'b', standardize: false, testFraction: 0, seed: 1 }, io);
  assert.deepEqual(Array.from(d.trainX).sort(), [1, 2]);
  await assert.rejects(io.readAsset('../package.json'), /bad dataset asset name/);
});

// ---------------------------------------------------------------- shipped datasets

const io = nodeDataIO(process.cwd(), findAssetDir());

function checkDataset(d: Dataset, total: number, features: number, classes: number): void {
  assert.equal(d.features, features);
  assert.equal(d.classes, classes);
  assert.equal(d.classNames.length, classes);
  assert.equal(d.featureNames.length, features);
  assert.equal(d.trainY.length + d.testY.length, total);
  assert.equal(d.trainX.length, d.trainY.length * features);
  assert.equal(d.testX.length, d.testY.length * features);
  for (const y of [d.trainY, d.testY]) {
    const c = counts(y, classes);
    assert.ok(c.every((k) => k > 0), `every class present: ${c}`);
  }
  let bad = 0;
  for (const X of [d.trainX, d.testX]) for (let i = 0; i < X.length; i++) if (!Number.isFinite(X[i]!)) bad++;
  assert.equal(bad, 0, 'non-finite values');
}

test('builtin digits: 1797 x 64, 10 classes, pixels in [0,1], stratified seeded split', async () => {
  const d = await loadDataset({ type: 'digits', testFraction: 0.2, standardize: false, seed: 1 }, io);
  checkDataset(d, 1797, 64, 10);
  assert.equal(d.testY.length, 359);
  assert.deepEqual(d.imageShape, [8, 8]);
  assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(d.featureNames[9], 'pixel_1_1');
  let min = Infinity;
  let max = -Infinity;
  for (const v of d.trainX) (min = Math.min(min, v)), (max = Math.max(max, v));
  assert.equal(min, 0);
  assert.equal(max, 1);
  // sklearn's digits have 178 zeros, 182 ones, ... 180 nines
  assert.deepEqual(
    counts(Int32Array.from([...d.trainY, ...d.testY]), 10),
    [178, 182, 177, 183, 181, 182, 181, 179, 174, 180],
  );
  const again = await loadDataset({ type: 'digits', testFraction: 0.2, standardize: false, seed: 1 }, io);
  assert.deepEqual(again.testY, d.testY);
  const other = await loadDataset({ type: 'digits', testFraction: 0.2, standardize: false, seed: 2 }, io);
  assert.notDeepEqual(other.testX, d.testX);
  const std = await loadDataset({ type: 'digits', testFraction: 0.2, standardize: true, seed: 1 }, io);
  assert.ok(Math.abs(columnStats(std.trainX, 64, 20).std - 1) < 1e-4);
  assert.equal(columnStats(std.trainX, 64, 0).std, 0); // always-blank corner pixel stays 0
});

test('builtin tables are read as Number() reads each field, whatever the line ends', async () => {
  // the shipped digits, against the text split and read field by field
  const gz = await io.readAsset('digits.csv.gz');
  const rows = new TextDecoder().decode(gz).split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.split(',').map(Number));
  const d = await loadDataset({ type: 'digits', testFraction: 0.2, standardize: false, seed: 1 }, io);
  const key = (xs: ArrayLike<number>, label: number) => `${Array.from(xs).join(',')};${label}`;
  const want = rows.map((r) => key(Float32Array.from(r.slice(0, 64), (v) => Math.fround(v) / 16), r[64]!)).sort();
  const got: string[] = [];
  for (const [X, Y] of [[d.trainX, d.trainY], [d.testX, d.testY]] as const) {
    for (let i = 0; i < Y.length; i++) got.push(key(X.subarray(i * 64, i * 64 + 64), Y[i]!));
  }
  assert.deepEqual(got.sort(), want);
  // CRLF, a blank line of spaces, fields with spaces and a leading zero, no newline at the end
  const row = (k: number) => Array.from({ length: 64 }, (_, j) => String((j + k) % 17)).join(',') + `,${k % 10}`;
  const text = `${row(0)}\r\n   \r\n${row(1).replace(/^0,/, ' 00 ,')}\n\n${row(2)}`;
  const fake: DataIO = { ...io, readAsset: async (name: string) => (name === 'digits.csv.gz' ? new TextEncoder().encode(text) : io.readAsset(name)) };
  const t = await loadDataset({ type: 'digits', testFraction: 0.34, standardize: false, seed: 1 }, fake);
  const all = [...t.trainY, ...t.testY].sort();
  assert.deepEqual(all, [0, 1, 2]);
  const firstOf = (label: number) => {
    for (const [X, Y] of [[t.trainX, t.trainY], [t.testX, t.testY]] as const) {
      const i = Array.from(Y).indexOf(label);
      if (i >= 0) return Array.from(X.subarray(i * 64, i * 64 + 3));
    }
    return [];
  };
  assert.deepEqual(firstOf(1), [1 / 16, 2 / 16, 3 / 16]);
  assert.deepEqual(firstOf(2), [2 / 16, 3 / 16, 4 / 16]);
  // a short line, a line of commas, a word: one message naming the file and line
  for (const [bad, line] of [[`${row(0)}\n1,2,3\n`, 2], [`${row(0)}\n,\n`, 2], [row(0).replace('5', 'x'), 1]] as const) {
    const broken: DataIO = { ...io, readAsset: async () => new TextEncoder().encode(bad) };
    await assert.rejects(loadDataset({ type: 'digits', testFraction: 0.2, standardize: false, seed: 1 }, broken), (e: Error) => e.message.includes('digits.csv.gz') && e.message.includes(`line ${line} does not hold 65 numbers`), bad.slice(-20));
  }
});

test('builtin iris: 150 x 4, 3 classes of 50, standardized with train statistics', async () => {
  const d = await loadDataset({ type: 'iris', testFraction: 0.2, standardize: true, seed: 3 }, io);
  checkDataset(d, 150, 4, 3);
  assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.equal(d.featureNames[2], 'petal length (cm)');
  assert.deepEqual(counts(d.testY, 3), [10, 10, 10]);
  assert.equal(d.imageShape, undefined);
  for (let j = 0; j < 4; j++) {
    const s = columnStats(d.trainX, 4, j);
    assert.ok(Math.abs(s.mean) < 1e-5 && Math.abs(s.std - 1) < 1e-4);
  }
  const raw = await loadDataset({ type: 'iris', testFraction: 0, standardize: false, seed: 3 }, io);
  const petal = columnStats(raw.trainX, 4, 2);
  assert.equal(petal.min, Math.fround(1.0));
  assert.equal(petal.max, Math.fround(6.9));
  assert.ok(Math.abs(petal.mean - 3.758) < 1e-3);
});

test('builtin wine: 178 x 13, 3 classes (59/71/48)', async () => {
  const d = await loadDataset({ type: 'wine', testFraction: 0.3, standardize: true, seed: 5 }, io);
  checkDataset(d, 178, 13, 3);
  assert.deepEqual(d.classNames, ['class_0', 'class_1', 'class_2']);
  assert.equal(d.featureNames[12], 'proline');
  assert.deepEqual(counts(Int32Array.from([...d.trainY, ...d.testY]), 3), [59, 71, 48]);
  assert.equal(d.testY.length, 53);
  const raw = await loadDataset({ type: 'wine', testFraction: 0, standardize: false, seed: 5 }, io);
  const proline = columnStats(raw.trainX, 13, 12);
  assert.equal(proline.min, 278);
  assert.equal(proline.max, 1680);
});

test('builtin mnist: fixed 8000/2000 split, 784 features, pixels in [0,1]', async () => {
  const d = await loadDataset({ type: 'mnist', testFraction: 0.5, standardize: false, seed: 99 }, io);
  checkDataset(d, 10000, 784, 10);
  assert.equal(d.trainY.length, 8000);
  assert.equal(d.testY.length, 2000);
  assert.deepEqual(d.imageShape, [28, 28]);
  let min = Infinity;
  let max = -Infinity;
  for (const X of [d.trainX, d.testX]) for (const v of X) (min = Math.min(min, v)), (max = Math.max(max, v));
  assert.equal(min, 0);
  assert.equal(max, 1);
  const test = counts(d.testY, 10);
  assert.ok(test.every((k) => k >= 150 && k <= 250), `test per digit ${test}`);
  // the split is the file's own: seed and testFraction do not change it
  const other = await loadDataset({ type: 'mnist', testFraction: 0.1, standardize: false, seed: 1 }, io);
  assert.deepEqual(other.testY, d.testY);
  // the mean MNIST pixel is about 0.13; the centre is much brighter than the corners
  let sum = 0;
  for (const v of d.trainX) sum += v;
  assert.ok(Math.abs(sum / d.trainX.length - 0.13) < 0.02);
  assert.equal(columnStats(d.trainX, 784, 0).max, 0);
  assert.ok(columnStats(d.trainX, 784, 14 * 28 + 14).mean > 0.3);
});

test('parseMnistFile: rejects a corrupt file', () => {
  assert.throws(() => parseMnistFile(new Uint8Array(30)), /no MLPD header/);
  const bytes = new Uint8Array(24 + 2 * 5);
  bytes.set([77, 76, 80, 68, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
  const f = parseMnistFile(bytes.subarray(0, 24 + 2 * 5));
  assert.equal(f.trainPixels.length, 4);
  assert.equal(f.testLabels.length, 1);
  assert.throws(() => parseMnistFile(bytes.subarray(0, 33)), /does not match its header/);
});
