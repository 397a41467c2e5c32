/**
 * The Experiment panel's model (webview/experiment/model.ts) against numbers worked by hand:
 * sorting by a metric (missing values last, ties in grid order), by a swept field in the grid's
 * order, the heatmap's cells as means over seeds, a one-axis heatmap, and progress. Also the
 * Experiment panel's message validator, with hostile messages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExperimentMessage } from '../../src/host/validate-message';
import type { ExperimentAxis, ExperimentRow } from '../../src/shared/protocol';
import { columns, defaultAxes, heatGrid, progress, sortRows } from '../../webview/experiment/model';

function row(index: number, variant: string, layers: string, seed: number, testAccuracy: number | null, status = 'completed'): ExperimentRow {
  return {
    index, name: `${variant} layers=${layers} seed=${seed}`, variant, seed, sweep: { layers }, status,
    trainLoss: testAccuracy === null ? null : 1 - testAccuracy, trainAccuracy: testAccuracy, testLoss: null, testAccuracy,
    diverged: status === 'diverged', deltaRatio: null, saturation: null, seconds: index, curve: { accuracy: [], loss: [] },
  };
}

const axes: ExperimentAxis[] = [
  { name: 'variant', values: ['sigmoid', 'relu'] },
  { name: 'layers', values: ['64', '64x64x64'] },
  { name: 'seed', values: ['0', '1'] },
];
// sigmoid: 64 -> 0.8, 0.6 (mean 0.7); 64x64x64 -> 0.1, null (mean 0.1 of 1/2)
// relu:    64 -> 0.9, 0.95 (mean 0.925); 64x64x64 -> 0.96, 0.94 (mean 0.95)
const rows = [
  row(0, 'sigmoid', '64', 0, 0.8), row(1, 'sigmoid', '64', 1, 0.6),
  row(2, 'sigmoid', '64x64x64', 0, 0.1), row(3, 'sigmoid', '64x64x64', 1, null, 'running'),
  row(4, 'relu', '64', 0, 0.9), row(5, 'relu', '64', 1, 0.95),
  row(6, 'relu', '64x64x64', 0, 0.96), row(7, 'relu', '64x64x64', 1, 0.94),
];

const col = (key: string) => columns(axes).find((c) => c.key === key)!;

test('sorting by test accuracy: ascending, descending, missing values last either way', () => {
  assert.deepEqual(sortRows(rows, col('testAccuracy'), false).map((r) => r.index), [2, 1, 0, 4, 7, 5, 6, 3]);
  assert.deepEqual(sortRows(rows, col('testAccuracy'), true).map((r) => r.index), [6, 5, 7, 4, 0, 1, 2, 3]);
});

test('sorting by a swept field follows the grid order, ties keep the run order', () => {
  const rev = [...rows].reverse();
  assert.deepEqual(sortRows(rev, col('sweep:layers'), false).map((r) => r.index), [0, 1, 4, 5, 2, 3, 6, 7]);
  assert.deepEqual(sortRows(rows, col('status'), false).map((r) => r.status), ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'running']);
  assert.deepEqual(sortRows(rows, col('seconds'), true).map((r) => r.index), [7, 6, 5, 4, 3, 2, 1, 0]);
  // a run's time: hundredths below 10 s, tenths from there
  assert.deepEqual([0.04, 2.345, 12.34].map((seconds) => col('seconds').text({ ...rows[0]!, seconds })), ['0.04', '2.35', '12.3']);
  // by variant: in the grid's order (sigmoid before relu), not alphabetically
  assert.deepEqual(sortRows(rev, col('variant'), false).map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(columns(axes).map((c) => c.key).slice(0, 5), ['name', 'variant', 'sweep:layers', 'seed', 'status']);
});

test('the heatmap: variant x layers, each cell the mean over its seeds that have the metric', () => {
  const g = heatGrid(rows, axes, 'testAccuracy', 'layers', 'variant')!;
  assert.equal(g.width, 2);
  assert.equal(g.height, 2);
  const cell = (x: number, y: number) => g.cells[y * g.width + x]!;
  assert.ok(Math.abs(cell(0, 0).mean! - 0.7) < 1e-12); // sigmoid, 64
  assert.ok(Math.abs(cell(1, 0).mean! - 0.1) < 1e-12); // sigmoid, 64x64x64: one of two seeds
  assert.equal(cell(1, 0).n, 1);
  assert.equal(cell(1, 0).total, 2);
  assert.ok(Math.abs(cell(0, 1).mean! - 0.925) < 1e-12); // relu, 64
  assert.ok(Math.abs(cell(1, 1).mean! - 0.95) < 1e-12); // relu, 64x64x64
  assert.equal(cell(0, 1).min, 0.9);
  assert.equal(cell(0, 1).max, 0.95);
  assert.ok(Math.abs(g.min! - 0.1) < 1e-12);
  assert.ok(Math.abs(g.max! - 0.95) < 1e-12);
});

test('one axis: the mean over everything else; an unknown axis gives no heatmap', () => {
  const g = heatGrid(rows, axes, 'testAccuracy', 'variant', null)!;
  assert.equal(g.height, 1);
  assert.ok(Math.abs(g.cells[0]!.mean! - 1.5 / 3) < 1e-12); // (0.8 + 0.6 + 0.1) / 3
  assert.ok(Math.abs(g.cells[1]!.mean! - 3.75 / 4) < 1e-12);
  assert.equal(heatGrid(rows, axes, 'testAccuracy', 'lr', null), null);
  // the same axis twice is one row
  assert.equal(heatGrid(rows, axes, 'testAccuracy', 'layers', 'layers')!.height, 1);
  // a metric nobody has: every cell empty, no range
  const none = heatGrid(rows, axes, 'testLoss', 'layers', 'variant')!;
  assert.ok(none.cells.every((c) => c.mean === null && c.n === 0 && c.total === 2));
  assert.equal(none.min, null);
});

test('default axes skip the seed; progress counts ended and running runs', () => {
  assert.deepEqual(defaultAxes(axes), { x: 'variant', y: 'layers' });
  assert.deepEqual(defaultAxes([{ name: 'seed', values: ['0', '1'] }]), { x: 'seed', y: null });
  const p = progress([...rows, row(8, 'relu', '64', 2, null, 'pending'), row(9, 'relu', '64', 3, null, 'stopped')]);
  assert.deepEqual(p, { done: 8, total: 10, completed: 7, running: ['sigmoid layers=64x64x64 seed=1'] });
});

test('experiment messages: the expected shapes pass, hostile ones are refused', () => {
  const ok = (m: unknown, rowsSent = 8) => {
    const r = parseExperimentMessage(m, rowsSent);
    assert.ok(r.ok, `refused ${JSON.stringify(m)}`);
    return r.msg;
  };
  const bad = (m: unknown, why: RegExp, rowsSent = 8) => {
    const r = parseExperimentMessage(m, rowsSent);
    assert.ok(!r.ok, `accepted ${JSON.stringify(m)}`);
    assert.match(r.reason, why);
  };
  assert.deepEqual(ok({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(ok({ type: 'stop' }), { type: 'stop' });
  assert.deepEqual(ok({ type: 'openRun', index: 7 }), { type: 'openRun', index: 7 });
  assert.deepEqual(ok({ type: 'log', level: 'warn', message: 'a\u001b[31mb' }), { type: 'log', level: 'warn', message: 'a\ufffd[31mb' });
  bad({ type: 'openRun', index: 8 }, /bad run index/);
  bad({ type: 'openRun', index: 0 }, /bad run index/, 0);
  bad({ type: 'openRun', index: -1 }, /bad run index/);
  bad({ type: 'openRun', index: 1.5 }, /bad run index/);
  bad({ type: 'openRun', index: '1' }, /bad run index/);
  bad({ type: 'openRun', index: 1, dir: '/etc' }, /unexpected fields/);
  bad({ type: 'openRun', dir: '/etc/passwd' }, /unexpected fields/);
  bad({ type: 'stop', folder: '/' }, /unexpected fields/);
  bad({ type: 'ready', runId: 'x' }, /unexpected fields/);
  bad({ type: 'train' }, /unknown message type/);
  bad({ type: '__proto__' }, /unknown message type/);
  bad(JSON.parse('{"type":"openRun","index":1,"__proto__":{"x":1}}'), /unexpected fields/);
  bad(null, /not an object/);
  bad([], /not an object/);
  bad('stop', /not an object/);
  bad({ type: 'log', level: 'debug', message: 'x' }, /bad log level/);
  // nothing in a long random stream throws or passes with a path
  for (let i = 0; i < 2000; i++) {
    const m = { type: ['ready', 'stop', 'openRun', 'log', 'x'][i % 5], index: i % 3 === 0 ? i - 1000 : undefined, level: 'info', message: String(i) };
    const r = parseExperimentMessage(JSON.parse(JSON.stringify(m)), 8);
    if (r.ok && r.msg.type === 'openRun') assert.ok(r.msg.index >= 0 && r.msg.index < 8);
  }
});
