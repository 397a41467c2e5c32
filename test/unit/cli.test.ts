/**
 * The CLI end to end (dist/cli.js, built by `node scripts/build.mjs`): train / validate / dump
 * on tiny configs, run records on disk, exit codes and error messages, divergence, and runs
 * killed (SIGKILL) or interrupted (SIGINT). Every output goes to a fresh os.tmpdir() folder and
 * the CLI runs with that folder as its working directory, so nothing is written into the repo;
 * the folders are removed afterwards unless MLP_LENS_KEEP_TMP=1.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLI, cli, show, tmp as makeTmp } from '../support/cli';
import { readStepsFile, runRecords } from '../support/steps-file';
import { loadRunModel } from '../../src/runs/loader';

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first with 'node scripts/build.mjs'`);
});
const tmp = () => makeTmp('mlp-lens-cli-');

function writeConfig(dir: string, cfg: unknown, name = 'tiny.mlp.json'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof cfg === 'string' ? cfg : JSON.stringify(cfg, null, 2));
  return file;
}

const TINY = {
  dataset: { type: 'spiral', samples: 120, classes: 3 },
  layers: [8, 8, 8],
  activation: 'sigmoid',
  init: 'glorot_uniform',
  lr: 0.1,
  batchSize: 16,
  epochs: 2,
  seed: 1,
};

const XOR = {
  dataset: { type: 'xor', samples: 80 },
  layers: [6, 6, 6],
  activation: 'tanh',
  lr: 0.2,
  batchSize: 16,
  epochs: 3,
  seed: 4,
  variants: [{ name: 'tanh' }, { name: 'relu he', activation: 'relu', init: 'he_normal' }],
};

function jsonLines(file: string): { records: any[]; bad: { line: number; text: string }[]; text: string } {
  const text = readFileSync(file, 'utf8');
  const records: any[] = [];
  const bad: { line: number; text: string }[] = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try {
      records.push(JSON.parse(l));
    } catch {
      bad.push({ line: i + 1, text: l.slice(0, 200) });
    }
  });
  return { records, bad, text };
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Words of a key (camelCase / snake_case) that mean wall-clock timing. */
const TIME_WORDS = new Set(['time', 'times', 'timestamp', 'stamp', 'date', 'second', 'seconds', 'sec', 'secs', 'elapsed', 'duration', 'clock', 'ms', 'millis', 'started', 'finished', 'wall', 'now']);
const TIME_KEY = {
  test: (key: string): boolean => key.split(/_|-|(?<=[a-z0-9])(?=[A-Z])/).some((w) => TIME_WORDS.has(w.toLowerCase())),
};

/** Keys anywhere in a value that look like timing (path list). */
function timingKeys(v: unknown, path = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => timingKeys(x, `${path}[${i}]`)).slice(0, 20);
  if (v && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => [...(TIME_KEY.test(k) ? [`${path}.${k}`] : []), ...timingKeys(x, `${path}.${k}`)]);
  }
  return [];
}

function stripTiming(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripTiming);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !TIME_KEY.test(k)).map(([k, x]) => [k, stripTiming(x)]));
  return v;
}

