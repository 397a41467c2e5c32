/**
 * The engine's gradients against an independent float64 implementation of the gradient dump spec
 * (test/oracle/mlp_oracle.py, numpy): `mlp-lens dump` writes x.in.json / x.out.json, the oracle
 * recomputes x.in.json and compares with x.out.json (rtol 1e-4). Also checks that the dump's
 * first batch and initial weights are the ones `train` uses.
 *
 * Needs `node scripts/build.mjs` first (runs dist/cli.js) and a python3 with numpy
 * (apt-get install python3-numpy): without numpy these tests FAIL, they are never skipped.
 */
import { test, before } from 'node:test';
import { runRecords } from '../support/steps-file';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, cli, show, tmp as makeTmp } from '../support/cli';

const ORACLE = join(ROOT, 'test', 'oracle', 'mlp_oracle.py');
const tmp = () => makeTmp('mlp-lens-oracle-');

/** The python interpreter that imports numpy: /usr/bin/python3 first (Debian's), else python3 on PATH. */
function findPython(): { python: string | null; tried: string[] } {
  const tried: string[] = [];
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import numpy, sys; print(sys.executable, numpy.__version__)'], { encoding: 'utf8' });
    tried.push(`${py}: ${r.error ? r.error.message : r.status === 0 ? r.stdout.trim() : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
    if (r.status === 0) return { python: py, tried };
  }
  return { python: null, tried };
}

let PYTHON = '';

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first with 'node scripts/build.mjs'`);
  assert.ok(existsSync(ORACLE), `${ORACLE} is missing`);
  const { python, tried } = findPython();
  assert.ok(
    python,
    `no python3 with numpy found (tried: ${tried.join('; ')}). ` +
      `Install numpy for python3: apt-get install python3-numpy (Debian/Ubuntu) or pip install numpy.`,
  );
  PYTHON = python;
  console.log(`oracle python (with numpy): ${tried.find((t) => t.startsWith(python)) ?? python}`);
});

function oracle(args: string[]): SpawnSyncReturns<string> {
  assert.ok(PYTHON, 'no python3 with numpy (apt-get install python3-numpy)');
  return spawnSync(PYTHON, [ORACLE, ...args], { encoding: 'utf8', timeout: 120_000 });
}

interface Case {
  name: string;
  config: Record<string, unknown>;
}

const DIGITS = { type: 'digits' };
const SPIRAL = { type: 'spiral', samples: 300, classes: 3, noise: 0.1 };

const CASES: Case[] = [];
for (const activation of ['sigmoid', 'tanh', 'relu'] as const) {
  const init = activation === 'relu' ? 'he_normal' : 'glorot_uniform';
  CASES.push({
    name: `digits 64-32-32-32-10 ${activation} batch 32`,
    config: { dataset: DIGITS, layers: [32, 32, 32], activation, init, lr: 0.1, batchSize: 32, epochs: 1, seed: 7 },
  });
  CASES.push({
    name: `spiral 2-16-16-16-3 ${activation} batch 16`,
    config: { dataset: SPIRAL, layers: [16, 16, 16], activation, init, lr: 0.05, batchSize: 16, epochs: 1, seed: 3 },
  });
  CASES.push({
    name: `spiral (5 classes) odd sizes 2-7-13-7-5 ${activation} batch 23`,
    config: { dataset: { type: 'spiral', samples: 250, classes: 5 }, layers: [7, 13, 7], activation, init, lr: 0.3, batchSize: 23, epochs: 1, seed: 11 },
  });
}
// saturating starts (large weights, non-zero biases): exercises the saturation fractions and tiny gradients
CASES.push({
  name: 'digits sigmoid, normal(std 1) init with bias 0.5 (saturated) batch 24',
  config: { dataset: DIGITS, layers: [32, 32, 32], activation: 'sigmoid', init: { scheme: 'normal', std: 1, bias: 0.5 }, lr: 0.1, batchSize: 24, epochs: 1, seed: 5 },
});
CASES.push({
  name: 'digits tanh, normal(std 1) init with bias -0.2 (saturated) batch 16',
  config: { dataset: DIGITS, layers: [32, 32, 32], activation: 'tanh', init: { scheme: 'normal', std: 1, bias: -0.2 }, lr: 0.1, batchSize: 16, epochs: 1, seed: 5 },
});
CASES.push({
  name: 'spiral mixed activations [relu, tanh, sigmoid] batch 20',
  config: { dataset: SPIRAL, layers: [12, 9, 6], activation: ['relu', 'tanh', 'sigmoid'], init: 'glorot_normal', lr: 0.2, batchSize: 20, epochs: 1, seed: 2 },
});

