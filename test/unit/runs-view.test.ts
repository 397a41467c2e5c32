/**
 * The Runs view without VS Code: listing run folders (run-list.ts: Train MLP's and the CLI's
 * folders, --out folders, experiments, unreadable folders), the tree built from a listing
 * (run-tree.ts: grouping by config, session and experiment, newest first, statuses, the
 * unreadable item), the refresh schedule (debounce.ts, with fake timers), the CSV writer the
 * view shares with the CLI (csv-export.ts), and `mlp-lens report`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RefreshSchedule, type Timers } from '../../src/host/runs-view/debounce';
import { csvField, writeRunsCsv } from '../../src/runs/csv-export';
import { listRuns, type ListedRun, type RunListing } from '../../src/runs/run-list';
import { allNodes, buildRunTree, groupStatus, viewStatus } from '../../src/runs/run-tree';
import type { RunSummary } from '../../src/runs/summary';
import { cli, show, tmp } from '../support/cli';
import { parseCsv } from '../support/csv';
import { makeConfig } from '../support/fixtures';
import { goodStep } from '../support/run-records';

function summary(o: Partial<RunSummary> = {}): RunSummary {
  return {
    format: 'mlp-lens-run/v1', name: 'lecture', variant: 'relu', configFile: null, status: 'completed', epochs: 1, epochsPlanned: 1,
    steps: 10, stepsPlanned: 10, batchSize: 4, parameters: 20, train: { loss: 1, accuracy: 0.5 }, test: { loss: 1.1, accuracy: 0.75 },
    samplesPerSecond: 1, seconds: 1, startedAt: '2026-11-27T21:05:09.000Z', finishedAt: '2026-11-27T21:05:10.000Z', kernel: 'simd', ...o,
  };
}

/** A run folder with a summary, a config and a few step records. */
function writeRun(dir: string, s: Partial<RunSummary> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = makeConfig({ name: s.name ?? 'lecture', variant: s.variant ?? 'relu', layers: [3, 2], epochs: 2, probes: { every: 1, histogramBins: 4, unitSaturation: true } });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary(s)));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), [1, 2, 3].map((k) => JSON.stringify(goodStep(k))).join('\n') + '\n');
  return dir;
}

const fakeRun = (dir: string, s: Partial<RunSummary>, session = dir): ListedRun => ({ dir, root: dir, summary: summary(s), session, experiment: null });

