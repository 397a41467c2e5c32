/**
 * `mlp-lens train --stop-at-step N` and `--continue RUN_DIR` end to end (dist/cli.js): a run
 * stopped at step k and continued holds byte for byte the records and weights of a run that never
 * stopped (the lecture config at step 100; every optimizer with a schedule, stopped mid-epoch and
 * at an epoch's end), its summary goes stopped -> completed with the continuation noted, more
 * epochs and a new learning rate are recorded, and what cannot be continued is refused in one line.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cli, ROOT, show, tmp as makeTmp } from '../support/cli';
import { runRecords } from '../support/steps-file';
import { loadRunModel } from '../../src/runs/loader';

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build first with 'node scripts/build.mjs'`);
});
const tmp = () => makeTmp('mlp-lens-cont-');
const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const RECORD_FILES = ['metrics.bin', 'epochs.jsonl', 'metrics.jsonl', 'model.bin', 'model.json'];

function ok(args: string[], cwd: string): string {
  const r = cli(args, cwd);
  assert.equal(r.status, 0, show(r));
  return r.stderr + r.stdout;
}

/** Every record file of two run folders byte for byte, and the summaries' results. */
function assertSameRun(a: string, b: string): void {
  let compared = 0;
  for (const f of RECORD_FILES) {
    if (!existsSync(join(a, f))) continue;
    assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} of ${b} differs from ${a}`);
    compared++;
  }
  assert.ok(compared >= 3, `compared ${compared} files`);
  const sa = json(join(a, 'summary.json')), sb = json(join(b, 'summary.json'));
  for (const k of ['status', 'epochs', 'steps', 'train', 'test']) assert.deepEqual(sb[k], sa[k], `summary "${k}"`);
}

describe('train --continue', () => {
  test('the lecture run stopped at step 100 and continued: identical to the uninterrupted run', async () => {
    const dir = tmp();
    const cfg = join(ROOT, 'examples/lecture.mlp.json');
    ok(['train', cfg, '--out', 'whole'], dir);
    const said = ok(['train', cfg, '--out', 'part', '--stop-at-step', '100'], dir);
    assert.match(said, /stopped at step 100 \(--stop-at-step\); go on with: mlp-lens train --continue part[/\\]relu_he/);
    const variants = readdirSync(join(dir, 'whole')).filter((v) => existsSync(join(dir, 'whole', v, 'summary.json')));
    assert.deepEqual(variants.sort(), ['relu_he', 'sigmoid_glorot', 'sigmoid_normal_1']);
    for (const v of variants) {
      const part = join(dir, 'part', v);
      const stopped = json(join(part, 'summary.json'));
      assert.equal(stopped.status, 'stopped');
      assert.equal(stopped.steps, 100);
      assert.ok(existsSync(join(part, 'state.json')) && existsSync(join(part, 'state.bin')));
      assert.ok(runRecords(part).records.length < runRecords(join(dir, 'whole', v)).records.length);
      const out = ok(['train', '--continue', part], dir);
      assert.match(out, /continued from step 100 \(epoch 2\)/);
      assertSameRun(join(dir, 'whole', v), part);
      const s = json(join(part, 'summary.json'));
      assert.equal(s.status, 'completed');
      assert.equal(s.continued.length, 1);
      assert.deepEqual({ ...s.continued[0], at: 0 }, { at: 0, step: 100, epoch: 2, from: 'stopped', epochs: 5, lr: 0.1, previousEpochs: 5, previousLr: 0.1 });
      // the records read back whole, as the extension reads them
      const model = await loadRunModel([part], 1000, 'x');
      assert.equal(model.variants[0]!.meta.status, 'completed');
      assert.deepEqual(runRecords(part).records, runRecords(join(dir, 'whole', v)).records);
    }
  });

  const optimizers: [string, unknown, unknown][] = [
    ['sgd', { type: 'sgd', weightDecay: 0.001 }, { type: 'step', every: 1, gamma: 0.5 }],
    ['momentum', { type: 'momentum', momentum: 0.9, nesterov: true }, 'cosine'],
    ['adam', 'adam', { type: 'cosine', minLr: 0.0001 }],
  ];
  for (const [name, optimizer, schedule] of optimizers) {
    for (const [where, stop, format] of [['mid-epoch', 11, 'binary'], ['at an epoch boundary', 16, 'jsonl']] as const) {
      test(`${name} with a schedule, stopped ${where} (${format} records)`, () => {
        const dir = tmp();
        // 120 spiral points, 20% test: 96 training rows, batch 12: 8 steps an epoch
        const config = { name: 'c', dataset: { type: 'spiral', samples: 120, classes: 3 }, layers: [30, 30], activation: 'relu', init: 'he_normal', optimizer, schedule, lr: 0.02, batchSize: 12, epochs: 4, seed: 2, probes: { every: 3 } };
        writeFileSync(join(dir, 'c.mlp.json'), JSON.stringify(config));
        const jsonl = format === 'jsonl' ? ['--jsonl'] : [];
        ok(['train', 'c.mlp.json', '--out', 'whole', ...jsonl], dir);
        ok(['train', 'c.mlp.json', '--out', 'part', '--stop-at-step', String(stop), ...jsonl], dir);
        assert.equal(json(join(dir, 'part/base/summary.json')).steps, stop);
        assert.equal(json(join(dir, 'part/base/state.json')).posInEpoch, stop === 16 ? 0 : 3 * 12);
        ok(['train', '--continue', 'part/base'], dir);
        assertSameRun(join(dir, 'whole/base'), join(dir, 'part/base'));
      });
    }
  }

  test('more epochs at a new learning rate: recorded in config.json and summary.json', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.mlp.json'), JSON.stringify({ name: 'c', dataset: { type: 'xor', samples: 80 }, layers: [6], activation: 'tanh', lr: 0.2, batchSize: 16, epochs: 2, seed: 4 }));
    ok(['train', 'c.mlp.json', '--out', 'r'], dir);
    const run = join(dir, 'r/base');
    let r = cli(['train', '--continue', run], dir);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /summary\.json: the run has trained 2 of 2 epochs: ask for more with --epochs N \(N > 2, the epochs in all\)/);
    ok(['train', '--continue', run, '--epochs', '5', '--lr', '0.05'], dir);
    const cfg = json(join(run, 'config.json'));
    assert.equal(cfg.epochs, 5);
    assert.equal(cfg.lr, 0.05);
    const s = json(join(run, 'summary.json'));
    assert.equal(s.status, 'completed');
    assert.equal(s.epochs, 5);
    assert.equal(s.epochsPlanned, 5);
    assert.deepEqual({ ...s.continued[0], at: 0 }, { at: 0, step: 8, epoch: 2, from: 'completed', epochs: 5, lr: 0.05, previousEpochs: 2, previousLr: 0.2 });
    const recs = runRecords(run).records;
    const steps = recs.filter((x) => x.kind === 'step');
    assert.ok(steps.filter((x) => x.step <= 8).every((x) => x.lr === 0.2));
    assert.ok(steps.filter((x) => x.step > 8).length > 0 && steps.filter((x) => x.step > 8).every((x) => x.lr === 0.05));
    assert.deepEqual(recs.filter((x) => x.kind === 'epoch').map((x) => x.epoch), [1, 2, 3, 4, 5]);
    assert.deepEqual(steps.map((x) => x.step), [...steps.map((x) => x.step)].sort((a, b) => a - b), 'steps in order');
    // and once more from there
    ok(['train', '--continue', run, '--epochs', '6'], dir);
    assert.equal(json(join(run, 'summary.json')).continued.length, 2);
  });

  test('what cannot be continued is refused before training, in one line', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.mlp.json'), JSON.stringify({ name: 'c', dataset: { type: 'xor', samples: 80 }, layers: [6], lr: 0.2, batchSize: 16, epochs: 2, seed: 4 }));
    ok(['train', 'c.mlp.json', '--out', 'r', '--stop-at-step', '3'], dir);
    const run = join(dir, 'r/base');
    const refused = (args: string[], code: number, re: RegExp) => {
      const r = cli(args, dir);
      assert.equal(r.status, code, show(r));
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    };
    refused(['train', '--continue', join(dir, 'nowhere')], 2, /nowhere: not a run folder: it has no summary\.json/);
    refused(['train', '--continue', run, '--lr', '-1'], 2, /--lr must be a positive number \(got '-1'\)/);
    refused(['train', '--continue', run, '--seed', '3'], 2, /--seed cannot be used with --continue/);
    refused(['train', 'c.mlp.json', '--lr', '0.1'], 2, /--lr is for --continue/);
    refused(['train', '--continue', run, 'c.mlp.json'], 2, /--continue takes a run folder instead of a config file/);
    refused(['train', 'c.mlp.json', '--stop-at-step', '0'], 2, /--stop-at-step must be an integer >= 1/);
    const s = json(join(run, 'summary.json'));
    writeFileSync(join(run, 'summary.json'), JSON.stringify({ ...s, status: 'running' }));
    refused(['train', '--continue', run], 2, /summary\.json: the run is still training, or ended without saving its state \(killed\); only a stopped or completed run can be continued/);
    writeFileSync(join(run, 'summary.json'), JSON.stringify(s));
    const bin = readFileSync(join(run, 'metrics.bin'));
    const bad = Buffer.from(bin);
    bad.write('XXXX', 20);
    writeFileSync(join(run, 'metrics.bin'), bad);
    refused(['train', '--continue', run], 2, /metrics\.bin: its header is not the one the run's config makes: the records cannot be continued/);
    assert.ok(existsSync(join(run, 'state.json')), 'a refused continuation changes nothing');
    writeFileSync(join(run, 'metrics.bin'), bin);
    writeFileSync(join(run, 'state.bin'), 'short');
    refused(['train', '--continue', run], 2, /state\.bin: 5 bytes, but .*state\.json makes \d+/);
    unlinkSync(join(run, 'state.json'));
    refused(['train', '--continue', run], 2, /has no state\.json \(recorded by a version that did not save its training state\)/);
  });
});
