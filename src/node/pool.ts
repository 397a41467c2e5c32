/**
 * A pool of worker_threads that train runs (pool-worker.ts), one run per worker at a time (with
 * the next one queued in the worker, so it starts as soon as the last ends): by default one
 * worker per core. The workers run the script they are given (the CLI passes its own
 * bundle, which starts as a pool worker in a worker thread), so the pool needs no second file.
 * Every run trains single-threaded in its worker, so its records are the same bytes whatever the
 * pool's size. stop() sets a flag in shared memory that each worker's run in flight sees before
 * its next step: it ends "stopped"; a queued run then never starts (its reply says skipped).
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Dataset, ResolvedConfig } from '../engine/types';
import { compiledKernelModules } from '../engine/wasm/runtime';
import type { RunSummary } from '../runs/summary';
import type { RecordFormat } from '../runs/record';

export interface PoolJob {
  id: number;
  /** the run's folder (created; the recorder writes into it) */
  dir: string;
  config: ResolvedConfig;
  /** absolute path of the config (relative CSV paths are resolved from its folder) */
  configFile: string;
  /** the shipped datasets' folder */
  assetDir: string;
  /** how step records are written (train --jsonl: metrics.jsonl) */
  format?: RecordFormat;
}

export interface PoolReply {
  id: number;
  /** the run's summary, or null when it could not start (error says why) or was skipped */
  summary: RunSummary | null;
  error?: string;
  /** a job queued behind another that the pool's stop reached first: never started, nothing written */
  skipped?: boolean;
}

/** Which runs share a dataset in a worker: the same config file and dataset settings. */
export function datasetKey(configFile: string, dataset: ResolvedConfig['dataset']): string {
  return `${configFile}\n${JSON.stringify(dataset)}`;
}

/** The cores this process may use: one worker each by default. */
export function defaultJobs(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

class PoolWorker {
  private worker: Worker | null = null;
  /** jobs sent and not answered: the one training and the one queued behind it */
  private readonly pending = new Map<number, (r: PoolReply) => void>();

  constructor(private readonly script: string, private readonly stop: SharedArrayBuffer) {}

  private start(): Worker {
    // the kernel modules this thread compiled go along: a worker instantiates them, never compiles
    const w = new Worker(this.script, { workerData: { mlpLensPool: true, stop: this.stop, kernels: compiledKernelModules() } });
    w.on('message', (m: PoolReply) => {
      const resolve = this.pending.get(m.id);
      this.pending.delete(m.id);
      resolve?.(m);
    });
    const died = (message: string) => {
      this.worker = null;
      const all = [...this.pending];
      this.pending.clear();
      for (const [id, resolve] of all) resolve({ id, summary: null, error: message });
    };
    w.on('error', (e) => died(`the worker training it crashed: ${e.message}`));
    w.on('exit', (c) => died(`the worker training it exited (code ${c})`));
    return w;
  }

  /** Hands a started worker the kernel modules (a worker started later gets them at its start). */
  shareKernels(): void {
    this.worker?.postMessage({ kernels: compiledKernelModules() });
  }

  /** Hands the worker a dataset loaded here (copied), so that it loads none itself. */
  shareData(key: string, data: Dataset): void {
    this.worker ??= this.start();
    this.worker.postMessage({ data: { key, data } });
  }

  /** Starts the worker's thread now (it boots while the caller works). */
  boot(): void {
    this.worker ??= this.start();
  }

  /** Starts the worker and has it load the job's data, before any job is sent. */
  warm(job: PoolJob): void {
    this.worker ??= this.start();
    this.worker.postMessage({ ...job, warm: true });
  }

  /** Sends a job; the worker trains its jobs one at a time, in the order sent. */
  run(job: PoolJob): Promise<PoolReply> {
    this.worker ??= this.start();
    return new Promise((resolve) => {
      this.pending.set(job.id, resolve);
      this.worker!.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
  }
}

export class Pool {
  private readonly stopBuffer = new SharedArrayBuffer(4);
  private readonly workers: PoolWorker[];

  constructor(size: number, script: string) {
    this.workers = Array.from({ length: size }, () => new PoolWorker(script, this.stopBuffer));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Starts every worker's thread now: they boot (Node, the bundle) while this thread works. */
  boot(): this {
    for (const w of this.workers) w.boot();
    return this;
  }

  /** Keeps at most `n` workers (the others end). */
  async shrink(n: number): Promise<void> {
    await Promise.all(this.workers.splice(Math.max(1, n)).map((w) => w.close()));
  }

  /** Hands every worker a dataset this thread loaded: they load none themselves (see datasetKey). */
  shareData(key: string, data: Dataset): void {
    for (const w of this.workers) w.shareData(key, data);
  }

  /**
   * Trains jobs as `next()` hands them out (null: no more), on every worker at once, and calls
   * `done` with each reply as it comes. Resolves when every job handed out has ended (or was
   * skipped: queued when the pool stopped) and its `done` has returned.
   */
  async drain(next: () => Promise<PoolJob | null> | PoolJob | null, done: (job: PoolJob, reply: PoolReply) => Promise<void> | void): Promise<void> {
    // each worker has its next job queued while it trains one, so it never waits for this thread
    // between runs (claiming a run, handling a reply)
    await Promise.all(this.workers.map(async (w) => {
      let job = await next();
      let training = job ? w.run(job) : null;
      while (job && training) {
        const queued = await next();
        const queuedRun = queued ? w.run(queued) : null;
        await done(job, await training);
        job = queued;
        training = queuedRun;
      }
    }));
  }

  /** Starts every worker now and has it load `job`'s data (start-up overlaps the caller's own checks). */
  warm(job: PoolJob): void {
    for (const w of this.workers) w.warm(job);
  }

  /**
   * Gives the workers the kernel modules this thread has compiled by now, so they never compile
   * their own (call it after warm(): the workers boot while this thread compiles).
   */
  shareKernels(): void {
    for (const w of this.workers) w.shareKernels();
  }

  /** Runs in flight end "stopped" before their next step. */
  stop(): void {
    Atomics.store(new Int32Array(this.stopBuffer), 0, 1);
  }

  get stopped(): boolean {
    return Atomics.load(new Int32Array(this.stopBuffer), 0) !== 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
