/**
 * seedGroupsOf (src/runs/experiment-record.ts): run folders of one seeds experiment (their
 * parent's experiment.json lists them, no sweep) come back grouped by variant; anything else
 * (a sweep, a folder the record does not list, folders of two parents, one run) is no seed view.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXPERIMENT_FILE, EXPERIMENT_FORMAT, seedGroupsOf } from '../../src/runs/experiment-record';

function experiment(runs: { variant: string; seed: number; folder: string }[], sweep: Record<string, unknown[]> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-seed-groups-'));
  const entries = runs.map((r, k) => ({ id: k + 1, name: `${r.variant} seed=${r.seed}`, sweep: {}, status: 'completed', ...r }));
  fs.writeFileSync(path.join(dir, EXPERIMENT_FILE), JSON.stringify({ format: EXPERIMENT_FORMAT, name: 'x', configFile: null, grid: { variants: [], sweep, seeds: [0, 1], seedData: false }, updatedAt: '', runs: entries }));
  return dir;
}

test('seedGroupsOf: the runs of one seeds experiment, grouped by variant in the order given', () => {
  const runs = [{ variant: 'tanh', seed: 0, folder: 'tanh_seed_0' }, { variant: 'tanh', seed: 1, folder: 'tanh_seed_1' }, { variant: 'relu', seed: 0, folder: 'relu_seed_0' }, { variant: 'relu', seed: 1, folder: 'relu_seed_1' }];
  const dir = experiment(runs);
  const dirs = runs.map((r) => path.join(dir, r.folder));
  assert.deepEqual(seedGroupsOf(dirs), [{ name: 'tanh', members: [0, 1], seeds: [0, 1] }, { name: 'relu', members: [2, 3], seeds: [0, 1] }]);
  // a subset in another order: indices follow the order given
  assert.deepEqual(seedGroupsOf([dirs[3]!, dirs[0]!, dirs[2]!]), [{ name: 'relu', members: [0, 2], seeds: [1, 0] }, { name: 'tanh', members: [1], seeds: [0] }]);
  // no variant with two seeds: no seed view
  assert.equal(seedGroupsOf([dirs[0]!, dirs[2]!]), null);
  assert.equal(seedGroupsOf([dirs[0]!]), null);
  // a folder the record does not list, or of another parent
  assert.equal(seedGroupsOf([dirs[0]!, path.join(dir, 'other')]), null);
  assert.equal(seedGroupsOf([dirs[0]!, path.join(os.tmpdir(), 'tanh_seed_1')]), null);
  // a sweep is the Experiment panel's, not the seed view's
  const swept = experiment(runs, { lr: [0.1, 0.2] });
  assert.equal(seedGroupsOf(runs.map((r) => path.join(swept, r.folder))), null);
  // no experiment.json, or one that is not
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-seed-groups-'));
  assert.equal(seedGroupsOf([path.join(bare, 'a'), path.join(bare, 'b')]), null);
  fs.writeFileSync(path.join(bare, EXPERIMENT_FILE), '{"format": "something else", "runs": []}');
  assert.equal(seedGroupsOf([path.join(bare, 'a'), path.join(bare, 'b')]), null);
});
