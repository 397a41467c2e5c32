/**
 * A pool of worker_threads that train runs (pool-worker.ts), one run per worker at a time (with
 * the next one queued in the worker, so it starts as soon as the last ends): by default one
 * worker per core. The workers run the script they are given (the CLI passes its own
 * bundle, which starts as a pool worker in a worker thread), so the pool needs no second file.
 * Every run trains single-threaded in its worker, so its records are the same bytes whatever the
 * pool's size. stop() sets a flag in shared memory that each worker's run in flight sees before
 * its next step: it ends "stopped"; a queued run then never starts (its reply says skipped).
 * A worker thread that dies (an uncaught error, out of memory, process.exit in it) answers the
 * run it trained and the one queued behind it with `crash` once it has exited (experiment-run.ts
 * marks them failed); the next run sent to it starts a new thread.
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
  /**
   * The worker thread died with this job sent to it (error says how, and whether it was training
   * or queued); every job of one death has the same crash (`ids`: all of them, the one training first).
   */
  crash?: { serial: number; message: string; ids: number[] };
}

export interface PoolOptions {
  /** the workers' environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
}

/** Which runs share a dataset in a worker: the same config file and dataset settings. */
export function datasetKey(configFile: string, dataset: ResolvedConfig['dataset']): string {
  return `${configFile}\n${JSON.stringify(dataset)}`;
}

/**
 * The workers' environment: `env` without the test hooks' variables (MLP_LENS_TEST_*, see
 * pool-worker.ts) unless `testMode` (the extension passes VS Code's test mode).
 */
export function poolEnv(env: NodeJS.ProcessEnv, testMode: boolean): NodeJS.ProcessEnv {
  return testMode ? env : Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('MLP_LENS_TEST_')));
}

/** The cores this process may use: one worker each by default. */
export function defaultJobs(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Numbers the deaths of workers, so that the replies of one death can be told apart from another's. */
let deaths = 0;

class PoolWorker {
  /** the thread, and the jobs sent to it and not answered: the one training and the one queued behind it */
  private current: { worker: Worker; pending: Map<number, (r: PoolReply) => void> } | null = null;

  constructor(private readonly script: string, private readonly stop: SharedArrayBuffer, private readonly env: NodeJS.ProcessEnv | undefined) {}

  private get worker(): Worker | null {
    return this.current?.worker ?? null;
  }

  private start(): Worker {
    // the kernel modules this thread compiled go along: a worker instantiates them, never compiles
    const w = new Worker(this.script, { workerData: { mlpLensPool: true, stop: this.stop, kernels: compiledKernelModules() }, ...(this.env ? { env: this.env } : {}) });
    const pending = new Map<number, (r: PoolReply) => void>();
    this.current = { worker: w, pending };
    w.on('message', (m: PoolReply) => {
      const resolve = pending.get(m.id);
      pending.delete(m.id);
      resolve?.(m);
    });
    // A thread that dies (an uncaught error, out of memory, process.exit in it) answers its
    // jobs here, once it has exited (nothing of it writes any more): the one it trained and the
    // one queued behind it fail, with the reason. The next job starts a new thread.
    let error: Error | null = null;
    w.on('error', (e) => { error ??= e; });
    w.on('exit', (code) => {
      if (this.current?.worker === w) this.current = null;
      if (!pending.size) return;
      const why = error ? `${(error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : 'an uncaught error'}: ${error.message}` : `it exited with code ${code}`;
      const all = [...pending];
      pending.clear();
      const crash = { serial: ++deaths, message: `a training worker died (${why})`, ids: all.map(([id]) => id) };
      all.forEach(([id, resolve], k) => resolve({
        id, summary: null, crash,
        error: k === 0 ? `${crash.message} while training this run` : `${crash.message} before this run, queued behind another, started`,
      }));
    });
    return w;
  }

  /** Hands a started worker the kernel modules (a worker started later gets them at its start). */
  shareKernels(): void {
    this.worker?.postMessage({ kernels: compiledKernelModules() });
  }

  /** Hands the worker a dataset loaded here (copied), so that it loads none itself. */
  shareData(key: string, data: Dataset): void {
    (this.worker ?? this.start()).postMessage({ data: { key, data } });
  }

  /** Starts the worker's thread now (it boots while the caller works). */
  boot(): void {
    if (!this.current) this.start();
  }

  /** Starts the worker and has it load the job's data, before any job is sent. */
  warm(job: PoolJob): void {
    (this.worker ?? this.start()).postMessage({ ...job, warm: true });
  }

  /** Sends a job; the worker trains its jobs one at a time, in the order sent. */
  run(job: PoolJob): Promise<PoolReply> {
    if (!this.current) this.start();
    const { worker, pending } = this.current!;
    return new Promise((resolve) => {
      pending.set(job.id, resolve);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.current = null;
    if (w) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
  }
}

export class Pool {
  private readonly stopBuffer = new SharedArrayBuffer(4);
  private readonly workers: PoolWorker[];

  constructor(size: number, script: string, options: PoolOptions = {}) {
    this.workers = Array.from({ length: size }, () => new PoolWorker(script, this.stopBuffer, options.env));
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