function assertRunRecord(dir: string, opts: { variant: string; epochs: number; status?: string }): { summary: any; records: any[] } {
  for (const f of ['config.json', 'metrics.bin', 'epochs.jsonl', 'summary.json', 'model.json']) {
    assert.ok(existsSync(join(dir, f)), `${dir} has no ${f} (has: ${existsSync(dir) ? readdirSync(dir).join(', ') : 'no such folder'})`);
  }
  const config = readJson(join(dir, 'config.json'));
  assert.equal(typeof config, 'object');
  assert.ok(!existsSync(join(dir, 'metrics.jsonl')), 'metrics.bin instead of metrics.jsonl');
  // every frame whole and its CRC right, every epochs.jsonl line whole JSON
  const { records } = runRecords(dir);
  assert.equal(readStepsFile(join(dir, 'metrics.bin')).tornBytes, 0, 'whole frames only');
  const steps = records.filter((r) => r.kind === 'step');
  const epochs = records.filter((r) => r.kind === 'epoch');
  assert.ok(steps.length > 0, 'no step records');
  assert.equal(epochs.length, opts.epochs, 'one epoch record per epoch');
  let lastStep = 0;
  for (const s of steps) {
    assert.ok(Number.isInteger(s.step) && s.step > lastStep, `step numbers increase (got ${s.step} after ${lastStep})`);
    lastStep = s.step;
    assert.ok(Number.isInteger(s.epoch) && s.epoch >= 0, 'step record has an epoch');
    assert.equal(typeof s.loss, 'number');
    assert.ok(s.accuracy >= 0 && s.accuracy <= 1, 'step record accuracy in [0,1]');
    assert.ok(Array.isArray(s.layers) && s.layers.length === config.layers.length + 1, 'one probe per weight layer');
    s.layers.forEach((p: any, k: number) => {
      assert.equal(p.layer, k);
      assert.equal(typeof p.activation, 'string');
      for (const key of ['mean', 'gradW', 'gradB', 'delta']) assert.equal(typeof p[key], 'number', `probe ${key} of layer ${k}`);
      if (k < s.layers.length - 1) assert.ok(p.saturation >= 0 && p.saturation <= 1, `saturation of hidden layer ${k}`);
      else assert.equal(p.saturation, null, 'the output layer has no saturation');
    });
  }
  const summary = readJson(join(dir, 'summary.json'));
  assert.equal(summary.variant, opts.variant);
  assert.equal(summary.status, opts.status ?? 'completed');
  assert.equal(summary.epochs, opts.epochs);
  assert.equal(summary.steps, lastStep, 'summary.steps = the last step recorded (probes.every 1)');
  for (const part of ['train', 'test']) {
    assert.equal(typeof summary[part]?.loss, 'number', `summary.${part}.loss`);
    assert.equal(typeof summary[part]?.accuracy, 'number', `summary.${part}.accuracy`);
  }
  assert.ok(typeof summary.samplesPerSecond === 'number' && summary.samplesPerSecond > 0, 'samplesPerSecond');
  const model = readJson(join(dir, 'model.json'));
  assert.ok(Array.isArray(model.weights) && model.weights.length === config.layers.length + 1, 'model.json has the weights of every layer');
  assert.ok(Array.isArray(model.biases) && model.biases.length === model.weights.length, 'model.json has the biases of every layer');
  return { summary, records };
}

// ------------------------------------------------------------------------------------ train

test('train: exit 0 and a complete run record (config.json, metrics.bin, epochs.jsonl, summary.json, model.json)', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, TINY);
  const r = cli(['train', cfg, '--out', join(dir, 'out')], dir);
  assert.equal(r.status, 0, show(r));
  const { summary } = assertRunRecord(join(dir, 'out', 'base'), { variant: 'base', epochs: 2 });
  assert.equal(summary.epochsPlanned, 2);
  assert.equal(summary.batchSize, 16);
  const config = readJson(join(dir, 'out', 'base', 'config.json'));
  assert.equal(config.seed, 1);
  assert.deepEqual(config.layers, [8, 8, 8]);
});

test('train twice into the same --out: the second run replaces the first (metrics.bin is not appended to)', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, TINY);
  const first = cli(['train', cfg, '--out', join(dir, 'out')], dir);
  assert.equal(first.status, 0, show(first));
  const once = readFileSync(join(dir, 'out', 'base', 'metrics.bin'));
  const second = cli(['train', cfg, '--out', join(dir, 'out')], dir);
  assert.equal(second.status, 0, show(second));
  assert.ok(readFileSync(join(dir, 'out', 'base', 'metrics.bin')).equals(once), 'metrics.bin holds one run, not two');
  assertRunRecord(join(dir, 'out', 'base'), { variant: 'base', epochs: 2 });
});

