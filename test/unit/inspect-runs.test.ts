/**
 * The side view's "last run" (src/sideview/runs.ts): the latest time-stamped group of run
 * folders whose summary.json names this config (absolute, or relative to the workspace), every
 * variant of that group, and nothing from other configs or broken records. Also how run folder
 * names (src/runs/names.ts) group into runs for Open Run (findRunGroups), and summary.json's
 * reader (src/runs/summary.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { lastRun } from '../../src/sideview/runs';
import { findRunGroups } from '../../src/runs/loader';
import { compareStamps, parseStamp, runFolderName } from '../../src/runs/names';
import { newSummary, readSummary, summaryProblem, tryReadSummary, writeSummary } from '../../src/runs/summary';
import { makeConfig } from '../support/fixtures';
import { tmp } from '../support/cli';

/** A run folder as the recorder leaves it: summary.json (a whole one, `s` on top) and metrics.jsonl. */
function record(folder: string, dir: string, s: Record<string, unknown>): string {
  const d = path.join(folder, dir);
  fs.mkdirSync(d, { recursive: true });
  const base = newSummary(makeConfig({ name: 'lecture', epochs: 5 }), null, { parameters: 10, stepsPlanned: 50, batchSize: 8, kernel: 'js-f64' });
  fs.writeFileSync(path.join(d, 'summary.json'), typeof s === 'string' ? s : JSON.stringify({
    ...base, status: 'completed', epochs: 5, steps: 50,
    train: { loss: 1, accuracy: 0.5 }, test: { loss: 1, accuracy: 0.4 }, startedAt: '2026-11-27T20:00:00.000Z', finishedAt: '2026-11-27T20:00:05.000Z', ...s,
  }));
  fs.writeFileSync(path.join(d, 'metrics.jsonl'), '');
  return d;
}

test('the latest group of this config, every variant of it', async () => {
  const ws = tmp('mlp-lens-runs-');
  const cfg = path.join(ws, 'lecture.mlp.json');
  const runs = path.join(ws, '.mlp-lens', 'runs');
  record(runs, '2026-11-27T20-00-00-lecture-a', { variant: 'a', configFile: cfg });
  const a = record(runs, '2026-11-27T21-00-00-lecture-a', { variant: 'a', configFile: cfg, test: { loss: 0.1, accuracy: 0.91 } });
  const b = record(runs, '2026-11-27T21-00-00-lecture-b', { variant: 'b', configFile: 'lecture.mlp.json', status: 'diverged', test: null });
  record(runs, '2026-11-27T22-00-00-other-a', { variant: 'a', configFile: path.join(ws, 'other.mlp.json') });
  record(runs, '2026-11-27T23-00-00-broken-a', 'not json' as unknown as Record<string, unknown>);
  record(runs, '2026-11-27T23-00-00-lecture-c', { variant: 'c', configFile: cfg, steps: 'many' }); // not a run summary
  const got = await lastRun(cfg, [runs, path.join(ws, 'missing')], [ws]);
  assert.deepEqual(got.map((r) => [r.variant, r.status, r.testAccuracy, r.runDir]).sort(), [['a', 'completed', 0.91, a], ['b', 'diverged', null, b]]);
  assert.deepEqual(await lastRun(path.join(ws, 'none.mlp.json'), [runs]), []);
});

test('run folders without a time stamp (train --out DIR) group by their start time', async () => {
  const ws = tmp('mlp-lens-runs-');
  const cfg = path.join(ws, 'x.mlp.json');
  const out = path.join(ws, 'out');
  record(out, 'relu', { variant: 'relu', configFile: cfg, startedAt: '2026-11-27T21:00:00.100Z' });
  record(out, 'tanh', { variant: 'tanh', configFile: cfg, startedAt: '2026-11-27T21:00:00.900Z' });
  assert.deepEqual((await lastRun(cfg, [out])).map((r) => r.variant).sort(), ['relu', 'tanh']);
});

