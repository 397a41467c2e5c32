/**
 * Every run and experiment in some run folders, for the Runs view: the run folders directly
 * inside each folder (Train MLP's and the CLI's <stamp>-<config>-<variant>/), the experiments
 * one level down (<folder>/<experiment>/experiment.json with its runs) and the CLI's --out
 * folders one level down (<folder>/<out>/<variant>/). Everything is read through scan.ts and
 * read.ts (bounded, async, symlinks kept inside the folder scanned); experiment.json is read
 * with the same guards (a regular file, at most MAX_EXPERIMENT_BYTES, inside its folder). What
 * cannot be read is reported with its reason, never thrown.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isObj } from '../engine/guards';
import { readRegularFile } from '../node/io';
import { EXPERIMENT_FILE, EXPERIMENT_FORMAT } from './experiment-record';
import { runKeyOf } from './names';
import { realRoot, resolveInside, RunReadError } from './read';
import { MAX_SCAN_ENTRIES, scanOne, scanRunFolder, type ScannedRun } from './scan';
import type { RunSummary } from './summary';

/** The largest experiment.json read (one entry is about 500 bytes; a grid has at most a few thousand runs). */
export const MAX_EXPERIMENT_BYTES = 8 << 20;
/** Sub-folders of one run folder looked into (experiments, --out folders), at most. */
export const MAX_SUBFOLDERS = 500;

export interface ExperimentInfo {
  /** the experiment's folder */
  dir: string;
  name: string;
  /** the run's name in the experiment ("lecture seed=2") */
  runName: string;
  seed: number;
  sweep: Record<string, unknown>;
}

export interface ListedRun {
  dir: string;
  /** the folder its files must stay inside */
  root: string;
  summary: RunSummary;
  /** the variants of one training share it (<stamp>-<config>, or the --out folder) */
  session: string;
  experiment: ExperimentInfo | null;
}

export interface ListedExperiment {
  dir: string;
  name: string;
  configFile: string | null;
  /** runs of its grid, with or without a record yet */
  total: number;
  runs: ListedRun[];
}

export interface RunListing {
  runs: ListedRun[];
  experiments: ListedExperiment[];
  /** why run folders were skipped: "skipped <dir>: <reason>", ... */
  problems: string[];
}

export interface ExperimentEntry {
  name: string;
  folder: string;
  seed: number;
  sweep: Record<string, unknown>;
  /** as the writer found them (unchecked: numbers or anything) */
  variant?: unknown;
  status?: unknown;
  deltaRatio?: unknown;
  saturation?: unknown;
}

/** experiment.json's name, config and run entries, or why it is not one. */
export function experimentProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (v.format !== EXPERIMENT_FORMAT) return `"format" is not "${EXPERIMENT_FORMAT}"`;
  if (typeof v.name !== 'string' || v.name.length > 1000) return '"name" is missing';
  if (v.configFile !== null && typeof v.configFile !== 'string') return '"configFile" is not a string';
  if (!Array.isArray(v.runs)) return '"runs" is not a list';
  for (const [i, r] of v.runs.entries()) {
    if (!isObj(r) || typeof r.name !== 'string' || typeof r.folder !== 'string' || !isObj(r.sweep) || typeof r.seed !== 'number') return `runs[${i}] is not a run entry`;
    if (r.folder.includes('/') || r.folder.includes('\\') || r.folder.startsWith('.')) return `runs[${i}].folder is not a folder name`;
  }
  return null;
}

/** An experiment folder's experiment.json, read within its folder and checked (`grid` as found: check before use). */
export async function readExperimentFile(dir: string, root: string): Promise<{ name: string; configFile: string | null; grid: unknown; runs: ExperimentEntry[] }> {
  const file = path.join(dir, EXPERIMENT_FILE);
  const real = await resolveInside(root, file);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await readRegularFile(real, file, 'experiment file', MAX_EXPERIMENT_BYTES)));
  } catch (e) {
    throw new RunReadError(`${file} is not readable JSON: ${(e as Error).message}`);
  }
  const problem = experimentProblem(value);
  if (problem) throw new RunReadError(`${file} is not an experiment record: ${problem}`);
  const v = value as { name: string; configFile: string | null; grid?: unknown; runs: ExperimentEntry[] };
  return { name: v.name, configFile: v.configFile, grid: v.grid ?? null, runs: v.runs };
}

const sessionOf = (r: ScannedRun) => `${path.dirname(path.resolve(r.dir))}|${runKeyOf(path.basename(r.dir), r.summary.variant) ?? ''}`;
const loose = (r: ScannedRun): ListedRun => ({ dir: path.resolve(r.dir), root: r.root, summary: r.summary, session: sessionOf(r), experiment: null });

