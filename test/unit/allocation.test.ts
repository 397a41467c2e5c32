/**
 * The training step allocates nothing on the JavaScript heap (the brief's "no allocation in the
 * training step"): measured with V8's sampling heap profiler, which here keeps the samples of
 * objects that have died since, so garbage counts. Two networks train in turn in one thread, as
 * a worker trains variants side by side: their calls into WebAssembly then see several
 * instances' kernels, and a float crossing such a call is boxed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { availableKernelPaths, selectedKernelPath, type KernelPath } from '../../src/engine/kernel-path';
import { Trainer, type RecordSink } from '../../src/engine/trainer';
import { RunRecorder } from '../../src/runs/record';
import { writerLayout } from '../../src/runs/steps-format';
import { BATCH_BYTES } from '../../src/runs/steps-writer';
import { runMeta } from '../../src/runs/summary';
import { makeConfig, randomDataset } from '../support/fixtures';
import { markedBytes, sampledBytes } from '../support/heap-sampling';


const PINNED = process.env.MLP_LENS_ALLOCATION_PINNED === '1';
/** the child of the test 'before the step's code is optimized' (see there) */
const EARLY = process.env.MLP_LENS_ALLOCATION_EARLY === '1';

/**
 * `node` on this file with MLP_LENS_ALLOCATION_{name}=1 and `flags`, pinned to one core with
 * taskset when it is installed (else on every core, saying why): its stdout and stderr, asserted
 * to have passed.
 */
