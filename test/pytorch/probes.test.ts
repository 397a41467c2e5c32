/**
 * mlp_lens.watch's step-1 probes against the engine's (docs/dump-format.md section 5): the torch
 * model is built from the network's initial weights and first batch (an `mlp-lens dump` input;
 * for leaky_relu, which the dump format leaves out, the same fields from a fresh trainer), one SGD
 * step runs with watch, and every probe of its step-1 record (read back with the run reader)
 * is compared with step 1 of the engine's own run of the same config and seed.
 *
 * float32: rtol 1e-4 on every real number; saturation, per-unit saturation and histogram counts
 * exactly, except entries whose verdict float32 rounding can flip (a value within 1e-5 of a
 * threshold or a bin edge; the test counts them and allows that many). float64 (the engine's
 * float64 network): rtol 1e-9 and counts exact.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../../src/engine/config';
import { loadDataset } from '../../src/engine/datasets';
import { copyStepRecord, Trainer, type StepRecord } from '../../src/engine/trainer';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { readRunConfig, readRunRecords } from '../../src/runs/read';
import { recordCheckFor } from '../../src/runs/validate';
import { cli, ROOT, show, tmp } from '../support/cli';
import { pythonEnv, requireTorch, skipWithoutTorch } from '../support/python';

const SCRIPT = join(ROOT, 'test', 'pytorch', 'probe_step.py');
const skip = skipWithoutTorch();

interface Case { name: string; activation: string[]; init: unknown; slope?: number }
const CASES: Case[] = [
  { name: 'sigmoid', activation: ['sigmoid', 'sigmoid', 'sigmoid'], init: 'glorot_uniform' },
  { name: 'tanh', activation: ['tanh', 'tanh', 'tanh'], init: 'glorot_normal' },
  { name: 'relu', activation: ['relu', 'relu', 'relu'], init: 'he_normal' },
  { name: 'leaky_relu', activation: ['leaky_relu', 'leaky_relu', 'leaky_relu'], init: 'he_uniform', slope: 0.1 },
  { name: 'mixed', activation: ['sigmoid', 'relu', 'tanh'], init: { scheme: 'normal', std: 0.3 } },
  { name: 'mixed-leaky', activation: ['leaky_relu', 'tanh', 'sigmoid'], init: { scheme: 'normal', std: 1 } },
];

function configText(c: Case): string {
  return JSON.stringify({
    name: `probes-${c.name}`, dataset: { type: 'digits', testFraction: 0.2, seed: 0 }, layers: [64, 48, 32],
    activation: c.activation, ...(c.slope ? { leakyReluSlope: c.slope } : {}), init: c.init, optimizer: 'sgd', lr: 0.1,
    batchSize: 32, epochs: 1, seed: 5, probes: { every: 1000, histogramBins: 20, unitSaturation: true },
  });
}

async function engineSetup(file: string, dtype: 'float32' | 'float64'): Promise<{ input: object; rec: StepRecord }> {
  const cfg = resolveConfig(readFileSync(file, 'utf8'), file)[0]!;
  const data = await loadDataset(cfg.dataset, nodeDataIO(ROOT, findAssetDir()), file);
  // the dump's fields, from a trainer that has not trained (as gradientDump takes them)
  const fresh = new Trainer(cfg, data, dtype, undefined, { threads: 1 });
  const M = fresh.loadBatch();
  const net = fresh.net;
  const input = {
    layer_sizes: net.sizes, activations: [...cfg.activation, 'softmax'], leakyReluSlope: cfg.leakyReluSlope,
    weights: net.layers.map((l) => Array.from(l.W)), biases: net.layers.map((l) => Array.from(l.b)),
    X: Array.from(fresh.batch.X.subarray(0, M * net.sizes[0]!)), y: Array.from(fresh.batch.y.subarray(0, M)), lr: cfg.lr,
  };
  fresh.dispose();
  const t = new Trainer(cfg, data, dtype, undefined, { threads: 1 });
  const rec = copyStepRecord(t.trainStep()!);
  t.dispose();
  return { input, rec };
}

async function stepsOf(dir: string): Promise<StepRecord[]> {
  const cfg = await readRunConfig(dir);
  const steps: StepRecord[] = [];
  const m = await readRunRecords(dir, recordCheckFor(cfg), (s) => steps.push(...s));
  assert.equal(m.badCount, 0, `${dir}: ${m.problems.join('; ')}`);
  return steps;
}

/** probe_step.py on [input, out folder, dtype] triples, in one python process. */
function torchSteps(...runs: [string, string, string][]): void {
  const r = spawnSync(requireTorch(), [SCRIPT, ...runs.flat()], { encoding: 'utf8', env: pythonEnv(), timeout: 120_000 });
  assert.equal(r.status, 0, `probe_step.py failed: ${r.stderr}`);
}

