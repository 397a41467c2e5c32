/**
 * Run folders on disk (written by the CLI or the extension's worker) back into a RunModel, so a
 * reopened run looks the same as it did live; and grouping of folders into runs for Open Run.
 */
import * as path from 'node:path';
import { BUILTIN_IMAGES } from '../engine/datasets/builtin';
import { WEIGHT_PAGE, weightRowsPictures } from '../engine/pictures';
import type { ResolvedConfig } from '../engine/types';
import { weightFrame } from '../shared/weight-frame';
import { readFirstLayerRows } from './model-file';
import { readRunHead, readRunRecords, realRoot, type MetricsRead } from './read';
import { RunModel, type WeightsOnDisk } from './model';
import { runKeyOf } from './names';
import { scanOne, scanRunFolder, type ScannedRun } from './scan';
import { SUMMARY_FILE, type RunSummary } from './summary';
import { recordCheckFor } from './validate';

/** Variant folders one run may have, at most (a config has a few variants). */
export const MAX_RUN_DIRS = 100;
/**
 * Records of metrics.bin pushed into the history one by one, as the live view did (bit for bit);
 * a longer run's frames are averaged into its columns as they are read.
 */
export const EXACT_RECORDS = 100_000;

/** The records a full column of a history of `capacity` columns holds after `records` were pushed. */
export function columnStride(records: number, capacity: number): number {
  let s = 1;
  while (Math.ceil(records / s) > capacity) s *= 2;
  return s;
}

