/**
 * Continuing a run: a trainer stopped at step k, its state saved and restored into a new trainer,
 * goes on bit for bit as a run that never stopped (every optimizer, with a schedule; stopped in
 * the middle of an epoch and at an epoch's end): every step and epoch record and the final
 * weights are compared exactly.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { resolveConfig } from '../../src/engine/config';
import { loadDataset } from '../../src/engine/datasets';
import { copyStepRecord, Trainer, type EpochRecord, type RecordSink, type StepRecord, type TrainerState } from '../../src/engine/trainer';
import type { Dataset, ResolvedConfig } from '../../src/engine/types';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { setupKernels } from '../../src/node/kernel-setup';

setupKernels();

// 300 training rows, batch 16: 19 steps an epoch, the last one short (12 rows)
const base = {
  name: 'cont', dataset: { type: 'spiral', classes: 3, samples: 375, noise: 0.1, seed: 1, testFraction: 0.2 },
  layers: [32, 32], activation: 'relu', init: 'he_normal', batchSize: 16, epochs: 4, seed: 3, probes: { every: 3 },
};
const optimizers: [string, object, object | string][] = [
  ['sgd, step schedule', { type: 'sgd', weightDecay: 1e-3 }, { type: 'step', every: 1, gamma: 0.5 }],
  ['momentum, cosine', { type: 'momentum', momentum: 0.9 }, { type: 'cosine', minLr: 0.001 }],
  ['nesterov momentum, step schedule', { type: 'momentum', momentum: 0.8, nesterov: true }, { type: 'step', every: 2, gamma: 0.3 }],
  ['adam, cosine', { type: 'adam', weightDecay: 1e-4 }, 'cosine'],
];
let data: Dataset;
const cfgOf = (optimizer: object, schedule: object | string, extra: object = {}): ResolvedConfig =>
  resolveConfig(JSON.stringify({ ...base, optimizer, schedule, lr: 0.05, ...extra }), 'cont.mlp.json')[0]!;

before(async () => {
  data = await loadDataset(cfgOf({ type: 'sgd' }, 'constant').dataset, nodeDataIO('.', findAssetDir()), 'cont.mlp.json');
});

interface Recorded { steps: StepRecord[]; epochs: EpochRecord[] }
function sink(into: Recorded): RecordSink {
  return { step: (r) => into.steps.push(copyStepRecord(r)), epoch: (r) => into.epochs.push(r) };
}

/** Train to the end, stopping at step `stopAt` (then saving and restoring into a new trainer) unless null. */
function train(cfg: ResolvedConfig, stopAt: number | null, json = false): { rec: Recorded; params: Float32Array; state: TrainerState | null } {
  const rec: Recorded = { steps: [], epochs: [] };
  let t = new Trainer(cfg, data);
  let state: TrainerState | null = null;
  if (stopAt !== null) {
    t.runSteps(stopAt, sink(rec));
    assert.equal(t.step, stopAt);
    t.stop();
    t.evaluate(data.testX, data.testY); // what a stopped run does before it is saved: must change nothing
    state = t.saveState();
    t.dispose();
    if (json) state = roundTrip(state);
    t = new Trainer(cfg, data);
    t.restoreState(state);
  }
  t.runSteps(1e9, sink(rec));
  assert.equal(t.status, 'completed');
  const params = Float32Array.from(t.net.params);
  t.dispose();
  return { rec, params, state };
}

/** The state through JSON numbers and plain arrays (as a run record keeps it). */
function roundTrip(s: TrainerState): TrainerState {
  const j = JSON.parse(JSON.stringify({ ...s, order: [...s.order], optimizer: s.optimizer.map((a) => [...a]), params: [...s.params] }));
  return { ...j, order: Uint32Array.from(j.order), optimizer: j.optimizer.map((a: number[]) => Float32Array.from(a)), params: Float32Array.from(j.params) };
}

function assertSame(a: ReturnType<typeof train>, b: ReturnType<typeof train>, what: string): void {
  assert.equal(a.rec.steps.length, b.rec.steps.length, `${what}: step records`);
  assert.deepEqual(b.rec.steps, a.rec.steps, `${what}: step records differ`);
  assert.deepEqual(b.rec.epochs, a.rec.epochs, `${what}: epoch records differ`);
  assert.ok(a.params.every((x, i) => Object.is(x, b.params[i])), `${what}: final weights differ`);
}

describe('continue a run: bit-identical to one that never stopped', () => {
  for (const [name, optimizer, schedule] of optimizers) {
    test(name, () => {
      const cfg = cfgOf(optimizer, schedule);
      const whole = train(cfg, null);
      assert.equal(whole.rec.epochs.length, 4);
      const mid = train(cfg, 28); // 9 steps into epoch 2, between probe steps
      assert.equal(mid.state!.posInEpoch, 9 * 16);
      assert.notEqual(mid.state!.since[2], 0, 'stopped between records: the running sums carry over');
      assertSame(whole, mid, 'stopped mid-epoch');
      const edge = train(cfg, 38, true); // at the end of epoch 2, through JSON
      assert.equal(edge.state!.posInEpoch, 0);
      assert.equal(edge.state!.epoch, 2);
      assertSame(whole, edge, 'stopped at an epoch boundary');
      // the run really changed its weights after the stop (the test could fail)
      const stoppedOnly = train({ ...cfg, epochs: 2 }, null);
      assert.ok(!stoppedOnly.params.every((x, i) => x === whole.params[i]));
    });
  }

  test('a state restored into a different trainer is refused', () => {
    const cfg = cfgOf({ type: 'adam' }, 'constant');
    const t = new Trainer(cfg, data);
    t.runSteps(5, {});
    const s = t.saveState();
    const other = new Trainer({ ...cfg, epochs: 4 }, data);
    assert.throws(() => other.restoreState({ ...s, order: s.order.subarray(1) }), /shuffles 299 training examples; the dataset has 300/);
    assert.throws(() => new Trainer(cfgOf({ type: 'sgd' }, 'constant'), data).restoreState(s), /sgd keeps 0 state arrays, the saved state has 2/);
    t.runSteps(1e9, {});
    assert.throws(() => new Trainer(cfg, data).restoreState(t.saveState()), /trained 4 epochs; train more than that/);
    t.dispose();
  });

  test('a stepped step records its probes', () => {
    const t = new Trainer(cfgOf({ type: 'sgd' }, 'constant'), data);
    assert.ok(t.trainStep(), 'step 1 records');
    assert.equal(t.trainStep(), null, 'step 2 does not (probes every 3)');
    t.probeNextStep();
    assert.equal(t.trainStep()?.step, 3);
    t.probeNextStep();
    assert.equal(t.trainStep()?.step, 4, 'a step taken by hand records');
    assert.equal(t.trainStep(), null, 'and only that one');
    t.dispose();
  });
});

test('steps that record their probes by hand train the same weights', () => {
  const cfg = cfgOf({ type: 'adam' }, 'cosine');
  const plain = new Trainer(cfg, data), stepped = new Trainer(cfg, data);
  plain.runSteps(1e9, {});
  for (let i = 0; i < 20; i++) stepped.runSteps(2, {}); // slices of 2, as a worker's would be
  for (let i = 0; i < 9; i++) {
    stepped.probeNextStep(); // Step while paused, nine times
    stepped.runSteps(1, {});
  }
  stepped.runSteps(1e9, {});
  assert.ok(plain.net.params.every((x, i) => Object.is(x, stepped.net.params[i])), 'recording probes changes no weight');
  plain.dispose();
  stepped.dispose();
});
