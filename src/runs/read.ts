/**
 * Reading run folders back (the recorder in record.ts writes them). A run folder may come from
 * anywhere, a cloned repository included, and is read by the extension host's thread (the side
 * view's "last run", Open Run, a restored panel) and by the CLI; so nothing it holds may hang,
 * exhaust or crash the reader:
 * - every file is opened non-blocking and checked by fstat on the open handle (a FIFO, device,
 *   socket or folder is refused before a byte is read), small files against a size cap before
 *   anything is allocated (src/node/io.ts readRegularFile);
 * - a symlink (the variant folder, summary.json, config.json, metrics.jsonl) is resolved and
 *   refused when it leads out of the folder being read (`root`);
 * - config.json is checked as a resolved config of the sizes the schema allows, and every
 *   metrics line against it (validate.ts), before anything is built from them;
 * - metrics.jsonl is streamed up to the size it had when opened, one line at most
 *   MAX_METRICS_LINE bytes (a longer one is a bad line, skipped up to the next newline).
 * What is refused throws a RunReadError naming the file and the reason.
 */
import { constants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, StepRecord } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import { readRegularFile } from '../node/io';
import type { LayerMeta } from '../shared/columns';
import { readFrames, type PackedMeans } from './read-steps';
import { EPOCHS_FILE, MAX_STEPS_HEADER, parseStepsHeader, STEPS_FILE, type StepsLayout } from './steps-format';
import { SUMMARY_FILE, summaryProblem, type RunSummary } from './summary';
import { configProblem, recordCheckFor } from './validate';

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export { EPOCHS_FILE, STEPS_FILE };
/** The largest summary.json and config.json read (real ones are a few KB). */
export const MAX_HEAD_BYTES = 1 << 20;
/** The longest metrics line read (a real one, 16 layers of 4096 units with histograms, is under 2 MB). */
export const MAX_METRICS_LINE = 16 << 20;
/** Bytes of metrics.jsonl read at a time by readRunRecords (about 10 ms of parsing on this kind of machine). */
export const METRICS_CHUNK = 1 << 18;
/** Bad lines whose numbers and reasons are kept (all are counted). */
const KEEP_BAD = 100;
/** Reading stops once this many lines were bad and more were bad than good: it is not a metrics file. */
const GIVE_UP_BAD = 1000;