test('two runs started within the same second (the second one ".2") are two runs', async () => {
  const ws = tmp('mlp-lens-runs-');
  const cfg = path.join(ws, 'lecture.mlp.json');
  const runs = path.join(ws, '.mlp-lens', 'runs');
  const t = '2026-11-27T21-00-00';
  for (const v of ['a', 'b']) record(runs, runFolderName(t, 'lecture', v), { variant: v, configFile: cfg, startedAt: '2026-11-27T21:00:00.100Z', status: 'stopped' });
  const second = ['a', 'b'].map((v) => record(runs, runFolderName(`${t}.2`, 'lecture', v), { variant: v, configFile: cfg, startedAt: '2026-11-27T21:00:00.700Z' }));
  const got = await lastRun(cfg, [runs]);
  assert.deepEqual(got.map((r) => [r.variant, r.runDir, r.status]).sort(), [['a', second[0], 'completed'], ['b', second[1], 'completed']], 'the latest run only, each variant once');
  const groups = await findRunGroups([runs]);
  assert.equal(groups.length, 2, groups.map((g) => g.dirs.map((d) => path.basename(d)).join(' ')).join(' | '));
  assert.deepEqual(groups[0]!.dirs, second, 'the later run first, its two variants');
  assert.deepEqual(groups[1]!.dirs.map((d) => path.basename(d)), [runFolderName(t, 'lecture', 'a'), runFolderName(t, 'lecture', 'b')]);
  // ".10" is later than ".9"
  const later = record(runs, runFolderName(`${t}.10`, 'lecture', 'a'), { variant: 'a', configFile: cfg });
  record(runs, runFolderName(`${t}.9`, 'lecture', 'a'), { variant: 'a', configFile: cfg });
  assert.deepEqual((await lastRun(cfg, [runs])).map((r) => r.runDir), [later]);
});

test('run folder stamps parse back with their ".N" and order as the runs started', () => {
  assert.deepEqual(parseStamp('2026-11-27T21-00-00.2-lecture-relu_he'), { stamp: '2026-11-27T21-00-00.2', second: '2026-11-27T21-00-00', n: 2 });
  assert.deepEqual(parseStamp('2026-11-27T21-00-00-lecture-a'), { stamp: '2026-11-27T21-00-00', second: '2026-11-27T21-00-00', n: 1 });
  assert.equal(parseStamp('relu_he'), null);
  const order = ['2026-11-27T21-00-01', '2026-11-27T21-00-00.10', '2026-11-27T21-00-00', '2026-11-27T21-00-00.9'].map((s) => parseStamp(s)!).sort(compareStamps);
  assert.deepEqual(order.map((s) => s.stamp), ['2026-11-27T21-00-00', '2026-11-27T21-00-00.9', '2026-11-27T21-00-00.10', '2026-11-27T21-00-01']);
});

test('summary.json: written and read back whole; anything else is refused, saying why', () => {
  const d = tmp('mlp-lens-summary-');
  const s = newSummary(makeConfig({ name: 'n', variant: 'v' }), '/x.mlp.json', { parameters: 3, stepsPlanned: 4, batchSize: 2, kernel: 'k' });
  writeSummary(d, s);
  assert.deepEqual(readSummary(d), s);
  assert.equal(summaryProblem(s), null);
  assert.match(summaryProblem({ ...s, format: 'other' })!, /format/);
  assert.match(summaryProblem({ ...s, status: 'done' })!, /"status"/);
  assert.match(summaryProblem({ ...s, test: { loss: 1 } })!, /"test"/);
  assert.match(summaryProblem([])!, /not a JSON object/);
  fs.writeFileSync(path.join(d, 'summary.json'), JSON.stringify({ ...s, epochs: null }));
  assert.throws(() => readSummary(d), /not a run summary: "epochs"/);
  assert.equal(tryReadSummary(d), null);
  assert.equal(tryReadSummary(path.join(d, 'missing')), null);
});
