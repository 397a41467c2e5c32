/**
 * Run records on disk, written as training goes, so a run killed at any moment leaves every
 * record already written readable:
 *   config.json    the resolved config (seed included)
 *   metrics.bin    step records as fixed-size binary frames (steps-format.ts), and
 *   epochs.jsonl   epoch records, one JSON object per line; or, with the "jsonl" format,
 *   metrics.jsonl  step and epoch records, one JSON object per line (what older versions wrote)
 *   summary.json   status and results; rewritten atomically (temp file + rename) at epoch ends (at
 *                  most once a second while training) and when the run ends
 *   model.json     the weights, when the run ends (completed, stopped or diverged), with model.bin
 *   state.json     what continuing needs beyond the weights, when the run ends stopped or
 *                  completed, with state.bin (train-state.ts)
 * Frames are encoded into a batch buffer as they come and written out whole (steps-writer.ts) at
 * most every 200 ms of training, when 256 KiB wait, before summary.json and when the run ends;
 * JSON lines go out in write() calls of whole lines at the end of every time slice. A write that
 * fails (a full disk) is cut back to the last whole frame or line; the recorder then stops writing
 * and the run ends "failed", the reason in summary.json when the disk still takes that
 * (see RunRecorder.failure).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Network } from '../engine/network';
import type { EpochRecord, StepRecord, TrainerState } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import { writeJsonAtomic } from './atomic';
import { writeModel } from './model-file';
import { RecordWriteError, writeAllSync, writeFailure } from './faults';
import { EPOCHS_FILE, STEPS_FILE, writerLayout } from './steps-format';
import { StepsWriter } from './steps-writer';
import { dropTrainState, writeTrainState } from './train-state';
import { newSummary, SUMMARY_FILE, writeSummary, type RunMeta, type RunSummary } from './summary';

/** How step records are written: metrics.bin (and epochs.jsonl), or metrics.jsonl. */
export type RecordFormat = 'binary' | 'jsonl';
export const RECORD_FORMATS: readonly RecordFormat[] = ['binary', 'jsonl'];

/** Characters of metrics lines held before they are written (see RunRecorder.line). */
const PENDING_CHARS = 64 * 1024;
/** Frames wait at most this long (ms of training) before they are written. */
export const SHIP_MS = 200;

export class RunRecorder {
  /** the JSON-lines file: metrics.jsonl, or epochs.jsonl beside metrics.bin */
  private readonly fd: number;
  private readonly linesFile: string;
  private steps: StepsWriter | null = null;
  private pending: string[] = [];
  private pendingChars = 0;
  /** bytes of whole lines in the lines file (a failed write is cut back to this) */
  private bytes = 0;
  /** a summary to write once the frames before it are written */
  private summaryDue = false;
  /** for rows(): steps per epoch, batch size, training examples */
  private readonly spe: number;
  private readonly batch: number;
  private readonly examples: number;
  summary: RunSummary;
  /**
   * The first write that failed (a full disk, ...). From then on the recorder writes nothing but
   * the summary marked "failed" (markFailed), and the training session ends the run.
   */
  failure: RecordWriteError | null = null;

