/**
 * An experiment's folder: one ordinary run folder per run, and experiment.json (format
 * mlp-lens-experiment/v1) describing the grid and every run's state. Several processes (the
 * shards of one experiment) may write into one folder:
 * - a run folder is created exclusively, and while a run trains its folder holds the run's lock
 *   (<run>/.mlp-lens.lock, the --out lock of outdir.ts): one lock per run, so shards never stop
 *   each other, and a run that another live process holds is left to it;
 * - experiment.json is rebuilt from what is on disk (every run's summary, and its first step's
 *   probes) and written atomically under a short lock (.experiment.lock), so the last writer's
 *   file holds every shard's runs.
 * Run records are read only through the reader API (readRunHead, readRunRecords).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment, ExperimentGrid, ExperimentRun } from '../engine/experiment';
import type { StepRecord } from '../engine/trainer';
import type { EvalResult, RunStatus } from '../engine/trainer';
import type { LayerProbe } from '../engine/probes';
import type { ResolvedConfig } from '../engine/types';
import { writeJsonAtomic } from './atomic';
import { slug, timeStamp } from './names';
import { lockOutFolder, OutputError, RECORD_FILE, type OutLock } from './outdir';
import { readCheckedRecords, readRunHead } from './read';
import { newSummary, tryReadSummary, writeSummary, type RunSummary } from './summary';
import { groupBySeed, hasSeeds, type SeedGroup } from '../shared/seed-stats';

export const EXPERIMENT_FORMAT = 'mlp-lens-experiment/v1';
export const EXPERIMENT_FILE = 'experiment.json';
const LOCK = '.experiment.lock';

export type ExperimentRunStatus = RunStatus | 'pending';

export interface ExperimentRunEntry {
  id: number;
  name: string;
  variant: string;
  sweep: Record<string, unknown>;
  seed: number;
  /** the run's folder, relative to the experiment's */
  folder: string;
  status: ExperimentRunStatus;
  train: EvalResult | null;
  test: EvalResult | null;
  /** ‖δ first hidden‖ / ‖δ last hidden‖ at initialization (null with fewer than two hidden layers) */
  deltaRatio: number | null;
  /** mean saturation of the hidden layers at initialization */
  saturation: number | null;
  steps: number;
  seconds: number;
  startedAt: string | null;
  failure?: string;
}

export interface ExperimentRecord {
  format: typeof EXPERIMENT_FORMAT;
  name: string;
  configFile: string | null;
  grid: ExperimentGrid;
  updatedAt: string;
  runs: ExperimentRunEntry[];
}

/** ‖δ_first hidden‖ / ‖δ_last hidden‖ for a step's probes (null without two hidden layers). */
export function deltaRatio(layers: LayerProbe[] | undefined): number | null {
  if (!layers) return null;
  const hidden = layers.filter((l) => l.saturation !== null);
  if (hidden.length < 2) return null;
  return hidden[0]!.delta / hidden[hidden.length - 1]!.delta;
}

/** The mean saturation of the hidden layers of a step's probes (null without hidden layers). */
export function meanSaturation(layers: LayerProbe[] | undefined): number | null {
  const hidden = layers?.filter((l) => l.saturation !== null) ?? [];
  return hidden.length ? hidden.reduce((a, l) => a + l.saturation!, 0) / hidden.length : null;
}

/**
 * The run folders' names, in the runs' order: the run's name made file-name safe; two runs whose
 * names become the same get "<name>-2", ... in order (the same in every shard).
 */
