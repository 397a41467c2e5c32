/**
 * Reading metrics.bin's frames (steps-format.ts) from an open file, in chunks of whole frames:
 * as step records, or packed for the column store (src/shared/columns.ts: no object per record,
 * which is what makes a run of a million steps open in about a second). A frame whose CRC fails
 * in the middle of the file is a bad record, reported and skipped; the file's last frame when its
 * CRC fails, and a torn last frame (a run killed mid-write), are dropped, never misread.
 */
import type { promises as fsp } from 'node:fs';
import * as zlib from 'node:zlib';
import type { StepRecord } from '../engine/trainer';
import { packedSize, type LayerMeta } from '../shared/columns';
import { decodeStep, frameIntact, type StepsLayout } from './steps-format';

export interface FrameLimits {
  /** the most rows a batch of the run has, and the run's epochs */
  maxRows: number;
  maxEpoch: number;
}

/**
 * Packed records: the layers' meta, the numbers (RecordPacker's layout), how many, the last
 * one's step and epoch; with `means` (frames averaged into columns as they are read, FrameSinks.stride)
 * each record is a column: step and epoch its last frame's, the rest means over its frames.
 */
export type PackedTake = (meta: LayerMeta[], data: Float64Array, count: number, last: { step: number; epoch: number }, means?: PackedMeans) => void;

/** The column store's layer meta for frames of this layout. */
export function layoutMeta(L: StepsLayout): LayerMeta[] {
  const n = L.slots.length;
  return L.slots.map((s, k) => ({
    index: k, name: k === n - 1 ? 'output' : `hidden ${k + 1}`, activation: s.activation, hidden: s.hidden,
    units: s.unit >= 0 ? s.units : 0, histBins: s.hist >= 0 ? s.bins : 0, histRange: s.hist >= 0 ? [s.min, s.max] : null,
  }));
}

/** zlib's crc32, native (Node 20.15 and later; else every frame is checked in JavaScript). */
const nativeCrc = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

// A whole chunk's frames checked with one native CRC: a frame that carries the CRC-32 of its bytes
// (little-endian) has the CRC-32 0x2144DF1C (CRC's residue), so the CRC of m intact frames in a
// row is a constant of m and the frame length, folded with crc32_combine (zlib's GF(2) algebra).
// A chunk that does not match is checked frame by frame.
const POLY = 0xedb88320, RESIDUE = 0x2144df1c;
function multModP(a: number, b: number): number {
  let m = 0x80000000, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}
/** x^(8·bytes) mod P: what crc32_combine multiplies the first CRC by. */
function shiftFor(bytes: number): number {
  let p = 0x80000000, sq = 0x40000000, n = bytes * 8;
  while (n > 0) {
    if (n % 2) p = multModP(sq, p);
    sq = multModP(sq, sq);
    n = Math.floor(n / 2);
  }
  return p;
}
const chunkCrcs = new Map<number, number[]>();
/** The CRC-32 of `m` intact frames of `fb` bytes in a row. */
function intactChunkCrc(fb: number, m: number): number {
  let e = chunkCrcs.get(fb);
  if (!e) chunkCrcs.set(fb, (e = [0]));
  if (e.length <= m) {
    const shift = shiftFor(fb);
    while (e.length <= m) e.push((multModP(shift, e[e.length - 1]!) ^ RESIDUE) >>> 0);
  }
  return e[m]!;
}
/** Do the first m frames of `bytes` all carry their CRC? (false: not known; check each) */
function chunkIntact(bytes: Uint8Array, fb: number, m: number): boolean {
  return !!nativeCrc && m > 0 && nativeCrc(bytes.subarray(0, m * fb)) === intactChunkCrc(fb, m);
}

/**
 * The frame at `off` packed into out[o...] (columns.ts packRecord's layout: the numbers a
 * decoded step record would pack to, exactly), or why it is not a record. `checked`: its CRC was
 * checked with its chunk's.
 */
/** count / rows for the counts of one byte (most frames have the batch's rows: made once per rows, not a division a unit) */
const fractions = { rows: 0, of: new Float64Array(256) };