/** A run folder, or a file in one, that cannot be read; the message names it and why. */
export class RunReadError extends Error {
  /** the file or folder is not there at all (a folder without a run, rather than a broken one) */
  readonly missing: boolean;
  constructor(message: string, missing = false) {
    super(message);
    this.name = 'RunReadError';
    this.missing = missing;
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long', ENOTDIR: 'a part of the path is not a folder',
};
const reasonOf = (e: unknown): string => REASONS[(e as NodeJS.ErrnoException).code ?? ''] ?? (e as Error).message;

/** `p`'s real path, refused when it is not inside `root` (a real path: see realRoot). */
export async function resolveInside(root: string, p: string): Promise<string> {
  let real: string;
  try {
    real = await fsp.realpath(p);
  } catch (e) {
    throw new RunReadError(`cannot read ${p}: ${reasonOf(e)}`, (e as NodeJS.ErrnoException).code === 'ENOENT');
  }
  const rel = path.relative(root, real);
  if (rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) {
    throw new RunReadError(`cannot read ${p}: it is a symbolic link to ${real}, outside ${root}`);
  }
  return real;
}

/** A folder's real path (symlinks in it resolved), the root its run files must stay inside. */
export async function realRoot(dir: string): Promise<string> {
  try {
    return await fsp.realpath(dir);
  } catch (e) {
    throw new RunReadError(`cannot read ${dir}: ${reasonOf(e)}`, (e as NodeJS.ErrnoException).code === 'ENOENT');
  }
}

/** A small JSON file of a run folder, parsed; `what` names it in messages ("summary file"). */
async function readSmallJson(root: string, file: string, what: string): Promise<unknown> {
  const real = await resolveInside(root, file);
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(real, file, what, MAX_HEAD_BYTES);
  } catch (e) {
    throw new RunReadError((e as Error).message);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RunReadError(`${file} is not UTF-8 text`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RunReadError(`${file} is not JSON: ${(e as Error).message}`);
  }
}

/** A run folder's summary.json, checked; `root`: the folder it must stay inside (default: `dir`). */
export async function readRunSummary(dir: string, root?: string): Promise<RunSummary> {
  const file = path.join(dir, SUMMARY_FILE);
  const value = await readSmallJson(root ?? await realRoot(dir), file, 'summary file');
  const problem = summaryProblem(value);
  if (problem) throw new RunReadError(`${file} is not a run summary: ${problem}`);
  return value as RunSummary;
}

/** A run folder's config.json, checked as a resolved config of sane sizes. */
export async function readRunConfig(dir: string, root?: string): Promise<ResolvedConfig> {
  const file = path.join(dir, CONFIG_FILE);
  const value = await readSmallJson(root ?? await realRoot(dir), file, 'run config');
  const problem = configProblem(value);
  if (problem) throw new RunReadError(`${file} is not a run's resolved config: ${problem}`);
  return value as ResolvedConfig;
}

/** A run folder's summary and config (small files, read whole and checked). */
export async function readRunHead(dir: string, root?: string): Promise<{ summary: RunSummary; config: ResolvedConfig }> {
  const r = root ?? await realRoot(dir);
  const summary = await readRunSummary(dir, r);
  const config = await readRunConfig(dir, r);
  return { summary, config };
}

/** A metrics line's value as a record, or why it is not one (see validate.ts checkRecord). */
export type RecordCheck = (value: unknown) => StepRecord | EpochRecord | string;

export interface MetricsRead {
  /** the form read: metrics.bin (with epochs.jsonl) or metrics.jsonl */
  format: 'binary' | 'jsonl';
  /** the first bad lines' (frames') numbers (1-based; at most 100 kept) */
  badLines: number[];
  /** the first bad lines' reasons, as "line N: reason" ("frame N: reason", "epochs.jsonl line N: reason") */
  problems: string[];
  /** every bad line */
  badCount: number;
  goodCount: number;
  /** set when reading gave up (too many bad lines): the line it stopped at */
  stoppedAt: number | null;
}

export interface ReadRecordsOptions {
  /** bytes read at a time */
  chunk?: number;
  /** the folder the file must stay inside (default: `dir`) */
  root?: string;
  /** the longest line read */
  maxLine?: number;
  /** the run's config (default: its config.json, read): the frames' layout and bounds */
  config?: ResolvedConfig;
  /**
   * metrics.bin's frames packed for the column store instead of step records (`take` then gets
   * epoch records only): meta, numbers (RecordPacker's layout), count, the last step and epoch
   */
  packed?: (meta: LayerMeta[], data: Float64Array, count: number, last: { step: number; epoch: number }, epochs: EpochRecord[], means?: PackedMeans) => void;
  /** with `packed`: the frames each record averages, given the file's frames (1: every frame its own record) */
  stride?: (frames: number) => number;
}

/** A run file (`name` in `dir`) opened non-blocking and checked to be a regular file; its size when opened. */
export async function openRunFile(dir: string, root: string, name: string): Promise<{ file: fsp.FileHandle; size: number }> {
  const shown = path.join(dir, name);
  const real = await resolveInside(root, shown);
  let file: fsp.FileHandle;
  try {
    file = await fsp.open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new RunReadError(`cannot read ${shown}: ${reasonOf(e)}`, (e as NodeJS.ErrnoException).code === 'ENOENT');
  }
  try {
    const st = await file.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new RunReadError(`cannot read ${shown}: it is ${kind}; a regular file is required`);
    }
    return { file, size: st.size };
  } catch (e) {
    await file.close();
    throw e instanceof RunReadError ? e : new RunReadError(`cannot read ${shown}: ${reasonOf(e)}`);
  }
}

/**
 * A JSON-lines file of a run folder (metrics.jsonl, epochs.jsonl), streamed: `chunk` bytes at a time, each chunk's whole lines
 * parsed, checked by `check` and handed to `take` (step and epoch records in file order), then the
 * next read. Memory stays at a chunk (a line, at most MAX_METRICS_LINE) and its records whatever
 * the file's size, and the thread gets back its event loop between chunks. Reading stops at the
 * size the file had when opened. Lines are cut at newline bytes, which never occur inside a UTF-8
 * character. Lines that fail to parse or to check are counted and reported (1-based), not fatal;
 * a line longer than `maxLine` is one bad line, skipped up to the next newline.
 */
