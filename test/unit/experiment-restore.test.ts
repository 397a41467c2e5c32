/**
 * A restored Experiment panel (after a window reload): the webview's saved state is untrusted, so
 * its folder is accepted only when it is an experiment folder directly inside a folder the host
 * lists, not leading out of it through a link, with a readable experiment.json; anything else is
 * refused with a reason and nothing outside is read. The restored view shows the folder as it is:
 * a run left "running" that no live process holds is "interrupted", and the view says how many
 * runs are unfinished and that Train MLP resumes them. The pool's workers get the test hooks'
 * variables only in test mode.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { restorableExperiment, shownName } from '../../src/host/experiment/restore';
import { parseExperimentState } from '../../src/host/validate-message';
import { poolEnv } from '../../src/node/pool';
import { ExperimentReader, unfinishedNote } from '../../src/runs/experiment-view';
import { lockHeld, lockOutFolder } from '../../src/runs/outdir';
import { cli, show, tmp } from '../support/cli';

let ws: string;
let runs: string;
let exp: string;

before(() => {
  ws = tmp('mlp-lens-restore-');
  runs = join(ws, '.mlp-lens', 'runs');
  exp = join(runs, 'sw');
  writeFileSync(join(ws, 's.mlp.json'), JSON.stringify({
    name: 'sw', dataset: { type: 'moons', samples: 200 }, layers: [8], epochs: 2, batchSize: 32, sweep: { lr: [0.1, 0.2, 0.3] },
  }));
  const r = cli(['train', 's.mlp.json', '--out', exp, '--jobs', '1'], ws);
  assert.equal(r.status, 0, show(r));
});

describe('parseExperimentState', () => {
  test('takes the folder of a state the webview saves', () => {
    assert.deepEqual(parseExperimentState({ folder: '/a/b', sortKey: 'name', sortDescending: false, metric: 'testAccuracy', x: null, y: null }), { ok: true, msg: { folder: '/a/b' } });
    assert.deepEqual(parseExperimentState({ folder: 'C:\\runs\\x' }), { ok: true, msg: { folder: 'C:\\runs\\x' } });
  });
  test('refuses anything else, with the reason', () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /no saved state/], [null, /no saved state/], ['/a', /not an object/], [[], /not an object/],
      [{ sortKey: 'name' }, /names no experiment folder/], [{ folder: 'relative/x' }, /not an absolute path/],
      [{ folder: 7 }, /not an absolute path/], [{ folder: '/a\0b' }, /not an absolute path/], [{ folder: '/' + 'a'.repeat(5000) }, /not an absolute path/],
      [{ folder: '/a', runDirs: ['/etc'] }, /unexpected fields/],
    ];
    for (const [x, why] of bad) {
      const r = parseExperimentState(x);
      assert.equal(r.ok, false, JSON.stringify(x));
      assert.match((r as { reason: string }).reason, why);
    }
  });
});

describe('restorableExperiment', () => {
  test('an experiment folder directly inside a listed folder is restored', async () => {
    assert.deepEqual(await restorableExperiment({ folder: exp, sortKey: 'name' }, [runs]), { ok: true, folder: exp, name: 'sw' });
    // as the path is written matters not: it is resolved first
    assert.deepEqual(await restorableExperiment({ folder: join(runs, 'x', '..', 'sw') }, [join(runs, '.')]), { ok: true, folder: exp, name: 'sw' });
  });

  test('a folder the host does not list is refused without being read', async () => {
    // a whole experiment elsewhere: readable, but not offered
    const elsewhere = join(tmp('mlp-lens-elsewhere-'), 'sw');
    cpSync(exp, elsewhere, { recursive: true });
    const cases: [string, string[], RegExp][] = [
      [elsewhere, [runs], /is not an experiment folder in the run folders MLP Lens lists/],
      [runs, [runs], /not an experiment folder/], // the run folder itself
      [join(exp, 'lr_0.1'), [runs], /not an experiment folder/], // two levels down
      [join(runs, '..', '..', '..'), [runs], /not an experiment folder/],
      ['/etc', [runs], /not an experiment folder/],
      [exp, [], /not an experiment folder/],
    ];
    for (const [folder, roots, why] of cases) {
      const r = await restorableExperiment({ folder }, roots);
      assert.equal(r.ok, false, folder);
      assert.match((r as { reason: string }).reason, why, folder);
    }
  });

  test('a link leading out of the listed folder is refused', async () => {
    const outside = join(tmp('mlp-lens-outside-'), 'sw');
    cpSync(exp, outside, { recursive: true });
    symlinkSync(outside, join(runs, 'linked'));
    const r = await restorableExperiment({ folder: join(runs, 'linked') }, [runs]);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /leads outside its run folder/);
  });

  test('a stale state (the folder is gone, or holds no experiment) is refused with a clear reason', async () => {
    const gone = await restorableExperiment({ folder: join(runs, 'deleted-since') }, [runs]);
    assert.equal(gone.ok, false);
    assert.match((gone as { reason: string }).reason, /its folder 'deleted-since' is gone/);
    mkdirSync(join(runs, 'empty'));
    const empty = await restorableExperiment({ folder: join(runs, 'empty') }, [runs]);
    assert.equal(empty.ok, false);
    assert.match((empty as { reason: string }).reason, /'empty' holds no readable experiment\.json/);
    mkdirSync(join(runs, 'junk'));
    writeFileSync(join(runs, 'junk', 'experiment.json'), '{"format": "something else"}');
    const junk = await restorableExperiment({ folder: join(runs, 'junk') }, [runs]);
    assert.equal(junk.ok, false);
    assert.match((junk as { reason: string }).reason, /'junk' holds no readable experiment\.json/);
  });

  test('no saved state closes quietly; a hostile one says why', async () => {
    assert.deepEqual(await restorableExperiment(undefined, [runs]), { ok: false, reason: 'no saved state', closeQuietly: true });
    const r = await restorableExperiment({ folder: '/etc/\u001b[31mevil' }, [runs]);
    assert.equal(r.ok, false);
    assert.ok(!(r as { closeQuietly?: boolean }).closeQuietly, 'said, not closed quietly');
    assert.equal(shownName('/etc/\u001b[31mevil'), "'\\u001b[31mevil'");
    assert.equal(shownName('/etc/\u202eevil'), "'\\u202eevil'", 'a bidirectional override is escaped too');
    assert.equal(shownName('/a/' + 'x'.repeat(200)), `'${'x'.repeat(80)}…'`);
  });
});

describe('an experiment that nothing trains any more', () => {
  test('a run left "running" that no live process holds is interrupted; the view says how to resume', async () => {
    const dir = join(tmp('mlp-lens-interrupted-'), 'sw');
    cpSync(exp, dir, { recursive: true });
    const rec = JSON.parse(readFileSync(join(dir, 'experiment.json'), 'utf8')) as { runs: { folder: string }[] };
    const [a, b] = [join(dir, rec.runs[0]!.folder), join(dir, rec.runs[1]!.folder)];
    for (const d of [a, b]) {
      const s = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(d, 'summary.json'), JSON.stringify({ ...s, status: 'running', finishedAt: null }));
    }
    // b's lock is held by a live process (this one): another process trains it
    const lock = lockOutFolder(b);
    // a's lock was left by a process that is gone
    writeFileSync(join(a, '.mlp-lens.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: Date.now() }));
    assert.equal(lockHeld(a), false);
    assert.equal(lockHeld(b), true);
    const reader = new ExperimentReader(dir);
    let view = await reader.read(false);
    assert.deepEqual(view.rows.map((r) => r.status), ['interrupted', 'running', 'completed']);
    assert.equal(view.message, null, 'a run trains elsewhere: no hint to resume');
    // this window trains it: running is running
    assert.deepEqual((await reader.read(true)).rows.map((r) => r.status), ['running', 'running', 'completed']);
    lock.release();
    view = await reader.read(false);
    assert.deepEqual(view.rows.map((r) => r.status), ['interrupted', 'interrupted', 'completed']);
    assert.equal(view.message, '2 of 3 runs not finished: 2 interrupted (the process training them ended). Train MLP on s.mlp.json resumes the experiment (completed runs are kept).');
    // a message of the host's own comes first
    assert.equal((await reader.read(false, 'stopped')).message, 'stopped');
  });

  test('a lock that is not a small regular file is no live holder', () => {
    const d = tmp('mlp-lens-lock-');
    symlinkSync('/proc/self/status', join(d, '.mlp-lens.lock'));
    assert.equal(lockHeld(d), false);
    const e = tmp('mlp-lens-lock-');
    mkdirSync(join(e, '.mlp-lens.lock'));
    assert.equal(lockHeld(e), false);
  });

  test('unfinishedNote counts every kind of unfinished run, and nothing while one trains', () => {
    const rows = (...s: string[]) => s.map((status) => ({ status }));
    assert.equal(unfinishedNote(rows('completed', 'diverged'), '/x/c.mlp.json'), null);
    assert.equal(unfinishedNote(rows('running', 'pending'), '/x/c.mlp.json'), null);
    assert.equal(unfinishedNote(rows('completed', 'stopped', 'failed', 'pending', 'pending'), null),
      '4 of 5 runs not finished: 1 stopped, 1 failed, 2 never started. Train MLP on its config resumes the experiment (completed runs are kept).');
  });
});

test('the pool workers get the test hooks\' variables only in test mode', () => {
  const env = { PATH: '/bin', MLP_LENS_TEST_POOL_CRASH: 'exit:x', MLP_LENS_KERNEL: 'typescript-f32' };
  assert.deepEqual(poolEnv(env, false), { PATH: '/bin', MLP_LENS_KERNEL: 'typescript-f32' });
  assert.equal(poolEnv(env, true), env);
});
