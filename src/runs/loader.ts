/**
 * Run folders on disk (written by the CLI or the extension's worker) back into a RunModel, so a
 * reopened run looks the same as it did live; and grouping of folders into runs for Open Run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRunHead, readRunRecords } from './record';
import { RunModel } from './model';
import { runKeyOf } from './names';
import { SUMMARY_FILE, tryReadSummary, type RunSummary } from './summary';

export function isRunDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, SUMMARY_FILE)) && fs.existsSync(path.join(dir, 'metrics.jsonl'));
}

/**
 * Load run folders (the variants of one run) into a finished RunModel. Throws with the folder
 * named if one is unreadable. The metrics are streamed into the model's bounded history
 * (readRunRecords): a run of any length opens in the memory of its history, and the host's
 * event loop runs between chunks.
 */
export async function loadRunModel(dirs: string[], capacity: number, id: string): Promise<RunModel> {
  if (!dirs.length) throw new Error('no run folders given');
  const cannotRead = (d: string, e: unknown) => new Error(`cannot read the run in ${d}: ${(e as Error).message}`);
  const runs = dirs.map((d) => {
    try {
      return { dir: d, ...readRunHead(d), badLines: [] as number[] };
    } catch (e) {
      throw cannotRead(d, e);
    }
  });
  const first = runs[0]!;
  const model = new RunModel(id, first.summary.name, first.summary.configFile, runs.map((r) => r.config), capacity, first.summary.startedAt);
  model.dataset = null;
  for (const r of runs) {
    const variant = r.config.variant;
    try {
      r.badLines = (await readRunRecords(r.dir, (steps, epochs) => model.records(variant, steps, epochs, null))).badLines;
    } catch (e) {
      throw cannotRead(r.dir, e);
    }
    const summary: RunSummary = { ...r.summary };
    model.variantDone(variant, r.dir, summary);
    const v = model.variant(variant)!;
    v.meta.totalSteps = summary.stepsPlanned;
  }
  const bad = runs.filter((r) => r.badLines.length);
  const statuses = model.variants.map((v) => v.meta.status);
  model.finish(RunModel.overall(statuses), bad.length ? `unreadable metrics lines skipped in ${bad.map((r) => `${path.basename(r.dir)} (line ${r.badLines.join(', ')})`).join('; ')}` : null);
  return model;
}

export interface RunGroup {
  /** "lecture · 2026-11-27 21:05:09" */
  label: string;
  detail: string;
  dirs: string[];
  startedAt: string;
}

/**
 * The runs in some selected folders: a run folder itself, or the run folders directly inside
 * a folder (the CLI's --out DIR holds DIR/<variant>/; the extension writes
 * <time>-<config>-<variant>/ side by side). Variants of one run are grouped together.
 */
export function findRunGroups(selected: string[]): RunGroup[] {
  const dirs = new Set<string>();
  for (const s of selected) {
    const d = path.basename(s) === SUMMARY_FILE ? path.dirname(s) : s;
    if (isRunDir(d)) dirs.add(path.resolve(d));
    else if (fs.existsSync(d) && fs.statSync(d).isDirectory()) {
      for (const child of fs.readdirSync(d)) {
        const c = path.join(d, child);
        if (isRunDir(c)) dirs.add(path.resolve(c));
      }
    }
  }
  const groups = new Map<string, { dirs: string[]; summaries: RunSummary[] }>();
  for (const d of dirs) {
    const s = tryReadSummary(d);
    if (!s) continue;
    // <stamp>-<config>-<variant>: group by <stamp>-<config> (".2" of a second run in the same
    // second included); <out>/<variant>: group by the parent
    const key = `${path.dirname(d)}|${runKeyOf(path.basename(d), s.variant) ?? ''}`;
    const g = groups.get(key) ?? { dirs: [], summaries: [] };
    g.dirs.push(d);
    g.summaries.push(s);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => {
      const startedAt = g.summaries.map((s) => s.startedAt).sort()[0] ?? '';
      const order = g.dirs.map((d, i) => ({ d, s: g.summaries[i]! })).sort((a, b) => a.s.startedAt.localeCompare(b.s.startedAt) || a.d.localeCompare(b.d));
      return {
        label: `${g.summaries[0]!.name} · ${startedAt.slice(0, 19).replace('T', ' ')}`,
        detail: order.map((o) => `${o.s.variant} (${o.s.status})`).join(', '),
        dirs: order.map((o) => o.d),
        startedAt,
      };
    })
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