function writeConfig(dir: string, cfg: Record<string, unknown>, name = 'case.mlp.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** dump + oracle comparison; returns the parsed dump files. */
function dumpAndCompare(dir: string, cfgFile: string, extra: string[] = []): { input: any; result: any } {
  const prefix = join(dir, 'x');
  const d = cli(['dump', cfgFile, '--out', prefix, ...extra], dir);
  assert.equal(d.status, 0, `dump failed:\n${show(d)}`);
  assert.ok(existsSync(`${prefix}.in.json`) && existsSync(`${prefix}.out.json`), 'dump did not write PREFIX.in.json and PREFIX.out.json');
  const o = oracle([`${prefix}.in.json`, '--compare', `${prefix}.out.json`, '--rtol', '1e-4']);
  assert.equal(o.status, 0, `the oracle disagrees with the engine (${cfgFile}):\n${show(o)}`);
  return { input: JSON.parse(readFileSync(`${prefix}.in.json`, 'utf8')), result: JSON.parse(readFileSync(`${prefix}.out.json`, 'utf8')) };
}

function close(a: number, b: number, rtol: number): boolean {
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)) + 1e-300;
}

test('oracle --selftest: the hand-checkable example of spec section 4', () => {
  const r = oracle(['--selftest']);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /selftest: ok/);
});

test('oracle detects a wrong result (a perturbed dW fails the comparison)', () => {
  const dir = tmp();
  const cfg = writeConfig(dir, CASES[1]!.config);
  const { result } = dumpAndCompare(dir, cfg);
  result.layers[1].dW[0] = result.layers[1].dW[0] * 1.01 + 1e-3;
  writeFileSync(join(dir, 'bad.out.json'), JSON.stringify(result));
  const o = oracle([join(dir, 'x.in.json'), '--compare', join(dir, 'bad.out.json'), '--rtol', '1e-4']);
  assert.equal(o.status, 1, `expected a mismatch (exit 1):\n${show(o)}`);
  assert.match(o.stdout, /layers\[1\]\.dW.*MISMATCH/);
});

for (const c of CASES) {
  test(`engine gradients match the float64 oracle: ${c.name}`, () => {
    const dir = tmp();
    const cfgFile = writeConfig(dir, c.config);
    const { input, result } = dumpAndCompare(dir, cfgFile);
    const hidden = c.config.layers as number[];
    assert.equal(input.layer_sizes.length, hidden.length + 2);
    assert.deepEqual(input.layer_sizes.slice(1, -1), hidden);
    assert.equal(input.y.length, c.config.batchSize, 'the dumped batch should be one full minibatch');
    assert.equal(result.batch_size, c.config.batchSize);
    assert.equal(input.lr, c.config.lr);
    assert.equal(result.dtype, 'float32');
    assert.equal(input.activations.at(-1), 'softmax');
  });
}

test('dump --no-probs: the result has no probs and still matches the oracle', () => {
  const dir = tmp();
  const cfgFile = writeConfig(dir, CASES[0]!.config);
  const { result } = dumpAndCompare(dir, cfgFile, ['--no-probs']);
  assert.ok(!('probs' in result), 'probs should be omitted with --no-probs');
});

