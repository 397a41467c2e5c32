/**
 * No function of the training loop is deoptimized again and again. A function whose first call
 * runs a long loop is compiled in the middle of that loop (on-stack replacement, OSR) before any
 * code after the loop has run; that code, compiled without type feedback, deoptimizes when the
 * loop ends, and V8 can enter the same compiled loop again on every later call: each call then
 * deoptimizes and runs its first iterations in the interpreter, boxing floats (the per-epoch
 * shuffle did this: garbage in every epoch, a failure of the allocation test on a loaded
 * machine). Compiling OSR code at once (`--no-concurrent-osr`), as a busy machine often gets it,
 * makes such a loop happen on every call, so the child below inspects (as the side view does) and
 * trains with that flag and `--trace-deopt`, and the test counts the deoptimizations of each
 * compiled code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableKernelPaths } from '../../src/engine/kernel-path';
import { InspectSession } from '../../src/engine/inspect/session';
import { Trainer } from '../../src/engine/trainer';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { CLI, ROOT } from '../support/cli';
import { makeConfig, randomDataset } from '../support/fixtures';

const CHILD = process.env.MLP_LENS_DEOPT_CHILD === '1';
/** calls of the self-check's long loop */
const CALLS = 60;

/** The pattern itself, as the self-check: a long loop, then its state written back. */
class SelfCheck {
  a = 0;
  deoptLoopSelfCheck(n: number): void {
    let a = this.a;
    for (let i = 0; i < n; i++) a = (a + i * 3) | 0;
    this.a = a;
  }
}

if (CHILD) void (async () => {
  const s = new SelfCheck();
  for (let k = 0; k < CALLS; k++) s.deoptLoopSelfCheck(200_000);
  // the side view's inspections: every network of the MNIST lecture example drawn and measured again
  const file = path.join(ROOT, 'examples/lecture-mnist.mlp.json'), text = fs.readFileSync(file, 'utf8');
  const session = new InspectSession((f) => nodeDataIO(path.dirname(f), findAssetDir()));
  for (let seed = 1; seed <= 20; seed++) await session.run(text.replace(/\n  "seed": 0,/, `\n  "seed": ${seed},`), file);
  console.log('inspected 20 times');
  // every kernel path; 8192 examples in batches of 256 (a shuffle long enough to be compiled in
  // its loop, 32 steps an epoch), 200 epochs
  for (const path of availableKernelPaths()) {
    const data = randomDataset(8192, 2, 2, 5, 1024); // and a test split, evaluated at every epoch's end
    const probes = { every: 1, histogramBins: 20, unitSaturation: true };
    const trainers = [
      new Trainer(makeConfig({ layers: [8, 8, 8], activation: ['sigmoid', 'relu', 'tanh'], epochs: 200, lr: 0.01, batchSize: 256, probes }), data, 'float32', path),
      new Trainer(makeConfig({ layers: [16, 16], activation: ['relu', 'relu'], epochs: 200, lr: 0.01, batchSize: 256, init: { scheme: 'he_uniform', std: 1, limit: 0.05, bias: 0 }, probes: { ...probes, every: 10 } }), data, 'float32', path),
    ];
    while (trainers.some((t) => !t.done)) for (const t of trainers) if (!t.done) t.runSteps(16, { transientSteps: true, step: () => {} });
    console.log(`trained on ${path}: ${trainers.map((t) => t.epoch).join(', ')} epochs`);
    // the weights of many networks, drawn on layers long enough to be compiled in their loops, and
    // evaluations of a set whose batches are as long (64 features)
    const wide = randomDataset(2048, 64, 2, 8);
    for (let seed = 0; seed < 30; seed++) for (const scheme of ['he_normal', 'glorot_uniform'] as const) {
      const t = new Trainer(makeConfig({ layers: [256, 256], activation: ['relu', 'relu'], init: { scheme, std: 1, limit: 0.05, bias: 0 }, seed }), wide, 'float32', path);
      if (seed % 3 === 0) t.evaluate(wide.trainX, wide.trainY);
    }
  }
})();
else {
  /**
   * Deoptimizations per compiled code in a trace ("function#opt id"; `--trace-deopt` prints a
   * "[bailout ..." line each): the loop is the same compiled code deoptimized again and again (a
   * function that meets new types is compiled anew, with another id).
   */
  const bailouts = (trace: string): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const m of trace.matchAll(/\[bailout \(kind: [^)]*\)[^\n]*?<JSFunction ([^\s>]+)[^\n]*?opt id (\d+)/g)) {
      const key = `${m[1]!}#${m[2]!}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  /** how often the same compiled code may deoptimize */
  const MOST = 2;
  const self = (counts: Map<string, number>) => [...counts].filter(([k]) => k.startsWith('deoptLoopSelfCheck#'));
  const FLAGS = ['--no-concurrent-osr', '--trace-deopt'];

  test('inspecting and training: no compiled code deoptimizes call after call (OSR compiled at once)', () => {
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    assert.ok(known.includes('--concurrent-osr ') && known.includes('--trace-deopt '), 'this Node\'s V8 has --no-concurrent-osr and --trace-deopt');
    const env: NodeJS.ProcessEnv = { ...process.env, MLP_LENS_DEOPT_CHILD: '1' };
    delete env.NODE_TEST_CONTEXT; // else the child reports to this runner instead of running
    const r = spawnSync(process.execPath, [...FLAGS, __filename], { encoding: 'utf8', env, maxBuffer: 256 << 20, timeout: 300_000 });
    assert.equal(r.status, 0, `the child failed:\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, /inspected 20 times[\s\S]*trained on typescript-f32: 200, 200 epochs/);
    const counts = bailouts(r.stdout);
    // the trace is read: the self-check's loop deoptimizes on every call, in the same code
    const selfCount = Math.max(0, ...self(counts).map(([, n]) => n));
    assert.ok(selfCount >= CALLS / 2, `the self-check's compiled loop deoptimized ${selfCount} times in ${CALLS} calls`);
    for (const [k] of self(counts)) counts.delete(k);
    const worst = [...counts].sort((a, b) => b[1] - a[1]);
    console.log(`  deoptimizations of one compiled code, most: ${worst.slice(0, 5).map(([f, n]) => `${f} ${n}`).join(', ') || 'none'}`);
    for (const [fn, n] of worst) assert.ok(n <= MOST, `${fn} (function#compiled code) was deoptimized ${n} times while inspecting and training`);
  });

  test('mlp-lens train on the lecture example: no compiled code deoptimizes call after call (OSR compiled at once)', () => {
    // the product's whole path: three variants initialized, trained, recorded and evaluated at each epoch's end
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-deopt-'));
    const r = spawnSync(process.execPath, [...FLAGS, CLI, 'train', path.join(ROOT, 'examples/lecture.mlp.json'), '--out', out, '--json'],
      { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 300_000, env: { ...process.env, MLP_LENS_THREADS: '1' } });
    fs.rmSync(out, { recursive: true, force: true });
    assert.equal(r.status, 0, `mlp-lens train failed:\n${r.stderr.slice(-2000)}`);
    const worst = [...bailouts(r.stdout)].sort((a, b) => b[1] - a[1]);
    console.log(`  deoptimizations of one compiled code in mlp-lens train (lecture), most: ${worst.slice(0, 5).map(([f, n]) => `${f} ${n}`).join(', ') || 'none'}`);
    for (const [fn, n] of worst) assert.ok(n <= MOST, `${fn} (function#compiled code) was deoptimized ${n} times training the lecture example`);
  });
}
