/**
 * The last run of a config, from the run records on disk (summary.json in each variant's
 * folder, as the CLI and the training worker write them). Runs of one config started together
 * share the folder-name time stamp (<UTC time>-<config>-<variant>), so the latest stamp with
 * this config's runs is its last run. No vscode import (unit-tested).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InspectorRun } from '../shared/protocol';
import type { RunSummary } from '../runs/record';

/** The time-stamp prefix of a run folder name, 2026-11-27T21-05-09, or null. */
function stampOf(dir: string): string | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)/.exec(path.basename(dir));
  return m ? m[1]! : null;
}

/** Does this summary belong to the config file? (`configFile` may be relative to `cwdGuess`.) */
function sameConfig(summary: RunSummary, configFile: string, cwdGuesses: string[]): boolean {
  const f = summary.configFile;
  if (!f) return false;
  if (path.isAbsolute(f)) return path.resolve(f) === path.resolve(configFile);
  return cwdGuesses.some((c) => path.resolve(c, f) === path.resolve(configFile));
}

/**
 * The latest run of `configFile` in the run folders given (each holding one folder per variant
 * run). `cwdGuesses`: folders a relative configFile in a summary may be relative to (the
 * workspace folder). Runs without a time-stamped folder name group by their startedAt second.
 */
export function lastRun(configFile: string, runFolders: string[], cwdGuesses: string[] = []): InspectorRun[] {
  const found: { dir: string; s: RunSummary; group: string }[] = [];
  for (const folder of runFolders) {
    let entries: string[];
    try {
      entries = fs.readdirSync(folder);
    } catch {
      continue;
    }
    for (const e of entries) {
      const dir = path.join(folder, e);
      let s: RunSummary;
      try {
        s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
      } catch {
        continue;
      }
      if (s.format !== 'mlp-lens-run/v1' || !sameConfig(s, configFile, [...cwdGuesses, path.dirname(configFile)])) continue;
      found.push({ dir, s, group: stampOf(dir) ?? (s.startedAt ?? '').slice(0, 19) });
    }
  }
  if (!found.length) return [];
  const latest = found.reduce((a, b) => (b.group > a.group ? b : a)).group;
  return found
    .filter((f) => f.group === latest)
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
