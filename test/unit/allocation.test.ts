/**
 * The training step allocates nothing on the JavaScript heap (the brief's "no allocation in the
 * training step"): measured with V8's sampling heap profiler, which here keeps the samples of
 * objects that have died since, so garbage counts. Two networks train in turn in one thread, as
 * a worker trains variants side by side: their calls into WebAssembly then see several
 * instances' kernels, and a float crossing such a call is boxed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { availableKernelPaths } from '../../src/engine/kernel-path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { Trainer, type RecordSink } from '../../src/engine/trainer';
import { RunRecorder } from '../../src/runs/record';
import { writerLayout } from '../../src/runs/steps-format';
import { BATCH_BYTES } from '../../src/runs/steps-writer';
import { runMeta } from '../../src/runs/summary';
import { makeConfig, randomDataset } from '../support/fixtures';
import { sampledBytes } from '../support/heap-sampling';


describe('allocation', () => {
  test('the profiler sees garbage (the measurement can fail)', async () => {
    const kept: unknown[] = [];
    const bytes = await sampledBytes('makeGarbage', function makeGarbage() {
      for (let i = 0; i < 20000; i++) {
        const o = { a: i, b: [i, i + 1] };
        if (i % 5000 === 0) kept.push(o);
      }
    });
    assert.ok(bytes > 20000 * 16, `sampled ${bytes} bytes of 20,000 small objects`);
  });

  for (const path of availableKernelPaths()) test(`${path}: training steps with probes every step, records filled in place: under 4 bytes a step`, async () => {
    // 256 steps an epoch: an epoch record every 256 steps (its own few hundred bytes) is all that may show
    const small = randomDataset(4096, 2, 2, 5), wide = randomDataset(8192, 40, 3, 6);
    const trainers = [
      new Trainer(makeConfig({ layers: [8, 8, 8], activation: ['sigmoid', 'sigmoid', 'sigmoid'], epochs: 1000, lr: 0.01 }), small, 'float32', path),
      new Trainer(makeConfig({ layers: [8, 8, 8], activation: ['sigmoid', 'relu', 'tanh'], epochs: 1000, lr: 0.001, schedule: { type: 'cosine', minLr: 1e-4 },
        optimizer: { type: 'adam', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 } }), small, 'float32', path),
      // ReLU layers wide enough for the sparse products, and the products in two parts (as big networks have them)
      new Trainer(makeConfig({ layers: [32, 32, 32], activation: ['relu', 'relu', 'relu'], epochs: 1000, lr: 0.01, batchSize: 32,
        optimizer: { type: 'momentum', momentum: 0.9, nesterov: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 } }), wide, 'float32', path, { split: true, threads: 1 }),
    ];
    let seen = 0;
    const sink: RecordSink = { transientSteps: true, step: (r) => { seen += r.layers.length; } };
    const steps = (n: number) => { for (let i = 0; i < n; i++) for (const t of trainers) t.runSteps(4, sink); };
    // past the optimizing compiler (the TypeScript path's steps are slower, and it gets there sooner)
    steps(path === 'typescript-f32' ? 4000 : 10000);
    const n = path === 'typescript-f32' ? 1500 : 3000;
    // Up to four measurements, the least counts: on a loaded machine the compiler's background
    // thread may not have finished, and code not yet optimized boxes every float. Code that does
    // allocate does so in every measurement.
    const seenPerStep: number[] = [];
    for (let attempt = 0; attempt < 4 && !(seenPerStep.length && Math.min(...seenPerStep) < 4); attempt++) {
      const before = trainers.map((t) => t.step);
      const bytes = await sampledBytes('trainInTurn', function trainInTurn() { steps(n); });
      const done = trainers.reduce((a, t, i) => a + t.step - before[i]!, 0);
      assert.equal(done, trainers.length * 4 * n);
      seenPerStep.push(bytes / done);
    }
    assert.ok(seen > 0);
    const perStep = Math.min(...seenPerStep);
    console.log(`  ${path}: ${perStep.toFixed(2)} bytes a step (measurements: ${seenPerStep.map((b) => b.toFixed(2)).join(', ')})`);
    assert.ok(perStep < 4, `${seenPerStep.map((b) => b.toFixed(1)).join(', ')} bytes a step (${path})`);
  });

  for (const path of availableKernelPaths()) test(`${path}: recording every step through the recorder into metrics.bin: no garbage per step (under 4 bytes, and 1 KiB a 64 KiB write)`, async () => {
    // frames are encoded into the recorder's buffer and written a batch at a time (an fs.write and
    // its callback per 64 KiB, a few hundred steps); an epoch record every 1024 steps is a JSON line
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mlp-alloc-rec-'));
    const trainer = new Trainer(makeConfig({ layers: [8, 8, 8], activation: ['sigmoid', 'relu', 'tanh'], epochs: 1000, lr: 0.01 }), randomDataset(16384, 2, 2, 5), 'float32', path);
    const rec = new RunRecorder(dir, trainer.cfg, null, runMeta(trainer));
    const sink: RecordSink = { transientSteps: true, step: (r) => rec.line(r), epoch: (r) => rec.line(r) };
    // slices of 256 steps (a 50 ms slice of this network is thousands), each ended as the training
    // session ends one (rec.flush: its clock, and the frames out every 200 ms)
    const steps = (n: number) => { for (let i = 0; i < n; i += 256) { trainer.runSteps(256, sink); rec.flush(); } };
    const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));
    steps(path === 'typescript-f32' ? 6000 : 12000);
    await settle();
    const n = path === 'typescript-f32' ? 3000 : 8000;
    // what fs.write and its callback take (about 300 bytes) once per batch of frames is allowed,
    // spread over the batch's steps; a JSON record a step would be over 1,000 bytes a step
    const frames = Math.floor(BATCH_BYTES / writerLayout(trainer.cfg, 2, trainer.batchSize).frameBytes);
    const bound = 4 + 1024 / frames;
    const perStep: number[] = [];
    for (let attempt = 0; attempt < 4 && !(perStep.length && Math.min(...perStep) < bound); attempt++) {
      const before = trainer.step;
      const bytes = await sampledBytes('recordInTurn', function recordInTurn() { steps(n); });
      perStep.push(bytes / (trainer.step - before));
      await settle();
    }
    await rec.close();
    trainer.dispose();
    assert.equal(rec.failure, null);
    const size = fs.statSync(nodePath.join(dir, 'metrics.bin')).size;
    assert.ok(size > trainer.step * 100, `${size} bytes of frames for ${trainer.step} steps`);
    fs.rmSync(dir, { recursive: true, force: true });
    const least = Math.min(...perStep);
    console.log(`  ${path}: recording every step, ${least.toFixed(2)} bytes a step, bound ${bound.toFixed(1)} (${frames} frames a write; measurements: ${perStep.map((b) => b.toFixed(2)).join(', ')})`);
    assert.ok(least < bound, `${perStep.map((b) => b.toFixed(1)).join(', ')} bytes a step (${path}), bound ${bound.toFixed(1)}`);
  });
});
