/**
 * An experiment folder as the Experiment panel shows it (ExperimentView): experiment.json for the
 * grid and its runs' folders, then every run's own summary (fresher than experiment.json while
 * runs train, and what another process's shard wrote), its probes at initialization and its
 * per-epoch curve. Everything goes through the bounded readers (read.ts, run-list.ts) and stays
 * inside the experiment's folder; a run folder that cannot be read is a "pending" row. Curves and
 * init probes of ended runs are kept between reads (ExperimentReader), so a live refresh reads
 * only the summaries and the runs still training.
 *
 * A run whose summary says "running" but that no live process holds (its run lock: outdir.ts
 * lockHeld) and that this window does not train is "interrupted": the process training it ended
 * (a window reload ends the extension's pool) without writing its end. When nothing trains the
 * experiment and some runs are not finished, the view says so and how to resume it.
 */
import * as path from 'node:path';
import { valueText } from '../engine/experiment-grid';
import { isObj } from '../engine/guards';
import type { EpochRecord } from '../engine/trainer';
import { EXPERIMENT_CURVE_POINTS, type ExperimentAxis, type ExperimentRow, type ExperimentView } from '../shared/protocol';
import { deltaRatio, firstStep, meanSaturation } from './experiment-record';
import { EPOCHS_FILE, hasRunFile, METRICS_FILE, readJsonLines, readRunSummary, realRoot } from './read';
import { lockHeld } from './outdir';
import { readExperimentFile, type ExperimentEntry } from './run-list';
import type { RunSummary } from './summary';

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The grid's axes as experiment.json lists them: variant (when more than one), each swept field, seed. */
export function experimentAxes(grid: unknown, runs: ExperimentEntry[]): ExperimentAxis[] {
  const axes: ExperimentAxis[] = [];
  const g = isObj(grid) ? grid : {};
  const variants = Array.isArray(g.variants) ? g.variants.filter((v): v is string => typeof v === 'string') : [...new Set(runs.map((r) => String(r.variant ?? '')))];
  if (variants.length > 1) axes.push({ name: 'variant', values: variants });
  const sweep = isObj(g.sweep) ? g.sweep : {};
  for (const [k, vs] of Object.entries(sweep)) if (Array.isArray(vs)) axes.push({ name: k, values: vs.map(valueText) });
  const seeds = Array.isArray(g.seeds) ? g.seeds.filter((s): s is number => typeof s === 'number') : [...new Set(runs.map((r) => r.seed))];
  if (seeds.length > 1) axes.push({ name: 'seed', values: seeds.map(String) });
  return axes;
}

/**
 * The line for an experiment that nothing trains now and that has runs not finished (interrupted,
 * stopped, failed or pending): how many, and that Train MLP on its config resumes it. Null while a
 * run trains (this window or another process) or when every run completed or diverged.
 */
export function unfinishedNote(rows: readonly { status: string }[], configFile: string | null): string | null {
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  if (count('running')) return null;
  const parts = [
    [count('interrupted'), 'interrupted (the process training them ended)'],
    [count('stopped'), 'stopped'],
    [count('failed'), 'failed'],
    [count('pending'), 'never started'],
  ].filter(([n]) => n) as [number, string][];
  if (!parts.length) return null;
  const total = parts.reduce((a, [n]) => a + n, 0);
  const config = configFile ? path.basename(configFile) : 'its config';
  return `${total} of ${rows.length} runs not finished: ${parts.map(([n, what]) => `${n} ${what}`).join(', ')}. Train MLP on ${config} resumes the experiment (completed runs are kept).`;
}

