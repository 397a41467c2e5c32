/**
 * npm run bench: training throughput of the engine against TensorFlow.js (not a test; numbers
 * vary by machine and load). Everything runs in this one process, one thing at a time:
 *
 *   W1  2-8-8-8-2                 batch 16   sigmoid
 *   W2  784-256-256-256-10        batch 64   relu, SGD
 *   W3  784-1024-1024-1024-10     batch 128  relu, SGD
 *
 * For each workload, after a warm-up, it runs `--reps` rounds (default 5); a round trains for a
 * fixed time slice with each contender in turn, so drift and other load hit all alike:
 *   engine, probes every step  (the records are built, as the worker builds them)
 *   engine, probes off
 *   engine, probes every step, 2 threads (when the network is big enough to split its products)
 *   tfjs-cpu, tfjs-wasm        (@tensorflow/tfjs-core with its cpu / wasm backend, each in its own
 *                               worker thread so the two never share a tfjs instance; same sizes,
 *                               batch, init family, SGD, softmax cross-entropy; one thread each)
 * and prints the median samples/s (min-max over rounds), GFLOP/s counted as 6 x parameters per
 * sample (forward 2, backward 4 flops per weight), the ratios to tfjs, and the probe cost (in each
 * round probes on and off run in interleaved pieces, pairedRates; the median of the rounds'
 * costs); then the
 * same from each contender's best round (robust to other load on a shared machine).
 *
 *   npm run bench [-- --reps N] [--only W1,W2] [--paths] [--no-tfjs] [--torch] [--json FILE]
 *     --paths   also measure the other available kernel paths (wasm-simd-f32, typescript-f32)
 *     --torch   also PyTorch on the CPU (Debian's python3-torch; torch-contender.ts, torch-contender.py):
 *               one and two threads, with OpenBLAS's kernels as the environment picks them and
 *               with the best this CPU has; then the engine's rates against PyTorch's, in a table
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { availableKernelPaths, kernelPathProblem, selectedKernelPath, type KernelPath } from '../src/engine/kernel-path';
import { Rng } from '../src/engine/rng';
import { percentileEvery } from '../src/engine/probes';
import { percentileTiming } from './percentile-timing';
import { Trainer, type StepRecord } from '../src/engine/trainer';
import type { Dataset, HiddenActivation, ResolvedConfig } from '../src/engine/types';
import { enableSecondCore, setupKernels } from '../src/node/kernel-setup';
import { sampledBytes } from '../test/support/heap-sampling';
import { torchContenders, torchProblem, type TorchContender } from './torch-contender';

interface Workload {
  name: string;
  sizes: number[];
  batch: number;
  activation: HiddenActivation;
  /** seconds per contender per round */
  slice: number;
}

const WORKLOADS: Workload[] = [
  { name: 'W1', sizes: [2, 8, 8, 8, 2], batch: 16, activation: 'sigmoid', slice: 0.5 },
  { name: 'W2', sizes: [784, 256, 256, 256, 10], batch: 64, activation: 'relu', slice: 1 },
  { name: 'W3', sizes: [784, 1024, 1024, 1024, 10], batch: 128, activation: 'relu', slice: 3 },
];
const LR = 0.001;

const parameters = (sizes: number[]) => sizes.slice(1).reduce((a, n, i) => a + n * (sizes[i]! + 1), 0);

// ------------------------------------------------------------------------------------------- tfjs
// A worker thread per tfjs backend: it builds the same MLP and trains it for the requested time.

type TfjsRequestT = { cmd: 'setup'; workload: Workload } | { cmd: 'run'; seconds: number };

