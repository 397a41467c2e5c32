/**
 * `mlp-lens export torch examples/lecture.mlp.json` gives a script that trains with Debian's
 * torch and reproduces the lecture's result: over 5 seeds, per variant, the PyTorch runs and the
 * engine's runs of the same config agree. The rule (PyTorch draws other initial weights and batch
 * orders from the same distributions, so single runs differ; their means over seeds agree):
 * - init ‖δ1‖/‖δ3‖ (step 1): the geometric means over seeds within a factor of 1.25;
 * - init saturation (step 1, the mean of the hidden layers): the means within 0.03;
 * - test accuracy after the 5 epochs: the means within 0.06;
 * - sigmoid+glorot stays near chance in both: mean test accuracy below 0.25 (chance is 0.1),
 *   while relu+he passes 0.85 in both.
 * The script's runs read back as runs of the lecture config (config.json the engine's resolved
 * config, with the seed), so they open beside the engine's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EpochRecord, StepRecord } from '../../src/engine/trainer';
import { readRunConfig, readRunRecords, readRunSummary } from '../../src/runs/read';
import { recordCheckFor } from '../../src/runs/validate';
import { cli, ROOT, show, tmp } from '../support/cli';
import { pythonEnv, requireTorch, skipWithoutTorch } from '../support/python';

const skip = skipWithoutTorch();
const SEEDS = [0, 1, 2, 3, 4];
const VARIANTS: Record<string, string> = { 'sigmoid+glorot': 'sigmoid_glorot', 'relu+he': 'relu_he', 'sigmoid+normal(1)': 'sigmoid_normal_1' };

interface Outcome { deltaRatio: number; saturation: number; testAccuracy: number }

async function outcome(dir: string): Promise<Outcome> {
  const cfg = await readRunConfig(dir);
  const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
  const m = await readRunRecords(dir, recordCheckFor(cfg), (s, e) => { steps.push(...s); epochs.push(...e); });
  assert.equal(m.badCount, 0, `${dir}: ${m.problems.join('; ')}`);
  const init = steps[0]!;
  assert.equal(init.step, 1);
  const hidden = init.layers.slice(0, -1);
  assert.equal(epochs.length, 5, `${dir}: 5 epoch records`);
  return {
    deltaRatio: init.layers[0]!.delta / init.layers[2]!.delta,
    saturation: hidden.reduce((s, l) => s + l.saturation!, 0) / hidden.length,
    testAccuracy: epochs.at(-1)!.test!.accuracy,
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const geomean = (xs: number[]) => Math.exp(mean(xs.map(Math.log)));

test('the exported lecture script trains in PyTorch and agrees with the engine over 5 seeds', { skip }, async () => {
  const dir = tmp('mlp-lens-export-torch-');
  const config = join(ROOT, 'examples', 'lecture.mlp.json');
  const out = join(dir, 'lecture-torch');
  const ex = cli(['export', 'torch', config, '--out', out], dir);
  assert.equal(ex.status, 0, show(ex));
  assert.match(ex.stdout, /wrote .*train\.py \(sigmoid\+glorot, relu\+he, sigmoid\+normal\(1\)\)/);
  const script = readFileSync(join(out, 'train.py'), 'utf8');
  assert.match(script, /mlp_lens\.watch\(/);
  const py = spawnSync(requireTorch(), [join(out, 'train.py'), ...SEEDS.flatMap((s) => ['--seed', String(s)]), '--out', join(dir, 'torch')],
    { encoding: 'utf8', env: { ...pythonEnv(), PYTHONPATH: join(ROOT, 'python') }, timeout: 300_000 });
  assert.equal(py.status, 0, `train.py failed: ${py.stderr}`);
  const engine: Record<string, Outcome[]> = {}, torch: Record<string, Outcome[]> = {};
  for (const s of SEEDS) {
    const r = cli(['train', config, '--seed', String(s), '--out', join(dir, `engine-${s}`), '--json'], dir);
    assert.equal(r.status, 0, show(r));
    for (const [variant, folder] of Object.entries(VARIANTS)) {
      (engine[variant] ??= []).push(await outcome(join(dir, `engine-${s}`, folder)));
      const run = join(dir, 'torch', `${folder}-seed-${s}`);
      (torch[variant] ??= []).push(await outcome(run));
      const summary = await readRunSummary(run);
      assert.equal(summary.status, 'completed');
      assert.match(summary.kernel, /^pytorch /);
      const cfg = await readRunConfig(run);
      const engineCfg = await readRunConfig(join(dir, `engine-${s}`, folder));
      assert.deepEqual(cfg, engineCfg, `${variant} seed ${s}: the PyTorch run's config.json is the engine's resolved config`);
    }
  }
  const lines: string[] = [];
  for (const variant of Object.keys(VARIANTS)) {
    const e = engine[variant]!, t = torch[variant]!;
    const row = {
      deltaRatio: [geomean(t.map((o) => o.deltaRatio)), geomean(e.map((o) => o.deltaRatio))],
      saturation: [mean(t.map((o) => o.saturation)), mean(e.map((o) => o.saturation))],
      testAccuracy: [mean(t.map((o) => o.testAccuracy)), mean(e.map((o) => o.testAccuracy))],
    };
    lines.push(`${variant}: ‖δ1‖/‖δ3‖ torch ${row.deltaRatio[0]!.toFixed(4)} engine ${row.deltaRatio[1]!.toFixed(4)}; saturation ${row.saturation[0]!.toFixed(3)} / ${row.saturation[1]!.toFixed(3)}; test accuracy ${row.testAccuracy[0]!.toFixed(3)} / ${row.testAccuracy[1]!.toFixed(3)}`);
    const [dt, de] = row.deltaRatio as [number, number];
    assert.ok(Math.max(dt / de, de / dt) <= 1.25, `${variant}: init ‖δ1‖/‖δ3‖ ${dt} (torch) vs ${de} (engine)`);
    assert.ok(Math.abs(row.saturation[0]! - row.saturation[1]!) <= 0.03, `${variant}: init saturation ${row.saturation}`);
    assert.ok(Math.abs(row.testAccuracy[0]! - row.testAccuracy[1]!) <= 0.06, `${variant}: test accuracy ${row.testAccuracy}`);
    if (variant === 'sigmoid+glorot') assert.ok(row.testAccuracy.every((a) => a < 0.25), `sigmoid+glorot near chance in both: ${row.testAccuracy}`);
    if (variant === 'relu+he') assert.ok(row.testAccuracy.every((a) => a > 0.85), `relu+he learns in both: ${row.testAccuracy}`);
  }
  console.log(lines.join('\n'));
});