test('train without --out writes under .mlp-lens/runs/ of the working directory', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, { ...TINY, epochs: 1 });
  const r = cli(['train', cfg], dir);
  assert.equal(r.status, 0, show(r));
  const runs = readdirSync(join(dir, '.mlp-lens', 'runs'));
  assert.equal(runs.length, 1, `one run folder (got ${runs.join(', ')})`);
  assertRunRecord(join(dir, '.mlp-lens', 'runs', runs[0]!), { variant: 'base', epochs: 1 });
});

test('train --seed and --epochs override the config', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, TINY);
  const r = cli(['train', cfg, '--out', join(dir, 'o'), '--seed', '42', '--epochs', '3'], dir);
  assert.equal(r.status, 0, show(r));
  const { summary } = assertRunRecord(join(dir, 'o', 'base'), { variant: 'base', epochs: 3 });
  assert.equal(summary.epochsPlanned, 3);
  const config = readJson(join(dir, 'o', 'base', 'config.json'));
  assert.equal(config.seed, 42);
  assert.equal(config.epochs, 3);
});

test('train with variants: one run record per variant; --variant trains only that one; --json', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, XOR, 'xor.mlp.json');
  const all = cli(['train', cfg, '--out', join(dir, 'all'), '--json'], dir);
  assert.equal(all.status, 0, show(all));
  const parsed = JSON.parse(all.stdout); // --json: stdout is exactly one JSON document
  assert.ok(Array.isArray(parsed.runs), '--json output has runs[]');
  assert.deepEqual(parsed.runs.map((x: any) => x.variant), ['tanh', 'relu he']);
  for (const run of parsed.runs) {
    assert.equal(run.status, 'completed');
    assert.equal(run.epochs, 3);
    assert.equal(typeof run.dir, 'string');
    assertRunRecord(resolve(dir, run.dir), { variant: run.variant, epochs: 3 });
  }
  assert.equal(readdirSync(join(dir, 'all')).length, 2, 'two run folders');

  const one = cli(['train', cfg, '--out', join(dir, 'one'), '--variant', 'relu he', '--json'], dir);
  assert.equal(one.status, 0, show(one));
  const p1 = JSON.parse(one.stdout);
  assert.equal(p1.runs.length, 1);
  assert.equal(p1.runs[0].variant, 'relu he');
  const folders = readdirSync(join(dir, 'one'));
  assert.equal(folders.length, 1, `only the chosen variant is trained (got ${folders.join(', ')})`);
  assertRunRecord(join(dir, 'one', folders[0]!), { variant: 'relu he', epochs: 3 });
  const cfgOne = readJson(join(dir, 'one', folders[0]!, 'config.json'));
  assert.equal(cfgOne.init?.scheme ?? cfgOne.init, 'he_normal');
});

for (const form of ['binary', 'jsonl'] as const) test(`determinism (${form}): the same config twice gives byte-identical records (they hold no timing)`, () => {
  const dir = tmp();
  const cfg = writeConfig(dir, { ...TINY, epochs: 3 });
  const flags = form === 'jsonl' ? ['--jsonl'] : [];
  const a = cli(['train', cfg, '--out', join(dir, 'a'), ...flags], dir);
  const b = cli(['train', cfg, '--out', join(dir, 'b'), ...flags], dir);
  assert.equal(a.status, 0, show(a));
  assert.equal(b.status, 0, show(b));
  const read = (d: string) => form === 'jsonl'
    ? jsonLines(join(d, 'metrics.jsonl'))
    : { records: runRecords(d).records, text: readFileSync(join(d, 'metrics.bin')).toString('base64') + readFileSync(join(d, 'epochs.jsonl'), 'utf8') };
  assert.equal(existsSync(join(dir, 'a', 'base', 'metrics.bin')), form === 'binary');
  const ma = read(join(dir, 'a', 'base'));
  const mb = read(join(dir, 'b', 'base'));
  const timing = [...new Set(ma.records.flatMap((r) => timingKeys(r).map((k) => k.replace(/\[\d+\]/g, '[]'))))];
  if (timing.length) {
    // records with timing can't be byte-identical: compare without those fields, then fail to report it
    assert.deepEqual(mb.records.map(stripTiming), ma.records.map(stripTiming), 'records differ even without timing fields');
    assert.fail(`step and epoch records hold timing fields (${timing.join(', ')}); they should be deterministic`);
  }
  assert.ok(ma.text === mb.text, 'the records differ between two runs of the same config');
  // the model is deterministic too
  assert.equal(readFileSync(join(dir, 'a', 'base', 'model.json'), 'utf8'), readFileSync(join(dir, 'b', 'base', 'model.json'), 'utf8'));
});

