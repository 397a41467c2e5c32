/**
 * The training worker (worker_threads): trains every variant of a config off the host's
 * thread, side by side (their time slices interleave), writes run records as the CLI does, and
 * posts each variant's step records packed (one transferred Float64Array per batch) to the host
 * at most every postIntervalMs. Stop (a flag in shared memory, or a 'stop' message) ends
 * training before the next step and keeps the run as "stopped".
 */
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { resolveConfig, withOverrides } from '../engine/config';
import { loadDataset } from '../engine/datasets';
import type { EpochRecord } from '../engine/trainer';
import { InputError } from '../engine/types';
import { nodeDataIO } from './io';
import type { HostToWorker, WorkerToHost } from '../shared/protocol';
import { RecordPacker } from '../shared/columns';
import { newRunFolders } from '../runs/names';
import { RunRecorder } from '../runs/record';
import { runMeta } from '../runs/summary';
import { enableSecondCore, setupKernels } from './kernel-setup';
import { makeTrainer, trainVariant } from './train-session';
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

async function run(msg: Extract<HostToWorker, { type: 'start' }>): Promise<void> {
  stopFlag = msg.stopFlag ? new Int32Array(msg.stopFlag) : null;
  const cfgs = withOverrides(resolveConfig(msg.configText, msg.configFile), { variant: msg.variant });
  const data = await loadDataset(cfgs[0]!.dataset, nodeDataIO(path.dirname(msg.configFile), msg.assetDir), msg.configFile);
  const trainers = cfgs.map((c) => makeTrainer(c, data, msg.configFile)); // refuse bad variants before training any
  const { dirs } = newRunFolders(msg.outDir, cfgs);
  post({ type: 'started', variants: cfgs.map((c) => c.variant), runDirs: dirs, dataset: data.description });
  const plane = planeView(data);
  if (plane) post({ type: 'plane', plane });
  const runOne = async (v: number): Promise<void> => {
    if (stopping()) return;
    const trainer = trainers[v]!;
    const variant = trainer.cfg.variant;
    const recorder = new RunRecorder(dirs[v]!, trainer.cfg, msg.configFile, runMeta(trainer), msg.recordFormat === 'jsonl' ? 'jsonl' : 'binary');
    let epochs: EpochRecord[] = [];
    let lastPost = 0;
    // the step records as one Float64Array, transferred (no copy, no object per step for the host)
    const packer = new RecordPacker();
    // 2-feature data: decision regions a few times a second, within a small share of the time (regions-session.ts)
    const regions = process.env.MLP_LENS_REGIONS === '0' ? null : RegionSampler.for(trainer, data, trainers.length); // 0: off (npm run bench:regions)
    const postRegions = () => {
      if (!regions) return;
      regions.layer = Math.min(regionLayer, trainer.net.layers.length - 2);
      post({ type: 'regions', variant, frame: regions.frame() });
    };
    // image data: first-layer weights (a page of units) a few times a second, misclassified examples per epoch
    const pictures = PictureSampler.for(trainer, data, trainers.length);
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
    const outcome = await trainVariant(trainer, msg.configFile, {
      recorder,
      shouldStop: stopping,
      onStep: (r) => packer.add(r),
      onStepTransient: true, // packed at once
      onEpoch: (r) => {
        epochs.push(r);
        pictures?.epoch(r);
      },
      onSlice: () => {
        const now = performance.now();
        if (now - lastPost >= msg.postIntervalMs) flush();
        if (regions?.due(now)) postRegions();
        postPictures(false);
      },
      // a Stop must end the worker promptly: no full pass over the data after it
      evaluateOnStop: false,
      // side by side, one round of every variant's slice takes about 20 ms (records are posted between slices)
      sliceMs: Math.max(5, Math.round(20 / trainers.length)),
    });
    flush();
    postRegions(); // the final weights
    postPictures(true);
    regions?.dispose();
    post({ type: 'variantDone', variant, runDir: dirs[v]!, summary: outcome.summary });
    trainer.dispose(); // its helper thread, if any
  };
  // each variant's loop yields between slices, so their slices interleave
  await Promise.all(trainers.map((_, v) => runOne(v)));
  const stopped = stopping();
  post(stopped ? { type: 'finished', stopped, stopMs: performance.now() - stopSeenAt! } : { type: 'finished', stopped });
}

port.on('message', (msg: HostToWorker) => {
  if (msg.type === 'stop') {
    stopRequested = true;
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
  run(msg).catch((e: unknown) => {
    if (e instanceof InputError) post({ type: 'inputError', message: e.message, file: e.file, line: e.line, column: e.column });
    else post({ type: 'crashed', message: (e as Error).message ?? String(e), stack: (e as Error).stack });
  });
});
