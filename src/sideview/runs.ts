/**
 * The last run of a config, from the run records on disk (summary.json in each variant's
 * folder, as the CLI and the training worker write them). Runs of one config started together
 * share the folder-name stamp (<stamp>-<config>-<variant>, src/runs/names.ts), so the latest
 * stamp with this config's runs is its last run; a second run started within the same second
 * has its own stamp ("<time>.2"). The folders are scanned asynchronously within a budget of
 * entries and bytes, every summary read through src/runs/read.ts (non-blocking, size-capped,
 * symlinks kept inside the folder scanned). No vscode import (unit-tested).
 */
import * as path from 'node:path';
import type { InspectorRun } from '../shared/protocol';
import { compareStamps, parseStamp, timeStamp, type RunFolderStamp } from '../runs/names';
import { scanRunFolder } from '../runs/scan';
import type { RunSummary } from '../runs/summary';

/** Does this summary belong to the config file? (`configFile` may be relative to `cwdGuess`.) */
function sameConfig(summary: RunSummary, configFile: string, cwdGuesses: string[]): boolean {
  const f = summary.configFile;
  if (!f) return false;
  if (path.isAbsolute(f)) return path.resolve(f) === path.resolve(configFile);
  return cwdGuesses.some((c) => path.resolve(c, f) === path.resolve(configFile));
}

/** The run a variant's folder belongs to: its name's stamp, else (train --out DIR) the second it started. */
function groupOf(dir: string, s: RunSummary): RunFolderStamp | null {
  const started = new Date(s.startedAt);
  return parseStamp(path.basename(dir)) ?? (Number.isNaN(started.getTime()) ? null : parseStamp(timeStamp(started)));
}

/**
 * The latest run of `configFile` in the run folders given (each holding one folder per variant
 * run). `cwdGuesses`: folders a relative configFile in a summary may be relative to (the
 * workspace folder). Runs without a time-stamped folder name group by their startedAt second.
 * `report` is told each run folder skipped (a summary that is not one, a symlink out of the
 * folder, a FIFO...) and a scan cut short by its budget.
 */
export async function lastRun(configFile: string, runFolders: string[], cwdGuesses: string[] = [], report?: (message: string) => void): Promise<InspectorRun[]> {
  const found: { dir: string; s: RunSummary; group: RunFolderStamp }[] = [];
  for (const folder of runFolders) {
    for (const { dir, summary: s } of await scanRunFolder(folder, { report })) {
      if (!sameConfig(s, configFile, [...cwdGuesses, path.dirname(configFile)])) continue;
      const group = groupOf(dir, s);
      if (group) found.push({ dir, s, group });
    }
  }
  if (!found.length) return [];
  const latest = found.reduce((a, b) => (compareStamps(b.group, a.group) > 0 ? b : a)).group;
  return found
    .filter((f) => compareStamps(f.group, latest) === 0)
    .map(({ dir, s }) => ({
      variant: s.variant,
      runDir: dir,
      status: s.status,
      epochs: s.epochs,
      epochsPlanned: s.epochsPlanned,
      trainAccuracy: s.train?.accuracy ?? null,
      testAccuracy: s.test?.accuracy ?? null,
      finishedAt: s.finishedAt ?? null,
    }));
}