function packFrame(L: StepsLayout, view: DataView, bytes: Uint8Array, off: number, lim: FrameLimits, out: Float64Array, o: number, checked: boolean): string | null {
  if (!checked && !frameIntact(L, view, bytes, off)) return 'its CRC does not match its bytes';
  const epoch = view.getUint32(off + 4, true), rows = view.getUint32(off + 8, true);
  if (epoch > lim.maxEpoch) return `"epoch" is ${epoch}, not an epoch of the run's ${lim.maxEpoch}`;
  if (rows < 1 || rows > lim.maxRows) return `"rows" is ${rows}; the run's batches have 1 to ${lim.maxRows} rows`;
  out[o++] = view.getUint32(off, true);
  out[o++] = epoch;
  out[o++] = view.getFloat64(off + 12, true);
  out[o++] = view.getFloat64(off + 20, true);
  out[o++] = view.getFloat64(off + 28, true);
  const slots = L.slots;
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!, a = off + s.at;
    // LAYER_QUANTITIES order: sat, delta, gradW, gradB, mean, std, updateRatio
    out[o] = view.getFloat64(a, true);
    out[o + 1] = view.getFloat64(a + 40, true);
    out[o + 2] = view.getFloat64(a + 24, true);
    out[o + 3] = view.getFloat64(a + 32, true);
    out[o + 4] = view.getFloat64(a + 8, true);
    out[o + 5] = view.getFloat64(a + 16, true);
    out[o + 6] = view.getFloat64(a + 48, true);
    o += 7;
    // then the weights' and gradients' percentiles (NaN in a file written before them)
    if (s.pct >= 0) for (let j = 0; j < 10; j++) out[o + j] = view.getFloat64(off + s.pct + 8 * j, true);
    else for (let j = 0; j < 10; j++) out[o + j] = NaN;
    o += 10;
    if (s.unit >= 0) {
      const h = off + s.unit, U = s.units;
      let most = 0;
      if (s.unitSize === 1) {
        const f = fractions.of;
        if (fractions.rows !== rows) {
          for (let c = 0; c < 256; c++) f[c] = c / rows;
          fractions.rows = rows;
        }
        for (let j = 0; j < U; j++) { const c = bytes[h + j]!; out[o + j] = f[c]!; if (c > most) most = c; }
      }
      else if (s.unitSize === 2) for (let j = 0; j < U; j++) { const c = view.getUint16(h + 2 * j, true); out[o + j] = c / rows; if (c > most) most = c; }
      else for (let j = 0; j < U; j++) { const c = view.getUint32(h + 4 * j, true); out[o + j] = c / rows; if (c > most) most = c; }
      if (most > rows) return `a unit of layer ${k} counts ${most} of ${rows} rows`;
      o += U;
    }
    if (s.hist >= 0) {
      const h = off + s.hist;
      if (s.histSize === 2) for (let b = 0; b < s.bins; b++) out[o + b] = view.getUint16(h + 2 * b, true);
      else for (let b = 0; b < s.bins; b++) out[o + b] = view.getUint32(h + 4 * b, true);
      o += s.bins;
    }
  }
  return null;
}

/**
 * Adds the frame at `off` to `acc` (columns.ts packRecord's layout: step, epoch, loss, accuracy,
 * lr, per layer the quantities, per-unit fractions, histogram fractions), or says why it is not
 * a record (then `acc` is as it was): its CRC fails, its epoch or rows are out of range, or a
 * unit counts more than its rows.
 */
