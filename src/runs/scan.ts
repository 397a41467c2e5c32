/**
 * Scanning a folder of run folders (one per variant run) for their summaries, with a budget: at
 * most MAX_SCAN_ENTRIES entries looked at and MAX_SCAN_BYTES of summaries read per folder, every
 * file through read.ts (non-blocking opens, size caps, symlinks kept inside the folder scanned).
 * What is skipped is reported with its reason; a folder without a summary.json (not a run) is
 * skipped silently.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { hasRunFile, MAX_HEAD_BYTES, METRICS_FILE, readRunSummary, STEPS_FILE, realRoot, resolveInside, RunReadError } from './read';
import type { RunSummary } from './summary';

/** Entries of one folder looked at, at most. */
export const MAX_SCAN_ENTRIES = 2000;
/** Bytes of summary files read in one folder's scan, at most. */
export const MAX_SCAN_BYTES = 32 << 20;

export interface ScannedRun {
  /** the variant's folder (as found: inside the scanned folder, symlinks not resolved) */
  dir: string;
  /** the folder the run's files must stay inside */
  root: string;
  summary: RunSummary;
}

export interface ScanOptions {
  /** also require metrics.bin or metrics.jsonl (Open Run needs it; the side view does not) */
  needMetrics?: boolean;
  /** told each run folder skipped (and a scan cut short), with the reason */
  report?: (message: string) => void;
  maxEntries?: number;
  maxBytes?: number;
}

/** Is `dir` (real path `real`) a run folder: is there a summary.json (and metrics.bin or metrics.jsonl)? */
async function readRun(dir: string, root: string, needMetrics: boolean): Promise<RunSummary | null> {
  try {
    await resolveInside(root, path.join(dir, 'summary.json'));
  } catch (e) {
    if (e instanceof RunReadError && e.missing) return null; // not a run folder
    throw e;
  }
  const summary = await readRunSummary(dir, root);
  // metrics.bin, or else metrics.jsonl (its absence is the error reported)
  if (needMetrics && !await hasRunFile(dir, root, STEPS_FILE)) await resolveInside(root, path.join(dir, METRICS_FILE));
  return summary;
}

/** The run in `dir` itself (a folder opened directly), or null when it is none; problems reported. */
export async function scanOne(dir: string, opts: ScanOptions = {}): Promise<ScannedRun | null> {
  try {
    const root = await realRoot(dir);
    const summary = await readRun(dir, root, opts.needMetrics ?? false);
    return summary ? { dir: path.resolve(dir), root, summary } : null;
  } catch (e) {
    if (!(e instanceof RunReadError && e.missing)) opts.report?.(`skipped ${dir}: ${(e as Error).message}`);
    return null;
  }
}

/**
 * The runs directly inside `folder`: each entry that is a folder (or a symlink to a folder inside
 * `folder`) with a summary.json that reads as one. Never throws.
 */
export async function scanRunFolder(folder: string, opts: ScanOptions = {}): Promise<ScannedRun[]> {
  const maxEntries = opts.maxEntries ?? MAX_SCAN_ENTRIES, maxBytes = opts.maxBytes ?? MAX_SCAN_BYTES;
  const out: ScannedRun[] = [];
  let root: string, dirHandle: Awaited<ReturnType<typeof fsp.opendir>>;
  try {
    root = await realRoot(folder);
    dirHandle = await fsp.opendir(root);
  } catch {
    return out; // no such folder (yet): no runs
  }
  let entries = 0, bytes = 0;
  try {
    for await (const ent of dirHandle) {
      if (++entries > maxEntries) {
        opts.report?.(`stopped looking in ${folder} after ${maxEntries} entries`);
        break;
      }
      // a folder, a symlink, or (on file systems that do not say) unknown
      if (ent.isFile() || ent.isFIFO() || ent.isSocket() || ent.isCharacterDevice() || ent.isBlockDevice()) continue;
      const dir = path.join(folder, ent.name);
      try {
        const real = await resolveInside(root, dir);
        const st = await fsp.stat(real);
        if (!st.isDirectory()) continue;
        const summaryFile = await resolveInside(root, path.join(dir, 'summary.json')).catch((e: unknown) => {
          if (e instanceof RunReadError && e.missing) return null;
          throw e;
        });
        if (!summaryFile) continue;
        // only what is read counts against the budget: a summary over the cap is refused unread
        // (by readRun, with its reason), so a huge or sparse one cannot end the scan for the rest
        const size = (await fsp.lstat(summaryFile)).size;
        if (size <= MAX_HEAD_BYTES) {
          if (bytes + size > maxBytes) {
            opts.report?.(`stopped looking in ${folder} after ${bytes} bytes of summaries`);
            break;
          }
          bytes += size;
        }
        const summary = await readRun(dir, root, opts.needMetrics ?? false);
        if (summary) out.push({ dir, root, summary });
      } catch (e) {
        if (!(e instanceof RunReadError && e.missing)) opts.report?.(`skipped ${dir}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    opts.report?.(`stopped looking in ${folder}: ${(e as Error).message}`);
  } finally {
    await dirHandle.close().catch(() => undefined);
  }
  return out;
}
