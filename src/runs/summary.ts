/**
 * summary.json, a run folder's status and results: the one place that builds, writes and reads
 * one. The recorder rewrites it as a run trains; the loader and the side view's "last run" read it
 * back through read.ts readRunSummary, the host (marking a run it had to end as stopped) through
 * readSummary; both refuse anything that is not a whole run summary (summaryProblem).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isObj } from '../engine/guards';
import type { Divergence, EvalResult, RunStatus, Trainer } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import { writeJsonAtomic } from './atomic';

export const SUMMARY_FORMAT = 'mlp-lens-run/v1';
export const SUMMARY_FILE = 'summary.json';

export interface RunSummary {
  format: typeof SUMMARY_FORMAT;
  name: string;
  variant: string;
  configFile: string | null;
  status: RunStatus;
  /** epochs completed */
  epochs: number;
  epochsPlanned: number;
  steps: number;
  stepsPlanned: number;
  batchSize: number;
  parameters: number;
  train: EvalResult | null;
  test: EvalResult | null;
  samplesPerSecond: number;
  seconds: number;
  startedAt: string;
  finishedAt: string | null;
  /** which kernel path trained this run */
  kernel: string;
  divergence?: Divergence;
  /** why a "failed" run ended: "disk full writing <file>", ... */
  failure?: string;
  /** each time the run was continued (train --continue): from where, and what changed */
  continued?: Continuation[];
}

/** A continuation of a run: config.json then holds the new epochs and lr; these say what they were. */
export interface Continuation {
  /** when it started */
  at: string;
  /** the steps and epochs done when it started */
  step: number;
  epoch: number;
  /** the status it continued from */
  from: RunStatus;
  epochs: number;
  lr: number;
  previousEpochs: number;
  previousLr: number;
}

/** What a summary (and so a RunRecorder) needs to know of the trainer beyond its config. */
export interface RunMeta {
  parameters: number;
  stepsPlanned: number;
  batchSize: number;
  kernel: string;
  /** training examples (the last batch of an epoch may be smaller: metrics.bin records its rows) */
  trainExamples?: number;
  /** output units */
  outputs?: number;
}

export function runMeta(trainer: Trainer): RunMeta {
  return {
    parameters: trainer.net.parameterCount, stepsPlanned: trainer.totalSteps, batchSize: trainer.batchSize, kernel: trainer.net.kernelPath,
    trainExamples: trainer.data.trainY.length, outputs: trainer.net.sizes.at(-1)!,
  };
}

/** The summary of a run that starts now: running, nothing done yet. */
export function newSummary(cfg: ResolvedConfig, configFile: string | null, meta: RunMeta, startedAt = new Date()): RunSummary {
  return {
    format: SUMMARY_FORMAT, name: cfg.name, variant: cfg.variant, configFile,
    status: 'running', epochs: 0, epochsPlanned: cfg.epochs, steps: 0, stepsPlanned: meta.stepsPlanned,
    batchSize: meta.batchSize, parameters: meta.parameters,
    train: null, test: null, samplesPerSecond: 0, seconds: 0,
    startedAt: startedAt.toISOString(), finishedAt: null, kernel: meta.kernel,
  };
}

/** Written atomically: a reader sees the previous summary or this one, never half of one. */
export function writeSummary(dir: string, summary: RunSummary): void {
  writeJsonAtomic(path.join(dir, SUMMARY_FILE), summary);
}

const STATUSES: readonly string[] = ['running', 'completed', 'stopped', 'diverged', 'failed'] satisfies RunStatus[];
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
// JSON writes a diverged run's non-finite loss as null
const isEval = (v: unknown): boolean => v === null || (isObj(v) && (isNum(v.loss) || v.loss === null) && (isNum(v.accuracy) || v.accuracy === null));
const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
const isDivergence = (v: unknown): boolean => isObj(v) && isNum(v.step) && isNum(v.epoch) && (v.layer === null || isNum(v.layer))
  && isName(v.where) && typeof v.message === 'string' && v.message.length <= 10_000;
const isName = (v: unknown): boolean => typeof v === 'string' && v.length <= 1000;

/** Why `v` is not a run summary (the first field that is wrong), or null when it is one. */
export function summaryProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (v.format !== SUMMARY_FORMAT) return `"format" is ${v.format === undefined ? 'missing' : JSON.stringify(v.format).slice(0, 60)}, not "${SUMMARY_FORMAT}"`;
  const fields: [string, (x: unknown) => boolean][] = [
    ['name', isName], ['variant', isName], ['configFile', strOrNull],
    ['status', (x) => typeof x === 'string' && STATUSES.includes(x)],
    ['epochs', isNum], ['epochsPlanned', isNum], ['steps', isNum], ['stepsPlanned', isNum], ['batchSize', isNum], ['parameters', isNum],
    ['train', isEval], ['test', isEval], ['samplesPerSecond', isNum], ['seconds', isNum],
    ['startedAt', (x) => typeof x === 'string'], ['finishedAt', strOrNull], ['kernel', (x) => typeof x === 'string'],
    ['divergence', (x) => x === undefined || isDivergence(x)], ['failure', (x) => x === undefined || (typeof x === 'string' && x.length <= 10_000)],
  ];
  for (const [key, ok] of fields) if (!ok(v[key])) return `"${key}" is missing or not what a run summary holds`;
  return null;
}

/** The largest summary.json read (a real one is a few KB). */
export const MAX_SUMMARY_BYTES = 1 << 20;

/**
 * A summary file's text, read synchronously without blocking on what is not a regular file:
 * opened non-blocking, checked by fstat on the open file (a FIFO, device or folder is refused
 * before a byte is read) and against MAX_SUMMARY_BYTES before anything is allocated.
 */
function readSummaryText(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    if (st.size > MAX_SUMMARY_BYTES) throw new Error(`${file} is ${st.size} bytes; a run summary is at most ${MAX_SUMMARY_BYTES}`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A run folder's summary; throws (naming the file and what is wrong) when there is no readable
 * one. For a folder this process wrote (the host marking its own run stopped); a folder from
 * elsewhere is read with read.ts readRunSummary, which also refuses symlinks out of it.
 */
export function readSummary(dir: string): RunSummary {
  const file = path.join(dir, SUMMARY_FILE);
  let value: unknown;
  try {
    value = JSON.parse(readSummaryText(file));
  } catch (e) {
    throw new Error(`${file} is not a run summary: ${(e as Error).message}`);
  }
  const problem = summaryProblem(value);
  if (problem) throw new Error(`${file} is not a run summary: ${problem}`);
  return value as RunSummary;
}

/** A run folder's summary, or null when it has none that reads as one. */
export function tryReadSummary(dir: string): RunSummary | null {
  try {
    return readSummary(dir);
  } catch {
    return null;
  }
}
