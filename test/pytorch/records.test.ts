/**
 * Run records written by mlp_lens (python/) read by every reader of the extension: the run
 * reader (metrics.bin and metrics.jsonl), an independent metrics.bin reader written from
 * docs/cli.md, Open Run's loader, Follow on a run being written, `mlp-lens runs --json` and
 * `mlp-lens export --csv`. The numbers read back are exactly those watch measured.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EpochRecord, StepRecord } from '../../src/engine/trainer';
import { RunFollower } from '../../src/runs/follow';
import { loadRunModel } from '../../src/runs/loader';
import { readRunConfig, readRunRecords } from '../../src/runs/read';
import { recordCheckFor } from '../../src/runs/validate';
import { cli, ROOT, show, tmp } from '../support/cli';
import { pythonEnv, requireTorch, skipWithoutTorch } from '../support/python';
import { readStepsFile } from '../support/steps-file';

const SCRIPT = join(ROOT, 'test', 'pytorch', 'write_run.py');
const skip = skipWithoutTorch();

function writeRun(dir: string, format: string): (StepRecord | EpochRecord)[] {
  const r = spawnSync(requireTorch(), [SCRIPT, dir, format], { encoding: 'utf8', env: pythonEnv(), timeout: 120_000 });
  assert.equal(r.status, 0, `write_run.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as (StepRecord | EpochRecord)[];
}

async function readAll(dir: string): Promise<{ format: string; records: (StepRecord | EpochRecord)[] }> {
  const cfg = await readRunConfig(dir);
  const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
  const m = await readRunRecords(dir, recordCheckFor(cfg), (s, e) => { steps.push(...s); epochs.push(...e); });
  assert.equal(m.badCount, 0, `${dir}: ${m.problems.join('; ')}`);
  // in training order: an epoch record after the steps up to its step
  const records: (StepRecord | EpochRecord)[] = [];
  let e = 0;
  for (const s of steps) {
    while (e < epochs.length && epochs[e]!.step < s.step) records.push(epochs[e++]!);
    records.push(s);
  }
  records.push(...epochs.slice(e));
  return { format: m.format, records };
}

test('a PyTorch run in metrics.bin and in metrics.jsonl reads back exactly as watch measured it, in every reader', { skip }, async () => {
  const dir = tmp('mlp-lens-torch-records-');
  const runs = join(dir, 'runs');
  const made = { binary: writeRun(join(runs, 'bin'), 'binary'), jsonl: writeRun(join(runs, 'jsonl'), 'jsonl') };
  assert.deepEqual(made.binary, made.jsonl, 'the same seed trains the same numbers');
  const steps = made.binary.filter((r) => r.kind === 'step').map((r) => r.step);
  // 7 steps an epoch (the 7th has 8 rows), every 2, the last step: 1, 2, 4, ..., 20, 21
  assert.deepEqual(steps, [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21]);
  for (const [name, format] of [['bin', 'binary'], ['jsonl', 'jsonl']] as const) {
    const got = await readAll(join(runs, name));
    assert.equal(got.format, format);
    assert.deepEqual(got.records, made[format], `${name}: the run reader gives back watch's records`);
  }
  // the independent reader of docs/cli.md: every frame whole, its CRC right, its rows counted
  const f = readStepsFile(join(runs, 'bin', 'metrics.bin'));
  assert.equal(f.frames.length, 12);
  assert.deepEqual(f.badCrc, []);
  assert.equal(f.tornBytes, 0);
  assert.deepEqual(f.frames.map((x) => x.rows), [32, 32, 32, 32, 32, 32, 32, 8, 32, 32, 32, 8], "the rows of each frame: steps 14 and 21 end an epoch");
  // Open Run's loader
  const model = await loadRunModel([join(runs, 'bin')], 2000, 'torch');
  assert.equal(model.status, 'completed');
  assert.equal(model.variants[0]!.meta.step, 21);
  assert.equal(model.variants[0]!.epochs.length, 3);
  // the CLI: runs --json and export --csv
  const listed = cli(['runs', runs, '--json'], dir);
  assert.equal(listed.status, 0, show(listed));
  const entries = (JSON.parse(listed.stdout) as { entries: { name: string; status: string; steps: number; testAccuracy: number }[] }).entries;
  const lastEpoch = made.binary.filter((r): r is EpochRecord => r.kind === 'epoch').at(-1)!;
  assert.deepEqual(entries.map((e) => [e.name, e.status, e.steps, e.testAccuracy]).sort(),
    [['bin', 'completed', 21, lastEpoch.test!.accuracy], ['jsonl', 'completed', 21, lastEpoch.test!.accuracy]]);
  const csv = join(dir, 'out.csv');
  const ex = cli(['export', join(runs, 'bin'), join(runs, 'jsonl'), '--csv', csv], dir);
  assert.equal(ex.status, 0, show(ex));
  const rows = readFileSync(csv, 'utf8').trim().split('\r\n').slice(1);
  const of = (run: string) => rows.filter((r) => r.startsWith(`${run},`)).map((r) => r.slice(run.length + 1).replace(/^(binary|jsonl),/, ''));
  // 12 step records of 3 + 3 × 7 − 1 values (no output saturation), 3 epoch records of 4
  assert.equal(of('bin').length, 12 * 23 + 3 * 4);
  assert.deepEqual(of('bin'), of('jsonl'), 'the CSV rows of both forms are the same');
  const s1 = made.binary[0] as StepRecord;
  assert.ok(of('bin').includes(`0,1,0,1,delta,${s1.layers[1]!.delta}`), 'the CSV holds step 1\'s ‖δ‖ of layer 1 as watch measured it');
});

test('Follow shows a PyTorch run while watch writes it, and ends with the records on disk', { skip }, async () => {
  const dir = tmp('mlp-lens-torch-follow-');
  const run = join(dir, 'run'), go = join(dir, 'go');
  const p = spawn(requireTorch(), [SCRIPT, run, 'binary', '--pause', go], { env: pythonEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<number | null>((r) => p.on('close', r));
  const t0 = Date.now();
  while (!existsSync(join(run, 'epochs.jsonl')) || readFileSync(join(run, 'epochs.jsonl'), 'utf8') === '') {
    assert.ok(Date.now() - t0 < 120_000, `no epoch record within 120 s: ${stderr}`);
    await sleep(50);
  }
  const follower = await RunFollower.open([run], 2000, 'followed');
  assert.equal(await follower.tick(), true);
  const v = follower.model.variants[0]!;
  assert.equal(follower.model.status, 'running');
  assert.equal(v.meta.step, 6, "the first epoch's records (steps 1 to 6) show while the run is paused");
  assert.equal(v.epochs.length, 1);
  writeFileSync(go, '');
  assert.equal(await exited, 0, stderr);
  while (await follower.tick()) await sleep(20);
  assert.deepEqual(follower.end, { how: 'finished' });
  assert.equal(follower.model.status, 'completed');
  assert.equal(v.meta.step, 21);
  const done = await loadRunModel([run], 2000, 'loaded');
  assert.deepEqual(v.store.pack(), done.variants[0]!.store.pack(), 'the same history as the finished folder opened');
  assert.equal(follower.problems.length, 0);
  assert.ok(stdout.length > 0);
});
