/**
 * A pool worker that dies (an uncaught error, process.exit in the thread) while training an
 * experiment's run: that run and the one queued behind it end "failed" with the reason in their
 * summary.json and in experiment.json, the other runs complete (the other worker goes on, a new
 * thread takes the next run), and the CLI says it in one line and exits 1. The worker dies through
 * the test hook MLP_LENS_TEST_POOL_CRASH (src/node/pool-worker.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crashHook } from '../../src/node/pool-worker';
import { markRunFailed, type ExperimentRecord } from '../../src/runs/experiment-record';
import { readSummary } from '../../src/runs/summary';
import { CLI, show, tmp } from '../support/cli';

// six runs of the same cost (handed out in the grid's order): "lr=0.01 seed=3" first
const config = {
  name: 'crashy', dataset: { type: 'moons', samples: 400 }, layers: [16, 16], epochs: 30, batchSize: 16, seed: 3,
  sweep: { lr: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06] },
};

function trainWithCrash(how: 'throw' | 'exit') {
  const dir = tmp('mlp-lens-crash-');
  writeFileSync(join(dir, 'c.mlp.json'), JSON.stringify(config));
  const r = spawnSync(process.execPath, [CLI, 'train', 'c.mlp.json', '--out', 'out', '--jobs', '2'], {
    cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, MLP_LENS_TEST_POOL_CRASH: `${how}:lr=0.01 seed=3` },
  });
  const rec = JSON.parse(readFileSync(join(dir, 'out', 'experiment.json'), 'utf8')) as ExperimentRecord;
  return { r, rec, out: join(dir, 'out') };
}

describe('a pool worker that dies', () => {
  for (const how of ['exit', 'throw'] as const) {
    test(`(${how}): its run and the one queued behind it fail with the reason, the others complete`, () => {
      const { r, rec, out } = trainWithCrash(how);
      assert.equal(r.status, 1, show(r));
      const why = how === 'exit' ? /a training worker died \(it exited with code 7\)/ : /a training worker died \(an uncaught error: MLP_LENS_TEST_POOL_CRASH: this worker dies\)/;
      // one line for the death, naming both runs
      const lines = r.stderr.split('\n').filter((l) => /training worker died/.test(l));
      assert.equal(lines.length, 1, show(r));
      assert.match(lines[0]!, why);
      assert.match(lines[0]!, /"lr=0\.01 seed=3" and "lr=0\.0\d seed=3" failed, the other runs go on$/);
      const failed = rec.runs.filter((x) => x.status === 'failed');
      assert.deepEqual(rec.runs.map((x) => x.status).sort(), ['completed', 'completed', 'completed', 'completed', 'failed', 'failed'], show(r));
      const [first, queued] = [failed.find((x) => x.name === 'lr=0.01 seed=3')!, failed.find((x) => x.name !== 'lr=0.01 seed=3')!];
      assert.ok(first && queued, failed.map((x) => x.name).join(','));
      assert.match(first.failure ?? '', why);
      assert.match(first.failure ?? '', /while training this run$/);
      assert.match(queued.failure ?? '', /before this run, queued behind another, started$/);
      // their own summaries say it too: nothing is left "running"
      const s1 = readSummary(join(out, first.folder));
      assert.equal(s1.status, 'failed');
      assert.match(s1.failure ?? '', /while training this run$/);
      assert.ok(s1.steps >= 0 && s1.finishedAt !== null);
      const s2 = readSummary(join(out, queued.folder));
      assert.equal(s2.status, 'failed');
      assert.match(s2.failure ?? '', /queued behind another/);
      for (const x of rec.runs.filter((y) => y.status === 'completed')) assert.equal(readSummary(join(out, x.folder)).status, 'completed');
      // one progress line per run, the failed ones with their reason
      assert.equal(r.stdout.split('\n').filter((l) => /^\[\s*\d\/6\] /.test(l)).length, 6, show(r));
      assert.match(r.stdout, /^\[\s*\d\/6\] lr=0\.01 seed=3 {2}failed .*\(a training worker died/m);
      // train again: the failed runs train, the completed ones are kept
      const again = spawnSync(process.execPath, [CLI, 'train', 'c.mlp.json', '--out', 'out', '--jobs', '2'], { cwd: join(out, '..'), encoding: 'utf8', timeout: 300_000 });
      assert.equal(again.status, 0, show(again));
      assert.match(again.stdout, /4 runs completed earlier \(same config\): kept/);
      const rec2 = JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')) as ExperimentRecord;
      assert.deepEqual(rec2.runs.map((x) => x.status), Array(6).fill('completed'));
    });
  }

  test('the hook is read only in its exact form', () => {
    assert.deepEqual(crashHook('exit:lr=0.01'), { how: 'exit', run: 'lr=0.01' });
    assert.deepEqual(crashHook('throw:a b'), { how: 'throw', run: 'a b' });
    for (const v of [undefined, '', '1', 'exit', 'exit:', 'kill:x', ' exit:x']) assert.equal(crashHook(v), null, String(v));
  });

  test('markRunFailed keeps a final summary and gives a run that never started a whole record', () => {
    const dir = tmp('mlp-lens-mark-');
    const cfg = { name: 'n', variant: 'v', batchSize: 8, epochs: 2 } as unknown as Parameters<typeof markRunFailed>[1];
    const s = markRunFailed(dir, cfg, '/x/c.mlp.json', 'the worker died');
    assert.equal(s.status, 'failed');
    assert.equal(readSummary(dir).failure, 'the worker died');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), cfg);
    // already final: kept as it is
    const again = markRunFailed(dir, cfg, null, 'something else');
    assert.equal(again.failure, 'the worker died');
  });
});