test('a different --seed gives different metrics', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, TINY);
  const a = cli(['train', cfg, '--out', join(dir, 'a')], dir);
  const b = cli(['train', cfg, '--out', join(dir, 'b'), '--seed', '2'], dir);
  assert.equal(a.status, 0, show(a));
  assert.equal(b.status, 0, show(b));
  const ta = readFileSync(join(dir, 'a', 'base', 'metrics.bin'));
  const tb = readFileSync(join(dir, 'b', 'base', 'metrics.bin'));
  assert.ok(!ta.equals(tb));
  const fa = runRecords(join(dir, 'a', 'base')).records[0];
  const fb = runRecords(join(dir, 'b', 'base')).records[0];
  assert.notEqual(fa.loss, fb.loss, 'the first step loss should differ with another seed');
});

// ------------------------------------------------------------------------------------ validate

test('validate: exit 0 on a good file, 2 on a bad one', () => {
  const dir = tmp();
  const good = writeConfig(dir, XOR, 'good.mlp.json');
  const g = cli(['validate', good], dir);
  assert.equal(g.status, 0, show(g));
  assert.match(g.stdout, /valid/);
  const bad = writeConfig(dir, { ...TINY, lr: -1, activation: 'swish' }, 'bad.mlp.json');
  const b = cli(['validate', bad], dir);
  assert.equal(b.status, 2, show(b));
  assert.match(b.stderr, /bad\.mlp\.json/);
  assert.match(b.stderr, /lr/);
  assert.match(b.stderr, /activation/, 'validate prints every problem');
  assert.doesNotMatch(b.stderr, /^ {4}at /m, 'no stack trace');
  const j = cli(['validate', bad, '--json'], dir);
  assert.equal(j.status, 2, show(j));
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.valid, false);
  assert.ok(parsed.issues.length >= 2);
  const gj = cli(['validate', good, '--json'], dir);
  assert.equal(gj.status, 0, show(gj));
  assert.equal(JSON.parse(gj.stdout).valid, true);
});

// ------------------------------------------------------------------------------------ input errors

interface ErrorCase {
  name: string;
  /** files to create in the temp folder, relative name -> content (a string, or an object as JSON); null = a folder */
  files?: Record<string, unknown>;
  args: (dir: string) => string[];
  /** every pattern must match the first stderr line */
  expect: RegExp[];
  /** usage errors may print the usage after the one-line message */
  usage?: boolean;
}

const CSV_CFG = (file: string, label = 'label') => ({ dataset: { type: 'csv', path: file, label }, layers: [4], epochs: 1, batchSize: 4, seed: 0 });

