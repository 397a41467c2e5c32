/**
 * mlp-lens runs [DIR] [--json]: the runs and experiments in a folder (default .mlp-lens/runs),
 * one line each: name, status, test accuracy, steps, date. An experiment is one line (its runs
 * counted by status); a plain --out folder's variant folders are a line each. Also where `export`
 * finds the runs of the folders it is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../engine/types';
import { EXPERIMENT_FILE, readExperiment, type ExperimentRecord } from '../runs/experiment-record';
import { DEFAULT_RUN_FOLDER } from '../runs/folders';
import { readRunHead } from '../runs/read';
import type { RunSummary } from '../runs/summary';
import { UsageError, type Args } from './args';
import { printableJson, say, sayRaw } from './print';

export interface FoundRun {
  dir: string;
  /** the run's name: an experiment run's name, else the folder's name */
  name: string;
  variant: string;
  seed: number;
  sweep: Record<string, unknown>;
  summary: RunSummary;
  config: ResolvedConfig;
}

export type Found =
  | { kind: 'experiment'; dir: string; record: ExperimentRecord }
  | { kind: 'run'; run: FoundRun };

async function runAt(dir: string, name: string): Promise<FoundRun | null> {
  try {
    const { summary, config } = await readRunHead(dir);
    return { dir, name, variant: summary.variant, seed: config.seed, sweep: {}, summary, config };
  } catch {
    return null;
  }
}

const isDir = (p: string) => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** What folder `p` is: an experiment, a run, or a folder of those (looked into one level, then their children). */
export async function findIn(p: string, depth = 0): Promise<Found[]> {
  if (fs.existsSync(path.join(p, EXPERIMENT_FILE))) {
    const record = readExperiment(p);
    if (record) return [{ kind: 'experiment', dir: p, record }];
  }
  const run = await runAt(p, path.basename(path.resolve(p)));
  if (run) return [{ kind: 'run', run }];
  if (depth >= 2 || !isDir(p)) return [];
  const names = fs.readdirSync(p).filter((n) => !n.startsWith('.')).sort();
  const out: Found[] = [];
  for (const n of names) {
    const child = path.join(p, n);
    if (!isDir(child)) continue;
    for (const f of await findIn(child, depth + 1)) {
      // a plain --out folder's runs are named <folder>/<variant>
      if (f.kind === 'run' && depth === 1) f.run.name = `${path.basename(path.resolve(p))}/${f.run.name}`;
      out.push(f);
    }
  }
  return out;
}

/** The runs the arguments name, each once, with unique names. */
export async function collectRuns(paths: string[]): Promise<FoundRun[]> {
  const runs: FoundRun[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new UsageError(`'${p}' does not exist`);
    const found = await findIn(p);
    if (!found.length) throw new UsageError(`'${p}' holds no run record or experiment`);
    for (const f of found) runs.push(...(f.kind === 'experiment' ? await experimentRuns(f) : [f.run]));
  }
  const seen = new Set<string>();
  const names = new Map<string, number>();
  return runs.filter((r) => !seen.has(r.dir) && seen.add(r.dir)).map((r) => {
    const n = (names.get(r.name) ?? 0) + 1;
    names.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name} (${n})` };
  });
}

/** The runs of an experiment that have a record. */
export async function experimentRuns(e: Extract<Found, { kind: 'experiment' }>): Promise<FoundRun[]> {
  const out: FoundRun[] = [];
  for (const r of e.record.runs) {
    const run = await runAt(path.join(e.dir, r.folder), r.name);
    if (run) out.push({ ...run, name: r.name, variant: r.variant, seed: r.seed, sweep: r.sweep });
  }
  return out;
}

interface Line {
  kind: 'experiment' | 'run';
  name: string;
  path: string;
  status: string;
  testAccuracy: number | null;
  steps: number;
  date: string | null;
  runs?: number;
  completed?: number;
}

function experimentLine(dir: string, rec: ExperimentRecord): Line {
  const runs = rec.runs;
  const count = (s: string) => runs.filter((r) => r.status === s).length;
  const completed = count('completed');
  const status = completed === runs.length ? 'completed'
    : count('running') ? `running ${completed}/${runs.length}`
    : `partial ${completed}/${runs.length}`;
  const acc = runs.flatMap((r) => (r.test ? [r.test.accuracy] : []));
  const dates = runs.flatMap((r) => (r.startedAt ? [r.startedAt] : [])).sort();
  return {
    kind: 'experiment', name: rec.name, path: dir, status,
    testAccuracy: acc.length ? acc.reduce((a, x) => a + x, 0) / acc.length : null,
    steps: runs.reduce((a, r) => a + r.steps, 0), date: dates[0] ?? null, runs: runs.length, completed,
  };
}

function runLine(r: FoundRun): Line {
  const s = r.summary;
  return { kind: 'run', name: r.name, path: r.dir, status: s.status, testAccuracy: s.test?.accuracy ?? null, steps: s.steps, date: s.startedAt };
}

export async function cmdRuns(args: Args): Promise<number> {
  const dir = args.config || DEFAULT_RUN_FOLDER;
  if (!isDir(dir)) throw new UsageError(`'${dir}' is not a folder${args.config ? '' : ' (no runs here yet: mlp-lens train writes them)'}`);
  const found = await findIn(dir);
  const lines = found.map((f) => (f.kind === 'experiment' ? experimentLine(f.dir, f.record) : runLine(f.run)));
  if (args.flags.has('json')) {
    sayRaw(printableJson(JSON.stringify({ dir, entries: lines }, null, 2)) + '\n');
    return 0;
  }
  if (!lines.length) {
    say(`${dir}: no runs or experiments`);
    return 0;
  }
  const rows = [['name', 'kind', 'status', 'test acc', 'steps', 'date (UTC)'], ...lines.map((l) => [
    l.name, l.kind === 'experiment' ? `experiment (${l.runs} runs)` : 'run', l.status,
    l.testAccuracy === null ? '-' : l.testAccuracy.toFixed(3), String(l.steps), l.date ? l.date.slice(0, 16).replace('T', ' ') : '-',
  ])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) say(r.map((cell, c) => (c >= 3 && c <= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
  return 0;
}
