/**
 * Run folder names, built and parsed back here only. A run of a config writes one folder per
 * variant, side by side in a run folder:
 *   <stamp>-<config>-<variant>    e.g. 2026-11-27T21-05-09-lecture-relu_he
 * <stamp> is the UTC second the run started (file-name safe); a second run of the same config
 * within the same second gets "<second>.2", then ".3", ..., so it never writes into the first
 * run's folders. The CLI with --out DIR writes DIR/<variant>/ instead (no stamp).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A name part that is safe in a file name on every platform ("sigmoid+glorot" -> "sigmoid_glorot"). */
export function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}

/** 2026-11-27T21-05-09 (local time is ambiguous; UTC, file-name safe). */
export function timeStamp(d = new Date()): string {
  return d.toISOString().slice(0, 19).replace(/:/g, '-');
}

/** The folder name of one variant of a run: <stamp>-<config>-<variant>. */
export function runFolderName(stamp: string, config: string, variant: string): string {
  return `${stamp}-${slug(config)}-${slug(variant)}`;
}

/** The folder of one variant under CLI's --out DIR: DIR/<variant>. */
export function variantFolderName(variant: string): string {
  return slug(variant);
}

/**
 * A stamp under which none of the run's folders `<outDir>/<stamp>-<config>-<variant>` exists
 * yet: the time, or "<time>.2", "<time>.3", ... when a run of that second has any of them.
 */
export function freshStamp(outDir: string, runs: { name: string; variant: string }[], now = new Date()): string {
  const base = timeStamp(now);
  for (let n = 1; ; n++) {
    const stamp = n === 1 ? base : `${base}.${n}`;
    if (runs.every((r) => !fs.existsSync(path.join(outDir, runFolderName(stamp, r.name, r.variant))))) return stamp;
  }
}

/** A new run's stamp and its variants' folders in `outDir`, in the order of `runs`. */
export function newRunFolders(outDir: string, runs: { name: string; variant: string }[], now = new Date()): { stamp: string; dirs: string[] } {
  const stamp = freshStamp(outDir, runs, now);
  return { stamp, dirs: runs.map((r) => path.join(outDir, runFolderName(stamp, r.name, r.variant))) };
}

export interface RunFolderStamp {
  /** the whole stamp, suffix included: "2026-11-27T21-05-09.2" */
  stamp: string;
  /** "2026-11-27T21-05-09" */
  second: string;
  /** 1 for the first run of that second, 2 for ".2", ... */
  n: number;
}

const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)(?:\.(\d+))?(?=-|$)/;

/** The stamp a run folder's name starts with (its ".N" suffix kept), or null for a name without one. */
export function parseStamp(folderName: string): RunFolderStamp | null {
  const m = STAMPED.exec(folderName);
  if (!m) return null;
  return { stamp: m[0], second: m[1]!, n: m[2] === undefined ? 1 : Number(m[2]) };
}

/** Stamps in the order the runs started: by second, then by their ".N" (".10" after ".9"). */
export function compareStamps(a: RunFolderStamp, b: RunFolderStamp): number {
  return a.second < b.second ? -1 : a.second > b.second ? 1 : a.n - b.n;
}

/**
 * The part of a variant's folder name its run shares with the run's other variants:
 * "<stamp>-<config>" for <stamp>-<config>-<variant>, or null for a name that does not end in
 * "-<variant>" (CLI --out DIR/<variant>/: those group by their parent folder).
 */
export function runKeyOf(folderName: string, variant: string): string | null {
  const suffix = `-${slug(variant)}`;
  return folderName.endsWith(suffix) && folderName.length > suffix.length ? folderName.slice(0, -suffix.length) : null;
}