const ERROR_CASES: ErrorCase[] = [
  { name: 'missing config file', args: () => ['train', 'nope.mlp.json', '--out', 'o'], expect: [/nope\.mlp\.json/, /no such file|not found|does not exist/i] },
  { name: 'directory instead of a file', files: { 'adir.mlp.json': null }, args: () => ['train', 'adir.mlp.json', '--out', 'o'], expect: [/adir\.mlp\.json/, /director/i] },
  { name: 'invalid JSON', files: { 'bad.mlp.json': '{"dataset": {"type": "spiral"},\n  "layers": [4,\n' }, args: () => ['train', 'bad.mlp.json', '--out', 'o'], expect: [/bad\.mlp\.json/, /bad\.mlp\.json:\d+|line \d+/] },
  { name: 'unknown property', files: { 'u.mlp.json': { ...TINY, learningRate: 0.1 } }, args: () => ['train', 'u.mlp.json', '--out', 'o'], expect: [/u\.mlp\.json/, /learningRate/] },
  { name: 'bad enum value', files: { 'e.mlp.json': { ...TINY, activation: 'swish' } }, args: () => ['train', 'e.mlp.json', '--out', 'o'], expect: [/e\.mlp\.json/, /activation/, /swish/] },
  { name: 'negative lr', files: { 'n.mlp.json': { ...TINY, lr: -0.5 } }, args: () => ['train', 'n.mlp.json', '--out', 'o'], expect: [/n\.mlp\.json/, /\blr\b/] },
  { name: 'unknown --variant', files: { 'v.mlp.json': XOR }, args: () => ['train', 'v.mlp.json', '--out', 'o', '--variant', 'sigmoidz'], expect: [/v\.mlp\.json/, /sigmoidz/] },
  { name: 'bad --seed', files: { 's.mlp.json': TINY }, args: () => ['train', 's.mlp.json', '--out', 'o', '--seed', 'abc'], expect: [/--seed/, /abc/], usage: true },
  { name: 'negative --seed', files: { 's.mlp.json': TINY }, args: () => ['train', 's.mlp.json', '--out', 'o', '--seed', '-3'], expect: [/--seed/], usage: true },
  { name: 'bad --epochs', files: { 's.mlp.json': TINY }, args: () => ['train', 's.mlp.json', '--out', 'o', '--epochs', '0'], expect: [/--epochs/], usage: true },
  { name: 'unknown option', files: { 's.mlp.json': TINY }, args: () => ['train', 's.mlp.json', '--out', 'o', '--frobnicate'], expect: [/--frobnicate/], usage: true },
  {
    name: 'CSV with a non-numeric value (names the line)',
    files: { 'd.csv': 'a,b,label\n1,2,0\n3,4,1\n5,oops,0\n7,8,1\n', 'c.mlp.json': CSV_CFG('d.csv') },
    args: () => ['train', 'c.mlp.json', '--out', 'o'],
    expect: [/d\.csv/, /d\.csv:4\b|line 4\b/, /oops/],
  },
  {
    name: 'CSV without the label column',
    files: { 'd.csv': 'a,b,cls\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n', 'c.mlp.json': CSV_CFG('d.csv') },
    args: () => ['train', 'c.mlp.json', '--out', 'o'],
    expect: [/d\.csv|c\.mlp\.json/, /label/],
  },
  { name: 'CSV file missing', files: { 'c.mlp.json': CSV_CFG('gone.csv') }, args: () => ['train', 'c.mlp.json', '--out', 'o'], expect: [/gone\.csv/] },
  { name: 'dump: unknown property', files: { 'u.mlp.json': { ...TINY, learningRate: 0.1 } }, args: () => ['dump', 'u.mlp.json', '--out', 'o/x'], expect: [/u\.mlp\.json/, /learningRate/] },
  { name: 'validate: missing file', args: () => ['validate', 'nope.mlp.json'], expect: [/nope\.mlp\.json/] },
];

