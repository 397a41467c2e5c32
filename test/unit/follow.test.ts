/**
 * Follow Run's loop without VS Code (src/runs/follow.ts): the CLI trains in a child process
 * while a RunFollower reads its --out folder by explicit ticks; the follower's model grows while
 * the CLI runs and ends with exactly the records on disk (as loadRunModel reads the finished
 * folder) and the run's final status. A folder that becomes unreadable ends following with its
 * name in the message.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, tmp } from '../support/cli';
import { RunFollower } from '../../src/runs/follow';
import { findRunGroups, loadRunModel } from '../../src/runs/loader';

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first with 'node scripts/build.mjs'`);
});

const LONG = { dataset: { type: 'spiral', samples: 3000, classes: 3 }, layers: [64, 64, 64], activation: 'tanh', lr: 0.05, batchSize: 16, epochs: 120, seed: 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startCli(dir: string, cfg: unknown): Promise<{ out: string; exited: Promise<number | null> }> {
  writeFileSync(join(dir, 'long.mlp.json'), JSON.stringify(cfg));
  const out = join(dir, 'out');
  const child = spawn(process.execPath, [CLI, 'train', 'long.mlp.json', '--out', out], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while (!existsSync(join(out, 'base', 'summary.json')) || !existsSync(join(out, 'base', 'config.json'))) {
    assert.ok(Date.now() - t0 < 60_000, 'the CLI wrote no summary.json within 60 s');
    await sleep(20);
  }
  return { out, exited };
}

test('follow: a run the CLI is writing grows in the model and ends with exactly the records on disk, completed', async () => {
  const dir = tmp('mlp-lens-follow-');
  const { out, exited } = await startCli(dir, LONG);
  let exitCode: number | null | undefined;
  void exited.then((c) => { exitCode = c; });
  const groups = await findRunGroups([out]);
  assert.equal(groups.length, 1);
  const follower = await RunFollower.open(groups[0]!.dirs, 2000, 'followed-test', groups[0]!.roots);
  const model = follower.model;
  assert.equal(model.status, 'running');
  const seen: number[] = [];
  while (await follower.tick()) {
    if (exitCode === undefined) seen.push(model.variants[0]!.meta.step);
    await sleep(100);
  }
  assert.equal(await exited, 0);
  assert.deepEqual(follower.end, { how: 'finished' });
  const grew = seen.filter((s, i) => i > 0 && s > seen[i - 1]!).length;
  assert.ok(grew >= 2, `the step count grew while the CLI ran (${seen.join(', ')})`);
  const done = await loadRunModel(groups[0]!.dirs, 2000, 'loaded', groups[0]!.roots);
  const a = model.variants[0]!, b = done.variants[0]!;
  assert.equal(model.status, 'completed');
  assert.equal(a.meta.status, 'completed');
  assert.equal(a.meta.step, b.meta.step);
  assert.equal(a.meta.step, LONG.epochs * Math.ceil(3000 * 0.8 / 16));
  assert.equal(a.meta.totalSteps, b.meta.totalSteps);
  assert.deepEqual(a.epochs, b.epochs);
  const pa = a.store.pack(), pb = b.store.pack();
  assert.equal(pa.count, pb.count);
  assert.deepEqual(pa, pb, 'the same history columns (the last record included) as the finished folder opened');
  assert.equal(follower.problems.length, 0);
});

test('follow: a folder that becomes unreadable ends following with a message naming it', async () => {
  const dir = tmp('mlp-lens-follow-');
  const { out, exited } = await startCli(dir, { ...LONG, epochs: 5 });
  assert.equal(await exited, 0);
  const groups = await findRunGroups([out]);
  const follower = await RunFollower.open(groups[0]!.dirs, 500, 'followed-gone', groups[0]!.roots);
  rmSync(join(out, 'base'), { recursive: true, force: true });
  assert.equal(await follower.tick(), false);
  const end = follower.end;
  assert.equal(end?.how, 'unreadable');
  assert.match(end!.how === 'unreadable' ? end.message : '', /cannot follow the run in .*out\/base/);
  assert.equal(follower.model.status, 'interrupted');
  assert.equal(follower.model.variants[0]!.meta.status, 'interrupted');
});

test('follow: start() polls until stopped, one tick at a time', async () => {
  const dir = tmp('mlp-lens-follow-');
  const { out, exited } = await startCli(dir, { ...LONG, epochs: 3 });
  assert.equal(await exited, 0);
  const groups = await findRunGroups([out]);
  const follower = await RunFollower.open(groups[0]!.dirs, 500, 'followed-start', groups[0]!.roots);
  let alive = true;
  follower.start(20, () => alive);
  assert.deepEqual(await follower.ended, { how: 'finished' });
  assert.equal(follower.model.status, 'completed');
  const stopped = await RunFollower.open(groups[0]!.dirs, 500, 'followed-stop', groups[0]!.roots);
  alive = false;
  stopped.start(20, () => alive);
  assert.deepEqual(await stopped.ended, { how: 'stopped' });
});
