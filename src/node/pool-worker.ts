/**
 * A pool worker (worker_threads, started by pool.ts from the CLI's own bundle): trains the runs
 * it is sent one at a time, in the order sent, each single-threaded (no helper thread: the pool
 * already has one worker per core), into the run folder it is given, as an ordinary run record.
 * It takes the kernel modules and datasets the main thread hands it (else compiles and loads its
 * own). A flag in shared memory stops the run in flight: it ends "stopped", with its weights; a
 * run queued behind it is answered "skipped" without starting.
 *
 * For tests only: MLP_LENS_TEST_POOL_CRASH=HOW:RUN makes the worker training the run named RUN
 * die on its first step, once a run is queued behind it (or after 10 s): HOW is "throw" (an
 * uncaught error) or "exit" (process.exit(7) in the thread). See CONTRIBUTING.md. The extension
 * passes this variable to its pool only when it runs in VS Code's test mode.
 */
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadDataset } from '../engine/datasets';
import { InputError, type Dataset } from '../engine/types';
import { setHelperFactory } from '../engine/wasm/parallel';
import { adoptKernelModules } from '../engine/wasm/runtime';
import { RunRecorder } from '../runs/record';
import { runMeta } from '../runs/summary';
import { nodeDataIO } from './io';
import { setupKernels } from './kernel-setup';
import { makeTrainer, trainVariant } from './train-session';
import { datasetKey, type PoolJob, type PoolReply } from './pool';

/** Whether this thread is a pool worker (the CLI bundle starts as one when so). */
export function isPoolWorker(): boolean {
  return parentPort !== null && (workerData as { mlpLensPool?: boolean } | null)?.mlpLensPool === true;
}

/** The test hook's request (see the file's comment), or null. */
export function crashHook(value: string | undefined): { how: 'throw' | 'exit'; run: string } | null {
  const m = /^(throw|exit):(.+)$/s.exec(value ?? '');
  return m ? { how: m[1] as 'throw' | 'exit', run: m[2]! } : null;
}

export function poolWorkerMain(): void {
  const crash = crashHook(process.env.MLP_LENS_TEST_POOL_CRASH);
  const port = parentPort!;
  const stop = new Int32Array((workerData as { stop: SharedArrayBuffer }).stop);
  // the kernels: the modules the main thread compiled (at the start, or in a message once it has
  // them: the worker boots and loads data meanwhile), else compiled here before the first run
  let kernelsReady = false;
  const kernels = (compiled?: Record<string, WebAssembly.Module>) => {
    if (kernelsReady) return;
    adoptKernelModules(compiled);
    setupKernels();
    kernelsReady = true;
  };
  const given = (workerData as { kernels?: Record<string, WebAssembly.Module> }).kernels;
  if (given && Object.keys(given).length) kernels(given);
  setHelperFactory(null); // one run, one thread
  // the runs of an experiment share their data unless it follows the seed: load each once
  const datasets = new Map<string, Promise<Dataset>>();
  const data = (job: PoolJob): Promise<Dataset> => {
    const key = datasetKey(job.configFile, job.config.dataset);
    let d = datasets.get(key);
    if (!d) {
      d = loadDataset(job.config.dataset, nodeDataIO(path.dirname(job.configFile), job.assetDir), job.configFile);
      datasets.set(key, d);
    }
    return d;
  };
  const post = (m: PoolReply) => port.postMessage(m);
  let queue: Promise<void> = Promise.resolve();
  /** jobs received and not started yet */
  let waiting = 0;
  port.on('message', (job: PoolJob & { warm?: boolean; kernels?: Record<string, WebAssembly.Module>; data?: { key: string; data: Dataset } }) => {
    if (job.kernels) {
      kernels(job.kernels);
      return;
    }
    if (job.data) {
      // the main thread loaded it: one load for every worker
      if (!datasets.has(job.data.key)) datasets.set(job.data.key, Promise.resolve(job.data.data));
      return;
    }
    if (job.warm) {
      // load the data while the main thread still checks the runs (a failure is the run's to report)
      data(job).catch(() => undefined);
      return;
    }
    kernels();
    waiting++;
    // one run at a time, in the order sent: the pool queues the next run behind the one training
    queue = queue.then(async () => {
      waiting--;
      if (Atomics.load(stop, 0) !== 0) {
        post({ id: job.id, summary: null, skipped: true });
        return;
      }
      try {
        const trainer = makeTrainer(job.config, await data(job), job.configFile);
        let recorder: RunRecorder;
        try {
          recorder = new RunRecorder(job.dir, job.config, job.configFile, runMeta(trainer), job.format ?? 'binary');
        } catch (e) {
          trainer.dispose();
          post({ id: job.id, summary: null, error: (e as Error).message });
          return;
        }
        let dieAt = crash && crash.run === job.config.variant ? Date.now() : null;
        const outcome = await trainVariant(trainer, job.configFile, {
          recorder,
          shouldStop: () => {
            if (dieAt !== null && (waiting > 0 || Date.now() - dieAt > 10_000)) {
              dieAt = null;
              die(crash!.how);
            }
            return Atomics.load(stop, 0) !== 0;
          },
          evaluateOnStop: false, // a Ctrl-C ends every run promptly
        });
        trainer.dispose();
        post({ id: job.id, summary: outcome.summary });
      } catch (e) {
        const message = e instanceof InputError ? e.format() : (e as Error).message ?? String(e);
        post({ id: job.id, summary: null, error: message });
      }
    });
  });
}

/** The test hook: ends this thread as a crash would (an error thrown where nothing catches it, or an exit). */
function die(how: 'throw' | 'exit'): void {
  if (how === 'exit') process.exit(7);
  setImmediate(() => { throw new Error('MLP_LENS_TEST_POOL_CRASH: this worker dies'); });
}
