/**
 * Run folder names, built and parsed back here only. A run of a config writes one folder per
 * variant, side by side in a run folder:
 *   <stamp>-<config>-<variant>    e.g. 2026-11-27T21-05-09-lecture-relu_he
 * <stamp> is the UTC second the run started (file-name safe); a second run of the same config
 * within the same second gets "<second>.2", then ".3", ..., so it never writes into the first
 * run's folders. The CLI with --out DIR writes DIR/<variant>/ instead (no stamp).
 *
 * Names are safe by construction: slug() keeps only [A-Za-z0-9._-], never starts with a dot
 * (no ".", "..", hidden files), and is at most MAX_NAME_BYTES long; a name is never empty. And
 * folders are created exclusively (mkdir of the leaf without `recursive`): when the name is taken
 * (two variants whose names slug alike, "relu/he" and "relu he", or another process), the next
 * free "<name>-2", "<name>-3", ... is used, so two writers never share a folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The longest name part slug() returns (bytes; its output is ASCII). */
export const MAX_NAME_BYTES = 100;

/**
 * A name part that is safe in a file name on every platform ("sigmoid+glorot" -> "sigmoid_glorot"):
 * no separator, control character or leading dot, at most MAX_NAME_BYTES, never empty ("run").
 */
export function slug(text: string): string {
  const s = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+/, '').slice(0, MAX_NAME_BYTES).replace(/_+$/, '');
  return s || 'run';
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

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** The largest "-N" suffix tried before giving up on a name. */
const MAX_SUFFIX = 10_000;

/**
 * Creates `<parent>/<name>`, or the first free `<name>-2`, `<name>-3`, ... exclusively (the leaf
 * without `recursive`: EEXIST means someone else has it) and returns its path. `reuse(dir)` may
 * clear an existing folder to be created afresh (it returns true when it removed it).
 */
export function createFolderExclusive(parent: string, name: string, reuse?: (dir: string) => boolean): string {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const dir = path.join(parent, n === 1 ? name : `${name}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
    if (reuse?.(dir)) {
      try {
        fs.mkdirSync(dir);
        return dir;
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
    }
  }
  throw new Error(`cannot create a folder for '${name}' in ${parent}: ${MAX_SUFFIX} names taken`);
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

/**
 * A new run's stamp and its variants' folders in `outDir` (created, empty), in the order of
 * `runs`. Two variants whose names slug alike get "<name>" and "<name>-2"; a stamp another
 * process took meanwhile (one of its folders appeared between freshStamp and mkdir) is given up
 * (the folders made for it removed) for the next one.
 */
export function newRunFolders(outDir: string, runs: { name: string; variant: string }[], now = new Date()): { stamp: string; dirs: string[] } {
  fs.mkdirSync(outDir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const stamp = freshStamp(outDir, runs, now);
    const dirs: string[] = [];
    let taken = false;
    for (const r of runs) {
      const name = runFolderName(stamp, r.name, r.variant);
      const mine = dirs.some((d) => path.basename(d) === name);
      if (!mine) {
        try {
          fs.mkdirSync(path.join(outDir, name));
          dirs.push(path.join(outDir, name));
          continue;
        } catch (e) {
          if (errCode(e) !== 'EEXIST') throw e;
          taken = true;
          break;
        }
      }
      dirs.push(createFolderExclusive(outDir, name));
    }
    if (!taken || attempt >= 100) {
      if (taken) throw new Error(`cannot find a free run folder name in ${outDir}`);
      return { stamp, dirs };
    }
    for (const d of dirs) fs.rmdirSync(d); // empty: just made
  }
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
 * "-<variant>" or "-<variant>-<N>" (CLI --out DIR/<variant>/: those group by their parent folder).
 */
export function runKeyOf(folderName: string, variant: string): string | null {
  const base = folderName.replace(/-\d+$/, '');
  for (const name of base === folderName ? [folderName] : [folderName, base]) {
    const suffix = `-${slug(variant)}`;
    if (name.endsWith(suffix) && name.length > suffix.length) return name.slice(0, -suffix.length);
  }
  return null;
}