/** "a (lines 3, 5 and 2 more; line 3: reason)"; frames for metrics.bin */
function badLinesNote(dir: string, m: MetricsRead): string {
  const shown = m.badLines.slice(0, 5);
  const more = m.badCount - shown.length;
  const what = m.format === 'binary' ? 'record' : 'line';
  const lines = `${what}${m.badCount > 1 ? 's' : ''} ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const stopped = m.stoppedAt !== null ? `; reading stopped at line ${m.stoppedAt}, too many bad lines` : '';
  return `${path.basename(dir)} (${lines}; ${m.problems[0] ?? ''}${stopped})`;
}

/**
 * Load run folders (the variants of one run) into a finished RunModel. Throws with the folder
 * named and the reason if one is unreadable (read.ts: files that are not regular files, too big,
 * symlinks out of the folder, a summary or config that is not one). The metrics are streamed
 * into the model's bounded history (readRunRecords), each record checked against its config
 * first: a run of any length opens in the memory of its history, and the host's event loop runs
 * between chunks. `roots`: per folder, the folder its files must stay inside (default: itself).
 */
export async function loadRunModel(dirs: string[], capacity: number, id: string, roots: (string | undefined)[] = []): Promise<RunModel> {
  if (!dirs.length) throw new Error('no run folders given');
  if (dirs.length > MAX_RUN_DIRS) throw new Error(`${dirs.length} run folders given; one run has at most ${MAX_RUN_DIRS}`);
  const cannotRead = (d: string, e: unknown) => new Error(`cannot read the run in ${d}: ${(e as Error).message}`);
  const runs: { dir: string; root: string; summary: RunSummary; config: ResolvedConfig; metrics: MetricsRead | null }[] = [];
  for (const [i, d] of dirs.entries()) {
    try {
      const root = roots[i] ?? await realRoot(d);
      runs.push({ dir: d, root, ...await readRunHead(d, root), metrics: null });
    } catch (e) {
      throw cannotRead(d, e);
    }
  }
  const first = runs[0]!;
  /** what the panel's message line says of what could not be read */
  const notes: string[] = [];
  const model = new RunModel(id, first.summary.name, first.summary.configFile, runs.map((r) => r.config), capacity, first.summary.startedAt);
  model.dataset = null;
  for (const r of runs) {
    const variant = r.config.variant;
    try {
      r.metrics = await readRunRecords(r.dir, recordCheckFor(r.config), (steps, epochs) => model.records(variant, steps, epochs, null), {
        root: r.root, config: r.config,
        // metrics.bin's frames go into the history packed, as the worker's records do when live
        // (the same columns, bit for bit); a longer run's are averaged into its columns as they
        // are read (the same up to rounding, in a fraction of the time)
        packed: (meta, data, count, last, epochs, means) => model.packedRecords(variant, meta, data, count, epochs, { ...last, totalSteps: r.summary.stepsPlanned }, means),
        stride: (frames) => (frames > EXACT_RECORDS ? columnStride(frames, model.variant(variant)!.store.capacity) : 1),
      });
    } catch (e) {
      throw cannotRead(r.dir, e);
    }
    const summary: RunSummary = { ...r.summary };
    model.variantDone(variant, r.dir, summary);
    const v = model.variant(variant)!;
    v.meta.totalSteps = summary.stepsPlanned;
    // image data: the first page of the first layer's weights, from model.bin (the rest on request)
    const image = BUILTIN_IMAGES[r.config.dataset.type];
    if (image && r.config.output === 'softmax') {
      const [h, w] = image.shape;
      v.weightsOnDisk = { dir: r.dir, root: r.root, inputs: h * w, units: r.config.layers[0]!, parameters: summary.parameters, shape: image.shape, step: summary.steps, epoch: summary.epochs };
      try {
        if (!await weightPageFromDisk(model, variant, 0)) delete v.weightsOnDisk;
      } catch (e) {
        delete v.weightsOnDisk;
        notes.push(`no weight pictures: ${(e as Error).message}`);
      }
    }
  }
  const bad = runs.filter((r) => r.metrics?.badCount);
  const statuses = model.variants.map((v) => v.meta.status);
  if (bad.length) notes.unshift(`unreadable metrics ${bad.every((r) => r.metrics?.format === 'binary') ? 'records' : 'lines'} skipped in ${bad.map((r) => badLinesNote(r.dir, r.metrics!)).join('; ')}`);
  model.finish(RunModel.overall(statuses), notes.length ? notes.join('; ') : null);
  return model;
}

/**
 * A run opened from its folder, of image data: the page of first-layer weight pictures from unit
 * `first` (WEIGHT_PAGE units), read from the run's model.bin into the model (the panel shows it).
 * False when the variant has no weights on disk (no model.bin: a run that did not end).
 */
export async function weightPageFromDisk(model: RunModel, variant: string, first: number): Promise<boolean> {
  const src: WeightsOnDisk | undefined = model.variant(variant)?.weightsOnDisk;
  if (!src) return false;
  const U = src.units, F = src.inputs;
  const f = Math.max(0, Math.min(Math.floor(first), U - 1));
  const rows = await readFirstLayerRows(src.dir, src.root ?? await realRoot(src.dir), src, f, WEIGHT_PAGE);
  if (!rows) return false;
  model.setPictures(variant, { weights: weightFrame(weightRowsPictures(rows, F, U, f, WEIGHT_PAGE, undefined, f), src.shape, U, src.step, src.epoch) });
  return true;
}

export interface RunGroup {
  /** "lecture · 2026-11-27 21:05:09" */
  label: string;
  detail: string;
  dirs: string[];
  /** per folder, the folder its files must stay inside (the folder scanned) */
  roots: string[];
  startedAt: string;
}

/**
 * The runs in some selected folders: a run folder itself, or the run folders directly inside
 * a folder (the CLI's --out DIR holds DIR/<variant>/; the extension writes
 * <time>-<config>-<variant>/ side by side). Variants of one run are grouped together. Folders
 * scanned within a budget (scan.ts); each run folder skipped is told to `report` with its reason.
 */
export async function findRunGroups(selected: string[], report?: (message: string) => void): Promise<RunGroup[]> {
  const found = new Map<string, ScannedRun>();
  for (const s of selected) {
    const d = path.basename(s) === SUMMARY_FILE ? path.dirname(s) : s;
    const own = await scanOne(d, { needMetrics: true, report });
    if (own) found.set(own.dir, own);
    else for (const r of await scanRunFolder(d, { needMetrics: true, report })) found.set(path.resolve(r.dir), { ...r, dir: path.resolve(r.dir) });
  }
  const groups = new Map<string, { runs: ScannedRun[] }>();
  for (const r of found.values()) {
    // <stamp>-<config>-<variant>: group by <stamp>-<config> (".2" of a second run in the same
    // second included); <out>/<variant>: group by the parent
    const key = `${path.dirname(r.dir)}|${runKeyOf(path.basename(r.dir), r.summary.variant) ?? ''}`;
    const g = groups.get(key) ?? { runs: [] };
    g.runs.push(r);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => {
      const startedAt = g.runs.map((r) => r.summary.startedAt).sort()[0] ?? '';
      const order = g.runs.slice().sort((a, b) => a.summary.startedAt.localeCompare(b.summary.startedAt) || a.dir.localeCompare(b.dir));
      return {
        label: `${g.runs[0]!.summary.name} · ${startedAt.slice(0, 19).replace('T', ' ')}`,
        detail: order.map((o) => `${o.summary.variant} (${o.summary.status})`).join(', '),
        dirs: order.map((o) => o.dir),
        roots: order.map((o) => o.root),
        startedAt,
      };
    })
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