/** Every n-th point so that at most `max` remain (the last one always). */
export function thin(xs: number[], max = EXPERIMENT_CURVE_POINTS): number[] {
  if (xs.length <= max) return xs;
  const out: number[] = [];
  const step = (xs.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(xs[Math.round(i * step)]!);
  return out;
}

const epochCheck = (v: unknown): EpochRecord | string => {
  if (!isObj(v) || v.kind !== 'epoch') return 'not an epoch record';
  if (!isObj(v.train) || num(v.train.loss) === null && v.train.loss !== null) return 'no train result';
  return v as unknown as EpochRecord;
};

/** A run's per-epoch curve (test accuracy, or train accuracy without a test split; train loss). */
async function readCurve(dir: string, root: string): Promise<ExperimentRow['curve']> {
  const epochs: EpochRecord[] = [];
  const name = await hasRunFile(dir, root, EPOCHS_FILE) ? EPOCHS_FILE : METRICS_FILE;
  try {
    // metrics.jsonl mixes step lines in: they are skipped as "not an epoch record"
    await readJsonLines(dir, name, epochCheck, (_s, e) => { for (const r of e) epochs.push(r); }, { root });
  } catch {
    return { accuracy: [], loss: [] };
  }
  const acc = epochs.map((e) => num(e.test?.accuracy) ?? num(e.train?.accuracy) ?? NaN);
  const loss = epochs.map((e) => num(e.train?.loss) ?? NaN);
  return { accuracy: thin(acc), loss: thin(loss) };
}

interface Kept { key: string; curve: ExperimentRow['curve']; deltaRatio: number | null; saturation: number | null }

/** Reads one experiment folder again and again (see the file's comment). */
export class ExperimentReader {
  private readonly kept = new Map<string, Kept>();
  /** the run folders' names by row index, as last read */
  folders: string[] = [];

  constructor(readonly folder: string) {}

  /** The view as the folder is now; `running`: run folders this window trains (shown "running"). */
  async read(live: boolean, message: string | null = null): Promise<ExperimentView> {
    const folder = path.resolve(this.folder);
    const root = await realRoot(folder);
    const rec = await readExperimentFile(folder, root);
    const rows: ExperimentRow[] = [];
    for (const [index, e] of rec.runs.entries()) rows.push(await this.row(folder, root, e, index));
    this.folders = rec.runs.map((e) => e.folder);
    if (!live) {
      // "running" with no live process holding the run: interrupted (see the file's comment)
      for (const r of rows) if (r.status === 'running' && !lockHeld(path.join(folder, rec.runs[r.index]!.folder))) r.status = 'interrupted';
    }
    return { folder, name: rec.name, configFile: rec.configFile, axes: experimentAxes(rec.grid, rec.runs), rows, live, message: message ?? (live ? null : unfinishedNote(rows, rec.configFile)) };
  }

  private async row(folder: string, root: string, e: ExperimentEntry, index: number): Promise<ExperimentRow> {
    const dir = path.join(folder, e.folder);
    const row: ExperimentRow = {
      index, name: e.name, variant: typeof e.variant === 'string' ? e.variant : '', seed: e.seed,
      sweep: Object.fromEntries(Object.entries(e.sweep).map(([k, v]) => [k, valueText(v)])),
      status: 'pending', trainLoss: null, trainAccuracy: null, testLoss: null, testAccuracy: null, diverged: false,
      deltaRatio: num(e.deltaRatio), saturation: num(e.saturation), seconds: 0, curve: { accuracy: [], loss: [] },
    };
    let s: RunSummary;
    try {
      s = await readRunSummary(dir, root);
    } catch {
      return row;
    }
    Object.assign(row, {
      status: s.status, trainLoss: num(s.train?.loss), trainAccuracy: num(s.train?.accuracy), testLoss: num(s.test?.loss), testAccuracy: num(s.test?.accuracy),
      diverged: s.status === 'diverged', seconds: num(s.seconds) ?? 0,
    });
    const key = `${s.startedAt} ${s.finishedAt} ${s.epochs}`;
    let k = this.kept.get(dir);
    if (!k || k.key !== key) {
      const curve = await readCurve(dir, root);
      let dr = row.deltaRatio, sat = row.saturation;
      if (dr === null && sat === null) {
        const first = await firstStep(dir).catch(() => null);
        dr = deltaRatio(first?.layers);
        sat = meanSaturation(first?.layers);
      }
      k = { key, curve, deltaRatio: dr, saturation: sat };
      this.kept.set(dir, k);
    }
    row.curve = k.curve;
    row.deltaRatio = k.deltaRatio;
    row.saturation = k.saturation;
    return row;
  }
}
