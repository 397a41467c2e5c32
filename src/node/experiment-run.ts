/**
 * Training an experiment's runs in a pool (pool.ts), for the CLI and the extension alike: each
 * run's folder is claimed first (claimRun: a run completed earlier with the same config is kept,
 * one another process holds is left to it), trained by the next free worker, and
 * experiment.json is rewritten from the folder at most once a second and once at the end.
 * pool.stop() ends the runs in flight "stopped" and hands out no more.
 *
 * Runs are handed out longest first (runCost): with the grid's order the deepest networks came
 * last, and one worker ended while the other still trained one of them. Each run's records do not
 * depend on when or where it trains.
 */
import * as path from 'node:path';
import type { ExperimentRun } from '../engine/experiment';
import type { ResolvedConfig } from '../engine/types';
import { claimRun, markRunFailed, type ExperimentRecord, type ExperimentWriter } from '../runs/experiment-record';
import type { OutLock } from '../runs/outdir';
import type { RecordFormat } from '../runs/record';
import type { Pool, PoolJob, PoolReply } from './pool';

export interface ExperimentRunOptions {
  pool: Pool;
  writer: ExperimentWriter;
  /** the runs to train (all of the grid, or a shard's) */
  runs: ExperimentRun[];
  /** each run's folder name, by run id */
  folderOf: Map<number, string>;
  configFile: string;
  assetDir: string;
  format: RecordFormat;
  /** a run went to a worker (it starts when the worker's run before it ends) */
  onStart?(run: ExperimentRun): void;
  /** a run ended (reply.summary null: it could not start) */
  onDone?(run: ExperimentRun, reply: PoolReply): void | Promise<void>;
  /** experiment.json could not be written */
  onWriteError?(e: Error): void;
  /**
   * A worker thread died (`message` says how): `runs`, the one it trained and the one queued
   * behind it, end "failed" (before their onDone); the other workers go on, and a new thread
   * takes the next run. Called once per death.
   */
  onWorkerDied?(message: string, runs: ExperimentRun[]): void;
  /** close the pool once every run has ended (while experiment.json is written a last time) */
  closeWhenDone?: boolean;
}

export interface ExperimentOutcome {
  /** runs trained here (ended, however) */
  finished: number;
  /** completed earlier with the same config: kept */
  skipped: number;
  /** held by another live process */
  busy: number;
  /** a run failed, diverged or could not start */
  bad: boolean;
  record: ExperimentRecord;
}

/**
 * A run's work, in arbitrary units, to order the queue: epochs times the multiply-adds of one
 * sample through the hidden layers. The input and output sizes come from the dataset, which is not
 * loaded here; 64 stands in for both (a grid's runs share them unless the dataset is swept).
 */
export function runCost(c: ResolvedConfig): number {
  let prev = 64, madds = 0;
  for (const h of c.layers) { madds += prev * h; prev = h; }
  madds += prev * 64;
  return c.epochs * madds;
}

/** The runs' order in the queue: the costliest first, ties in the grid's order. */
export function queueOrder(runs: readonly ExperimentRun[]): ExperimentRun[] {
  const cost = runs.map((r) => runCost(r.config));
  return runs.map((r, i) => ({ r, i })).sort((a, b) => cost[b.i]! - cost[a.i]! || a.i - b.i).map((x) => x.r);
}

export async function runExperiment(o: ExperimentRunOptions): Promise<ExperimentOutcome> {
  const { pool, writer } = o;
  const order = queueOrder(o.runs);
  const byId = new Map(o.runs.map((r) => [r.id, r]));
  const locks = new Map<number, OutLock>();
  let queue = 0, finished = 0, skipped = 0, busy = 0, bad = false;
  let writing: Promise<unknown> = Promise.resolve();
  /** the record the last write wrote (null: it failed) */
  let written: ExperimentRecord | null = null;
  const deaths = new Set<number>();
  let lastWrite = performance.now();
  const update = (force = false) => {
    if (!force && performance.now() - lastWrite < 1000) return writing;
    lastWrite = performance.now();
    writing = writing.then(async () => {
      written = await writer.write();
    }).catch((e: unknown) => {
      written = null;
      o.onWriteError?.(e as Error);
    });
    return writing;
  };
  // each call takes the next run synchronously (queue++) before it awaits, so two workers asking
  // at once never claim the same run
  const next = async (): Promise<PoolJob | null> => {
    while (!pool.stopped && queue < order.length) {
      const run = order[queue++]!;
      const runDir = path.join(writer.dir, o.folderOf.get(run.id)!);
      const claim = await claimRun(runDir, run.config);
      if (claim.kind === 'done') skipped++;
      else if (claim.kind === 'busy') busy++;
      else {
        locks.set(run.id, claim.lock);
        o.onStart?.(run);
        return { id: run.id, dir: runDir, config: run.config as ResolvedConfig, configFile: o.configFile, assetDir: o.assetDir, format: o.format };
      }
    }
    return null;
  };
  try {
    await pool.drain(next, async (job, reply) => {
      locks.get(job.id)?.release();
      locks.delete(job.id);
      if (reply.skipped) return; // queued when the pool stopped: never started, still pending
      finished++;
      if (reply.crash) {
        // the worker died: nothing else writes this run's end
        if (!deaths.has(reply.crash.serial)) {
          deaths.add(reply.crash.serial);
          o.onWorkerDied?.(reply.crash.message, reply.crash.ids.flatMap((id) => byId.get(id) ?? []));
        }
        try {
          reply.summary = markRunFailed(job.dir, job.config, o.configFile, reply.error ?? reply.crash.message);
        } catch {
          // the folder cannot be written: experiment.json says it (writer.failures)
        }
      }
      const s = reply.summary;
      if (!s) writer.failures.set(job.id, reply.error ?? 'it could not start');
      if (!s || s.status === 'failed' || s.status === 'diverged') bad = true;
      await o.onDone?.(byId.get(job.id)!, reply);
      // experiment.json is rewritten in the background: no worker waits for it
      void update();
    });
  } finally {
    for (const l of locks.values()) l.release();
  }
  // the workers are done: they end while experiment.json is written a last time
  const closing = o.closeWhenDone ? pool.close() : Promise.resolve();
  await update(true);
  await closing;
  return { finished, skipped, busy, bad, record: written ?? await writer.record() };
}
