/**
 * The training worker (worker_threads): trains every variant of a config off the host's
 * thread, side by side (their time slices interleave), writes run records as the CLI does, and
 * posts each variant's step records packed (one transferred Float64Array per batch) to the host
 * at most every postIntervalMs. Stop (a flag in shared memory, or a 'stop' message) ends
 * training before the next step and keeps the run as "stopped". Pause holds every variant
 * between steps; Step then trains one minibatch of each (its probes recorded and posted at
 * once); Resume goes on. A 'continue' message trains stopped or completed runs on in their own
 * folders (continue-run.ts).
 */
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { resolveConfig, withOverrides } from '../engine/config';
import { loadDataset } from '../engine/datasets';
import { resolveExperiment } from '../engine/experiment';
import { setHelperFactory } from '../engine/wasm/parallel';
import type { EpochRecord, Trainer } from '../engine/trainer';
import { InputError, type Dataset, type ResolvedConfig } from '../engine/types';
import { nodeDataIO } from './io';
import type { HostToWorker, WorkerToHost } from '../shared/protocol';
import { RecordPacker } from '../shared/columns';
import { newRunFolders } from '../runs/names';
import { RunRecorder } from '../runs/record';
import { runMeta } from '../runs/summary';
import { enableSecondCore, setupKernels } from './kernel-setup';
import { makeTrainer, trainVariant } from './train-session';
import { prepareContinuation, type Continuation } from './continue-run';
import { planeView, RegionSampler } from './regions-session';
import { PictureSampler } from './pictures-session';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

setupKernels(); // before the first network: the fastest WebAssembly kernels this runtime has
// Big networks split their products with a helper thread (MLP_LENS_THREADS=1: never), but in the
// editor one core stays free for the extension host and the window: on a 2-core machine a helper
// thread beside this worker made the host's event loop lag past 50 ms while training.
enableSecondCore(process.env, 1);

let stopRequested = false;
/** set by the host through shared memory: seen before the next step even while the event loop is busy */
let stopFlag: Int32Array | null = null;
/** when this thread first saw Stop (performance.now()), for the host's log */
let stopSeenAt: number | null = null;
const stopping = () => {
  const s = stopRequested || (stopFlag !== null && Atomics.load(stopFlag, 0) !== 0);
  if (s && stopSeenAt === null) stopSeenAt = performance.now();
  return s;
};
const post = (m: WorkerToHost) => port.postMessage(m);
/** the hidden layer whose units the region frames picture (the panel's choice) */
let regionLayer = 0;
/** image data: the first unit of the page of weight pictures (the panel's choice) */
let weightPage = 0;

/** Pause, Step and Resume: while paused each variant waits between steps; a Step grants each one step. */
let paused = false;
let stepGrants: number[] = [];
let wakers: (() => void)[] = [];
const wake = () => {
  const w = wakers;
  wakers = [];
  for (const f of w) f();
};
/** a wait for the next Step, Resume or Stop (the shared stop flag is polled: it sends no message) */
const nap = () => new Promise<void>((resolve) => {
  const done = () => {
    clearTimeout(timer);
    wakers = wakers.filter((w) => w !== done);
    resolve();
  };
  const timer = setTimeout(done, 100);
  wakers.push(done);
});
/** `onHold`: called once each time the variant comes to a pause (to show exactly where it is held) */
const gateFor = (v: number, onHold: () => void) => {
  let held = false;
  return async (): Promise<number | null> => {
    held &&= paused;
    if (paused && !held && !stopping()) {
      held = true;
      onHold();
    }
    while (paused && !stopping()) {
      if ((stepGrants[v] ?? 0) > 0) {
        stepGrants[v]!--;
        return 1;
      }
      await nap();
    }
    return null;
  };
};

/** A variant to train: its trainer and data, its run folder and the recorder writing there. */
interface Job {
  trainer: Trainer;
  data: Dataset;
  dir: string;
  recorder: () => RunRecorder;
}