/** The experiment in `dir` (its experiment.json and the run folders in it). */
async function listExperiment(dir: string, root: string, report: (m: string) => void): Promise<ListedExperiment> {
  const rec = await readExperimentFile(dir, root);
  const byFolder = new Map(rec.runs.map((r) => [r.folder, r]));
  const runs: ListedRun[] = [];
  for (const r of await scanRunFolder(dir, { report })) {
    const e = byFolder.get(path.basename(r.dir));
    if (!e) continue; // not one of this experiment's runs
    runs.push({ ...loose(r), session: `experiment|${path.resolve(dir)}`, experiment: { dir: path.resolve(dir), name: rec.name, runName: e.name, seed: e.seed, sweep: e.sweep } });
  }
  const order = new Map(rec.runs.map((r, i) => [r.folder, i]));
  runs.sort((a, b) => (order.get(path.basename(a.dir)) ?? 0) - (order.get(path.basename(b.dir)) ?? 0));
  return { dir: path.resolve(dir), name: rec.name, configFile: rec.configFile, total: rec.runs.length, runs };
}

/** Is there an experiment.json in `dir` (inside `root`)? */
async function hasExperiment(dir: string, root: string): Promise<boolean> {
  try {
    await resolveInside(root, path.join(dir, EXPERIMENT_FILE));
    return true;
  } catch (e) {
    if (e instanceof RunReadError && e.missing) return false;
    throw e;
  }
}

/** The sub-folders of `folder` that are not run folders themselves, within the scan's budget. */
async function subFolders(folder: string, root: string, runDirs: Set<string>, report: (m: string) => void): Promise<string[]> {
  const out: string[] = [];
  let dir: Awaited<ReturnType<typeof fsp.opendir>>;
  try {
    dir = await fsp.opendir(root);
  } catch {
    return out;
  }
  let entries = 0;
  try {
    for await (const ent of dir) {
      if (++entries > MAX_SCAN_ENTRIES || out.length >= MAX_SUBFOLDERS) break;
      if (ent.name.startsWith('.') || !(ent.isDirectory() || ent.isSymbolicLink())) continue;
      const p = path.resolve(folder, ent.name);
      if (runDirs.has(p)) continue;
      try {
        const real = await resolveInside(root, p);
        if ((await fsp.stat(real)).isDirectory()) out.push(p);
      } catch {
        // a symlink out of the folder: scanRunFolder reported it already
      }
    }
  } catch (e) {
    report(`stopped looking in ${folder}: ${(e as Error).message}`);
  } finally {
    await dir.close().catch(() => undefined);
  }
  return out.sort();
}

/** Everything in one folder (see the file's comment). */
async function listFolder(folder: string, into: RunListing): Promise<void> {
  const report = (m: string) => into.problems.push(m);
  let root: string;
  try {
    root = await realRoot(folder);
  } catch {
    return; // no such folder (yet)
  }
  try {
    if (await hasExperiment(folder, root)) {
      into.experiments.push(await listExperiment(folder, root, report));
      return;
    }
  } catch (e) {
    report(`skipped ${folder}: ${(e as Error).message}`);
    return;
  }
  const own = await scanOne(folder, { report });
  if (own) {
    into.runs.push(loose(own));
    return;
  }
  const direct = await scanRunFolder(folder, { report });
  into.runs.push(...direct.map(loose));
  const runDirs = new Set(direct.map((r) => path.resolve(r.dir)));
  for (const sub of await subFolders(folder, root, runDirs, report)) {
    try {
      if (await hasExperiment(sub, root)) into.experiments.push(await listExperiment(sub, root, report));
      else for (const r of await scanRunFolder(sub, { report })) into.runs.push(loose(r));
    } catch (e) {
      report(`skipped ${sub}: ${(e as Error).message}`);
    }
  }
}

/** Every run and experiment in `folders` (each listed once, however many folders hold it). */
export async function listRuns(folders: readonly string[]): Promise<RunListing> {
  const out: RunListing = { runs: [], experiments: [], problems: [] };
  for (const f of [...new Set(folders.map((f) => path.resolve(f)))]) await listFolder(f, out);
  const seen = new Set<string>();
  out.runs = out.runs.filter((r) => !seen.has(r.dir) && seen.add(r.dir));
  out.experiments = out.experiments.filter((e) => !seen.has(e.dir) && seen.add(e.dir));
  out.problems = [...new Set(out.problems)];
  return out;
}
