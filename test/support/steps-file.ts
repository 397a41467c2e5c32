/**
 * An independent reader of metrics.bin for tests, written from docs/cli.md alone (not from
 * src/runs/steps-format.ts): the header's fields read generically as a numpy structured dtype
 * would, the CRC checked with node:zlib's crc32, and each frame rebuilt as the JSON step record
 * it stands for. Synchronous, for tests that check files on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

interface Field { name: string; dtype: string; shape: number[] }
export interface StepsFile {
  header: { format: string; frameBytes: number; dataOffset: number; fields: Field[]; layers: { layer: number; activation: string; units: number; histogram: { min: number; max: number; bins: number } | null; unitSaturation: boolean }[] };
  /** whole frames, each as field name -> number or number[] */
  frames: Record<string, number | number[]>[];
  /** frames whose CRC failed (0-based) */
  badCrc: number[];
  /** bytes past the last whole frame (a torn frame) */
  tornBytes: number;
  bytes: Buffer;
}

const readers: Record<string, [number, (b: Buffer, o: number) => number]> = {
  '<u1': [1, (b, o) => b.readUInt8(o)], '<u2': [2, (b, o) => b.readUInt16LE(o)], '<u4': [4, (b, o) => b.readUInt32LE(o)],
  '<f8': [8, (b, o) => b.readDoubleLE(o)],
};

export function readStepsFile(file: string): StepsFile {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 8).toString('latin1') !== 'MLPLSTP1') throw new Error(`${file}: no MLPLSTP1 magic`);
  const n = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(12, 12 + n).toString('utf8')) as StepsFile['header'];
  if (header.dataOffset % 8 !== 0 || header.dataOffset < 12 + n) throw new Error(`${file}: dataOffset ${header.dataOffset}`);
  const fb = header.frameBytes;
  const count = Math.floor((bytes.length - header.dataOffset) / fb);
  const frames: StepsFile['frames'] = [];
  const badCrc: number[] = [];
  for (let i = 0; i < count; i++) {
    const base = header.dataOffset + i * fb;
    let o = base;
    const f: Record<string, number | number[]> = {};
    for (const field of header.fields) {
      const [size, read] = readers[field.dtype]!;
      if (field.shape.length) {
        const v: number[] = [];
        for (let j = 0; j < field.shape[0]!; j++, o += size) v.push(read(bytes, o));
        f[field.name] = v;
      } else {
        f[field.name] = read(bytes, o);
        o += size;
      }
    }
    if (o - base !== fb) throw new Error(`${file}: fields make ${o - base} bytes, frameBytes ${fb}`);
    if (zlib.crc32(bytes.subarray(base, base + fb - 4)) !== f.crc) badCrc.push(i);
    frames.push(f);
  }
  return { header, frames, badCrc, tornBytes: bytes.length - header.dataOffset - count * fb, bytes };
}

const nullIfNaN = (x: number) => (Number.isNaN(x) ? null : x);

/** A frame as the JSON step record it stands for (as metrics.jsonl would hold it). */
export function frameRecord(h: StepsFile['header'], f: Record<string, number | number[]>): Record<string, unknown> {
  const L = h.layers.length;
  return {
    kind: 'step', step: f.step, epoch: f.epoch, loss: nullIfNaN(f.loss as number), accuracy: nullIfNaN(f.accuracy as number), lr: f.lr,
    layers: h.layers.map((l, k) => {
      const p: Record<string, unknown> = { layer: k, activation: l.activation, saturation: k === L - 1 ? null : nullIfNaN(f[`saturation.${k}`] as number) };
      for (const q of ['mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio']) p[q] = nullIfNaN(f[`${q}.${k}`] as number);
      for (const q of ['weightPercentiles', 'gradPercentiles']) if (Array.isArray(f[`${q}.${k}`])) p[q] = (f[`${q}.${k}`] as number[]).map(nullIfNaN);
      if (l.histogram) p.histogram = { min: l.histogram.min, max: l.histogram.max, counts: f[`histogram.${k}`] };
      if (l.unitSaturation) p.unitSaturation = (f[`unitSaturation.${k}`] as number[]).map((c) => c / (f.rows as number));
      return p;
    }),
  };
}

/**
 * A run folder's records as JSON values in training order, from metrics.bin and epochs.jsonl
 * (checked: every whole frame's CRC, whole epoch lines) or else metrics.jsonl.
 */
export function runRecords(dir: string): { records: any[]; form: 'binary' | 'jsonl'; file: StepsFile | null } {
  const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  if (!existsSync(join(dir, 'metrics.bin'))) return { records: lines(join(dir, 'metrics.jsonl')), form: 'jsonl', file: null };
  const file = readStepsFile(join(dir, 'metrics.bin'));
  if (file.badCrc.length) throw new Error(`${dir}/metrics.bin: frames ${file.badCrc.join(', ')} fail their CRC`);
  const epText = readFileSync(join(dir, 'epochs.jsonl'), 'utf8');
  if (epText && !epText.endsWith('\n')) throw new Error(`${dir}/epochs.jsonl: the last line is not whole`);
  const epochs = lines(join(dir, 'epochs.jsonl'));
  const records: any[] = [];
  let e = 0;
  for (const f of file.frames) {
    while (e < epochs.length && epochs[e].step < (f.step as number)) records.push(epochs[e++]);
    records.push(frameRecord(file.header, f));
  }
  records.push(...epochs.slice(e));
  return { records, form: 'binary', file };
}
