/**
 * mlp-lens export RUN_OR_EXPERIMENT... --csv FILE: the records of runs and experiments as one
 * tidy CSV, one value per row:
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
import { RecordWriteError, writeAllSync, writeFailure } from '../runs/faults';
import { checkOutFile } from '../runs/outdir';
import { readCheckedRecords } from '../runs/read';
import { UsageError, type Args } from './args';
import { say } from './print';
import { experimentRuns, findIn, type FoundRun } from './runs';

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const row = (cells: string[]) => cells.map(csvField).join(',') + '\r\n';

/** A sweep value as a cell: numbers and strings as they are, arrays and objects as in run names (64x64x64). */
const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'number' || typeof v === 'string' ? String(v) : valueText(v));

export const STEP_QUANTITIES = ['loss', 'accuracy', 'lr'] as const;
export const LAYER_QUANTITIES = ['saturation', 'mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const;

/** The runs the arguments name, each once, with unique names. */
async function collect(paths: string[]): Promise<FoundRun[]> {
  const runs: FoundRun[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new UsageError(`'${p}' does not exist`);
    const found = await findIn(p);
    if (!found.length) throw new UsageError(`'${p}' holds no run record or experiment`);
    for (const f of found) runs.push(...(f.kind === 'experiment' ? await experimentRuns(f) : [f.run]));
  }
  const seen = new Set<string>();
  const names = new Map<string, number>();
  return runs.filter((r) => !seen.has(r.dir) && seen.add(r.dir)).map((r) => {
    const n = (names.get(r.name) ?? 0) + 1;
    names.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name} (${n})` };
  });
}

export async function cmdExport(args: Args): Promise<number> {
  const file = args.flags.get('csv') as string;
  const runs = await collect(args.paths);
  checkOutFile(file, '--csv');
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
      if (badLines.length) say(`${r.dir}: ${badLines.length} metrics line${badLines.length > 1 ? 's' : ''} unreadable, skipped (line ${badLines.slice(0, 5).join(', ')}${badLines.length > 5 ? ', ...' : ''})`);
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
  say(`wrote ${file}: ${runs.length} run${runs.length > 1 ? 's' : ''}, ${rows.toLocaleString('en-US')} rows`);
  return 0;
}