function addFrame(L: StepsLayout, view: DataView, bytes: Uint8Array, off: number, lim: FrameLimits, acc: Float64Array, checked: boolean, sign = 1): string | null {
  const step0 = acc[0]!, epoch0 = acc[1]!;
  if (sign > 0) {
    if (!checked && !frameIntact(L, view, bytes, off)) return 'its CRC does not match its bytes';
    const epoch = view.getUint32(off + 4, true), rows = view.getUint32(off + 8, true);
    if (epoch > lim.maxEpoch) return `"epoch" is ${epoch}, not an epoch of the run's ${lim.maxEpoch}`;
    if (rows < 1 || rows > lim.maxRows) return `"rows" is ${rows}; the run's batches have 1 to ${lim.maxRows} rows`;
    acc[0] = view.getUint32(off, true);
    acc[1] = epoch;
  }
  const rows = view.getUint32(off + 8, true);
  acc[2] += sign * view.getFloat64(off + 12, true);
  acc[3] += sign * view.getFloat64(off + 20, true);
  acc[4] += sign * view.getFloat64(off + 28, true);
  let o = 5;
  const perRow = sign / rows;
  const slots = L.slots;
  let problem: string | null = null;
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!, a = off + s.at;
    // LAYER_QUANTITIES order: sat, delta, gradW, gradB, mean, std, updateRatio
    acc[o] += sign * view.getFloat64(a, true);
    acc[o + 1] += sign * view.getFloat64(a + 40, true);
    acc[o + 2] += sign * view.getFloat64(a + 24, true);
    acc[o + 3] += sign * view.getFloat64(a + 32, true);
    acc[o + 4] += sign * view.getFloat64(a + 8, true);
    acc[o + 5] += sign * view.getFloat64(a + 16, true);
    acc[o + 6] += sign * view.getFloat64(a + 48, true);
    o += 7;
    if (s.pct >= 0) for (let j = 0; j < 10; j++) acc[o + j] += sign * view.getFloat64(off + s.pct + 8 * j, true);
    else for (let j = 0; j < 10; j++) acc[o + j] = NaN;
    o += 10;
    if (s.unit >= 0) {
      const h = off + s.unit, U = s.units;
      let most = 0;
      if (s.unitSize === 1) {
        for (let j = 0; j < U; j++) { const c = bytes[h + j]!; acc[o + j] += c * perRow; if (c > most) most = c; }
      } else if (s.unitSize === 2) {
        for (let j = 0; j < U; j++) { const c = view.getUint16(h + 2 * j, true); acc[o + j] += c * perRow; if (c > most) most = c; }
      } else {
        for (let j = 0; j < U; j++) { const c = view.getUint32(h + 4 * j, true); acc[o + j] += c * perRow; if (c > most) most = c; }
      }
      if (most > rows) problem ??= `a unit of layer ${k} counts ${most} of ${rows} rows`;
      o += U;
    }
    if (s.hist >= 0) {
      const h = off + s.hist, B = s.bins, all = rows * s.units, inv = sign / all;
      let total = 0;
      if (s.histSize === 2) for (let b = 0; b < B; b++) { const c = view.getUint16(h + 2 * b, true); acc[o + b] += c * inv; total += c; }
      else for (let b = 0; b < B; b++) { const c = view.getUint32(h + 4 * b, true); acc[o + b] += c * inv; total += c; }
      if (total !== all && total > 0) {
        // counts that do not add up to rows × units (a frame another program wrote): fractions of their own total
        const fix = sign / total - inv;
        for (let b = 0; b < B; b++) acc[o + b] += (s.histSize === 2 ? view.getUint16(h + 2 * b, true) : view.getUint32(h + 4 * b, true)) * fix;
      }
      o += B;
    }
  }
  if (problem !== null && sign > 0) {
    addFrame(L, view, bytes, off, lim, acc, true, -1); // take it back out
    acc[0] = step0;
    acc[1] = epoch0;
  }
  return problem;
}

/** Columns averaged over `weights[r]` frames each, from step `stepFrom[r]`; full ones `stride` frames. */
export interface PackedMeans { weights: Float64Array; stepFrom: Float64Array; stride: number }

export interface FramesRead {
  /** the file offset after the last frame consumed */
  end: number;
  /** frames consumed (good and bad) */
  frames: number;
}

export interface FrameSinks {
  /** step records (when `packed` is not given) */
  steps?: (steps: StepRecord[]) => void;
  /** step records packed for the column store instead (no object per record; the numbers are valid until it returns) */
  packed?: PackedTake;
  /** with `packed`, more than 1: frames averaged into columns of `stride` frames as they are read */
  stride?: number;
  /** a bad frame: its 0-based number and why */
  bad: (frame: number, reason: string) => void;
}

/**
 * Frames from `from` up to `size` (whole frames only), `chunk` bytes at a time, handed to the
 * sinks. `finalTail`: the last whole frame's bad CRC is a torn end (dropped, not consumed); a
 * reader following a file being written passes a predicate that also holds back frames not yet
 * settled (see openRunTail). Returns where it stopped.
 */
