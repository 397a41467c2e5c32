/**
 * Run records on disk, written as training goes, so a run killed at any moment leaves every
 * line already written readable:
 *   config.json    the resolved config (seed included)
 *   metrics.jsonl  one JSON object per line: step records and epoch records
 *   summary.json   status and results; rewritten atomically (temp file + rename) at epoch ends (at
 *                  most once a second while training) and when the run ends
 *   model.json     the weights, when the run ends (completed, stopped or diverged)
 * Metrics lines go out in write() calls of whole lines, so a line is either whole or absent; a
 * training session writes them at the end of every time slice (50 ms or less), so a run killed
 * at any moment has lost at most its last slice's lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Network } from '../engine/network';
import type { EpochRecord, StepRecord } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import { writeJsonAtomic } from './atomic';
import { newSummary, writeSummary, type RunMeta, type RunSummary } from './summary';

/** Characters of metrics lines held before they are written (see RunRecorder.line). */
const PENDING_CHARS = 64 * 1024;

export class RunRecorder {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingChars = 0;
  summary: RunSummary;

  /** `meta`: runMeta(trainer) */
  constructor(readonly dir: string, cfg: ResolvedConfig, configFile: string | null, meta: RunMeta) {
    fs.mkdirSync(dir, { recursive: true });
    writeJsonAtomic(path.join(dir, 'config.json'), cfg);
    this.fd = fs.openSync(path.join(dir, 'metrics.jsonl'), 'w'); // a run folder reused with --out starts afresh
    this.summary = newSummary(cfg, configFile, meta);
    this.writeSummary();
  }

  /**
   * Lines wait in memory until 64 KB of them are there, the training session ends a slice
   * (flush), the summary is written or the recorder is closed: one write() per batch of whole
   * lines instead of one per line (a write cost about as much as the step of a small network).
   */
  line(rec: StepRecord | EpochRecord): void {
    const text = JSON.stringify(rec) + '\n';
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= PENDING_CHARS) this.flush();
  }

  /** Write the waiting lines out (whole lines, in one write() call). */
  flush(): void {
    if (this.pending.length === 0) return;
    fs.writeSync(this.fd, this.pending.length === 1 ? this.pending[0]! : this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }

  writeSummary(): void {
    this.flush(); // the summary never gets ahead of the lines
    writeSummary(this.dir, this.summary);
  }

  /** The weights, compact (no indentation: half the time, three quarters of the size; a Stop waits for it). */
  writeModel(net: Network): void {
    writeJsonAtomic(path.join(this.dir, 'model.json'), {
      format: 'mlp-lens-model/v1',
      layer_sizes: net.sizes,
      activations: [...net.hidden, net.output],
      leakyReluSlope: net.slope,
      weights: net.layers.map((l) => Array.from(l.W)),
      biases: net.layers.map((l) => Array.from(l.b)),
    }, undefined);
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}
