/**
 * Reading metrics.bin's frames (steps-format.ts) from an open file, in chunks of whole frames:
 * as step records, or packed for the column store (src/shared/columns.ts: no object per record,
 * which is what makes a run of a million steps open in about a second). A frame whose CRC fails
 * in the middle of the file is a bad record, reported and skipped; the file's last frame when its
 * CRC fails, and a torn last frame (a run killed mid-write), are dropped, never misread.
 */
import type { promises as fsp } from 'node:fs';
import type { StepRecord } from '../engine/trainer';
import type { LayerMeta } from '../shared/columns';
import { decodeStep, frameIntact, type StepsLayout } from './steps-format';

export interface FrameLimits {
  /** the most rows a batch of the run has, and the run's epochs */
  maxRows: number;
  maxEpoch: number;
}

/** Packed records: the layers' meta, the numbers (RecordPacker's layout) and how many. */
export type PackedTake = (meta: LayerMeta[], data: Float64Array, count: number, last: { step: number; epoch: number }) => void;

/** The column store's layer meta for frames of this layout. */
export function layoutMeta(L: StepsLayout): LayerMeta[] {
  const n = L.slots.length;
  return L.slots.map((s, k) => ({
    index: k, name: k === n - 1 ? 'output' : `hidden ${k + 1}`, activation: s.activation, hidden: s.hidden,
    units: s.unit >= 0 ? s.units : 0, histBins: s.hist >= 0 ? s.bins : 0, histRange: s.hist >= 0 ? [s.min, s.max] : null,
  }));
}

/** The frame at `off` packed into out[o...] (columns.ts packRecord's layout), or why it is not a record. */
function packFrame(L: StepsLayout, view: DataView, bytes: Uint8Array, off: number, lim: FrameLimits, out: Float64Array, o: number): string | null {
  if (!frameIntact(L, view, bytes, off)) return 'its CRC does not match its bytes';
  const epoch = view.getUint32(off + 4, true), rows = view.getUint32(off + 8, true);
  if (epoch > lim.maxEpoch) return `"epoch" is ${epoch}, not an epoch of the run's ${lim.maxEpoch}`;
  if (rows < 1 || rows > lim.maxRows) return `"rows" is ${rows}; the run's batches have 1 to ${lim.maxRows} rows`;
  out[o++] = view.getUint32(off, true);
  out[o++] = epoch;
  out[o++] = view.getFloat64(off + 12, true);
  out[o++] = view.getFloat64(off + 20, true);
  out[o++] = view.getFloat64(off + 28, true);
  for (const s of L.slots) {
    const a = off + s.at;
    // LAYER_QUANTITIES order: sat, delta, gradW, gradB, mean, std, updateRatio
    out[o++] = view.getFloat64(a, true);
    out[o++] = view.getFloat64(a + 40, true);
    out[o++] = view.getFloat64(a + 24, true);
    out[o++] = view.getFloat64(a + 32, true);
    out[o++] = view.getFloat64(a + 8, true);
    out[o++] = view.getFloat64(a + 16, true);
    out[o++] = view.getFloat64(a + 48, true);
    if (s.unit >= 0) {
      const h = off + s.unit;
      for (let j = 0; j < s.units; j++) {
        const c = s.unitSize === 1 ? bytes[h + j]! : s.unitSize === 2 ? view.getUint16(h + 2 * j, true) : view.getUint32(h + 4 * j, true);
        if (c > rows) return `unit ${j} of layer ${L.slots.indexOf(s)} counts ${c} of ${rows} rows`;
        out[o++] = c / rows;
      }
    }
    if (s.hist >= 0) {
      const h = off + s.hist;
      if (s.histSize === 2) for (let b = 0; b < s.bins; b++) out[o++] = view.getUint16(h + 2 * b, true);
      else for (let b = 0; b < s.bins; b++) out[o++] = view.getUint32(h + 4 * b, true);
    }
  }
  return null;
}

export interface FramesRead {
  /** the file offset after the last frame consumed */
  end: number;
  /** frames consumed (good and bad) */
  frames: number;
}

export interface FrameSinks {
  /** step records (when `packed` is not given) */
  steps?: (steps: StepRecord[]) => void;
  packed?: PackedTake;
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
  const psize = meta ? 5 + meta.reduce((a, m) => a + 7 + m.units + m.histBins, 0) : 0;
  let done = 0;
  let pos = from;
  while (done < whole) {
    const n = Math.min(per, whole - done);
    let got = 0;
    while (got < n * fb) {
      const { bytesRead } = await file.read(buf, got, n * fb - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const m = Math.floor(got / fb);
    if (m === 0) break;
    const packed = meta ? new Float64Array(m * psize) : null;
    const steps: StepRecord[] = [];
    let count = 0, stop = false, last = { step: 0, epoch: 0 };
    for (let i = 0; i < m; i++) {
      const off = i * fb;
      const frameNo = firstFrame + done + i;
      const lastWhole = done + i === whole - 1;
      let problem: string | null;
      if (packed) {
        problem = packFrame(L, view, buf, off, lim, packed, count * psize);
        if (!problem) last = { step: packed[count * psize]!, epoch: packed[count * psize + 1]! };
      } else {
        const r = decodeStep(L, view, buf, off, lim.maxRows, lim.maxEpoch);
        problem = typeof r === 'string' ? r : null;
        if (typeof r !== 'string') steps.push(r);
      }
      if (problem === null) { count++; continue; }
      if (holdBad(pos + off, lastWhole)) { stop = true; done += i; break; }
      sinks.bad(frameNo, problem);
    }
    if (!stop) done += m;
    if (packed && count) sinks.packed!(meta!, packed.subarray(0, count * psize), count, last);
    if (steps.length) sinks.steps?.(steps);
    pos = from + done * fb;
    if (stop || m < n) break;
  }
  return { end: from + done * fb, frames: done };
}