export async function readFrames(
  file: fsp.FileHandle, L: StepsLayout, lim: FrameLimits, from: number, size: number, chunk: number, sinks: FrameSinks,
  firstFrame = 0, holdBad: (off: number, lastWhole: boolean) => boolean = (_off, lastWhole) => lastWhole,
): Promise<FramesRead> {
  const fb = L.frameBytes;
  const whole = Math.floor(Math.max(0, size - from) / fb);
  const per = Math.max(1, Math.floor(chunk / fb));
  const buf = Buffer.alloc(Math.min(per, Math.max(whole, 1)) * fb);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const meta = sinks.packed ? layoutMeta(L) : null;
  const psize = meta ? packedSize(meta) : 0;
  // one buffer for the packed records of every chunk: the sink takes them before the next chunk
  const packedBuf = meta ? new Float64Array(Math.min(per, Math.max(whole, 1)) * psize) : null;
  // averaging (stride > 1): the column being summed, its frames and first step; the columns made
  const stride = meta ? Math.max(1, sinks.stride ?? 1) : 1;
  const acc = new Float64Array(stride > 1 ? psize : 0);
  let inGroup = 0, groupFrom = 0;
  const cols = stride > 1 ? { data: new Float64Array((Math.ceil(per / stride) + 1) * psize), weights: new Float64Array(Math.ceil(per / stride) + 1), stepFrom: new Float64Array(Math.ceil(per / stride) + 1), count: 0 } : null;
  const endGroup = () => {
    const c = cols!, o = c.count * psize;
    c.data[o] = acc[0]!;
    c.data[o + 1] = acc[1]!;
    for (let i = 2; i < psize; i++) c.data[o + i] = acc[i]! / inGroup;
    c.weights[c.count] = inGroup;
    c.stepFrom[c.count] = groupFrom;
    c.count++;
    acc.fill(0);
    inGroup = 0;
  };
  let done = 0;
  let pos = from;
  // two buffers: the next chunk is read (on the thread pool) while this one is decoded
  const bufs = [buf, whole > per ? Buffer.alloc(buf.length) : buf];
  const views = [view, new DataView(bufs[1]!.buffer, bufs[1]!.byteOffset, bufs[1]!.byteLength)];
  const readInto = async (b: Buffer, at: number, n: number): Promise<number> => {
    let got = 0;
    while (got < n * fb) {
      const { bytesRead } = await file.read(b, got, n * fb - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  };
  let turn = 0;
  let next: Promise<number> | null = readInto(bufs[0]!, pos, Math.min(per, whole));
  while (done < whole && next) {
    const n = Math.min(per, whole - done);
    const got: number = await next;
    const buf = bufs[turn]!, view = views[turn]!;
    turn ^= 1;
    const ahead = done + n;
    next = ahead < whole && got === n * fb ? readInto(bufs[turn]!, from + ahead * fb, Math.min(per, whole - ahead)) : null;
    const m = Math.floor(got / fb);
    if (m === 0) break;
    const packed = stride > 1 ? null : packedBuf;
    let count = 0;
    const steps: StepRecord[] = [];
    let stop = false;
    const checked = chunkIntact(buf, fb, m);
    for (let i = 0; i < m; i++) {
      const off = i * fb;
      const lastWhole = done + i === whole - 1;
      let problem: string | null;
      if (packed) {
        problem = packFrame(L, view, buf, off, lim, packed, count * psize, checked);
      } else if (cols) {
        problem = addFrame(L, view, buf, off, lim, acc, checked);
        if (problem === null) {
          if (inGroup++ === 0) groupFrom = acc[0]!;
          if (inGroup === stride) endGroup();
        }
      } else {
        const r = decodeStep(L, view, buf, off, lim.maxRows, lim.maxEpoch, checked);
        problem = typeof r === 'string' ? r : null;
        if (typeof r !== 'string') steps.push(r);
      }
      if (problem === null) { count++; continue; }
      if (holdBad(pos + off, lastWhole)) { stop = true; done += i; break; }
      sinks.bad(firstFrame + done + i, problem);
    }
    if (!stop) done += m;
    if (packed && count) sinks.packed!(meta!, packed.subarray(0, count * psize), count, { step: packed[(count - 1) * psize]!, epoch: packed[(count - 1) * psize + 1]! });
    if (cols) {
      if ((stop || m < n || done >= whole) && inGroup) endGroup(); // the last column, partly filled
      const c = cols.count;
      if (c) sinks.packed!(meta!, cols.data.subarray(0, c * psize), c, { step: cols.data[(c - 1) * psize]!, epoch: cols.data[(c - 1) * psize + 1]! }, { weights: cols.weights, stepFrom: cols.stepFrom, stride });
      cols.count = 0;
    }
    if (steps.length) sinks.steps?.(steps);
    pos = from + done * fb;
    if (stop || m < n) break;
  }
  await next?.catch(() => 0); // a read still in flight ends before the file is closed
  return { end: from + done * fb, frames: done };
}
