/**
 * A run folder's step records rewritten in the other form (mlp-lens convert): metrics.bin and
 * epochs.jsonl from metrics.jsonl, or metrics.jsonl (step and epoch lines, as older versions
 * wrote) from metrics.bin. The new files are written beside the old as temporary files and renamed
 * into place, so a reader sees the old form or the new, never half a file; the old form stays
 * unless `replace`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, StepRecord } from '../engine/trainer';
import { writeAllSync } from './faults';
import { EPOCHS_FILE, hasRunFile, METRICS_FILE, readJsonLines, readRunConfig, readRunRecords, realRoot, RunReadError, STEPS_FILE, type MetricsRead } from './read';
import type { RecordFormat } from './record';
import { writerLayout } from './steps-format';
import { StepsWriter } from './steps-writer';
import { checkRecord } from './validate';

export interface Converted {
  dir: string;
  /** what was written ('' when the folder already had that form) */
  wrote: string[];
  removed: string[];
  steps: number;
  epochs: number;
  /** bad records of the source, skipped */
  bad: MetricsRead['problems'];
  badCount: number;
}

/** The rows a step record's probes were measured on: its first histogram's counts over the layer's `units`. */
function rowsOf(rec: StepRecord, batch: number, units: number): number {
  const counts = rec.layers[0]?.histogram?.counts;
  if (!counts) return batch;
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  const r = units ? Math.round(sum / units) : 0;
  return r >= 1 && r <= batch ? r : batch;
}

const tmpOf = (file: string) => `${file}.${process.pid}.tmp`;

/** Converts the run in `dir` to `to`; throws a RunReadError (unreadable) or the fs error (a write). */
export async function convertRun(dir: string, to: RecordFormat, replace = false): Promise<Converted> {
  const root = await realRoot(dir);
  const cfg = await readRunConfig(dir, root);
  const hasBin = await hasRunFile(dir, root, STEPS_FILE), hasJsonl = await hasRunFile(dir, root, METRICS_FILE);
  const out: Converted = { dir, wrote: [], removed: [], steps: 0, epochs: 0, bad: [], badCount: 0 };
  const have = to === 'binary' ? hasBin : hasJsonl;
  if (!hasBin && !hasJsonl) throw new RunReadError(`${dir} has no ${STEPS_FILE} or ${METRICS_FILE}`, true);
  let epochCount = 0;
  const check = (v: unknown) => {
    const r = checkRecord(v, cfg);
    if (typeof r !== 'string' && r.kind === 'epoch' && ++epochCount > cfg.epochs) return `more epoch records than the run's ${cfg.epochs} epochs`;
    return r;
  };
  if (!have) {
    const tmps: [string, string][] = [];
    try {
      if (to === 'jsonl') {
        const file = path.join(dir, METRICS_FILE);
        tmps.push([tmpOf(file), file]);
        const fd = fs.openSync(tmpOf(file), 'w');
        try {
          const m = await readRunRecords(dir, check, (steps, epochs) => {
            out.steps += steps.length;
            out.epochs += epochs.length;
            // in training order: an epoch record follows the step it ends with
            let text = '', e = 0;
            for (const s of steps) {
              while (e < epochs.length && epochs[e]!.step < s.step) text += JSON.stringify(epochs[e++]) + '\n';
              text += JSON.stringify(s) + '\n';
            }
            while (e < epochs.length) text += JSON.stringify(epochs[e++]) + '\n';
            writeAllSync(fd, text, file);
          }, { root, config: cfg });
          out.bad = m.problems;
          out.badCount = m.badCount;
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } else {
        const bin = path.join(dir, STEPS_FILE), ep = path.join(dir, EPOCHS_FILE);
        tmps.push([tmpOf(bin), bin], [tmpOf(ep), ep]);
        const outputs = cfg.output === 'sigmoid' ? 1 : ((cfg.dataset as { classes?: number }).classes ?? 0);
        let failure: unknown = null;
        const writer = new StepsWriter(tmpOf(bin), writerLayout(cfg, outputs, cfg.batchSize), (e) => { failure ??= e; }, () => {});
        const fd = fs.openSync(tmpOf(ep), 'w');
        try {
          const m = await readJsonLines(dir, METRICS_FILE, check, (steps: StepRecord[], epochs: EpochRecord[]) => {
            for (const s of steps) writer.add(s, rowsOf(s, cfg.batchSize, cfg.layers[0] ?? 0));
            if (epochs.length) writeAllSync(fd, epochs.map((e) => JSON.stringify(e) + '\n').join(''), ep);
            out.steps += steps.length;
            out.epochs += epochs.length;
          }, { root });
          out.bad = m.problems;
          out.badCount = m.badCount;
        } finally {
          await writer.close();
          fs.closeSync(fd);
        }
        if (failure) throw failure;
      }
      for (const [tmp, file] of tmps) {
        fs.renameSync(tmp, file);
        out.wrote.push(path.basename(file));
      }
    } catch (e) {
      for (const [tmp] of tmps) fs.rmSync(tmp, { force: true });
      throw e;
    }
  }
  if (replace) {
    for (const name of to === 'binary' ? [METRICS_FILE] : [STEPS_FILE, EPOCHS_FILE]) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) {
        fs.rmSync(file);
        out.removed.push(name);
      }
    }
  }
  return out;
}
