/**
 * Following a run folder another process is writing (the panel's Follow): openRunTail(dir) reads
 * the records appended since its last read(), whole frames and whole lines only, so a frame or
 * line half-written waits for the next call. Every read() opens the files afresh (non-blocking,
 * regular files only, inside the folder: read.ts) and reads at most MAX_TAIL_READ new bytes of
 * each; a frame whose CRC fails near the end of metrics.bin may be one whose bytes are still on
 * their way (the writer writes batches positionally), so it is held back until it has failed
 * three reads in a row or the file has grown past it by two write batches, and only then
 * reported as bad and skipped.
 */
import type { EpochRecord, StepRecord } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import { readFrames } from './read-steps';
import { EPOCHS_FILE, hasRunFile, MAX_METRICS_LINE, METRICS_FILE, openRunFile, readRunConfig, readStepsHeader, realRoot, STEPS_FILE } from './read';
import type { StepsLayout } from './steps-format';
import { BATCH_BYTES } from './steps-writer';
import { checkRecord } from './validate';

/** New bytes of a file read by one read() at most (the rest waits for the next). */
export const MAX_TAIL_READ = 16 << 20;

export interface TailRead {
  steps: StepRecord[];
  epochs: EpochRecord[];
  /** bad records skipped by this read, as "frame N: reason" or "metrics.jsonl line N: reason" */
  problems: string[];
}

export interface RunTail {
  /** the form followed, once known (the first read that found the files) */
  format: 'binary' | 'jsonl' | null;
  read(): Promise<TailRead>;
}

/** A JSON-lines file followed from `state.offset`: whole lines only. */
async function tailLines(dir: string, root: string, name: string, state: { offset: number; line: number }, check: (v: unknown) => StepRecord | EpochRecord | string, out: TailRead): Promise<void> {
  if (!await hasRunFile(dir, root, name)) return;
  const { file, size } = await openRunFile(dir, root, name);
  try {
    if (size < state.offset) return; // replaced by a shorter file: nothing we can follow
    const want = Math.min(size - state.offset, MAX_TAIL_READ);
    if (want <= 0) return;
    const buf = Buffer.alloc(want);
    const { bytesRead } = await file.read(buf, 0, want, state.offset);
    let end = buf.lastIndexOf(10, bytesRead - 1);
    if (end < 0) {
      if (bytesRead < Math.min(MAX_METRICS_LINE, MAX_TAIL_READ)) return; // a line on its way
      end = bytesRead - 1; // no newline in 16 MiB: a bad line, skipped
    }
    let start = 0;
    while (start <= end) {
      let nl = buf.indexOf(10, start);
      if (nl < 0 || nl > end) nl = end + 1;
      state.line++;
      const text = buf.toString('utf8', start, nl).trim();
      start = nl + 1;
      if (!text) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        out.problems.push(`${name} line ${state.line}: not JSON (${(e as Error).message})`);
        continue;
      }
      const rec = check(value);
      if (typeof rec === 'string') out.problems.push(`${name} line ${state.line}: ${rec}`);
      else if (rec.kind === 'step') out.steps.push(rec);
      else out.epochs.push(rec);
    }
    state.offset += end + 1;
  } finally {
    await file.close();
  }
}

/** Follows the run in `dir`: each read() returns what was appended since the previous one. */
export function openRunTail(dir: string, opts: { root?: string; config?: ResolvedConfig } = {}): RunTail {
  let root: string | null = opts.root ?? null;
  let cfg: ResolvedConfig | null = opts.config ?? null;
  let layout: StepsLayout | null = null;
  let offset = 0, frames = 0;
  let held = -1, heldReads = 0;
  const lines = { offset: 0, line: 0 };
  const epochLines = { offset: 0, line: 0 };
  const tail: RunTail = {
    format: null,
    async read(): Promise<TailRead> {
      const out: TailRead = { steps: [], epochs: [], problems: [] };
      root ??= await realRoot(dir);
      cfg ??= await readRunConfig(dir, root);
      const c = cfg;
      const check = (v: unknown) => checkRecord(v, c);
      tail.format ??= await hasRunFile(dir, root, STEPS_FILE) ? 'binary' : await hasRunFile(dir, root, METRICS_FILE) ? 'jsonl' : null;
      if (tail.format === 'jsonl') {
        await tailLines(dir, root, METRICS_FILE, lines, check, out);
        return out;
      }
      if (tail.format !== 'binary') return out;
      await tailLines(dir, root, EPOCHS_FILE, epochLines, (v) => {
        const r = check(v);
        return typeof r !== 'string' && r.kind === 'step' ? 'a step record in epochs.jsonl' : r;
      }, out);
      const { file, size } = await openRunFile(dir, root, STEPS_FILE);
      try {
        if (!layout) {
          try {
            layout = await readStepsHeader(file, size, c, `${dir}/${STEPS_FILE}`);
          } catch (e) {
            if (/cut short/.test((e as Error).message)) return out; // the header is on its way
            throw e;
          }
          offset = layout.dataOffset;
        }
        const lim = { maxRows: c.batchSize, maxEpoch: c.epochs };
        const until = Math.min(size, offset + Math.floor(MAX_TAIL_READ / layout.frameBytes) * layout.frameBytes);
        const r = await readFrames(file, layout, lim, offset, until, 1 << 18, {
          steps: (s) => { for (const x of s) out.steps.push(x); },
          bad: (n, reason) => out.problems.push(`frame ${n + 1}: ${reason}`),
        }, frames, (off) => {
          // near the end: maybe still being written; hold it back for a few reads
          if (size - off >= 2 * BATCH_BYTES) return false;
          if (off !== held) { held = off; heldReads = 0; }
          return ++heldReads < 3;
        });
        offset = r.end;
        frames += r.frames;
      } finally {
        await file.close();
      }
      return out;
    },
  };
  return tail;
}