export async function readJsonLines(
  dir: string, name: string, check: RecordCheck, take: (steps: StepRecord[], epochs: EpochRecord[]) => void, opts: ReadRecordsOptions = {},
): Promise<MetricsRead> {
  const chunk = Math.max(1, opts.chunk ?? METRICS_CHUNK);
  const maxLine = Math.max(chunk, opts.maxLine ?? MAX_METRICS_LINE);
  const out: MetricsRead = { format: 'jsonl', badLines: [], problems: [], badCount: 0, goodCount: 0, stoppedAt: null };
  const { file, size } = await openRunFile(dir, opts.root ?? await realRoot(dir), name);
  let lineNo = 0;
  const bad = (reason: string) => {
    out.badCount++;
    if (out.badLines.length < KEEP_BAD) {
      out.badLines.push(lineNo);
      out.problems.push(`line ${lineNo}: ${reason}`);
    }
  };
  try {
    let buf = Buffer.alloc(Math.min(chunk, maxLine));
    let have = 0; // bytes in buf not yet parsed (a line's start at buf[0])
    let skipping = false; // inside a line too long to read: drop bytes up to the next newline
    let left = size;
    const parse = (from: number, end: number, last: boolean): number => {
      const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
      let start = from;
      for (;;) {
        let nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= end) {
          if (!last || start >= end) break;
          nl = end; // the file's last line, without a newline
        }
        if (out.badCount >= GIVE_UP_BAD && out.badCount > out.goodCount) {
          out.stoppedAt = lineNo;
          break;
        }
        lineNo++;
        const line = start;
        start = nl + 1;
        let i = line;
        while (i < nl && (buf[i] === 32 || buf[i] === 9 || buf[i] === 13)) i++;
        if (i === nl) continue; // an empty line
        if (buf[i] !== 123) { bad('not a JSON object'); continue; } // "{"
        let value: unknown;
        try {
          value = JSON.parse(buf.toString('utf8', line, nl));
        } catch (e) {
          bad(`not JSON (${(e as Error).message})`);
          continue;
        }
        const rec = check(value);
        if (typeof rec === 'string') { bad(rec); continue; }
        out.goodCount++;
        if (rec.kind === 'step') steps.push(rec);
        else epochs.push(rec);
      }
      if (steps.length || epochs.length) take(steps, epochs);
      return Math.min(start, end);
    };
    for (;;) {
      if (have === buf.length) {
        if (buf.length >= maxLine) {
          // one line longer than maxLine: a bad line; what is left of it is skipped
          lineNo++;
          bad(`longer than ${maxLine} bytes`);
          skipping = true;
          have = 0;
        } else {
          const bigger = Buffer.alloc(Math.min(buf.length * 2, maxLine));
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
      }
      const want = Math.min(buf.length - have, left);
      const { bytesRead } = want > 0 ? await file.read(buf, have, want, null) : { bytesRead: 0 };
      left -= bytesRead;
      const last = bytesRead === 0 || left <= 0;
      const end = have + bytesRead;
      let from = 0;
      if (skipping) {
        const nl = buf.subarray(0, end).indexOf(10);
        if (nl < 0) {
          have = 0;
          if (last) break;
          continue;
        }
        skipping = false;
        from = nl + 1;
      }
      const used = parse(from, end, last);
      if (last || out.stoppedAt !== null) break;
      buf.copy(buf, 0, used, end);
      have = end - used;
    }
  } finally {
    await file.close();
  }
  return out;
}

/** A run folder's records (as readRunRecords), each checked against the folder's own config.json. */
export async function readCheckedRecords(
  dir: string, take: (steps: StepRecord[], epochs: EpochRecord[]) => void, opts: ReadRecordsOptions = {},
): Promise<MetricsRead> {
  const root = opts.root ?? await realRoot(dir);
  const { config } = await readRunHead(dir, root);
  return readRunRecords(dir, recordCheckFor(config), take, { ...opts, root });
}

/** Bad records whose numbers and reasons are kept in `out`. */
function noteBad(out: MetricsRead, n: number, reason: string): void {
  out.badCount++;
  if (out.badLines.length < KEEP_BAD) {
    out.badLines.push(n);
    out.problems.push(reason);
  }
}