export function runFolderNames(runs: ExperimentRun[]): string[] {
  const taken = new Set<string>();
  return runs.map((r) => {
    const base = slug(r.name);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return name;
  });
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * A new experiment folder under `parent` (created if missing): <stamp>-<config>, or
 * <stamp>.2-<config>, ... when that second's name is taken (created exclusively).
 */
export function newExperimentFolder(parent: string, name: string, now = new Date()): string {
  fs.mkdirSync(parent, { recursive: true });
  const base = timeStamp(now);
  for (let n = 1; ; n++) {
    const dir = path.join(parent, `${n === 1 ? base : `${base}.${n}`}-${slug(name)}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
  }
}

/** The files of a run record (and the temporary files of its atomic writes). */

export type Claim =
  | { kind: 'train'; lock: OutLock }
  | { kind: 'done'; summary: RunSummary }
  | { kind: 'busy' };

const sameConfig = (a: ResolvedConfig, b: ResolvedConfig) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Claims a run's folder for training: creates it exclusively, or finds it there. `done`: it holds
 * this run completed with the same resolved config (a resumed experiment skips it); `busy`: a live
 * process holds its lock (another shard, or a second process on the same shard); `train`: the
 * folder is this process's (locked, an earlier attempt's record files removed) to train into.
 */
export async function claimRun(dir: string, config: ResolvedConfig): Promise<Claim> {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if (code(e) !== 'EEXIST') throw e;
  }
  let lock: OutLock;
  try {
    lock = lockOutFolder(dir);
  } catch (e) {
    if (e instanceof OutputError) return { kind: 'busy' };
    throw e;
  }
  try {
    const head = await readRunHead(dir);
    if (head.summary.status === 'completed' && sameConfig(head.config, config)) {
      lock.release();
      return { kind: 'done', summary: head.summary };
    }
  } catch {
    // no record, or not a whole one: train afresh
  }
  for (const name of fs.readdirSync(dir)) if (RECORD_FILE.test(name)) fs.rmSync(path.join(dir, name), { force: true });
  return { kind: 'train', lock };
}

/**
 * Marks a run "failed", with the reason, when the process that was to write its end cannot (its
 * worker thread died while training it, or before it started it): the summary the run left
 * ("running") keeps its progress; a run that never started gets its config.json and a summary
 * saying it failed before its first step. A summary that already says how the run ended is kept.
 * Returns the summary now on disk. Throws when the folder cannot be written.
 */
export function markRunFailed(dir: string, config: ResolvedConfig, configFile: string | null, reason: string): RunSummary {
  const now = new Date().toISOString();
  const had = tryReadSummary(dir);
  if (had && had.status !== 'running') return had;
  const configPath = path.join(dir, 'config.json');
  if (!had && !fs.existsSync(configPath)) writeJsonAtomic(configPath, config);
  const summary: RunSummary = had ?? { ...newSummary(config, configFile, { parameters: 0, stepsPlanned: 0, batchSize: config.batchSize, kernel: '' }), startedAt: now };
  summary.status = 'failed';
  summary.failure = reason.slice(0, 2000);
  summary.finishedAt ??= now;
  writeSummary(dir, summary);
  return summary;
}

/** Thrown from readRunRecords' callback to stop after the first step record. */
const STOP = Symbol('first step read');

/** The first step record of a run folder (the probes at initialization), or null. */
export async function firstStep(dir: string): Promise<StepRecord | null> {
  let first: StepRecord | null = null;
  try {
    // small reads: only the first frames are decoded (1 MiB chunks decoded a short run whole)
    await readCheckedRecords(dir, (steps) => {
      if (steps.length) {
        first = steps[0]!;
        throw STOP;
      }
    }, { chunk: 4096 });
  } catch (e) {
    if (e !== STOP) return null;
  }
  return first;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Takes DIR/.experiment.lock (created exclusively; a lock older than 30 s is stale); returns its release. */
function takeLock(dir: string): () => void {
  const file = path.join(dir, LOCK);
  for (let waited = 0; ; waited += 20) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > 30_000 || waited > 30_000) fs.rmSync(file, { force: true });
    } catch {
      // gone meanwhile: try again
    }
    sleep(20);
  }
  return () => fs.rmSync(file, { force: true });
}

/**
 * Writes an experiment's experiment.json from what its folder holds. One per process; it keeps
 * the probes at initialization of the runs that have ended (they do not change) so a rewrite
 * reads only summaries and the first step of runs it has not seen end.
 */
export class ExperimentWriter {
  private readonly init = new Map<string, { key: string; deltaRatio: number | null; saturation: number | null }>();
  /** failures this process saw that left no summary (the run could not start) */
  readonly failures = new Map<number, string>();

  constructor(readonly dir: string, readonly exp: Experiment, readonly folders: string[], readonly configFile: string | null) {}

  async entry(run: ExperimentRun, k: number): Promise<ExperimentRunEntry> {
    const folder = this.folders[k]!;
    const dir = path.join(this.dir, folder);
    const entry: ExperimentRunEntry = {
      id: run.id, name: run.name, variant: run.variant, sweep: run.sweep, seed: run.seed, folder,
      status: 'pending', train: null, test: null, deltaRatio: null, saturation: null, steps: 0, seconds: 0, startedAt: null,
    };
    let summary: RunSummary;
    try {
      const head = await readRunHead(dir);
      if (!sameConfig(head.config, run.config)) return entry; // an older experiment's record: to be rerun
      summary = head.summary;
    } catch {
      const failure = this.failures.get(run.id);
      return failure ? { ...entry, status: 'failed', failure } : entry;
    }
    Object.assign(entry, { status: summary.status, train: summary.train, test: summary.test, steps: summary.steps, seconds: summary.seconds, startedAt: summary.startedAt });
    if (summary.failure) entry.failure = summary.failure;
    const key = `${summary.startedAt} ${summary.finishedAt}`;
    let init = this.init.get(folder);
    if (!init || init.key !== key) {
      const first = await firstStep(dir);
      init = { key, deltaRatio: deltaRatio(first?.layers), saturation: meanSaturation(first?.layers) };
      if (summary.finishedAt) this.init.set(folder, init);
    }
    entry.deltaRatio = init.deltaRatio;
    entry.saturation = init.saturation;
    return entry;
  }

  /** experiment.json as the folder is now. */
  async record(): Promise<ExperimentRecord> {
    const runs: ExperimentRunEntry[] = [];
    for (let k = 0; k < this.exp.runs.length; k++) runs.push(await this.entry(this.exp.runs[k]!, k));
    return { format: EXPERIMENT_FORMAT, name: this.exp.name, configFile: this.configFile, grid: this.exp.grid, updatedAt: new Date().toISOString(), runs };
  }

  /** Rebuilds experiment.json from the folder and writes it atomically, under the experiment's lock. */
  async write(): Promise<ExperimentRecord> {
    // read and written under the lock: a writer sees every run another wrote before it, so the
    // last writer's file holds every shard's runs as they ended
    const release = takeLock(this.dir);
    try {
      const rec = await this.record();
      writeJsonAtomic(path.join(this.dir, EXPERIMENT_FILE), rec);
      return rec;
    } finally {
      release();
    }
  }
}

/** An experiment folder's experiment.json, or null when it has none that reads as one. */
export function readExperiment(dir: string): ExperimentRecord | null {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, EXPERIMENT_FILE), 'utf8')) as ExperimentRecord;
    return v && v.format === EXPERIMENT_FORMAT && Array.isArray(v.runs) ? v : null;
  } catch {
    return null;
  }
}

/**
 * When the run folders are runs of one experiment with seeds and no sweep (their parent's
 * experiment.json lists each of them), the runs grouped by variant over their seeds (indices into
 * `dirs`); else null.
 */
export function seedGroupsOf(dirs: readonly string[]): SeedGroup[] | null {
  if (dirs.length < 2) return null;
  const parent = path.dirname(dirs[0]!);
  if (dirs.some((d) => path.dirname(d) !== parent)) return null;
  const rec = readExperiment(parent);
  if (!rec || Object.keys(rec.grid?.sweep ?? {}).length) return null;
  const byFolder = new Map(rec.runs.map((r) => [r.folder, r]));
  const entries = dirs.map((d) => byFolder.get(path.basename(d)));
  if (entries.some((e) => !e || typeof e.variant !== 'string' || typeof e.seed !== 'number')) return null;
  const groups = groupBySeed(entries.length, (i) => entries[i]!.variant, (i) => entries[i]!.seed);
  return hasSeeds(groups) ? groups : null;
}