/** Trains the jobs side by side, posting their records; `configFile`: what the summaries name. */
async function trainJobs(jobs: Job[], configFile: string | null, postIntervalMs: number): Promise<void> {
  stepGrants = jobs.map(() => 0);
  const data = jobs[0]!.data;
  post({ type: 'started', variants: jobs.map((j) => j.trainer.cfg.variant), runDirs: jobs.map((j) => j.dir), dataset: data.description });
  const plane = planeView(data);
  if (plane) post({ type: 'plane', plane });
  const runOne = async (v: number): Promise<void> => {
    if (stopping()) return;
    const { trainer, dir } = jobs[v]!;
    const variant = trainer.cfg.variant;
    const recorder = jobs[v]!.recorder();
    let epochs: EpochRecord[] = [];
    let lastPost = 0;
    // the step records as one Float64Array, transferred (no copy, no object per step for the host)
    const packer = new RecordPacker();
    // 2-feature data: decision regions a few times a second, within a small share of the time (regions-session.ts)
    const regions = process.env.MLP_LENS_REGIONS === '0' ? null : RegionSampler.for(trainer, jobs[v]!.data, jobs.length); // 0: off (npm run bench:regions)
    const postRegions = () => {
      if (!regions) return;
      regions.layer = Math.min(regionLayer, trainer.net.layers.length - 2);
      post({ type: 'regions', variant, frame: regions.frame() });
    };
    // image data: first-layer weights (a page of units) a few times a second, misclassified examples per epoch
    const pictures = PictureSampler.for(trainer, jobs[v]!.data, jobs.length);
    const postPictures = (force: boolean) => {
      if (!pictures) return;
      pictures.first = weightPage;
      const p = pictures.due(performance.now(), force);
      if (p) post({ type: 'pictures', variant, ...(p.weights ? { weights: p.weights } : {}), ...(p.errors ? { errors: p.errors } : {}) });
    };
    const flush = () => {
      const progress = { step: trainer.step, totalSteps: trainer.totalSteps, epoch: trainer.epoch };
      const { data, count } = packer.take();
      port!.postMessage({ type: 'packedRecords', variant, layers: packer.meta, count, data, epochs, progress } satisfies WorkerToHost, [data.buffer as ArrayBuffer]);
      epochs = [];
      lastPost = performance.now();
    };
    const outcome = await trainVariant(trainer, configFile, {
      recorder,
      shouldStop: stopping,
      gate: gateFor(v, () => {
        flush();
        postRegions();
      }),
      onStep: (r) => packer.add(r),
      onStepTransient: true, // packed at once
      onEpoch: (r) => {
        epochs.push(r);
        pictures?.epoch(r);
      },
      onSlice: () => {
        const now = performance.now();
        // a step taken while paused is shown at once, in every view
        if (paused || now - lastPost >= postIntervalMs) flush();
        if (paused || regions?.due(now)) postRegions();
        postPictures(paused);
      },
      // a Stop must end the worker promptly: no full pass over the data after it
      evaluateOnStop: false,
      // side by side, one round of every variant's slice takes about 20 ms (records are posted between slices)
      sliceMs: Math.max(5, Math.round(20 / jobs.length)),
    });
    flush();
    postRegions(); // the final weights
    postPictures(true);
    regions?.dispose();
    post({ type: 'variantDone', variant, runDir: dir, summary: outcome.summary });
    trainer.dispose(); // its helper thread, if any
  };
  // each variant's loop yields between slices, so their slices interleave
  await Promise.all(jobs.map((_, v) => runOne(v)));
  const stopped = stopping();
  post(stopped ? { type: 'finished', stopped, stopMs: performance.now() - stopSeenAt! } : { type: 'finished', stopped });
}

