/**
 * metrics.bin from Python: the numpy snippet documented in docs/cli.md (under
 * `<!-- steps-reader -->`), run as it is there with python3 -c, reads the same numbers as the
 * TypeScript reader: every field of every frame, a torn tail dropped and a corrupted frame
 * filtered by its CRC. A python3 without numpy is a failure with its reason, not a skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { copyStepRecord, Trainer, type StepRecord } from '../../src/engine/trainer';
import { trainVariant } from '../../src/node/train-session';
import { readRunRecords } from '../../src/runs/read';
import { RunRecorder } from '../../src/runs/record';
import { runMeta } from '../../src/runs/summary';
import { checkRecord } from '../../src/runs/validate';
import { ROOT, tmp } from '../support/cli';
import { makeConfig, randomDataset } from '../support/fixtures';

/** The documented snippet: the python block after the steps-reader marker in docs/cli.md. */
function documentedSnippet(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8');
  const m = /<!-- steps-reader -->\n```python\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/cli.md has no python block after <!-- steps-reader -->');
  return m[1]!;
}

test('the numpy snippet of docs/cli.md reads metrics.bin as the TypeScript reader does', async () => {
  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (numpy.status !== 0) assert.fail(`python3 with numpy is required (Debian: apt-get install python3-numpy): ${(numpy.stderr || numpy.error?.message || '').trim().split('\n').at(-1)}`);
  const dir = tmp('mlp-py-');
  // 150 examples in batches of 16: short last batches; three activations, per-unit saturation on
  const cfg = makeConfig({ layers: [12, 9, 7], activation: ['relu', 'sigmoid', 'tanh'], batchSize: 16, epochs: 2 });
  const trainer = new Trainer(cfg, randomDataset(150, 4, 3, 11));
  const rec = new RunRecorder(dir, cfg, null, runMeta(trainer));
  const engine: StepRecord[] = [];
  await trainVariant(trainer, null, { recorder: rec, onStepTransient: true, onStep: (r) => engine.push(copyStepRecord(r)) });
  trainer.dispose();
  // a corrupted frame in the middle and a torn one at the end
  const file = path.join(dir, 'metrics.bin');
  const raw = fs.readFileSync(file);
  const fb = (JSON.parse(raw.subarray(12, 12 + raw.readUInt32LE(8)).toString()) as { frameBytes: number }).frameBytes;
  const d = raw.length - engine.length * fb;
  raw[d + 4 * fb + 50] ^= 0x10;
  fs.writeFileSync(file, Buffer.concat([raw, raw.subarray(d, d + 33)]));

  const ts: StepRecord[] = [];
  const m = await readRunRecords(dir, (v) => checkRecord(v, cfg), (s) => ts.push(...s));
  assert.equal(m.badCount, 1);
  assert.deepStrictEqual(ts, engine.filter((_, i) => i !== 4));

  const script = `${documentedSnippet()}
import sys
out = {"names": list(steps.dtype.names), "frames": [{k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in ((n, s[n]) for n in steps.dtype.names)} for s in steps],
       "loss": loss.tolist(), "hist": hist.tolist(), "unit_sat": unit_sat.tolist()}
json.dump(out, sys.stdout)
`;
  const py = spawnSync('python3', ['-c', script], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(py.status, 0, `python3 failed:\n${py.stderr}`);
  const got = JSON.parse(py.stdout.replace(/\bNaN\b/g, 'null')) as { names: string[]; frames: Record<string, number | number[] | null>[]; loss: number[]; hist: number[][]; unit_sat: number[][] };
  assert.equal(got.frames.length, ts.length, 'the corrupted and the torn frame are left out');
  ts.forEach((r, i) => {
    const f = got.frames[i]!;
    assert.equal(f.step, r.step);
    assert.equal(f.epoch, r.epoch);
    assert.equal(got.loss[i], r.loss, `loss of step ${r.step}`);
    assert.equal(f.accuracy, r.accuracy);
    assert.equal(f.lr, r.lr);
    r.layers.forEach((p, k) => {
      assert.equal(f[`saturation.${k}`], p.saturation, `saturation.${k} of step ${r.step}`);
      for (const q of ['mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const) assert.equal(f[`${q}.${k}`], p[q], `${q}.${k} of step ${r.step}`);
      if (p.histogram) assert.deepEqual(f[`histogram.${k}`], [...p.histogram.counts]);
      if (p.unitSaturation) assert.deepEqual((f[`unitSaturation.${k}`] as number[]).map((c) => c / (f.rows as number)), [...p.unitSaturation]);
    });
    assert.deepEqual(got.hist[i], [...r.layers[0]!.histogram!.counts]);
    assert.deepEqual(got.unit_sat[i], [...r.layers[0]!.unitSaturation!], `numpy's count / rows is the engine's fraction (step ${r.step})`);
  });
});