test('dump --variant NAME dumps that variant (and matches the oracle)', () => {
  const dir = tmp();
  const cfgFile = writeConfig(dir, {
    dataset: SPIRAL, layers: [8, 8, 8], activation: 'sigmoid', lr: 0.1, batchSize: 16, epochs: 1, seed: 1,
    variants: [{ name: 'sig' }, { name: 'relu-he', activation: 'relu', init: 'he_uniform', lr: 0.02 }],
  });
  const { input } = dumpAndCompare(dir, cfgFile, ['--variant', 'relu-he']);
  assert.deepEqual(input.activations, ['relu', 'relu', 'relu', 'softmax']);
  assert.equal(input.lr, 0.02);
  // without --variant a multi-variant config is refused with exit 2 and a clear message
  const r = cli(['dump', cfgFile, '--out', join(dir, 'y')], dir);
  assert.equal(r.status, 2, show(r));
  assert.match(r.stderr, /variant/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
});

test('dump refuses activations outside the mlp-oracle/v1 format (leaky_relu) with exit 2, no stack trace', () => {
  const dir = tmp();
  const cfgFile = writeConfig(dir, { dataset: SPIRAL, layers: [8, 8, 8], activation: 'leaky_relu', batchSize: 16, epochs: 1, seed: 1 });
  const r = cli(['dump', cfgFile, '--out', join(dir, 'x')], dir);
  assert.equal(r.status, 2, show(r));
  assert.match(r.stderr, /leaky_relu/);
  assert.match(r.stderr, /case\.mlp\.json/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.ok(!existsSync(join(dir, 'x.in.json')), 'nothing should be written');
});

/** The dump's batch and weights are what `train` starts with: the first step record's probes equal the dump's. */
for (const c of [CASES[0]!, CASES[1]!, CASES[5]!, CASES[6]!, CASES[8]!, CASES[9]!]) {
  test(`dump's first batch and weights are train's: ${c.name}`, () => {
    const dir = tmp();
    const cfgFile = writeConfig(dir, c.config);
    const { result } = dumpAndCompare(dir, cfgFile);
    const t = cli(['train', cfgFile, '--epochs', '1', '--out', join(dir, 'run')], dir);
    assert.equal(t.status, 0, `train failed:\n${show(t)}`);
    const first = runRecords(join(dir, 'run', 'base')).records.find((r) => r.kind === 'step');
    assert.ok(first, 'the run has no step record');
    assert.equal(first.step, 1, 'the first step record should be step 1 (probes.every defaults to 1)');
    assert.equal(first.layers.length, result.layers.length);
    const rtol = 1e-6;
    for (let k = 0; k < result.layers.length; k++) {
      const p = first.layers[k];
      const d = result.layers[k];
      assert.equal(p.layer, k);
      assert.ok(close(p.delta, d.delta_norm, rtol), `layer ${k}: train's first delta ${p.delta} != dump's delta_norm ${d.delta_norm}`);
      assert.ok(close(p.gradW, d.grad_norm_W, rtol), `layer ${k}: train's first gradW ${p.gradW} != dump's grad_norm_W ${d.grad_norm_W}`);
      assert.ok(close(p.gradB, d.grad_norm_b, rtol), `layer ${k}: train's first gradB ${p.gradB} != dump's grad_norm_b ${d.grad_norm_b}`);
      if (d.saturation === null) assert.equal(p.saturation, null);
      else assert.ok(close(p.saturation, d.saturation, rtol), `layer ${k}: saturation ${p.saturation} != ${d.saturation}`);
    }
    assert.ok(close(first.loss, result.loss, rtol), `first step loss ${first.loss} != dump loss ${result.loss}`);
    assert.ok(close(first.accuracy, result.accuracy, rtol), `first step accuracy ${first.accuracy} != dump accuracy ${result.accuracy}`);
  });
}
