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

test('seedsExperiment (Train MLP): seeds without a sweep are the seed view; a sweep is not; too many runs are refused', async () => {
  const { seedsExperiment, MAX_PANEL_RUNS } = await import('../../src/host/training/seeds');
  const base = { name: 's', dataset: { type: 'moons', samples: 100 }, layers: [4], epochs: 1 };
  const exp = seedsExperiment(JSON.stringify({ ...base, seeds: [0, 1], variants: [{ name: 'a', activation: 'tanh' }, { name: 'b', activation: 'relu' }] }), '/w/s.mlp.json');
  assert.deepEqual(exp?.runs.map((r) => [r.name, r.variant, r.seed]), [['a seed=0', 'a', 0], ['a seed=1', 'a', 1], ['b seed=0', 'b', 0], ['b seed=1', 'b', 1]]);
  assert.equal(seedsExperiment(JSON.stringify(base), '/w/s.mlp.json'), null, 'an ordinary config');
  assert.equal(seedsExperiment(JSON.stringify({ ...base, seeds: 2, sweep: { lr: [0.1, 0.2] } }), '/w/s.mlp.json'), null, 'a sweep');
  assert.equal(seedsExperiment(JSON.stringify({ ...base, seeds: MAX_PANEL_RUNS }), '/w/s.mlp.json')?.runs.length, MAX_PANEL_RUNS);
  assert.throws(() => seedsExperiment(JSON.stringify({ ...base, seeds: MAX_PANEL_RUNS + 1 }), '/w/s.mlp.json'), new RegExp(`${MAX_PANEL_RUNS + 1} runs .*at most ${MAX_PANEL_RUNS} in one panel.*mlp-lens train`));
});
