/**
 * Run records on disk, written as training goes, so a run killed at any moment leaves every
 * line already written readable:
 *   config.json    the resolved config (seed included)
 *   metrics.jsonl  one JSON object per line: step records and epoch records
 *   summary.json   status and results; rewritten atomically (temp file + rename) at epoch ends (at
 *                  most once a second while training) and when the run ends
 *   model.json     the weights, when the run ends (completed, stopped or diverged), with model.bin
 * Metrics lines go out in write() calls of whole lines, so a line is either whole or absent; a
 * training session writes them at the end of every time slice (50 ms or less), so a run killed
 * at any moment has lost at most its last slice's lines. A write that fails (a full disk) is cut
 * back to the last whole line; the recorder then stops writing and the run ends "failed", the
 * reason in summary.json when the disk still takes that (see RunRecorder.failure).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Network } from '../engine/network';
import type { EpochRecord, StepRecord } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import { writeJsonAtomic } from './atomic';
import { writeModel } from './model-file';
import { RecordWriteError, writeAllSync, writeFailure } from './faults';
import { newSummary, SUMMARY_FILE, writeSummary, type RunMeta, type RunSummary } from './summary';

/** Characters of metrics lines held before they are written (see RunRecorder.line). */
const PENDING_CHARS = 64 * 1024;

export class RunRecorder {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingChars = 0;
  /** bytes of whole lines in metrics.jsonl (a failed write is cut back to this) */
  private bytes = 0;
  summary: RunSummary;
  /**
   * The first write that failed (a full disk, ...). From then on the recorder writes nothing but
   * the summary marked "failed" (markFailed), and the training session ends the run.
   */
  failure: RecordWriteError | null = null;

  /** `meta`: runMeta(trainer). Throws a RecordWriteError when the folder cannot be written. */
  constructor(readonly dir: string, cfg: ResolvedConfig, configFile: string | null, meta: RunMeta) {
    let file = dir;
    let fd: number | null = null;
    try {
      fs.mkdirSync(dir, { recursive: true });
      file = path.join(dir, 'config.json');
      writeJsonAtomic(file, cfg);
      file = path.join(dir, 'metrics.jsonl');
      fd = fs.openSync(file, 'w'); // a run folder reused with --out starts afresh
      this.summary = newSummary(cfg, configFile, meta);
      file = path.join(dir, SUMMARY_FILE);
      writeSummary(this.dir, this.summary);
    } catch (e) {
      if (fd !== null) fs.closeSync(fd);
      throw writeFailure(file, e);
    }
    this.fd = fd;
  }

  /**
   * Lines wait in memory until 64 KB of them are there, the training session ends a slice
   * (flush), the summary is written or the recorder is closed: one write() per batch of whole
   * lines instead of one per line (a write cost about as much as the step of a small network).
   */
  line(rec: StepRecord | EpochRecord): void {
    if (this.failure) return;
    const text = JSON.stringify(rec) + '\n';
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= PENDING_CHARS) this.flush();
  }

  /**
   * Write the waiting lines out (whole lines, in one write() call). A write that fails part way
   * is cut back to the last whole line and recorded as the failure; it does not throw.
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (this.failure) return;
    try {
      this.bytes += writeAllSync(this.fd, text, path.join(this.dir, 'metrics.jsonl'));
    } catch (e) {
      this.fail(path.join(this.dir, 'metrics.jsonl'), e);
      try {
        fs.ftruncateSync(this.fd, this.bytes);
      } catch {
        // the lines before stay whole either way; a torn tail is what readers skip
      }
    }
  }

  /** Rewrites summary.json (after the lines it describes); a failure is recorded, not thrown. */
  writeSummary(): void {
    this.flush(); // the summary never gets ahead of the lines
    if (this.failure) return;
    try {
      writeSummary(this.dir, this.summary);
    } catch (e) {
      this.fail(path.join(this.dir, SUMMARY_FILE), e);
    }
  }

  /** Records the first failed write (`e`, writing `file`); later writes are skipped. */
  fail(file: string, e: unknown): void {
    this.failure ??= writeFailure(file, e);
    this.pending = [];
    this.pendingChars = 0;
  }

  /** The summary says "failed" and why, written if the disk still takes it (a summary is small). */
  markFailed(): void {
    if (!this.failure) return;
    this.summary.status = 'failed';
    this.summary.failure = this.failure.message;
    this.summary.finishedAt ??= new Date().toISOString();
    try {
      writeSummary(this.dir, this.summary);
    } catch {
      // no room for the temporary file: rewrite summary.json in place (its own blocks are
      // freed by the truncation and taken again; not atomic, but the last word on this run)
      try {
        fs.writeFileSync(path.join(this.dir, SUMMARY_FILE), JSON.stringify(this.summary, null, 2) + '\n');
      } catch {
        // the disk took nothing more: summary.json stays the last one written ("running")
      }
    }
  }

  /** The weights: model.bin and model.json (model-file.ts; a Stop waits for them). */
  writeModel(net: Network): void {
    writeModel(this.dir, net);
  }

  close(): void {
    this.flush();
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      this.fail(path.join(this.dir, 'metrics.jsonl'), e);
    }
  }
}