for (const c of ERROR_CASES) {
  test(`exit 2, one message naming the file/field, no stack trace: ${c.name}`, () => {
    const dir = tmp();
    for (const [name, content] of Object.entries(c.files ?? {})) {
      if (content === null) mkdirSync(join(dir, name));
      else writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    }
    const r = cli(c.args(dir), dir);
    assert.equal(r.status, 2, `expected exit 2:\n${show(r)}`);
    assert.doesNotMatch(r.stderr, /^ {4}at /m, `stderr has a stack trace:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/i, `stderr reports an internal error:\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    assert.ok(lines.length >= 1, 'a message on stderr');
    if (!c.usage) assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
    for (const re of c.expect) assert.match(lines[0]!, re, `the message should match ${re}:\n${r.stderr}`);
    assert.ok(!existsSync(join(dir, 'o')), 'nothing should be written to --out for an invalid config');
  });
}

// ------------------------------------------------------------------------------------ divergence

test('divergence: exit 1, stderr names the step and the layer or loss, summary status "diverged"', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, {
    dataset: { type: 'spiral', samples: 200 }, layers: [16, 16, 16], activation: 'linear', init: 'he_normal',
    lr: 1000, batchSize: 16, epochs: 5, seed: 1,
  }, 'div.mlp.json');
  const r = cli(['train', cfg, '--out', join(dir, 'o')], dir);
  assert.equal(r.status, 1, show(r));
  assert.doesNotMatch(r.stderr, /^ {4}at /m, 'no stack trace');
  assert.match(r.stderr, /div\.mlp\.json/);
  assert.match(r.stderr, /step \d+/);
  assert.match(r.stderr, /layer|loss/);
  const run = join(dir, 'o', 'base');
  const summary = readJson(join(run, 'summary.json'));
  assert.equal(summary.status, 'diverged');
  assert.ok(summary.divergence, 'summary.divergence');
  assert.ok(Number.isInteger(summary.divergence.step) && summary.divergence.step >= 1, 'divergence.step');
  assert.match(r.stderr, new RegExp(`step ${summary.divergence.step}\\b`), 'stderr names the same step as summary.divergence.step');
  assert.ok(existsSync(join(run, 'model.json')), 'model.json is written for a diverged run');
  assert.deepEqual(readStepsFile(join(run, 'metrics.bin')).badCrc, [], 'every frame whole');
  const conv = cli(['convert', run, '--jsonl'], dir);
  assert.equal(conv.status, 0, show(conv));
  const { bad } = jsonLines(join(run, 'metrics.jsonl'));
  assert.deepEqual(bad, [], 'metrics.jsonl lines all parse (no NaN/Infinity literals)');
});

test('divergence with lr 1e6 (relu): exit 1 and status "diverged"; the run opens', async () => {
  const dir = tmp();
  const cfg = writeConfig(dir, { dataset: { type: 'spiral', samples: 200 }, layers: [16, 16, 16], activation: 'relu', lr: 1e6, batchSize: 16, epochs: 5, seed: 1 }, 'big.mlp.json');
  const r = cli(['train', cfg, '--out', join(dir, 'o'), '--json'], dir);
  assert.equal(r.status, 1, show(r));
  const parsed = JSON.parse(r.stdout);
  assert.equal(parsed.runs[0].status, 'diverged');
  assert.equal(readJson(join(dir, 'o', 'base', 'summary.json')).status, 'diverged');
  // its non-finite loss is null in summary.json; the run still opens (Open Run, the Runs view)
  assert.equal(readJson(join(dir, 'o', 'base', 'summary.json')).train.loss, null);
  const model = await loadRunModel([join(dir, 'o', 'base')], 100, 'diverged');
  assert.equal(model.variants[0]!.meta.status, 'diverged');
});

// ------------------------------------------------------------------------------------ killed / interrupted runs

const LONG = {
  dataset: { type: 'spiral', samples: 2000, classes: 3 }, layers: [32, 32, 32], activation: 'tanh', lr: 0.05, batchSize: 16, epochs: 5000, seed: 1,
};

/** Whole frames in a metrics.bin (0 while it has none). */
function countFrames(file: string): number {
  try {
    const b = readFileSync(file);
    const h = JSON.parse(b.subarray(12, 12 + b.readUInt32LE(8)).toString()) as { frameBytes: number; dataOffset: number };
    return Math.max(0, Math.floor((b.length - h.dataOffset) / h.frameBytes));
  } catch {
    return 0;
  }
}