  /**
   * `meta`: runMeta(trainer). Throws a RecordWriteError when the folder cannot be written. With
   * `continued` (the run's summary as it ended), the records go on after the folder's own
   * (a continued run: see train-state.ts), config.json is rewritten with `cfg`.
   */
  constructor(readonly dir: string, cfg: ResolvedConfig, configFile: string | null, meta: RunMeta, readonly format: RecordFormat = 'binary', continued?: RunSummary) {
    let file = dir;
    let fd: number | null = null;
    this.batch = meta.batchSize;
    this.spe = Math.max(1, Math.round(meta.stepsPlanned / cfg.epochs));
    this.examples = meta.trainExamples ?? this.spe * this.batch;
    this.linesFile = path.join(dir, format === 'binary' ? EPOCHS_FILE : 'metrics.jsonl');
    const steps = () => {
      file = path.join(dir, STEPS_FILE);
      const outputs = meta.outputs ?? (cfg.output === 'sigmoid' ? 1 : ((cfg.dataset as { classes?: number }).classes ?? 0));
      this.steps = new StepsWriter(file, writerLayout(cfg, outputs, meta.batchSize), (e) => this.fail(path.join(dir, STEPS_FILE), e), () => this.idle(), !!continued);
    };
    try {
      fs.mkdirSync(dir, { recursive: true });
      // a continued run: metrics.bin's header checked before anything of the folder changes
      if (continued && format === 'binary') steps();
      file = path.join(dir, 'config.json');
      writeJsonAtomic(file, cfg);
      file = this.linesFile;
      fd = fs.openSync(file, continued ? 'a' : 'w'); // a run folder reused with --out starts afresh
      if (continued) {
        this.bytes = fs.fstatSync(fd).size;
        dropTrainState(dir); // the records run past it from here
      }
      if (!continued && format === 'binary') steps();
      this.summary = continued
        ? { ...continued, status: 'running', finishedAt: null, epochsPlanned: cfg.epochs, stepsPlanned: meta.stepsPlanned, train: null }
        : newSummary(cfg, configFile, meta);
      file = path.join(dir, SUMMARY_FILE);
      writeSummary(this.dir, this.summary);
    } catch (e) {
      if (fd !== null) fs.closeSync(fd);
      throw writeFailure(file, e);
    }
    this.fd = fd;
  }

  /** The batch rows step `rec` was measured on (the last batch of an epoch may be short). */
  private rows(rec: StepRecord): number {
    const at = (rec.step - 1 - rec.epoch * this.spe) * this.batch;
    return Math.max(1, Math.min(this.batch, this.examples - at));
  }

  /**
   * A step record goes into the frame batch (binary) or becomes a line; lines wait in memory until
   * 64 KB of them are there, the training session ends a slice (flush), the summary is written or
   * the recorder is closed: one write() per batch of whole lines instead of one per line.
   */
  line(rec: StepRecord | EpochRecord): void {
    if (this.failure) return;
    if (rec.kind === 'step' && this.steps) {
      this.steps.add(rec, this.rows(rec));
      return;
    }
    const text = JSON.stringify(rec) + '\n';
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= PENDING_CHARS) this.flushLines();
  }

  /**
   * The end of a slice: JSON lines are written; frames when SHIP_MS have passed since the last
   * batch went out (or always, with `force`). Failures are recorded, not thrown.
   */
  flush(force = false): void {
    const s = this.steps;
    if (!s) return this.flushLines();
    if (force || performance.now() - s.lastShip >= SHIP_MS) {
      s.ship();
      this.flushLines();
    }
  }

  /** Writes the waiting lines out (whole lines, in one write() call), cut back to the last whole line on a failure. */
  private flushLines(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (this.failure) return;
    try {
      this.bytes += writeAllSync(this.fd, text, this.linesFile);
    } catch (e) {
      this.fail(this.linesFile, e);
      try {
        fs.ftruncateSync(this.fd, this.bytes);
      } catch {
        // the lines before stay whole either way; a torn tail is what readers skip
      }
    }
  }

  /**
   * Rewrites summary.json after the records it describes: at once, or when the frames in flight
   * are written. A failure is recorded, not thrown.
   */
  writeSummary(): void {
    this.flush(true);
    if (this.failure) return;
    if (this.steps?.busy) {
      this.summaryDue = true;
      return;
    }
    this.summaryNow();
  }

  private summaryNow(): void {
    this.summaryDue = false;
    if (this.failure) return;
    try {
      writeSummary(this.dir, this.summary);
    } catch (e) {
      this.fail(path.join(this.dir, SUMMARY_FILE), e);
    }
  }

  /** No frame write in flight: a summary that waited for them goes out. */
  private idle(): void {
    if (this.summaryDue) this.summaryNow();
  }

  /** Everything recorded so far written (frames included); failures recorded, not thrown. */
  async drain(): Promise<void> {
    this.flush(true);
    await this.steps?.idle();
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

  /** The training state to continue from (train-state.ts), beside the weights. */
  writeState(state: TrainerState, optimizer: string): void {
    writeTrainState(this.dir, state, optimizer);
  }

  /** Writes what waits, waits for the frames in flight, closes the files. */
  async close(): Promise<void> {
    this.flush(true);
    await this.steps?.close();
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      this.fail(this.linesFile, e);
    }
  }
}