function runChild(name: string, flags: string[], expect: RegExp): void {
  const env: NodeJS.ProcessEnv = { ...process.env, [`MLP_LENS_ALLOCATION_${name}`]: '1' };
  // NODE_TEST_CONTEXT would make the child report to this runner instead of running its tests
  delete env.NODE_TEST_CONTEXT;
  const taskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;
  if (!taskset) console.log('  taskset is not installed (util-linux): the child runs unpinned');
  const cmd = taskset ? 'taskset' : process.execPath;
  const args = [...(taskset ? ['-c', '0', process.execPath] : []), ...flags, __filename];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 600_000 });
  const lines = (r.stdout + r.stderr).split('\n');
  for (const l of lines) if (/bytes a step|not ok/.test(l)) console.log(`  ${taskset ? 'pinned' : 'child'}: ${l.trim()}`);
  assert.match(r.stdout, expect, `the child measured:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, `the child failed:\n${lines.filter((l) => /not ok|bytes a step|Error/.test(l)).join('\n')}`);
}

/**
 * JavaScript heap bytes a training step takes, three networks training in turn on `path` with
 * probes every `every` steps: the least of up to four measurements (on a loaded machine the
 * compiler's background thread may not have finished, and code not yet optimized boxes every
 * float; code that does allocate does so in every measurement).
 */
async function stepBytes(path: KernelPath, every: number): Promise<{ least: number; all: number[] }> {
  // 256 steps an epoch: an epoch record every 256 steps (its own few hundred bytes) is all that may show
  const small = randomDataset(4096, 2, 2, 5), wide = randomDataset(8192, 40, 3, 6);
  const probes = { every, histogramBins: 20, unitSaturation: true };
  const trainers = [
    new Trainer(makeConfig({ layers: [8, 8, 8], activation: ['sigmoid', 'sigmoid', 'sigmoid'], epochs: 1000, lr: 0.01, probes }), small, 'float32', path),
    new Trainer(makeConfig({ layers: [8, 8, 8], activation: ['sigmoid', 'relu', 'tanh'], epochs: 1000, lr: 0.001, schedule: { type: 'cosine', minLr: 1e-4 }, probes,
      optimizer: { type: 'adam', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 } }), small, 'float32', path),
    // ReLU layers wide enough for the sparse products, and the products in two parts (as big networks have them)
    new Trainer(makeConfig({ layers: [32, 32, 32], activation: ['relu', 'relu', 'relu'], epochs: 1000, lr: 0.01, batchSize: 32, probes,
      optimizer: { type: 'momentum', momentum: 0.9, nesterov: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 } }), wide, 'float32', path, { split: true, threads: 1 }),
  ];
  let seen = 0;
  const sink: RecordSink = { transientSteps: true, step: (r) => { seen += r.layers.length; } };
  const steps = (n: number) => { for (let i = 0; i < n; i++) for (const t of trainers) t.runSteps(4, sink); };
  // past the optimizing compiler (the TypeScript path's steps are slower, and it gets there sooner)
  steps(path === 'typescript-f32' ? 4000 : 10000);
  const n = path === 'typescript-f32' ? 1500 : 3000;
  const all: number[] = [];
  for (let attempt = 0; attempt < 8 && all.length < 4 && !(all.length && Math.min(...all) < 4); attempt++) {
    const before = trainers.map((t) => t.step);
    const bytes = await markedBytes('trainInTurn', () => steps(n));
    const done = trainers.reduce((a, t, i) => a + t.step - before[i]!, 0);
    assert.equal(done, trainers.length * 4 * n);
    if (bytes !== null) all.push(bytes / done); // null: the profiler saw nothing of it, not a measurement
  }
  assert.ok(all.length > 0, 'the heap profiler saw none of the measured code in 8 attempts');
  assert.ok(seen > 0, 'records were made'); // step 1 and the last are always recorded
  const least = Math.min(...all);
  console.log(`  ${PINNED ? 'pinned, ' : ''}${path}, probes every ${every}: ${least.toFixed(2)} bytes a step (measurements: ${all.map((b) => b.toFixed(2)).join(', ')})`);
  return { least, all };
}

/**
 * Probe-off steps of a W2-sized network (784-256-256-256-10, batch 64, ReLU: spmm and products
 * in two parts) after 520 steps: the loops over a batch's elements are optimized by then, the
 * code that runs a few times a step (the trainer's step, the passes' per-layer calls) is not yet.
 * On a busy core the optimizing compiler's thread can leave that code unoptimized for thousands
 * of steps, and unoptimized code boxes every float it computes: so that code computes none on
 * a probe-off step. Run in a child with the compiler synchronous (--no-concurrent-recompilation,
 * --no-concurrent-osr), so what is optimized when depends on the calls made, not on the load.
 * 256 steps an epoch: the window (steps 520 to 760) holds no epoch's end.
 */
if (EARLY) describe('allocation before the step is optimized', () => {
  test('W2-sized probe-off steps 520 to 760: under 32 bytes a step', async () => {
    const data = randomDataset(16384, 784, 10, 3);
    const t = new Trainer(makeConfig({ layers: [256, 256, 256], activation: ['relu', 'relu', 'relu'], epochs: 10, lr: 0.001, batchSize: 64,
      init: { scheme: 'he_normal', std: 1, limit: 1, bias: 0 }, probes: { every: 1_000_000_000, histogramBins: 20, unitSaturation: true } }), data, 'float32', selectedKernelPath(), { threads: 1 });
    const sink: RecordSink = { transientSteps: true, step: () => {} };
    t.runSteps(520, sink);
    const bytes = await markedBytes('earlySteps', () => { for (let i = 0; i < 60; i++) t.runSteps(4, sink); });
    assert.equal(t.step, 760);
    assert.notEqual(bytes, null, 'the heap profiler saw none of the measured steps');
    const perStep = bytes! / 240;
    console.log(`  ${selectedKernelPath()}, W2-sized, probes off, steps 520-760 (step code not yet optimized): ${perStep.toFixed(2)} bytes a step`);
    t.dispose();
    assert.ok(perStep < 32, `${perStep.toFixed(1)} bytes a step`);
  });
});

if (!EARLY) describe('allocation', () => {
  test('the profiler sees garbage (the measurement can fail)', async () => {
    // every object is kept until sampling ends, so no compiler can remove the allocations (an
    // optimized loop may drop objects that do not escape)
    let kept: unknown[] = [];
    const bytes = await sampledBytes('makeGarbage', function makeGarbage() {
      for (let i = 0; i < 20000; i++) kept.push({ a: i, b: [i, i + 1] });
    });
    kept = [];
    assert.ok(bytes > 20000 * 16, `sampled ${bytes} bytes of 20,000 small objects`);
  });

  // probes every step on every kernel path; probe-off steps, and a run recording every 10th step
  // (most real runs: most of their steps are probe-off steps), on the path a run would take
  const cases: { path: KernelPath; every: number; what: string }[] = [
    // pinned (the child run below): the path a run would take only, to keep it short
    ...(PINNED ? [selectedKernelPath()] : availableKernelPaths()).map((path) => ({ path, every: 1, what: 'probes every step, records filled in place' })),
    { path: selectedKernelPath(), every: 1_000_000_000, what: 'probes off' },
    { path: selectedKernelPath(), every: 10, what: 'probes every 10th step' },
  ];
  for (const { path, every, what } of cases) test(`${PINNED ? 'pinned to one core: ' : ''}${path}: training steps with ${what}: under 4 bytes a step`, async () => {
    const perStep = await stepBytes(path, every);
    assert.ok(perStep.least < 4, `${perStep.all.map((b) => b.toFixed(1)).join(', ')} bytes a step (${path}, probes every ${every})`);
  });

  // The same on one core (taskset -c 0): the optimizing compiler's thread then shares the core,
  // and the step's code stays unoptimized longer (code that boxes floats until it is optimized
  // shows here). The child runs this file with MLP_LENS_ALLOCATION_PINNED=1.
  if (!PINNED) test('the same, pinned to one core', () => {
    runChild('PINNED', [], /probes every 1000000000: [\d.]+ bytes a step/);
  });

  // the code that runs a few times a step computes no float on probe-off steps (see above)
  if (!PINNED) test('probe-off steps before the step code is optimized, compiler synchronous (child process)', () => {
    // V8's flags for a synchronous compiler, those this Node has (an unknown flag would stop it)
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    const flags = ['--no-concurrent-recompilation', '--no-concurrent-osr'].filter((f) => known.includes(`--${f.slice(5)} `));
    if (flags.length < 2) console.log(`  this Node's V8 lacks ${['--no-concurrent-recompilation', '--no-concurrent-osr'].filter((f) => !flags.includes(f)).join(', ')}: the child runs without it`);
    runChild('EARLY', flags, /steps 520-760 \(step code not yet optimized\): [\d.]+ bytes a step/);
  });

  for (const path of availableKernelPaths()) test(`${path}: recording every step through the recorder into metrics.bin: no garbage per step (under 4 bytes, and 1 KiB a batch write)`, async () => {
    // frames are encoded into the recorder's buffer and written a batch at a time (an fs.write and
    // its callback per 256 KiB batch, a few hundred steps); an epoch record every 1024 steps is a JSON line
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
    // and an epoch record (a JSON line, with the test set's confusion matrix) once an epoch: its
    // text and bytes, spread over the epoch's steps
    const epochLine = trainer.lastEpoch ? JSON.stringify(trainer.lastEpoch).length : 0;
    const bound = 4 + 1024 / frames + (2 * epochLine) / trainer.stepsPerEpoch;
    const perStep: number[] = [];
    for (let attempt = 0; attempt < 8 && perStep.length < 4 && !(perStep.length && Math.min(...perStep) < bound); attempt++) {
      const before = trainer.step;
      const bytes = await markedBytes('recordInTurn', () => steps(n));
      if (bytes !== null) perStep.push(bytes / (trainer.step - before)); // null: the profiler saw nothing of it
      await settle();
    }
    assert.ok(perStep.length > 0, 'the heap profiler saw none of the measured code in 8 attempts');
    await rec.close();
    trainer.dispose();
    assert.equal(rec.failure, null);
    const size = fs.statSync(nodePath.join(dir, 'metrics.bin')).size;
    assert.ok(size > trainer.step * 100, `${size} bytes of frames for ${trainer.step} steps`);
    fs.rmSync(dir, { recursive: true, force: true });
    const least = Math.min(...perStep);
    console.log(`  ${path}: recording every step, ${least.toFixed(2)} bytes a step, bound ${bound.toFixed(1)} (${frames} frames a write, epoch lines of ${epochLine} characters every ${trainer.stepsPerEpoch} steps; measurements: ${perStep.map((b) => b.toFixed(2)).join(', ')})`);
    assert.ok(least < bound, `${perStep.map((b) => b.toFixed(1)).join(', ')} bytes a step (${path}), bound ${bound.toFixed(1)}`);
  });
});
