/**
 * An output folder a run writes into (the CLI's --out DIR, or .mlp-lens/runs): checked before
 * training (creatable, a folder on a real file system, writable: a probe file is written), and
 * locked while a run writes DIR/<variant>/ folders, so that two runs never write one record.
 *
 * The lock is DIR/.mlp-lens.lock, holding {"pid", "startedAt"} and created atomically (written to
 * a temporary file, then hard-linked to its name: link() fails when the name exists). A lock
 * whose process is gone (no such pid, or a pid started after the lock was taken: reused) is taken
 * over. Problems are OutputErrors: one line naming the folder and what is wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFolderExclusive, variantFolderName } from './names';
import { SUMMARY_FILE, tryReadSummary } from './summary';

export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

export const LOCK_FILE = '.mlp-lens.lock';

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? '';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'it is on a read-only file system',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
};

function reason(e: unknown): string {
  return REASONS[code(e)] ?? (e as Error).message;
}

/** statfs magic numbers of kernel file systems that hold no files (writes there hang or mean something else). */
const PSEUDO_FS = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x64626720, 'debugfs'], [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'], [0x74726163, 'tracefs'], [0xcafe4a11, 'bpf'], [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'], [0x6165676c, 'pstore'], [0x50495045, 'pipefs'], [0x42494e4d, 'binfmt_misc'],
]);

/** What is wrong with `st` as the thing `what` must be, or null. */
function kindProblem(st: fs.Stats, wantFolder: boolean): string | null {
  if (st.isDirectory()) return wantFolder ? null : 'it is a folder';
  if (st.isFile()) return wantFolder ? 'it is a file, not a folder' : null;
  return st.isFIFO() ? 'it is a FIFO' : st.isSocket() ? 'it is a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'it is a device' : 'it is not a regular file';
}

/**
 * Creates folder `dir` and its missing parents one level at a time (Node's recursive mkdir loops
 * forever under /proc), refusing a path on a kernel pseudo file system. Returns nothing; throws
 * an OutputError naming `shown`.
 */
export function ensureFolder(dir: string, shown: string, what: string): void {
  const full = path.resolve(dir);
  const missing: string[] = [];
  let at = full;
  let st: fs.Stats | null = null;
  for (;;) {
    try {
      st = fs.statSync(at);
      break;
    } catch (e) {
      if (code(e) !== 'ENOENT') throw new OutputError(`${what} '${shown}': ${reason(e)}`);
    }
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  if (st && !st.isDirectory()) {
    throw new OutputError(`${what} '${shown}': ${at === full ? kindProblem(st, true) : `'${at}' is a file, not a folder`}`);
  }
  try {
    const fsType = PSEUDO_FS.get(Number(fs.statfsSync(at).type));
    if (fsType) throw new OutputError(`${what} '${shown}': it is on ${fsType}, a kernel file system, not a place for files`);
  } catch (e) {
    if (e instanceof OutputError) throw e;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw new OutputError(`${what} '${shown}': cannot create it: ${reason(e)}`);
    }
  }
}

/** Writes and removes a small probe file in folder `dir`: it takes files. */
function probe(dir: string, shown: string, what: string): void {
  const file = path.join(dir, `.mlp-lens-probe-${process.pid}`);
  try {
    const fd = fs.openSync(file, 'wx');
    try {
      fs.writeSync(fd, 'probe\n');
    } finally {
      fs.closeSync(fd);
      fs.unlinkSync(file);
    }
  } catch (e) {
    throw new OutputError(`${what} '${shown}': cannot write into it: ${reason(e)}`);
  }
}

/** An output folder that exists (created if need be), is a folder on a real file system and takes files. */
export function checkOutFolder(dir: string, what = '--out'): void {
  ensureFolder(dir, dir, what);
  probe(dir, dir, what);
}