/** Is `name` in the run folder (a missing file, rather than one that cannot be read)? */
export async function hasRunFile(dir: string, root: string, name: string): Promise<boolean> {
  try {
    await resolveInside(root, path.join(dir, name));
    return true;
  } catch (e) {
    if (e instanceof RunReadError && e.missing) return false;
    throw e;
  }
}

/** metrics.bin's header (opened as `file`, `size` bytes), checked against the run's config. */
export async function readStepsHeader(file: fsp.FileHandle, size: number, cfg: ResolvedConfig, shown: string): Promise<StepsLayout> {
  let head = Buffer.alloc(Math.min(size, 12));
  for (;;) {
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const r = parseStepsHeader(head.subarray(0, bytesRead), cfg);
    if (typeof r === 'string') throw new RunReadError(`${shown} is not a run's step records: ${r}`);
    if ('layout' in r) return r.layout;
    if (r.need > size || r.need > 12 + MAX_STEPS_HEADER || bytesRead < head.length) throw new RunReadError(`${shown} is cut short in its header`);
    head = Buffer.alloc(r.need);
  }
}

/**
 * A run folder's step and epoch records, in training order, streamed: from metrics.bin (frames,
 * chunk bytes at a time) and epochs.jsonl when the folder has a metrics.bin, else from
 * metrics.jsonl (readJsonLines). Epoch records (a handful) are read first and handed over with
 * the steps they follow. Bad frames and lines are counted and reported, not fatal; metrics.bin's
 * header must be the one the run's config implies (field for field), or nothing is read.
 */
export async function readRunRecords(
  dir: string, check: RecordCheck, take: (steps: StepRecord[], epochs: EpochRecord[]) => void, opts: ReadRecordsOptions = {},
): Promise<MetricsRead> {
  const root = opts.root ?? await realRoot(dir);
  if (!await hasRunFile(dir, root, STEPS_FILE)) return readJsonLines(dir, METRICS_FILE, check, take, { ...opts, root });
  const cfg = opts.config ?? await readRunConfig(dir, root);
  const out: MetricsRead = { format: 'binary', badLines: [], problems: [], badCount: 0, goodCount: 0, stoppedAt: null };
  const epochs: EpochRecord[] = [];
  if (await hasRunFile(dir, root, EPOCHS_FILE)) {
    const m = await readJsonLines(dir, EPOCHS_FILE, (v) => {
      const r = check(v);
      return typeof r !== 'string' && r.kind === 'step' ? 'a step record in epochs.jsonl' : r;
    }, (_s, e) => { for (const r of e) epochs.push(r); }, { ...opts, root });
    out.goodCount += m.goodCount;
    out.stoppedAt = m.stoppedAt;
    for (let i = 0; i < m.badCount; i++) noteBad(out, m.badLines[i] ?? 0, `${EPOCHS_FILE} ${m.problems[i] ?? ''}`);
  }
  let ei = 0;
  const upTo = (step: number): EpochRecord[] => {
    const from = ei;
    while (ei < epochs.length && epochs[ei]!.step <= step) ei++;
    return epochs.slice(from, ei);
  };
  const shown = path.join(dir, STEPS_FILE);
  const { file, size } = await openRunFile(dir, root, STEPS_FILE);
  try {
    const layout = await readStepsHeader(file, size, cfg, shown);
    const lim = { maxRows: cfg.batchSize, maxEpoch: cfg.epochs };
    const packed = opts.packed;
    // into the history: chunks of 1 MiB keep the reads (on the thread pool) ahead of the decoding
    await readFrames(file, layout, lim, layout.dataOffset, size, Math.max(1, opts.chunk ?? (packed ? 4 * METRICS_CHUNK : METRICS_CHUNK)), {
      steps: packed ? undefined : (s) => { out.goodCount += s.length; take(s, upTo(s[s.length - 1]!.step)); },
      packed: packed ? (meta, data, count, last, means) => {
        if (means) for (let i = 0; i < count; i++) out.goodCount += means.weights[i]!;
        else out.goodCount += count;
        packed(meta, data, count, last, upTo(last.step), means);
      } : undefined,
      stride: packed && opts.stride ? opts.stride(Math.floor(Math.max(0, size - layout.dataOffset) / layout.frameBytes)) : 1,
      bad: (n, reason) => noteBad(out, n + 1, `frame ${n + 1}: ${reason}`),
    });
  } finally {
    await file.close();
  }
  if (ei < epochs.length) take([], epochs.slice(ei));
  return out;
}