async function run(msg: Extract<HostToWorker, { type: 'start' }>): Promise<void> {
  stopFlag = msg.stopFlag ? new Int32Array(msg.stopFlag) : null;
  let cfgs: ResolvedConfig[];
  let dirs: string[];
  if (msg.runs) {
    // some runs of a seeds experiment: the host made their folders; its other workers train the rest
    setHelperFactory(null); // one run, one thread: the experiment's workers share the cores
    const exp = resolveExperiment(msg.configText, msg.configFile);
    cfgs = msg.runs.map((r) => {
      const run = exp.runs[r.index];
      if (!run) throw new Error(`the experiment has no run ${r.index}`);
      return run.config;
    });
    dirs = msg.runs.map((r) => r.dir);
  } else {
    cfgs = withOverrides(resolveConfig(msg.configText, msg.configFile), { variant: msg.variant });
    dirs = [];
  }
  // the runs share their data unless it follows the seed (seedData): load each dataset once
  const datasets = new Map<string, Promise<Dataset>>();
  const dataOf = (c: ResolvedConfig) => {
    const key = JSON.stringify(c.dataset);
    let d = datasets.get(key);
    if (!d) datasets.set(key, (d = loadDataset(c.dataset, nodeDataIO(path.dirname(msg.configFile), msg.assetDir), msg.configFile)));
    return d;
  };
  const datas = await Promise.all(cfgs.map(dataOf));
  const trainers = cfgs.map((c, i) => makeTrainer(c, datas[i]!, msg.configFile)); // refuse bad variants before training any
  if (!msg.runs) dirs = newRunFolders(msg.outDir, cfgs).dirs;
  const format = msg.recordFormat === 'jsonl' ? 'jsonl' : 'binary';
  await trainJobs(trainers.map((trainer, v) => ({
    trainer, data: datas[v]!, dir: dirs[v]!, recorder: () => new RunRecorder(dirs[v]!, trainer.cfg, msg.configFile, runMeta(trainer), format),
  })), msg.configFile, msg.postIntervalMs);
}

/** Continue stopped or completed runs in their own folders (continue-run.ts), side by side. */
async function runContinue(msg: Extract<HostToWorker, { type: 'continue' }>): Promise<void> {
  stopFlag = msg.stopFlag ? new Int32Array(msg.stopFlag) : null;
  const conts: Continuation[] = [];
  try {
    for (const dir of msg.runDirs) conts.push(await prepareContinuation({ dir, epochs: msg.epochs, lr: msg.lr }, msg.assetDir, conts[0]));
  } catch (e) {
    for (const c of conts) c.trainer.dispose();
    throw e;
  }
  await trainJobs(conts.map((c) => ({
    trainer: c.trainer, data: c.data, dir: c.dir, recorder: () => new RunRecorder(c.dir, c.cfg, c.configFile, runMeta(c.trainer), c.format, c.summary),
  })), conts[0]!.configFile, msg.postIntervalMs);
}

port.on('message', (msg: HostToWorker) => {
  if (msg.type === 'stop') {
    stopRequested = true;
    wake();
    return;
  }
  if (msg.type === 'regionLayer') {
    regionLayer = msg.layer;
    return;
  }
  if (msg.type === 'weightPage') {
    weightPage = msg.first;
    return;
  }
  if (msg.type === 'pause' || msg.type === 'resume') {
    paused = msg.type === 'pause';
    stepGrants.fill(0);
    wake();
    post({ type: 'paused', paused });
    return;
  }
  if (msg.type === 'step') {
    if (!paused) return;
    stepGrants = stepGrants.map((n) => n + 1);
    wake();
    return;
  }
  (msg.type === 'continue' ? runContinue(msg) : run(msg)).catch((e: unknown) => {
    if (e instanceof InputError) post({ type: 'inputError', message: e.message, file: e.file, line: e.line, column: e.column });
    else post({ type: 'crashed', message: (e as Error).message ?? String(e), stack: (e as Error).stack });
  });
});