/** A file to be written at the end (--report): not a folder or device, its folder created and writable. */
export function checkOutFile(file: string, what = '--report'): void {
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw new OutputError(`${what} '${file}': ${reason(e)}`);
  }
  if (st) {
    const problem = kindProblem(st, false);
    if (problem) throw new OutputError(`${what} '${file}': ${problem}; a file is required`);
  }
  if (path.basename(path.resolve(file)).length > 255) throw new OutputError(`${what} '${file}': ${REASONS.ENAMETOOLONG}`);
  const dir = path.dirname(path.resolve(file));
  ensureFolder(dir, file, what);
  probe(dir, file, what);
  if (st) {
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch (e) {
      throw new OutputError(`${what} '${file}': ${reason(e)}`);
    }
  }
}

interface LockInfo {
  pid: number;
  startedAt: number;
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.startedAt === 'number' ? { pid: v.pid, startedAt: v.startedAt } : null;
  } catch {
    return null;
  }
}

/** When process `pid` started (ms since the epoch), from /proc; null where that cannot be read. */
function processStart(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + (ticks * 1000) / 100 : null;
  } catch {
    return null;
  }
}

/** Whether the run that took `lock` still runs. */
function holderAlive(lock: LockInfo): boolean {
  try {
    process.kill(lock.pid, 0);
  } catch (e) {
    if (code(e) === 'ESRCH') return false;
  }
  const started = processStart(lock.pid);
  // a pid started after the lock was taken is another process that got the number
  return started === null || started <= lock.startedAt + 2000;
}

/**
 * Whether a live process holds DIR/.mlp-lens.lock (a run it trains). Read only when the lock is a
 * small regular file (never through a link); anything else is no live holder.
 */
export function lockHeld(dir: string): boolean {
  const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, LOCK_FILE), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > 4096) return false;
    const buf = Buffer.alloc(st.size);
    const v = JSON.parse(buf.subarray(0, fs.readSync(fd, buf, 0, st.size, 0)).toString('utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.startedAt === 'number' && holderAlive({ pid: v.pid, startedAt: v.startedAt });
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

export interface OutLock {
  file: string;
  release(): void;
}

/** Takes DIR/.mlp-lens.lock for this process, or throws an OutputError naming the lock and its pid. */
export function lockOutFolder(dir: string): OutLock {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, startedAt: Date.now() };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(mine) + '\n');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (e) {
        if (code(e) !== 'EEXIST') throw new OutputError(`--out '${dir}': cannot create the lock ${file}: ${reason(e)}`);
      }
      const held = readLock(file);
      if (attempt < 3 && held && !holderAlive(held)) {
        // the run that held it is gone (killed): take it over, if it is still that lock
        const again = readLock(file);
        if (again && again.pid === held.pid && again.startedAt === held.startedAt) fs.rmSync(file, { force: true });
        continue;
      }
      const who = held ? `pid ${held.pid}` : 'another process';
      throw new OutputError(`--out '${dir}' is in use by another run (${who}; lock file ${file})`);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const now = readLock(file);
    if (now && now.pid === mine.pid && now.startedAt === mine.startedAt) fs.rmSync(file, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return { file, release };
}

/** The files a run record holds (and the temporary files of its atomic writes), in either record format. */
export const RECORD_FILE = /^(config\.json|metrics\.jsonl|metrics\.bin|epochs\.jsonl|summary\.json|model\.json|model\.bin)(\.\d+\.tmp)?$/;

/**
 * Removes the run record in `dir` left by an earlier run into the same --out (the new run
 * replaces it): only when it is one (its summary.json reads as a run summary) and holds only
 * record files. Returns true when `dir` is gone.
 */
export function removeOldRecord(dir: string): boolean {
  if (!tryReadSummary(dir)) return false;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  if (!names.includes(SUMMARY_FILE) || !names.every((n) => RECORD_FILE.test(n))) return false;
  try {
    for (const n of names) fs.unlinkSync(path.join(dir, n));
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * The folders of a run's variants in a locked --out DIR, created (empty), in the order of
 * `variants`: DIR/<slug(variant)>, replacing an earlier run's record of that name; two variants
 * whose names slug alike get "<name>" and "<name>-2".
 */
export function newVariantFolders(dir: string, variants: string[]): string[] {
  const made = new Set<string>();
  return variants.map((v) => {
    const d = createFolderExclusive(dir, variantFolderName(v), (old) => !made.has(old) && removeOldRecord(old));
    made.add(d);
    return d;
  });
}
