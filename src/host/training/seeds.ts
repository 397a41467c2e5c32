/**
 * Train MLP on a config with seeds (and no sweep: a sweep is the Experiment panel's): every
 * variant once per seed, as `mlp-lens train` does. The runs go into one experiment folder under
 * the run folder (<stamp>-<config>/, one ordinary run folder per run named as the CLI names it,
 * and experiment.json), and are shared round-robin by one training worker per core; every run
 * streams into the one panel, which shows them grouped by variant (the seed view).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { isExperiment, resolveExperiment, type Experiment } from '../../engine/experiment';
import { InputError } from '../../engine/types';
import { defaultJobs } from '../../node/pool';
import { ExperimentWriter, newExperimentFolder, runFolderNames } from '../../runs/experiment-record';
import { groupBySeed, type SeedGroup } from '../../shared/seed-stats';
import type { SeedsPlan } from './worker-run';

/**
 * Runs one panel trains at most: every run trains side by side on its worker and keeps a history
 * in the panel (bounded each: mlpLens.historyColumns), so the panel's memory grows with them. More
 * is the CLI's (`mlp-lens train`, then the Runs view).
 */
export const MAX_PANEL_RUNS = 64;

/**
 * The config's experiment when it has seeds and no sweep, else null (an ordinary config, or a
 * sweep). Throws an InputError naming the file when it has more than MAX_PANEL_RUNS runs.
 */
export function seedsExperiment(text: string, file: string): Experiment | null {
  if (!isExperiment(text, file)) return null;
  const exp = resolveExperiment(text, file);
  if (Object.keys(exp.grid.sweep).length) return null;
  if (exp.runs.length > MAX_PANEL_RUNS) {
    throw new InputError(`${exp.runs.length} runs (${exp.grid.variants.length} variant(s) × ${exp.grid.seeds.length} seeds): Train MLP trains at most ${MAX_PANEL_RUNS} in one panel; train it with the CLI (mlp-lens train) and open it from the Runs view`, file);
  }
  return exp;
}

/** The runs grouped by variant over their seeds (the panel's seed view). */
export function experimentGroups(exp: Experiment): SeedGroup[] {
  return groupBySeed(exp.runs.length, (i) => exp.runs[i]!.variant, (i) => exp.runs[i]!.seed);
}

/**
 * Makes the experiment's folder and its runs' folders, writes experiment.json, and plans the
 * workers (one per core, at most one per run). The plan keeps experiment.json up to date as runs
 * end (at most once a second, and at the end).
 */
export async function planSeeds(exp: Experiment, outDir: string, configFile: string, log: vscode.LogOutputChannel): Promise<{ dir: string; plan: SeedsPlan }> {
  const dir = newExperimentFolder(outDir, exp.name);
  const folders = runFolderNames(exp.runs);
  for (const f of folders) fs.mkdirSync(path.join(dir, f));
  const writer = new ExperimentWriter(dir, exp, folders, configFile);
  await writer.write();
  const jobs = Math.max(1, Math.min(exp.runs.length, defaultJobs()));
  const runs: { index: number; dir: string }[][] = Array.from({ length: jobs }, () => []);
  exp.runs.forEach((_, k) => runs[k % jobs]!.push({ index: k, dir: path.join(dir, folders[k]!) }));
  let writing: Promise<unknown> = Promise.resolve();
  let last = 0;
  let discarded = false;
  const write = (force: boolean) => {
    if (discarded || (!force && Date.now() - last < 1000)) return;
    last = Date.now();
    writing = writing.then(() => writer.write()).catch((e: unknown) => log.warn(`cannot write ${path.join(dir, 'experiment.json')}: ${(e as Error).message}`));
  };
  log.info(`${exp.name}: ${exp.runs.length} runs (${exp.grid.variants.length} variant(s) × ${exp.grid.seeds.length} seeds) on ${jobs} worker(s) into ${dir}`);
  const discard = () => {
    discarded = true;
    void writing.then(() => fs.rmSync(dir, { recursive: true, force: true })).catch((e: unknown) => log.warn(`cannot remove ${dir}: ${(e as Error).message}`));
  };
  return { dir, plan: { runs, onRunDone: () => write(false), onEnd: () => write(true), discard } };
}
