/**
 * Continue's questions (src/host/training/continue-input.ts): which variants of a run can go on,
 * and the input boxes' answers (epochs in all, above those trained; an optional positive rate).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { continuable, epochsProblem, lrProblem } from '../../src/host/training/continue-input';
import { RunModel } from '../../src/runs/model';
import type { RunSummary } from '../../src/runs/summary';

test('the variants that can go on: stopped or completed, with a folder; the most epochs any has trained', () => {
  const m = new RunModel('r', 'lecture', null, [{ variant: 'a', epochs: 5 }, { variant: 'b', epochs: 5 }, { variant: 'c', epochs: 5 }], 100);
  const [a, b, c] = m.variants.map((v) => v.meta);
  Object.assign(a!, { status: 'stopped', runDir: '/r/a', summary: { epochs: 2, continued: [{ lr: 0.05 }] } as unknown as RunSummary });
  Object.assign(b!, { status: 'completed', runDir: '/r/b', summary: { epochs: 5, continued: [{ lr: 0.05 }] } as unknown as RunSummary });
  Object.assign(c!, { status: 'diverged', runDir: '/r/c' });
  assert.deepEqual(continuable(m), { dirs: ['/r/a', '/r/b'], done: 5, planned: 5, lr: 0.05 });
  b!.status = 'failed';
  a!.summary = null;
  a!.epoch = 3;
  assert.deepEqual(continuable(m), { dirs: ['/r/a'], done: 3, planned: 5, lr: null });
  a!.runDir = null;
  assert.deepEqual(continuable(m).dirs, []);
});

test('epochs: a whole number above those trained, at most a million', () => {
  assert.equal(epochsProblem('8', 5), null);
  assert.equal(epochsProblem(' 6 ', 5), null);
  assert.equal(epochsProblem('5', 5), 'more than the 5 epochs trained');
  assert.equal(epochsProblem('2.5', 1), 'a whole number of epochs');
  assert.equal(epochsProblem('-3', 1), 'a whole number of epochs');
  assert.equal(epochsProblem('', 1), 'a whole number of epochs');
  assert.equal(epochsProblem('1e3', 1), 'a whole number of epochs');
  assert.equal(epochsProblem('1000001', 1), 'at most 1000000');
  assert.equal(epochsProblem('99999999999999999999', 1), 'a whole number of epochs');
});

test('learning rate: empty keeps the run\'s, else a positive number', () => {
  for (const ok of ['', '  ', '0.01', '1e-3', '2']) assert.equal(lrProblem(ok), null, ok);
  for (const bad of ['0', '-0.1', 'abc', '0x10', 'Infinity', '1e400', '.']) assert.match(lrProblem(bad) ?? '', /a positive number/, bad);
});