/** Hidden activations within `band` of a saturation threshold or a histogram bin edge: verdicts rounding may flip. */
function borderline(input: { layer_sizes: number[]; weights: number[][]; biases: number[][]; X: number[]; activations: string[]; leakyReluSlope: number }, band: number): number[] {
  const { layer_sizes: n } = input;
  const B = input.X.length / n[0]!;
  let a = input.X;
  const out: number[] = [];
  for (let k = 0; k < n.length - 2; k++) {
    const z = new Array<number>(B * n[k + 1]!).fill(0);
    for (let b = 0; b < B; b++) for (let o = 0; o < n[k + 1]!; o++) {
      let s = input.biases[k]![o]!;
      for (let i = 0; i < n[k]!; i++) s += a[b * n[k]! + i]! * input.weights[k]![o * n[k]! + i]!;
      z[b * n[k + 1]! + o] = s;
    }
    const act = input.activations[k]!;
    const f = (x: number) => act === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : act === 'tanh' ? Math.tanh(x) : act === 'relu' ? Math.max(x, 0) : act === 'leaky_relu' ? (x > 0 ? x : input.leakyReluSlope * x) : x;
    const lo = { sigmoid: 0, tanh: -1, relu: 0, leaky_relu: -0.5, linear: -4 }[act]!, hi = { sigmoid: 1, tanh: 1, relu: 4, leaky_relu: 4, linear: 4 }[act]!;
    const edges = Array.from({ length: 21 }, (_, i) => lo + (i * (hi - lo)) / 20);
    const thresholds = act === 'sigmoid' ? [0.05, 0.95] : act === 'tanh' ? [-0.95, 0.95] : [];
    let near = 0;
    a = z.map((x) => {
      const v = f(x);
      if ([...edges, ...thresholds].some((e) => Math.abs(v - e) < band * Math.max(1, Math.abs(e))) || ((act === 'relu' || act === 'leaky_relu') && Math.abs(x) < band)) near++;
      return v;
    });
    out.push(near);
  }
  return out;
}

function close(what: string, got: number, want: number, rtol: number, atol = 0): void {
  assert.ok(Number.isFinite(got) && Math.abs(got - want) <= rtol * Math.abs(want) + atol, `${what}: torch ${got}, engine ${want} (rtol ${rtol})`);
}

function compare(name: string, torch: StepRecord, engine: StepRecord, rtol: number, flips: number[], rows: number): void {
  assert.equal(torch.step, 1);
  close(`${name} loss`, torch.loss, engine.loss, rtol);
  assert.equal(torch.accuracy, engine.accuracy, `${name} accuracy`);
  close(`${name} lr`, torch.lr, engine.lr, 0);
  assert.equal(torch.layers.length, engine.layers.length);
  for (const [k, e] of engine.layers.entries()) {
    const t = torch.layers[k]!, at = `${name} layer ${k}`;
    assert.equal(t.activation, e.activation, `${at} activation`);
    for (const key of ['gradW', 'gradB', 'delta', 'updateRatio', 'std'] as const) close(`${at} ${key}`, t[key], e[key], rtol);
    close(`${at} mean`, t.mean, e.mean, rtol, rtol * e.std);
    if (e.saturation === null) { assert.equal(t.saturation, null, `${at} saturation`); continue; }
    const units = e.unitSaturation!.length, allowed = flips[k] ?? 0;
    assert.ok(Math.abs(t.saturation! - e.saturation) * rows * units <= allowed + 1e-6, `${at} saturation: torch ${t.saturation}, engine ${e.saturation} (${allowed} borderline entries)`);
    const unitDiff = Array.from(t.unitSaturation!).reduce((s: number, u: number, j: number) => s + Math.abs(u - e.unitSaturation![j]!) * rows, 0);
    assert.ok(unitDiff <= allowed + 1e-6, `${at} unitSaturation differs in ${unitDiff} entries (${allowed} borderline)`);
    assert.deepEqual([t.histogram!.min, t.histogram!.max], [e.histogram!.min, e.histogram!.max], `${at} histogram range`);
    const moved = Array.from(t.histogram!.counts).reduce((s: number, c: number, b: number) => s + Math.abs(c - e.histogram!.counts[b]!), 0);
    assert.ok(moved <= 2 * allowed, `${at} histogram differs by ${moved} counts (${allowed} borderline): torch ${t.histogram!.counts}, engine ${e.histogram!.counts}`);
  }
}

for (const c of CASES) {
  test(`watch's step-1 probes equal the engine's: ${c.name}, float32 (rtol 1e-4) and float64 (rtol 1e-9)`, { skip }, async () => {
    const dir = tmp('mlp-lens-probes-');
    const file = join(dir, `${c.name}.mlp.json`);
    writeFileSync(file, configText(c));
    // float32: the network and batch from `mlp-lens dump` where the format allows it
    let inputFile = join(dir, 'dump.in.json');
    const f32 = await engineSetup(file, 'float32');
    if (c.activation.includes('leaky_relu')) {
      writeFileSync(inputFile, JSON.stringify(f32.input));
    } else {
      const r = cli(['dump', file, '--out', join(dir, 'dump'), '--no-probs'], dir);
      assert.equal(r.status, 0, show(r));
      const dumped = JSON.parse(readFileSync(inputFile, 'utf8')) as { weights: number[][]; X: number[] };
      const ours = f32.input as { weights: number[][]; X: number[] };
      assert.deepEqual(dumped.weights, ours.weights, 'the dump holds the trainer\'s initial weights');
      assert.deepEqual(dumped.X, ours.X, 'the dump holds the first batch');
    }
    const r = cli(['train', file, '--out', join(dir, 'engine'), '--json'], dir);
    assert.equal(r.status, 0, show(r));
    const engine = (await stepsOf(join(dir, 'engine', 'base')))[0]!;
    const f64 = await engineSetup(file, 'float64');
    const in64 = join(dir, 'in64.json');
    writeFileSync(in64, JSON.stringify(f64.input));
    torchSteps([inputFile, join(dir, 'torch32'), 'float32'], [in64, join(dir, 'torch64'), 'float64']);
    const t32 = (await stepsOf(join(dir, 'torch32')))[0]!;
    const input = JSON.parse(readFileSync(inputFile, 'utf8'));
    const rows = (input.y as number[]).length;
    compare(`${c.name} float32`, t32, engine, 1e-4, borderline(input, 1e-5), rows);
    // float64: the engine's float64 network against torch in float64
    const t64 = (await stepsOf(join(dir, 'torch64')))[0]!;
    compare(`${c.name} float64`, t64, f64.rec, 1e-9, borderline(f64.input as never, 1e-12), rows);
  });
}