/** Starts `train` on LONG, waits until metrics.bin has at least `lines` frames, sends `signal`, resolves with the exit. */
async function trainThenSignal(signal: NodeJS.Signals, lines = 5): Promise<{ dir: string; run: string; code: number | null; sig: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const dir = tmp();
  const cfg = writeConfig(dir, LONG, 'long.mlp.json');
  const child = spawn(process.execPath, [CLI, 'train', cfg, '--out', join(dir, 'o')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((res) => child.on('exit', (code, sig) => res({ code, sig })));
  const run = join(dir, 'o', 'base');
  const metrics = join(run, 'metrics.bin');
  const t0 = Date.now();
  let done: { code: number | null; sig: NodeJS.Signals | null } | null = null;
  exited.then((e) => (done = e));
  while (countFrames(metrics) < lines) {
    if (done) assert.fail(`train ended before it was signalled: ${JSON.stringify(done)}\n${stderr}`);
    if (Date.now() - t0 > 60_000) {
      child.kill('SIGKILL');
      assert.fail('metrics.bin did not grow within 60 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const e = await exited;
  clearTimeout(timer);
  return { dir, run, code: e.code, sig: e.sig, stdout, stderr };
}

test('a run killed with SIGKILL leaves every whole frame of metrics.bin, epochs.jsonl and summary.json readable', async () => {
  const r = await trainThenSignal('SIGKILL', 20);
  assert.equal(r.sig, 'SIGKILL');
  // whole frames pass their CRC (a write the kill cut short leaves a torn frame readers drop)
  const { records } = runRecords(r.run);
  assert.ok(records.filter((x) => x.kind === 'step').length >= 20);
  const summary = readJson(join(r.run, 'summary.json'));
  assert.equal(summary.status, 'running', 'a killed run stays "running" on disk');
  assert.ok(existsSync(join(r.run, 'config.json')));
  assert.ok(statSync(join(r.run, 'config.json')).size > 0);
});

test('SIGINT (Ctrl-C) mid-run: exit 130, summary status "stopped", model.json written', async () => {
  const r = await trainThenSignal('SIGINT', 20);
  assert.equal(r.code, 130, `exit code (signal ${r.sig})\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^ {4}at /m, 'no stack trace');
  assert.match(r.stderr, /interrupt|stopped/i);
  const summary = readJson(join(r.run, 'summary.json'));
  assert.equal(summary.status, 'stopped');
  assert.ok(summary.steps > 0 && summary.steps < summary.stepsPlanned, 'stopped part way');
  assert.equal(typeof summary.train?.loss, 'number', 'a stopped run is evaluated');
  const model = readJson(join(r.run, 'model.json'));
  assert.ok(Array.isArray(model.weights) && model.weights.length === 4);
  const { file } = runRecords(r.run);
  assert.equal(file?.tornBytes, 0, 'a stopped run ends on a whole frame');
});

test('train --jsonl writes metrics.jsonl (steps and epochs, as older versions did); convert turns it into metrics.bin and back', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, TINY);
  const r = cli(['train', cfg, '--out', join(dir, 'o'), '--jsonl'], dir);
  assert.equal(r.status, 0, show(r));
  const run = join(dir, 'o', 'base');
  assert.ok(!existsSync(join(run, 'metrics.bin')) && !existsSync(join(run, 'epochs.jsonl')));
  const lines = jsonLines(join(run, 'metrics.jsonl'));
  assert.deepEqual(lines.bad, []);
  const c = cli(['convert', run, '--binary'], dir);
  assert.equal(c.status, 0, show(c));
  assert.match(c.stdout, /wrote metrics\.bin and epochs\.jsonl \(\d+ step records, 2 epoch records\)/);
  assert.ok(existsSync(join(run, 'metrics.jsonl')), 'kept without --replace');
  assert.deepEqual(runRecords(run).records, lines.records, 'the same records, in the same order');
  const back = cli(['convert', run, '--jsonl', '--replace'], dir);
  assert.equal(back.status, 0, show(back));
  assert.match(back.stdout, /already has metrics\.jsonl; removed metrics\.bin and epochs\.jsonl/);
  assert.equal(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), lines.text);
  const none = cli(['convert', join(dir, 'nowhere'), '--jsonl'], dir);
  assert.equal(none.status, 2, show(none));
  assert.equal(cli(['convert', run], dir).status, 2, 'one of --jsonl or --binary');
});