async function tfjsWorker(backend: 'cpu' | 'wasm'): Promise<void> {
  // tfjs-core advertises tfjs-node on its first use in Node: not this bench's subject
  for (const k of ['log', 'warn'] as const) {
    const orig = console[k].bind(console);
    console[k] = (...a: unknown[]) => { if (!/tfjs-node|TensorFlow\.js in Node|^=+$/.test(String(a[0]))) orig(...a); };
  }
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-cpu');
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // the .wasm files ship in the package: load them from its dist folder, never from the network
    const dist = path.join(path.dirname(createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialize`);
  await tf.ready();
  let step: (() => void) | null = null;
  let batch = 0;
  const port = parentPort!;
  port.on('message', (msg: TfjsRequestT) => {
    if (msg.cmd === 'setup') {
      const w = msg.workload;
      batch = w.batch;
      const vars: ReturnType<typeof tf.variable>[] = [];
      const L = w.sizes.length - 1;
      for (let k = 0; k < L; k++) {
        const fanIn = w.sizes[k]!, fanOut = w.sizes[k + 1]!;
        const std = w.activation === 'relu' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
        vars.push(tf.variable(tf.randomNormal([fanIn, fanOut], 0, std, 'float32', 1 + k)));
        vars.push(tf.variable(tf.zeros([fanOut])));
      }
      const classes = w.sizes[L]!;
      const X = tf.randomUniform([w.batch, w.sizes[0]!], 0, 1, 'float32', 7);
      const Y = tf.oneHot(tf.randomUniform([w.batch], 0, classes, 'int32', 8) as ReturnType<typeof tf.randomUniform>, classes);
      const opt = tf.train.sgd(LR);
      const act = w.activation === 'relu' ? tf.relu : tf.sigmoid;
      const loss = () => {
        let h: ReturnType<typeof tf.add> = X;
        for (let k = 0; k < L; k++) {
          h = tf.add(tf.matMul(h, vars[2 * k]!), vars[2 * k + 1]!);
          if (k < L - 1) h = act(h);
        }
        return tf.losses.softmaxCrossEntropy(Y, h) as ReturnType<typeof tf.scalar>;
      };
      step = () => tf.tidy(() => { opt.minimize(loss, false, vars as never); });
      step();
      vars[0]!.dataSync();
      port.postMessage({ ok: true });
    } else {
      const t0 = performance.now();
      let steps = 0;
      do { step!(); steps++; } while (performance.now() - t0 < msg.seconds * 1000);
      const dt = (performance.now() - t0) / 1000;
      port.postMessage({ samplesPerSecond: (steps * batch) / dt });
    }
  });
  port.postMessage({ ready: true });
}

class TfjsContender {
  private worker: Worker;
  private pending: ((v: unknown) => void) | null = null;
  private failed: Error | null = null;
  private ready: Promise<void>;
  constructor(readonly backend: 'cpu' | 'wasm') {
    this.worker = new Worker(__filename, { workerData: { role: 'tfjs', backend } });
    let started: () => void;
    this.ready = new Promise((resolve) => (started = resolve));
    this.worker.on('message', (m: { ready?: boolean }) => {
      if (m.ready) return started();
      const p = this.pending;
      this.pending = null;
      p?.(m);
    });
    this.worker.on('error', (e) => { this.failed = e; });
  }
  private async ask<T>(msg: TfjsRequestT): Promise<T> {
    await this.ready;
    if (this.failed) throw this.failed;
    return new Promise<T>((resolve) => {
      this.pending = resolve as (v: unknown) => void;
      this.worker.postMessage(msg);
    });
  }
  async setup(w: Workload): Promise<void> {
    await this.ask({ cmd: 'setup', workload: w });
  }
  async run(seconds: number): Promise<number> {
    return (await this.ask<{ samplesPerSecond: number }>({ cmd: 'run', seconds })).samplesPerSecond;
  }
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ----------------------------------------------------------------------------------------- engine

function dataset(features: number, classes: number, n: number): Dataset {
  const r = new Rng(1);
  return {
    name: 'bench', features, classes, classNames: [], featureNames: [],
    trainX: new Float32Array(n * features).map(() => r.next()),
    trainY: new Int32Array(n).map(() => r.int(classes)),
    testX: new Float32Array(0), testY: new Int32Array(0), description: 'random',
  };
}

function config(w: Workload, probeEvery: number): ResolvedConfig {
  const hidden = w.sizes.slice(1, -1);
  return {
    name: 'bench', variant: w.name, dataset: { type: 'spiral', samples: 0, classes: 0, noise: 0, seed: 0, testFraction: 0 },
    layers: hidden, activation: hidden.map(() => w.activation), leakyReluSlope: 0.01, output: 'softmax',
    init: { scheme: w.activation === 'relu' ? 'he_normal' : 'glorot_uniform', std: 1, limit: 1, bias: 0 },
    optimizer: { type: 'sgd', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    lr: LR, schedule: { type: 'constant' }, batchSize: w.batch, epochs: 1_000_000, seed: 0,
    probes: { every: probeEvery, histogramBins: 20, unitSaturation: true },
  };
}

/** The weight and gradient percentiles' share of a probed step (percentile-timing.ts), 15 rounds. */
function percentileShare(c: EngineContender): number {
  return percentileTiming(c.trainer, Math.max(4, Math.round(2e6 / parameters(c.trainer.net.sizes) / 4)), 15).share;
}

class EngineContender {
  readonly trainer: Trainer;
  last: StepRecord | null = null;
  constructor(w: Workload, data: Dataset, probes: boolean, path: KernelPath, threads: 1 | 2 = 1) {
    this.trainer = new Trainer(config(w, probes ? 1 : 1_000_000_000), data, 'float32', path, { threads });
  }
  // records are built as the worker builds them (it packs each at once: one record filled in
  // place), and the last one kept
  private readonly sink = { transientSteps: true, step: (r: StepRecord) => { this.last = r; } };
  /** Train for about `seconds`: the samples trained and the milliseconds taken. */
  timed(seconds: number): { samples: number; ms: number } {
    const t = this.trainer;
    const t0 = performance.now();
    let steps = 0;
    do steps += t.runSteps(4, this.sink); while (performance.now() - t0 < seconds * 1000);
    const ms = performance.now() - t0;
    if (t.status !== 'running') throw new Error(`${t.cfg.variant} stopped (${t.status}); the numbers would not be meaningful`);
    return { samples: steps * t.batchSize, ms };
  }
  run(seconds: number): number {
    const { samples, ms } = this.timed(seconds);
    return samples / (ms / 1000);
  }
}

/** Pieces per side of a round's probes-on/off pair (see pairedRates). */
const PAIR_PIECES = 20;

/**
 * Probes on and off for `seconds` each, in PAIR_PIECES pieces per side taken in turn (on off,
 * off on, on off, ...): samples/s of each over its pieces. A slow spell of a shared machine
 * (they last from a fraction of a second to seconds) then falls on both sides alike, where two
 * runs of a whole slice each could see it on one side only; the order within each pair of pieces
 * alternates, so neither side always runs first.
 */
function pairedRates(on: EngineContender, off: EngineContender, seconds: number): [number, number] {
  let sOn = 0, msOn = 0, sOff = 0, msOff = 0;
  for (let i = 0; i < PAIR_PIECES; i++) {
    for (const c of i % 2 ? [off, on] : [on, off]) {
      const { samples, ms } = c.timed(seconds / PAIR_PIECES);
      if (c === on) { sOn += samples; msOn += ms; } else { sOff += samples; msOff += ms; }
    }
  }
  return [sOn / (msOn / 1000), sOff / (msOff / 1000)];
}

/**
 * Bytes the JavaScript heap takes per training step in Trainer.runSteps (garbage included: the
 * epoch's end and its record too), by V8's sampling heap profiler (a sample every 64 bytes
 * allocated, kept whether or not the object has died since), over about `seconds` of steps after
 * the timed rounds. The WebAssembly memory is not on this heap.
 */
async function bytesPerStep(c: EngineContender, seconds: number): Promise<number> {
  const before = c.trainer.step;
  // only what training allocated: under runSteps (not this bench's clock reads)
  const bytes = await sampledBytes('runSteps', () => c.run(seconds), 64);
  return bytes / (c.trainer.step - before);
}

// ------------------------------------------------------------------------------------------- main

/**
 * The engine against PyTorch for one workload: one thread against one thread and two against two,
 * for each OpenBLAS setting; and the engine's two threads against its one. Rows of the table.
 */
function torchRatios(name: string, rows: Row[]): string[] {
  const get = (n: string) => rows.find((r) => r.name === n);
  const one = get('engine probes on')!, two = get('engine probes on, 2 threads');
  const line = (what: string, a: Row, b: Row) => {
    const per = a.samples.map((x, i) => x / b.samples[i]!);
    return `  ${name}  ${what.padEnd(58)} ${(median(a.samples) / median(b.samples)).toFixed(2)}x (${Math.min(...per).toFixed(2)}-${Math.max(...per).toFixed(2)})`;
  };
  const out: string[] = [];
  for (const r of rows) {
    if (!r.name.startsWith('torch ')) continue;
    const ours = r.name.startsWith('torch 1 thread') ? one : two;
    if (ours) out.push(line(`${ours === one ? 'engine 1 thread' : 'engine 2 threads'} / ${r.name}`, ours, r));
  }
  if (two) out.push(line('engine 2 threads / engine 1 thread', two, one));
  for (const r of rows) if (r.name.startsWith('torch 2 threads')) {
    const t1 = get(r.name.replace('2 threads', '1 thread'));
    if (t1) out.push(line(`${r.name} / ${t1.name}`, r, t1));
  }
  return out;
}

interface Row { name: string; samples: number[] }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const reps = Number(opt('--reps') ?? 5);
  const only = opt('--only')?.split(',');
  const withTfjs = !argv.includes('--no-tfjs');
  const withTorch = argv.includes('--torch');
  const jsonOut = opt('--json');
  const { flags } = setupKernels();
  const second = enableSecondCore({});
  const paths = availableKernelPaths();
  const selected = selectedKernelPath();
  const extraPaths = argv.includes('--paths') ? paths.filter((p) => p !== selected) : [];
  console.log(`mlp-lens bench ${new Date().toISOString()}: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}${flags.length ? ` (${flags.join(' ')})` : ''}`);
  console.log(`command: npm run bench -- ${argv.join(' ')}`);
  console.log(`kernel path: ${selected} (available: ${paths.join(', ')}${paths.includes('wasm-relaxed-simd-f32') ? '' : `; wasm-relaxed-simd-f32: ${kernelPathProblem('wasm-relaxed-simd-f32')}`})`);
  console.log(`${reps} interleaved rounds per workload; median samples/s (min-max); GFLOP/s = 6 x parameters x samples/s; one thread unless marked${second ? '' : ' (one core here: no 2-thread runs)'}\n`);
  const tfjs = withTfjs ? [new TfjsContender('cpu'), new TfjsContender('wasm')] : [];
  let torch: TorchContender[] = [];
  if (withTorch) {
    const problem = torchProblem();
    if (problem) console.log(`--torch: PyTorch is not measured: ${problem}\n`);
    else {
      torch = torchContenders(second);
      const info = await torch[0]!.ready;
      console.log(`PyTorch ${String(info.torch)} on the CPU (OMP_WAIT_POLICY=PASSIVE; threads by OPENBLAS_NUM_THREADS/OMP_NUM_THREADS); OpenBLAS kernels: this environment's OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}${process.env.OPENBLAS_CORETYPE ? '' : ', so OPENBLAS_CORETYPE=Haswell (AVX2) is measured against'} and "best kernels" (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)\n`);
    }
  }
  const torchTable: string[] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const w of WORKLOADS) {
      if (only && !only.includes(w.name)) continue;
      const params = parameters(w.sizes);
      const data = dataset(w.sizes[0]!, w.sizes.at(-1)!, Math.max(w.batch * 64, 4096));
      const contenders: { name: string; run: (s: number) => number | Promise<number> }[] = [];
      const on = new EngineContender(w, data, true, selected), off = new EngineContender(w, data, false, selected);
      contenders.push({ name: 'engine probes on', run: (s) => on.run(s) }, { name: 'engine probes off', run: (s) => off.run(s) });
      const dual = second ? new EngineContender(w, data, true, selected, 2) : null;
      if (dual && dual.trainer.net.threads === 2) contenders.push({ name: 'engine probes on, 2 threads', run: (s) => dual.run(s) });
      for (const p of extraPaths) {
        const e = new EngineContender(w, data, true, p);
        contenders.push({ name: `${p} probes on`, run: (s) => e.run(s) });
      }
      for (const t of tfjs) {
        await t.setup(w);
        contenders.push({ name: `tfjs-${t.backend}`, run: (s) => t.run(s) });
      }
      for (const t of torch) {
        await t.setup({ sizes: w.sizes, batch: w.batch, activation: w.activation, lr: LR, samples: data.trainY.length });
        contenders.push({ name: t.name, run: (s) => t.run(s) });
      }
      const rows: Row[] = contenders.map((c) => ({ name: c.name, samples: [] }));
      for (const c of contenders) await c.run(w.slice / 2); // warm-up (and WebAssembly tier-up)
      // probes on and off (contenders 0 and 1) run as a pair, their pieces interleaved
      // (pairedRates): a slow spell of the machine (this kind of machine shares its cores) hits
      // both sides of the round's probe cost alike
      const units = [[0, 1], ...contenders.slice(2).map((_, i) => [i + 2])];
      const paired: number[] = [];
      for (let r = 0; r < reps; r++) {
        // rotated: each unit takes every place in the round in turn (no order bias: what ran
        // just before, a helper thread winding down, the caches it left)
        for (let j = 0; j < units.length; j++) {
          const unit = units[(j + r) % units.length]!;
          if (unit.length === 2) {
            const [a, b] = pairedRates(on, off, w.slice);
            rows[0]!.samples.push(a);
            rows[1]!.samples.push(b);
          } else rows[unit[0]!]!.samples.push(await contenders[unit[0]!]!.run(w.slice));
        }
        paired.push(1 - rows[0]!.samples[r]! / rows[1]!.samples[r]!);
      }
      const get = (name: string) => rows.find((r) => r.name === name);
      const cost = median(paired);
      const cpu = get('tfjs-cpu'), wasm = get('tfjs-wasm');
      console.log(`${w.name} ${w.sizes.join('-')} batch ${w.batch} ${w.activation}, ${params.toLocaleString('en-US')} parameters`);
      for (const row of rows) {
        const m = median(row.samples);
        const gflops = (m * 6 * params) / 1e9;
        let extra = '';
        if (row.name.includes('probes on')) {
          const ratios = [cpu ? `${(m / median(cpu.samples)).toFixed(1)}x tfjs-cpu` : '', wasm ? `${(m / median(wasm.samples)).toFixed(1)}x tfjs-wasm` : ''].filter(Boolean);
          extra = ratios.join(', ');
        }
        if (row.name === 'engine probes off') extra = `probe cost ${pct(cost)} (rounds ${pct(Math.min(...paired))} to ${pct(Math.max(...paired))})`;
        console.log(`  ${row.name.padEnd(44)} ${fmt(m).padStart(10)} samples/s (${fmt(Math.min(...row.samples))}-${fmt(Math.max(...row.samples))})  ${gflops.toFixed(2).padStart(6)} GFLOP/s  ${extra}`);
      }
      // the best round of each: what a round undisturbed by other load gives (a shared machine
      // makes medians wander; the rounds are interleaved, so every contender had the same chances)
      const best = (name: string) => Math.max(...get(name)!.samples);
      const bOn = best('engine probes on');
      console.log(`  best rounds: probes on ${fmt(bOn)}, off ${fmt(best('engine probes off'))} (probe cost ${(100 * (1 - bOn / best('engine probes off'))).toFixed(1)}%)` +
        (get('engine probes on, 2 threads') ? `, 2 threads ${fmt(best('engine probes on, 2 threads'))}` : '') +
        (cpu ? `; ${(bOn / best('tfjs-cpu')).toFixed(1)}x tfjs-cpu (${fmt(best('tfjs-cpu'))})` : '') +
        (wasm ? `, ${(bOn / best('tfjs-wasm')).toFixed(1)}x tfjs-wasm (${fmt(best('tfjs-wasm'))})` : ''));
      if (torch.length) torchTable.push(...torchRatios(w.name, rows));
      const allocOn = await bytesPerStep(on, 1), allocOff = await bytesPerStep(off, 1);
      console.log(`  JS heap taken per step in Trainer.runSteps (V8's sampling heap profiler, garbage included; the epoch records too): probes on ${allocOn.toFixed(1)} bytes, off ${allocOff.toFixed(1)}`);
      const every = percentileEvery(on.trainer.net.layers, w.batch), pp = percentileShare(on) / every;
      console.log(`  weight and gradient percentiles (part of "probes on", measured every ${every === 1 ? '' : `${every}th `}probe step): ${pct(pp)} of a probed step (median of 15 rounds timed in turn with training steps)`);
      const mix = on.trainer.net.productCounts;
      if (mix) console.log(`  products: ${(100 * mix.spmm / (mix.spmm + mix.gemm)).toFixed(0)}% on spmm (ReLU's zeros skipped), the rest on the dense GEMM`);
      console.log('');
      dual?.trainer.dispose();
      results.push({
        workload: w.name, sizes: w.sizes, batch: w.batch, activation: w.activation, parameters: params, kernel: selected, probeCost: cost, percentileShare: pp, probeCostRounds: paired, heapBytesPerStep: { on: allocOn, off: allocOff },
        rows: rows.map((r) => ({ name: r.name, median: median(r.samples), min: Math.min(...r.samples), max: Math.max(...r.samples), samples: r.samples })),
      });
    }
  } finally {
    for (const t of tfjs) await t.close();
    for (const t of torch) t.close();
  }
  if (torchTable.length) {
    console.log('Against PyTorch on the CPU (engine probes every step, PyTorch plain training; ratio of median samples/s over the rounds, min-max of the rounds\' own ratios):');
    for (const l of torchTable) console.log(l);
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, kernel: selected, available: paths, reps, results }, null, 2) + '\n');
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else if ((workerData as { role?: string })?.role === 'tfjs') {
  void tfjsWorker((workerData as { backend: 'cpu' | 'wasm' }).backend);
}
