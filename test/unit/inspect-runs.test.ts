/**
 * The side view's "last run" (src/sideview/runs.ts): the latest time-stamped group of run
 * folders whose summary.json names this config (absolute, or relative to the workspace), every
 * variant of that group, and nothing from other configs or broken records.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { lastRun } from '../../src/sideview/runs';
import { tmp } from '../support/cli';

function record(folder: string, dir: string, s: Record<string, unknown>): string {
  const d = path.join(folder, dir);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'summary.json'), typeof s === 'string' ? s : JSON.stringify({
    format: 'mlp-lens-run/v1', name: 'lecture', status: 'completed', epochs: 5, epochsPlanned: 5,
    train: { loss: 1, accuracy: 0.5 }, test: { loss: 1, accuracy: 0.4 }, startedAt: '2026-11-27T20:00:00.000Z', finishedAt: '2026-11-27T20:00:05.000Z', ...s,
  }));
  return d;
}

test('the latest group of this config, every variant of it', () => {
  const ws = tmp('mlp-lens-runs-');
  const cfg = path.join(ws, 'lecture.mlp.json');
  const runs = path.join(ws, '.mlp-lens', 'runs');
  record(runs, '2026-11-27T20-00-00-lecture-a', { variant: 'a', configFile: cfg });
  const a = record(runs, '2026-11-27T21-00-00-lecture-a', { variant: 'a', configFile: cfg, test: { loss: 0.1, accuracy: 0.91 } });
  const b = record(runs, '2026-11-27T21-00-00-lecture-b', { variant: 'b', configFile: 'lecture.mlp.json', status: 'diverged', test: null });
  record(runs, '2026-11-27T22-00-00-other-a', { variant: 'a', configFile: path.join(ws, 'other.mlp.json') });
  record(runs, '2026-11-27T23-00-00-broken-a', 'not json' as unknown as Record<string, unknown>);
  const got = lastRun(cfg, [runs, path.join(ws, 'missing')], [ws]);
  assert.deepEqual(got.map((r) => [r.variant, r.status, r.testAccuracy, r.runDir]).sort(), [['a', 'completed', 0.91, a], ['b', 'diverged', null, b]]);
  assert.deepEqual(lastRun(path.join(ws, 'none.mlp.json'), [runs]), []);
});

test('run folders without a time stamp (train --out DIR) group by their start time', () => {
  const ws = tmp('mlp-lens-runs-');
  const cfg = path.join(ws, 'x.mlp.json');
  const out = path.join(ws, 'out');
  record(out, 'relu', { variant: 'relu', configFile: cfg, startedAt: '2026-11-27T21:00:00.100Z' });
  record(out, 'tanh', { variant: 'tanh', configFile: cfg, startedAt: '2026-11-27T21:00:00.900Z' });
  assert.deepEqual(lastRun(cfg, [out]).map((r) => r.variant).sort(), ['relu', 'tanh']);
});
