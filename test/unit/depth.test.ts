/**
 * examples/depth.mlp.json, the whole experiment (27 runs, about 4 s on 2 cores): `mlp-lens train`
 * completes, and over its 3 seeds sigmoid's mean test accuracy after 5 epochs falls from 1 to 5
 * hidden layers while ReLU's stays above 0.85 at every depth.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ExperimentRecord } from '../../src/runs/experiment-record';
import { cli, ROOT, show, tmp } from '../support/cli';

test('the depth example: sigmoid falls with depth, ReLU does not', () => {
  const dir = tmp('mlp-lens-depth-');
  const r = cli(['train', join(ROOT, 'examples', 'depth.mlp.json'), '--out', 'depth'], dir);
  assert.equal(r.status, 0, show(r));
  const rec = JSON.parse(readFileSync(join(dir, 'depth', 'experiment.json'), 'utf8')) as ExperimentRecord;
  assert.equal(rec.runs.length, 27);
  assert.ok(rec.runs.every((x) => x.status === 'completed'));
  const mean = (variant: string, depth: number) => {
    const acc = rec.runs.filter((x) => x.variant === variant && (x.sweep.layers as number[]).length === depth).map((x) => x.test!.accuracy);
    assert.equal(acc.length, 3);
    return acc.reduce((a, x) => a + x, 0) / acc.length;
  };
  const sigmoid = [1, 3, 5].map((d) => mean('sigmoid+glorot', d));
  const relu = [1, 3, 5].map((d) => mean('relu+he', d));
  const msg = `sigmoid ${sigmoid.map((x) => x.toFixed(3))}, relu ${relu.map((x) => x.toFixed(3))}`;
  assert.ok(sigmoid[0]! > sigmoid[2]!, msg);
  assert.ok(relu.every((x) => x > 0.85), msg);
});