test('listing: Train MLP folders, --out folders, experiments; unreadable ones reported, not thrown', async () => {
  const root = tmp('mlp-runsview-');
  const runs = path.join(root, '.mlp-lens', 'runs');
  writeRun(path.join(runs, '2026-11-27T21-05-09-lecture-relu'), { variant: 'relu' });
  writeRun(path.join(runs, '2026-11-27T21-05-09-lecture-sigmoid'), { variant: 'sigmoid' });
  writeRun(path.join(runs, 'out', 'relu'), { variant: 'relu', startedAt: '2026-11-20T09:00:00.000Z' });
  const exp = path.join(runs, '2026-11-28T10-00-00-seeds');
  writeRun(path.join(exp, 'lecture-seed_1'), { name: 'seeds', startedAt: '2026-11-28T10:00:00.000Z' });
  writeRun(path.join(exp, 'lecture-seed_2'), { name: 'seeds', startedAt: '2026-11-28T10:00:01.000Z' });
  fs.writeFileSync(path.join(exp, 'experiment.json'), JSON.stringify({
    format: 'mlp-lens-experiment/v1', name: 'seeds', configFile: null, grid: {}, updatedAt: '', runs: [
      { id: 0, name: 'lecture seed=1', variant: 'relu', sweep: {}, seed: 1, folder: 'lecture-seed_1' },
      { id: 1, name: 'lecture seed=2', variant: 'relu', sweep: {}, seed: 2, folder: 'lecture-seed_2' },
      { id: 2, name: 'lecture seed=3', variant: 'relu', sweep: {}, seed: 3, folder: 'lecture-seed_3' },
    ],
  }));
  // broken: a summary that is not one, a symlink out of the folder
  const broken = path.join(runs, '2026-11-01T00-00-00-lecture-broken');
  fs.mkdirSync(broken);
  fs.writeFileSync(path.join(broken, 'summary.json'), '{"format": "nope"}');
  const outside = writeRun(path.join(root, 'elsewhere'), {});
  fs.symlinkSync(outside, path.join(runs, '2026-11-02T00-00-00-lecture-link'));
  fs.mkdirSync(path.join(runs, 'empty'));
  const listing = await listRuns([runs, path.join(root, 'no-such-folder'), runs]);
  assert.deepEqual(listing.runs.map((r) => path.relative(runs, r.dir)).sort(), ['2026-11-27T21-05-09-lecture-relu', '2026-11-27T21-05-09-lecture-sigmoid', path.join('out', 'relu')]);
  assert.equal(listing.experiments.length, 1);
  assert.equal(listing.experiments[0]!.total, 3);
  assert.deepEqual(listing.experiments[0]!.runs.map((r) => [r.experiment?.runName, r.experiment?.seed]), [['lecture seed=1', 1], ['lecture seed=2', 2]]);
  assert.equal(listing.problems.length, 2, listing.problems.join('\n'));
  assert.ok(listing.problems.some((p) => p.includes('lecture-broken') && /not a run summary/.test(p)));
  assert.ok(listing.problems.some((p) => p.includes('lecture-link') && /outside/.test(p)));
  // the two variants of one training share a session; the --out folder is its own
  const [relu, sig] = listing.runs.filter((r) => r.dir.includes('21-05-09'));
  assert.equal(relu!.session, sig!.session);

  const tree = buildRunTree(listing, { now: Date.parse('2026-12-01T00:00:00Z'), formatDate: (d) => d.slice(0, 16) });
  assert.deepEqual(tree.map((n) => [n.kind, n.label]), [['experiment', 'seeds'], ['config', 'lecture'], ['unreadable', '2 run folders could not be read']]);
  assert.equal(tree[0]!.status, 'partial', 'two of three runs have a record');
  assert.match(tree[0]!.description, /2\/3 completed/);
  const lecture = tree[1]!;
  assert.deepEqual(lecture.children.map((c) => [c.kind, c.label]), [['session', '2026-11-27T21:05'], ['run', 'relu']], 'newest first; a one-variant training is its run');
  assert.deepEqual(lecture.children[0]!.children.map((c) => c.label), ['relu', 'sigmoid']);
  assert.equal(lecture.dirs.length, 3);
  assert.match(lecture.children[1]!.description, /^acc 0\.750 · 10 steps · 2026-11-20T09:00$/);
  assert.match(tree[2]!.tooltip, /lecture-broken[\s\S]*lecture-link|lecture-link[\s\S]*lecture-broken/);
  const ids = [...allNodes(tree)].map((n) => n.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
});

test('statuses: each summary status, a stale "running" run is crashed unless this window trains it', () => {
  const now = Date.parse('2026-11-27T22:00:00Z');
  const at = (status: RunSummary['status'], startedAt = '2026-11-27T21:59:00.000Z') => fakeRun('/r/a', { status, startedAt, seconds: 30 });
  for (const s of ['completed', 'stopped', 'diverged', 'failed'] as const) assert.equal(viewStatus(at(s), { now }), s);
  assert.equal(viewStatus(at('running'), { now }), 'running');
  assert.equal(viewStatus(at('running', '2026-11-27T20:00:00.000Z'), { now }), 'crashed');
  assert.equal(viewStatus(at('running', '2026-11-27T20:00:00.000Z'), { now, live: new Set(['/r/a']) }), 'running');
  assert.equal(groupStatus(['completed', 'diverged', 'stopped']), 'diverged');
  assert.equal(groupStatus(['completed', 'running', 'failed']), 'running');
  assert.equal(groupStatus(['completed', 'completed']), 'completed');
  assert.equal(groupStatus([]), null);
  // ordering: configs by their newest training; ties by id
  const listing: RunListing = {
    runs: [
      fakeRun('/r/old-a', { name: 'a', startedAt: '2026-01-01T00:00:00Z' }),
      fakeRun('/r/new-b', { name: 'b', startedAt: '2026-02-01T00:00:00Z' }),
      fakeRun('/r/newer-a', { name: 'a', startedAt: '2026-03-01T00:00:00Z', status: 'diverged' }),
    ],
    experiments: [], problems: [],
  };
  const tree = buildRunTree(listing, { now });
  assert.deepEqual(tree.map((n) => n.label), ['a', 'b']);
  assert.deepEqual(tree[0]!.children.map((c) => c.dirs[0]), ['/r/newer-a', '/r/old-a']);
  assert.equal(tree[0]!.status, 'diverged');
  assert.match(tree[0]!.children[0]!.description, /^diverged · acc/);
  assert.equal(buildRunTree({ runs: [], experiments: [], problems: ['skipped x: y'] }, { now })[0]!.label, '1 run folder could not be read');
});

/** Timers a test moves by hand. */
class FakeTimers implements Timers {
  t = 0;
  private q: { at: number; fn: () => void; id: number }[] = [];
  private n = 0;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.n;
    this.q.push({ at: this.t + ms, fn, id });
    return id;
  }
  clear(h: unknown): void {
    this.q = this.q.filter((x) => x.id !== h);
  }
  now(): number {
    return this.t;
  }
  async advance(ms: number): Promise<void> {
    const flush = async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    await flush();
    const end = this.t + ms;
    for (;;) {
      const next = this.q.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.q = this.q.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

test('refresh schedule: debounced, at least every maxWait while pokes keep coming, never two at once', async () => {
  const timers = new FakeTimers();
  let active = 0, most = 0, done = 0;
  const gate = { release: null as (() => void) | null };
  const release = () => {
    const r = gate.release;
    gate.release = null;
    r?.();
  };
  const s = new RefreshSchedule(async () => {
    active++;
    most = Math.max(most, active);
    await new Promise<void>((r) => { gate.release = r; });
    active--;
    done++;
  }, 300, 1000, timers);
  // a burst: one refresh, 300 ms after the last poke
  for (let i = 0; i < 5; i++) {
    s.poke();
    await timers.advance(100);
  }
  assert.equal(s.runs, 0);
  await timers.advance(250);
  assert.equal(s.runs, 1);
  // pokes while it runs: one more after it, not two at once
  s.poke();
  s.poke();
  await timers.advance(1000);
  assert.equal(s.runs, 1);
  release();
  await timers.advance(0);
  assert.equal(done, 1);
  await timers.advance(300);
  assert.equal(s.runs, 2);
  release();
  await timers.advance(0);
  // steady pokes every 100 ms: a refresh at least every 1000 ms
  const before = s.runs;
  for (let i = 0; i < 30; i++) {
    s.poke();
    await timers.advance(100);
    if (gate.release && active) {
      release();
      await timers.advance(0);
    }
  }
  assert.ok(s.runs - before >= 2, `${s.runs - before} refreshes in 3 s of steady pokes`);
  assert.equal(most, 1, 'never two refreshes at once');
  s.dispose();
  s.poke();
  await timers.advance(5000);
  assert.equal(active, 0);
});

test('CSV shared by the CLI and the Runs view: rows, quoting, sweep columns', async () => {
  const root = tmp('mlp-csv-');
  const a = writeRun(path.join(root, 'a'), { variant: 'relu' });
  const b = writeRun(path.join(root, 'b'), { variant: 'sig' });
  fs.appendFileSync(path.join(b, 'metrics.jsonl'), 'not json\n');
  const file = path.join(root, 'out.csv');
  const bad: string[] = [];
  const rows = await writeRunsCsv([
    { dir: a, name: 'run "a", first', variant: 'relu', seed: 1, sweep: { lr: 0.1 } },
    { dir: b, name: 'b', variant: 'sig', seed: 2, sweep: { layers: [64, 64] } },
  ], file, (dir, lines) => bad.push(`${path.basename(dir)}:${lines.join(',')}`));
  const csv = parseCsv(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(csv[0], ['run', 'variant', 'seed', 'lr', 'layers', 'step', 'epoch', 'layer', 'quantity', 'value']);
  assert.equal(csv.length - 1, rows);
  // 3 steps x (3 scalars + 2 hidden x 7 + output x 6) per run
  assert.equal(rows, 2 * 3 * (3 + 14 + 6));
  assert.deepEqual(csv[1]!.slice(0, 9), ['run "a", first', 'relu', '1', '0.1', '', '1', '0', '', 'loss']);
  assert.ok(csv.some((r) => r[0] === 'b' && r[4] === '64x64'));
  assert.deepEqual(bad, ['b:4']);
  assert.equal(csvField('a,b'), '"a,b"');
  assert.ok(!fs.readdirSync(root).some((f) => f.endsWith('.tmp')));
});

test('mlp-lens report: two runs from different configs and days in one self-contained page', () => {
  const ws = tmp('mlp-report-');
  const cfg = (name: string, epochs: number) => JSON.stringify({ name, dataset: { type: 'spiral', samples: 120, classes: 3 }, layers: [8, 8], epochs, batchSize: 20, seed: 3 });
  fs.writeFileSync(path.join(ws, 'a.mlp.json'), cfg('spiral-a', 2));
  fs.writeFileSync(path.join(ws, 'b.mlp.json'), cfg('spiral-b', 1));
  for (const [c, out] of [['a.mlp.json', 'ra'], ['b.mlp.json', 'rb']]) {
    const r = cli(['train', c!, '--out', out!], ws);
    assert.equal(r.status, 0, show(r));
  }
  const r = cli(['report', 'ra', 'rb', '--out', 'compare.html'], ws);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stderr + r.stdout, /wrote compare\.html: 2 runs compared \(they differ in config/);
  const html = fs.readFileSync(path.join(ws, 'compare.html'), 'utf8');
  assert.match(html, /Content-Security-Policy/);
  assert.ok(!html.includes(fs.realpathSync(ws)) && !html.includes(ws), 'no absolute path of this machine');
  assert.match(html, /"differs":\["config"/);
  const usage = cli(['report', 'ra'], ws);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /'report' needs --out FILE\.html/);
  const none = cli(['report', 'nowhere', '--out', 'x.html'], ws);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /'nowhere' does not exist/);
});
