/**
 * Runs' records as one tidy CSV, one value per row (shared by `mlp-lens export` and the Runs
 * view's Export CSV):
 *   run, variant, seed, <one column per swept field>, step, epoch, layer, quantity, value
 * Step records give loss, accuracy and lr (layer empty) and per layer saturation, mean, std,
 * gradW, gradB, delta, updateRatio; epoch records give train_loss, train_accuracy, test_loss,
 * test_accuracy (layer empty). A value the record does not have (the output layer's saturation, a
 * run without a test split) has no row. RFC 4180: CRLF line ends, a field with a comma, quote or
 * line break in double quotes, quotes doubled. Numbers are written in JavaScript's shortest form
 * that reads back as the same float64. Records are streamed (readRunRecords), so any run size
 * exports in bounded memory; the file is written to a temporary name and renamed into place.
 */
import * as fs from 'node:fs';
import { valueText } from '../engine/experiment-grid';
import type { EpochRecord, StepRecord } from '../engine/trainer';
import { RecordWriteError, writeAllSync, writeFailure } from './faults';
import { readCheckedRecords } from './read';

/** One run to export: its folder and how its rows name it. */
export interface CsvRun {
  dir: string;
  name: string;
  variant: string;
  seed: number;
  sweep: Record<string, unknown>;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const row = (cells: string[]) => cells.map(csvField).join(',') + '\r\n';

/** A sweep value as a cell: numbers and strings as they are, arrays and objects as in run names (64x64x64). */
const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'number' || typeof v === 'string' ? String(v) : valueText(v));

export const STEP_QUANTITIES = ['loss', 'accuracy', 'lr'] as const;
export const LAYER_QUANTITIES = ['saturation', 'mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const;

/**
 * Writes `runs` to `file` (see the file's comment); `onBadLines` is told each run's unreadable
 * metrics lines (skipped). Returns the rows written (the header not counted).
 */
export async function writeRunsCsv(runs: readonly CsvRun[], file: string, onBadLines?: (dir: string, lines: number[]) => void): Promise<number> {
  const sweepFields: string[] = [];
  for (const r of runs) for (const k of Object.keys(r.sweep)) if (!sweepFields.includes(k)) sweepFields.push(k);
  const tmp = `${file}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    throw writeFailure(file, e);
  }
  let pending: string[] = [];
  let size = 0;
  let rows = 0;
  const flush = () => {
    writeAllSync(fd, pending.join(''), file);
    pending = [];
    size = 0;
  };
  const put = (line: string) => {
    pending.push(line);
    size += line.length;
    rows++;
    if (size >= 1 << 20) flush();
  };
  try {
    pending.push(row(['run', 'variant', 'seed', ...sweepFields, 'step', 'epoch', 'layer', 'quantity', 'value']));
    for (const r of runs) {
      const id = [r.name, r.variant, String(r.seed), ...sweepFields.map((k) => cell(r.sweep[k]))];
      const prefix = row(id).slice(0, -2) + ',';
      const value = (step: number, epoch: number, layer: string, q: string, v: number | null | undefined) => {
        if (v !== null && v !== undefined) put(`${prefix}${step},${epoch},${layer},${q},${v}\r\n`);
      };
      const { badLines } = await readCheckedRecords(r.dir, (steps: StepRecord[], epochs: EpochRecord[]) => {
        for (const s of steps) {
          for (const q of STEP_QUANTITIES) value(s.step, s.epoch, '', q, s[q]);
          for (const l of s.layers) for (const q of LAYER_QUANTITIES) value(s.step, s.epoch, String(l.layer), q, l[q]);
        }
        for (const e of epochs) {
          value(e.step, e.epoch, '', 'train_loss', e.train.loss);
          value(e.step, e.epoch, '', 'train_accuracy', e.train.accuracy);
          value(e.step, e.epoch, '', 'test_loss', e.test?.loss);
          value(e.step, e.epoch, '', 'test_accuracy', e.test?.accuracy);
        }
      });
      if (badLines.length) onBadLines?.(r.dir, badLines);
    }
    flush();
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // closed already
    }
    fs.rmSync(tmp, { force: true });
    throw e instanceof RecordWriteError ? e : writeFailure(file, e);
  }
  return rows;
}
