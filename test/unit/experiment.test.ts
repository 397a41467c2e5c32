/**
 * Experiments in the engine: the grid's validation (paths and messages), the expansion's order,
 * names and configs, and shards (every run exactly once over all shards).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig, validateConfig } from '../../src/engine/config';
import { parseShard, resolveExperiment, shardRuns, withExperimentOverrides } from '../../src/engine/experiment';
import { InputError } from '../../src/engine/types';
import { queueOrder, runCost } from '../../src/node/experiment-run';

const file = 'exp.mlp.json';
const base = { dataset: { type: 'digits' }, layers: [64], epochs: 1 };
const text = (extra: object) => JSON.stringify({ ...base, ...extra });
const errors = (extra: object) => validateConfig(text(extra), file).filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);
const warnings = (extra: object) => validateConfig(text(extra), file).filter((i) => i.severity === 'warning').map((i) => `${i.path}: ${i.message}`);

describe('experiment configs: validation', () => {
  test('seeds and sweep are valid as documented', () => {
    assert.deepEqual(errors({ seeds: 5 }), []);
    assert.deepEqual(errors({ seeds: [0, 7, 3] }), []);
    assert.deepEqual(errors({ sweep: { lr: [0.01, 0.1, 1], layers: [[64], [64, 64, 64]] } }), []);
    assert.deepEqual(errors({ sweep: { init: ['he_normal', { scheme: 'normal', std: 1 }], optimizer: ['sgd', { type: 'adam' }] }, seeds: 2, seedData: true }), []);
  });

  test('an unknown sweep field, with a suggestion', () => {
    const e = errors({ sweep: { learningRate: [0.1] } });
    assert.equal(e.length, 1);
    assert.match(e[0]!, /^\$\.sweep\.learningRate: unknown property "learningRate" \(did you mean "lr"\?\); allowed: layers, activation/);
  });

  test('dataset, seed and name cannot be swept', () => {
    assert.match(errors({ sweep: { seed: [1, 2] } })[0]!, /^\$\.sweep\.seed: seeds are not swept here: use the top-level "seeds"/);
    assert.match(errors({ sweep: { dataset: [{ type: 'iris' }] } })[0]!, /^\$\.sweep\.dataset: the dataset cannot be swept/);
  });

  test('an empty list, an empty sweep, a value the field does not allow', () => {
    assert.deepEqual(errors({ sweep: { lr: [] } }), ['$.sweep.lr: must have at least 1 items (got 0)']);
    assert.match(errors({ sweep: {} })[0]!, /^\$\.sweep: sweeps no field/);
    assert.deepEqual(errors({ sweep: { lr: [0.1, -1] } }), ['$.sweep.lr[1]: must be > 0 (got -1)']);
    assert.match(errors({ sweep: { activation: ['relu', 'sigmod'] } })[0]!, /^\$\.sweep\.activation\[1\]: .*did you mean "sigmoid"/);
    assert.deepEqual(errors({ seeds: 0 }).length, 1);
    assert.deepEqual(errors({ seeds: [] }), ['$.seeds: must have at least 1 items (got 0)']);
  });

  test('each combination is checked as a variant is, at the swept value', () => {
    // activation for 2 layers: fine with [64, 64], not with [64]
    const e = errors({ activation: ['relu', 'tanh'], layers: [64, 64], sweep: { layers: [[64, 64], [64]] } });
    assert.deepEqual(e, ['$.sweep.layers[1]: activation lists 2 functions but layers has 1 hidden layer; give one per layer, or one name for all']);
    const out = errors({ sweep: { output: ['softmax', 'sigmoid'] } });
    assert.match(out[0]!, /^\$\.sweep\.output\[1\]: output "sigmoid" is a single unit for 2 classes/);
    const big = errors({ sweep: { layers: [[64], [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096]] }, batchSize: 100000 });
    assert.match(big[0]!, /^\$\.sweep\.layers\[1\]: the network needs/);
  });

  test('duplicates, seeds out of range, too many runs', () => {
    assert.match(errors({ seeds: [1, 2, 1] })[0]!, /^\$\.seeds\[2\]: the same seed as \$\.seeds\[0\]/);
    assert.match(errors({ sweep: { lr: [0.1, 0.1] } })[0]!, /^\$\.sweep\.lr\[1\]: the same value as \$\.sweep\.lr\[0\]/);
    assert.match(errors({ seed: 4294967295, seeds: 2 })[0]!, /^\$\.seeds: 2 seeds from seed 4294967295 go past 4294967295/);
    const lrs = Array.from({ length: 101 }, (_, i) => 0.001 * (i + 1));
    const e = errors({ seeds: 100, sweep: { lr: lrs } });
    assert.deepEqual(e, ['$.sweep: the experiment has 10,100 runs (1 variant x 101 sweep combinations x 100 seeds); at most 10,000 are allowed']);
    assert.deepEqual(errors({ seeds: 100, sweep: { lr: lrs.slice(0, 100) } }), []);
  });

  test('warnings: a variant field the sweep replaces; seedData without an experiment', () => {
    const w = warnings({ variants: [{ name: 'a', lr: 0.5 }], sweep: { lr: [0.1, 1] } });
    assert.deepEqual(w, ['$.variants[0].lr: has no effect: the sweep sets lr in every run (a swept value replaces the variant\'s)']);
    assert.deepEqual(warnings({ seedData: true }), ['$.seedData: has no effect: the config has no seeds or sweep']);
  });
});

describe('experiment expansion', () => {
  const cfg = {
    ...base, name: 'e', seed: 10, seeds: 2,
    variants: [{ name: 'relu+he', activation: 'relu', init: 'he_normal' }, { name: 'sig', activation: 'sigmoid' }],
    sweep: { lr: [0.01, 0.1], layers: [[64], [64, 64, 64]] },
  };

  test('order, names, identity and configs', () => {
    const exp = resolveExperiment(JSON.stringify(cfg), file);
    assert.equal(exp.runs.length, 2 * 4 * 2);
    assert.deepEqual(exp.runs.slice(0, 5).map((r) => r.name), [
      'relu+he lr=0.01 layers=64 seed=10',
      'relu+he lr=0.01 layers=64 seed=11',
      'relu+he lr=0.01 layers=64x64x64 seed=10',
      'relu+he lr=0.01 layers=64x64x64 seed=11',
      'relu+he lr=0.1 layers=64 seed=10',
    ]);
    assert.deepEqual(exp.runs.map((r) => r.id), exp.runs.map((_, k) => k + 1));
    const r = exp.runs[11]!;
    assert.equal(r.name, 'sig lr=0.01 layers=64x64x64 seed=11');
    assert.deepEqual([r.variant, r.sweep, r.seed], ['sig', { lr: 0.01, layers: [64, 64, 64] }, 11]);
    assert.equal(r.config.variant, r.name);
    assert.deepEqual([r.config.lr, r.config.layers, r.config.seed, r.config.activation], [0.01, [64, 64, 64], 11, ['sigmoid', 'sigmoid', 'sigmoid']]);
    assert.equal(r.config.dataset.seed, 0, 'the data does not follow the run seed');
    assert.deepEqual(exp.grid, { variants: ['relu+he', 'sig'], sweep: cfg.sweep, seeds: [10, 11], seedData: false });
    // the same runs every time
    assert.deepEqual(resolveExperiment(JSON.stringify(cfg), file), exp);
  });

  test('a run is an ordinary resolved config: the variant it comes from, with the swept values and seed', () => {
    const exp = resolveExperiment(JSON.stringify(cfg), file);
    const plain = resolveConfig(JSON.stringify({ ...base, name: 'e', seed: 11, lr: 0.1, layers: [64], activation: 'relu', init: 'he_normal' }), file)[0]!;
    const r = exp.runs.find((x) => x.name === 'relu+he lr=0.1 layers=64 seed=11')!;
    assert.deepEqual({ ...r.config, variant: 'base' }, plain);
  });

  test('seedData: the dataset seed follows the run seed; a seed list', () => {
    const exp = resolveExperiment(text({ seeds: [3, 1], seedData: true }), file);
    assert.deepEqual(exp.runs.map((r) => [r.name, r.config.seed, r.config.dataset.seed]), [['seed=3', 3, 3], ['seed=1', 1, 1]]);
  });

  test('resolveConfig gives each variant once, with the first sweep values and seed', () => {
    const cfgs = resolveConfig(JSON.stringify(cfg), file);
    assert.deepEqual(cfgs.map((c) => [c.variant, c.lr, c.layers, c.seed]), [['relu+he', 0.01, [64], 10], ['sig', 0.01, [64], 10]]);
  });

  test('overrides: --variant, --epochs, --seed', () => {
    const exp = resolveExperiment(JSON.stringify(cfg), file);
    assert.equal(withExperimentOverrides(exp, { variant: 'sig' }).runs.length, 8);
    assert.throws(() => withExperimentOverrides(exp, { variant: 'nope' }), InputError);
    assert.ok(withExperimentOverrides(exp, { epochs: 3 }).runs.every((r) => r.config.epochs === 3));
    assert.throws(() => withExperimentOverrides(exp, { seed: 3 }), /--seed cannot be used/);
    const one = withExperimentOverrides(resolveExperiment(text({ sweep: { lr: [0.1, 1] } }), file), { seed: 7 });
    assert.deepEqual(one.runs.map((r) => [r.name, r.config.seed]), [['lr=0.1 seed=7', 7], ['lr=1 seed=7', 7]]);
  });

  test('shards: i/n takes every n-th run from the i-th; all shards take every run exactly once', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1', '1/2/3', '-1/2']) assert.equal(parseShard(bad), null, bad);
    const runs = resolveExperiment(JSON.stringify(cfg), file).runs;
    for (const n of [1, 2, 3, 5, 16, 40]) {
      const seen = new Map<number, number>();
      for (let i = 1; i <= n; i++) {
        const shard = shardRuns(runs, { index: i, count: n });
        shard.forEach((r, k) => assert.equal(r.id, i + k * n));
        for (const r of shard) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      }
      assert.equal(seen.size, runs.length, `n=${n}`);
      assert.ok([...seen.values()].every((c) => c === 1), `n=${n}: every run once`);
    }
  });
});

describe('experiment runs: the queue', () => {
  test('longest first (epochs times the multiply-adds), ties in the grid order, every run once', () => {
    const exp = resolveExperiment(text({ sweep: { layers: [[64], [64, 64, 64], [64, 64, 64, 64, 64]], epochs: [1, 2] }, seeds: 2 }), file);
    const order = queueOrder(exp.runs);
    assert.equal(order.length, 12);
    assert.deepEqual([...order.map((r) => r.id)].sort((a, b) => a - b), exp.runs.map((r) => r.id));
    const key = (r: (typeof order)[number]) => `${r.config.layers.length}x${r.config.epochs}`;
    assert.deepEqual(order.map(key), ['5x2', '5x2', '3x2', '3x2', '5x1', '5x1', '1x2', '1x2', '3x1', '3x1', '1x1', '1x1']);
    // 1x2 and 3x1 cost the same (2 x 2 and 1 x 4 products of 64 x 64): the grid's order, then;
    // seed 0 before seed 1
    assert.deepEqual(order.slice(0, 2).map((r) => r.seed), [0, 1]);
    assert.ok(order[0]!.id < order[1]!.id);
    assert.ok(runCost(order[0]!.config) > runCost(order[11]!.config));
  });
});
