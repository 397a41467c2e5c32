/**
 * A variant's training history as bounded, downsampled time columns, shared by the extension
 * host (which keeps it while a run trains), the CLI's HTML report, and the webview (which
 * mirrors it from snapshots and deltas).
 *
 * Each column holds the mean of `n` consecutive step records (struct of arrays, typed): loss,
 * accuracy and per layer saturation, ‖δ‖, ‖dW‖, ‖db‖, mean, std, update ratio, per-unit
 * saturation and the activation histogram (as fractions). Columns fill up to `capacity`; then
 * neighbouring pairs merge and every later column holds twice as many records, so memory is
 * bounded however long the run, and the whole run stays visible. The last column may be
 * partly filled ("provisional") and keeps absorbing records until it holds `stride` of them.
 *
 * Columns travel as PackedColumns in one of two forms with the same fields: typed arrays (what a
 * host posts to its webviews: VS Code carries ArrayBuffers in a message as binary, neither JSON
 * nor base64) or base64 strings of the same bytes (JSON-safe: an HTML report's embedded data).
 *
 * Pure: no vscode, node or DOM imports.
 */
import type { LayerProbe } from '../engine/probes';
import type { StepRecord } from '../engine/trainer';

export const SCALARS = ['step', 'stepFrom', 'epoch', 'loss', 'accuracy', 'lr', 'n'] as const;
export type Scalar = (typeof SCALARS)[number];
/**
 * The per-layer numbers of a column: the probes' scalars, then the percentiles (PARAM_PERCENTILES:
 * 0, 16, 50, 84, 100) of the weights (w…) and of the weight gradients (g…); NaN where a record has
 * none (a run recorded before they were). A column of several records holds their mean.
 */
export const LAYER_QUANTITIES = [
  'sat', 'delta', 'gradW', 'gradB', 'mean', 'std', 'updateRatio',
  'w0', 'w16', 'w50', 'w84', 'w100', 'g0', 'g16', 'g50', 'g84', 'g100',
] as const;
/** the quantities after the probes' seven scalars: weight then gradient percentiles */
export const PERCENTILE_QUANTITIES = LAYER_QUANTITIES.slice(7) as readonly LayerQuantity[];
export type LayerQuantity = (typeof LAYER_QUANTITIES)[number];

export interface LayerMeta {
  /** 0-based weight-layer index (the output layer is the last) */
  index: number;
  /** "hidden 1", ..., "output" */
  name: string;
  activation: string;
  hidden: boolean;
  /** units with per-unit saturation recorded (0 when not recorded) */
  units: number;
  histBins: number;
  histRange: [number, number] | null;
}

export interface LayerColumns {
  q: Record<LayerQuantity, Float64Array>;
  /** count x units, column-major: unit u of column c at c * units + u */
  units: Float32Array;
  /** count x bins, fractions of the layer's activations per bin */
  hist: Float32Array;
}

/** A typed array's bytes as they travel: the array itself, or its bytes in base64. */
export type Packed<T> = T | string;

export interface PackedLayer {
  q: Record<LayerQuantity, Packed<Float64Array>>;
  units: Packed<Float32Array>;
  hist: Packed<Float32Array>;
}

export interface PackedColumns {
  /**
   * pairwise compactions the receiver applies to its own columns first (the sender compacted
   * since the receiver's last block; the merged pairs it already has need not travel again)
   */
  compact?: number;
  /** index of the first column in the block; the receiver drops its columns from here on */
  from: number;
  count: number;
  /** records per full column */
  stride: number;
  scalars: Record<Scalar, Packed<Float64Array>>;
  layers: PackedLayer[];
}

/** Where a consumer (a panel) is in a history, to send it only what changed. */
export interface HistoryCursor {
  gen: number;
  /** columns the consumer has that can no longer change */
  final: number;
  count: number;
  lastN: number;
}

export const freshCursor = (): HistoryCursor => ({ gen: -1, final: 0, count: 0, lastN: 0 });

/** Numbers before the layers in a packed record: step, epoch, loss, accuracy, lr. */
const RECORD_HEAD = 5;

/** Numbers per packed record for these layers. */
export function packedSize(meta: LayerMeta[]): number {
  return RECORD_HEAD + meta.reduce((a, m) => a + LAYER_QUANTITIES.length + m.units + m.histBins, 0);
}

/**
 * A step record as numbers at out[offset...]: step, epoch, loss, accuracy, lr, then per layer
 * the LAYER_QUANTITIES (NaN when absent), unit saturations, histogram counts.
 */
export function packRecord(rec: StepRecord, meta: LayerMeta[], out: Float64Array, offset: number): void {
  out[offset] = rec.step;
  out[offset + 1] = rec.epoch;
  out[offset + 2] = rec.loss;
  out[offset + 3] = rec.accuracy;
  out[offset + 4] = rec.lr;
  let i = offset + RECORD_HEAD;
  for (let k = 0; k < meta.length; k++) {
    const m = meta[k]!, p = rec.layers[k];
    out[i++] = p?.saturation ?? NaN;
    out[i++] = p?.delta ?? NaN;
    out[i++] = p?.gradW ?? NaN;
    out[i++] = p?.gradB ?? NaN;
    out[i++] = p?.mean ?? NaN;
    out[i++] = p?.std ?? NaN;
    out[i++] = p?.updateRatio ?? NaN;
    const wp = p?.weightPercentiles, gp = p?.gradPercentiles;
    for (let j = 0; j < 5; j++) out[i++] = wp?.[j] ?? NaN;
    for (let j = 0; j < 5; j++) out[i++] = gp?.[j] ?? NaN;
    const us = p?.unitSaturation;
    for (let u = 0; u < m.units; u++) out[i++] = us?.[u] ?? NaN;
    const h = p?.histogram?.counts;
    for (let b = 0; b < m.histBins; b++) out[i++] = h?.[b] ?? 0;
  }
}

/** Collects step records packed, for a transfer without copies (the worker's side). */
export class RecordPacker {
  meta: LayerMeta[] | null = null;
  private size = 0;
  private buf = new Float64Array(0);
  count = 0;

  add(rec: StepRecord): void {
    if (!this.meta) {
      this.meta = layersFromRecord(rec);
      this.size = packedSize(this.meta);
    }
    if ((this.count + 1) * this.size > this.buf.length) {
      const b = new Float64Array(Math.max(64 * this.size, this.buf.length * 2));
      b.set(this.buf.subarray(0, this.count * this.size));
      this.buf = b;
    }
    packRecord(rec, this.meta, this.buf, this.count * this.size);
    this.count++;
  }

  /** The records so far (a buffer of their own, to transfer), and start afresh. */
  take(): { data: Float64Array; count: number } {
    const data = this.buf.slice(0, this.count * this.size);
    const count = this.count;
    this.count = 0;
    return { data, count };
  }
}

export function layersFromRecord(rec: StepRecord): LayerMeta[] {
  const L = rec.layers.length;
  return rec.layers.map((l: LayerProbe, k) => ({
    index: l.layer,
    name: k === L - 1 ? 'output' : `hidden ${k + 1}`,
    activation: l.activation,
    hidden: k < L - 1,
    units: l.unitSaturation?.length ?? 0,
    histBins: l.histogram?.counts.length ?? 0,
    histRange: l.histogram ? [l.histogram.min, l.histogram.max] : null,
  }));
}

function grow<T extends Float64Array | Float32Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

export class ColumnStore {
  count = 0;
  /** records a full column holds (doubles at each compaction) */
  stride = 1;
  /** bumped at each compaction: columns before it no longer mean what they meant */
  gen = 0;
  /** columns allocated */
  private alloc = 0;
  s: Record<Scalar, Float64Array>;
  layers: LayerColumns[] = [];
  meta: LayerMeta[] | null = null;

  constructor(readonly capacity: number) {
    if (capacity < 2) throw new Error('history capacity must be at least 2');
    this.capacity = capacity - (capacity % 2);
    this.s = Object.fromEntries(SCALARS.map((k) => [k, new Float64Array(0)])) as Record<Scalar, Float64Array>;
  }

  setLayers(meta: LayerMeta[]): void {
    this.meta = meta;
    this.layers = meta.map((m) => ({
      q: Object.fromEntries(LAYER_QUANTITIES.map((k) => [k, new Float64Array(this.alloc)])) as Record<LayerQuantity, Float64Array>,
      units: new Float32Array(this.alloc * m.units),
      hist: new Float32Array(this.alloc * m.histBins),
    }));
  }

  private reserve(n: number): void {
    if (n <= this.alloc) return;
    const alloc = Math.min(Math.max(n, this.alloc * 2, 16), Math.max(n, this.capacity));
    for (const k of SCALARS) this.s[k] = grow(this.s[k], alloc);
    this.layers.forEach((l, i) => {
      for (const k of LAYER_QUANTITIES) l.q[k] = grow(l.q[k], alloc);
      l.units = grow(l.units, alloc * this.meta![i]!.units);
      l.hist = grow(l.hist, alloc * this.meta![i]!.histBins);
    });
    this.alloc = alloc;
  }

  /** Add one step record: into the open column, or a new one (compacting first when full). */
  push(rec: StepRecord): void {
    if (!this.meta) this.setLayers(layersFromRecord(rec));
    this.add((c) => this.writeRecord(c, rec));
  }

  /**
   * Add `count` records packed by packRecord (the training worker sends them so, transferred
   * without a copy): no object per step on the receiving side.
   */
  pushPacked(meta: LayerMeta[], data: Float64Array, count: number): void {
    if (!this.meta) this.setLayers(meta);
    const size = packedSize(this.meta!);
    if (data.length < count * size) throw new Error(`packed records: ${data.length} numbers for ${count} records of ${size}`);
    for (let r = 0; r < count; r++) {
      const last = this.count - 1;
      if (last >= 0 && this.s.n[last]! < this.stride) this.mergeFlat(last, data, r * size);
      else this.add((c) => this.writeFlat(c, data, r * size));
    }
  }

  /**
   * The packed record at d[o...] merged into the open column c: the numbers add(writeFlat) then
   * mergeColumns would give, bit for bit (the record as a column of one: per-unit and histogram
   * fractions rounded to float32 as a column holds them), without the scratch column.
   */
  private mergeFlat(c: number, d: Float64Array, o: number): void {
    const s = this.s;
    const na = s.n[c]!, n = na + 1;
    s.stepFrom[c] = Math.min(s.stepFrom[c]!, d[o]!);
    s.step[c] = Math.max(s.step[c]!, d[o]!);
    s.epoch[c] = Math.max(s.epoch[c]!, d[o + 1]!);
    s.loss[c] = (s.loss[c]! * na + d[o + 2]! * 1) / n;
    s.accuracy[c] = (s.accuracy[c]! * na + d[o + 3]! * 1) / n;
    s.lr[c] = (s.lr[c]! * na + d[o + 4]! * 1) / n;
    s.n[c] = n;
    let i = o + RECORD_HEAD;
    const layers = this.layers, meta = this.meta!;
    for (let k = 0; k < layers.length; k++) {
      const L = layers[k]!, m = meta[k]!, q = L.q;
      // LAYER_QUANTITIES order
      q.sat[c] = (q.sat[c]! * na + d[i]! * 1) / n;
      q.delta[c] = (q.delta[c]! * na + d[i + 1]! * 1) / n;
      q.gradW[c] = (q.gradW[c]! * na + d[i + 2]! * 1) / n;
      q.gradB[c] = (q.gradB[c]! * na + d[i + 3]! * 1) / n;
      q.mean[c] = (q.mean[c]! * na + d[i + 4]! * 1) / n;
      q.std[c] = (q.std[c]! * na + d[i + 5]! * 1) / n;
      q.updateRatio[c] = (q.updateRatio[c]! * na + d[i + 6]! * 1) / n;
      for (let j = 0; j < PERCENTILE_QUANTITIES.length; j++) {
        const a = q[PERCENTILE_QUANTITIES[j]!];
        a[c] = (a[c]! * na + d[i + 7 + j]! * 1) / n;
      }
      i += LAYER_QUANTITIES.length;
      const U = m.units, units = L.units, u0 = c * U;
      for (let u = 0; u < U; u++) units[u0 + u] = (units[u0 + u]! * na + Math.fround(d[i + u]!) * 1) / n;
      i += U;
      const B = m.histBins, hist = L.hist, h0 = c * B;
      let total = 0;
      for (let b = 0; b < B; b++) total += d[i + b]!;
      for (let b = 0; b < B; b++) hist[h0 + b] = (hist[h0 + b]! * na + Math.fround(total > 0 ? d[i + b]! / total : NaN) * 1) / n;
      i += B;
    }
  }

  /**
   * Add `count` columns averaged already (a reader that downsamples as it reads, src/runs/read-steps.ts):
   * packed as pushPacked's records, record r the mean of `weights[r]` records from step
   * `stepFrom[r]` on; full ones hold `stride` records (the stride the store would have reached
   * for the run's length: a power of two). Into an empty store, or one of that stride.
   */
  pushMeans(meta: LayerMeta[], data: Float64Array, count: number, weights: Float64Array, stepFrom: Float64Array, stride: number): void {
    if (!this.meta) this.setLayers(meta);
    if (this.count === 0) this.stride = stride;
    const size = packedSize(this.meta!);
    if (data.length < count * size) throw new Error(`packed records: ${data.length} numbers for ${count} records of ${size}`);
    for (let r = 0; r < count; r++) {
      this.add((c) => {
        this.writeFlat(c, data, r * size);
        this.s.n[c] = weights[r]!;
        this.s.stepFrom[c] = stepFrom[r]!;
      });
    }
  }

  private add(write: (column: number) => void): void {
    const last = this.count - 1;
    if (last >= 0 && this.s.n[last]! < this.stride) {
      // write the record into a scratch column at the end, then merge it in
      const scratch = this.count;
      this.reserve(scratch + 1);
      write(scratch);
      this.mergeColumns(last, scratch, last);
      return;
    }
    if (this.count >= this.capacity) this.compact();
    const c = this.count++;
    this.reserve(this.count);
    write(c);
  }

  private writeFlat(c: number, d: Float64Array, o: number): void {
    const s = this.s;
    s.step[c] = d[o]!;
    s.stepFrom[c] = d[o]!;
    s.epoch[c] = d[o + 1]!;
    s.loss[c] = d[o + 2]!;
    s.accuracy[c] = d[o + 3]!;
    s.lr[c] = d[o + 4]!;
    s.n[c] = 1;
    let i = o + RECORD_HEAD;
    this.layers.forEach((L, k) => {
      const m = this.meta![k]!;
      for (const q of LAYER_QUANTITIES) L.q[q][c] = d[i++]!;
      for (let u = 0; u < m.units; u++) L.units[c * m.units + u] = d[i++]!;
      let total = 0;
      for (let b = 0; b < m.histBins; b++) total += d[i + b]!;
      for (let b = 0; b < m.histBins; b++) L.hist[c * m.histBins + b] = total > 0 ? d[i + b]! / total : NaN;
      i += m.histBins;
    });
  }

  private writeRecord(c: number, rec: StepRecord): void {
    const s = this.s;
    s.step[c] = rec.step;
    s.stepFrom[c] = rec.step;
    s.epoch[c] = rec.epoch;
    s.loss[c] = rec.loss;
    s.accuracy[c] = rec.accuracy;
    s.lr[c] = rec.lr;
    s.n[c] = 1;
    this.layers.forEach((L, k) => {
      const p = rec.layers[k];
      const m = this.meta![k]!;
      L.q.sat[c] = p?.saturation ?? NaN;
      L.q.delta[c] = p?.delta ?? NaN;
      L.q.gradW[c] = p?.gradW ?? NaN;
      L.q.gradB[c] = p?.gradB ?? NaN;
      L.q.mean[c] = p?.mean ?? NaN;
      L.q.std[c] = p?.std ?? NaN;
      L.q.updateRatio[c] = p?.updateRatio ?? NaN;
      const wp = p?.weightPercentiles, gp = p?.gradPercentiles;
      for (let j = 0; j < 5; j++) {
        L.q[PERCENTILE_QUANTITIES[j]!][c] = wp?.[j] ?? NaN;
        L.q[PERCENTILE_QUANTITIES[5 + j]!][c] = gp?.[j] ?? NaN;
      }
      const us = p?.unitSaturation;
      for (let u = 0; u < m.units; u++) L.units[c * m.units + u] = us?.[u] ?? NaN;
      const h = p?.histogram?.counts;
      let total = 0;
      if (h) for (const x of h) total += x;
      for (let b = 0; b < m.histBins; b++) L.hist[c * m.histBins + b] = h && total > 0 ? h[b]! / total : NaN;
    });
  }

  /** Column dst := weighted mean of columns a and b (weights n). */
  private mergeColumns(a: number, b: number, dst: number): void {
    const s = this.s;
    const na = s.n[a]!, nb = s.n[b]!, n = na + nb;
    const mix = (x: number, y: number) => (x * na + y * nb) / n;
    s.stepFrom[dst] = Math.min(s.stepFrom[a]!, s.stepFrom[b]!);
    s.step[dst] = Math.max(s.step[a]!, s.step[b]!);
    s.epoch[dst] = Math.max(s.epoch[a]!, s.epoch[b]!);
    s.loss[dst] = mix(s.loss[a]!, s.loss[b]!);
    s.accuracy[dst] = mix(s.accuracy[a]!, s.accuracy[b]!);
    s.lr[dst] = mix(s.lr[a]!, s.lr[b]!);
    s.n[dst] = n;
    this.layers.forEach((L, k) => {
      for (const q of LAYER_QUANTITIES) L.q[q][dst] = mix(L.q[q][a]!, L.q[q][b]!);
      const U = this.meta![k]!.units, B = this.meta![k]!.histBins;
      for (let u = 0; u < U; u++) L.units[dst * U + u] = mix(L.units[a * U + u]!, L.units[b * U + u]!);
      for (let i = 0; i < B; i++) L.hist[dst * B + i] = mix(L.hist[a * B + i]!, L.hist[b * B + i]!);
    });
  }

  /** Merge neighbouring pairs: half the columns, each twice as long. */
  compact(): void {
    const half = Math.ceil(this.count / 2);
    for (let j = 0; j < half; j++) {
      const a = 2 * j, b = 2 * j + 1;
      if (b < this.count) this.mergeColumns(a, b, j);
      else this.copyColumn(a, j);
    }
    this.count = half;
    this.stride *= 2;
    this.gen++;
  }

  private copyColumn(from: number, to: number): void {
    for (const k of SCALARS) this.s[k][to] = this.s[k][from]!;
    this.layers.forEach((L, i) => {
      for (const q of LAYER_QUANTITIES) L.q[q][to] = L.q[q][from]!;
      const U = this.meta![i]!.units, B = this.meta![i]!.histBins;
      L.units.copyWithin(to * U, from * U, from * U + U);
      L.hist.copyWithin(to * B, from * B, from * B + B);
    });
  }

  /** Columns that can no longer change (all but a partly filled last one). */
  get finalCount(): number {
    if (this.count === 0) return 0;
    return this.s.n[this.count - 1]! >= this.stride ? this.count : this.count - 1;
  }

  /** The column holding a step (the last column whose stepFrom <= step), or -1. */
  columnOfStep(step: number): number {
    let lo = 0, hi = this.count - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.s.stepFrom[mid]! <= step) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /**
   * What a consumer at `cursor` lacks, as a block (null if nothing changed); advances the cursor.
   * `binary`: typed arrays of their own instead of base64 (see PackedColumns).
   */
  takeSince(cursor: HistoryCursor, binary = false): PackedColumns | null {
    const lastN = this.count ? this.s.n[this.count - 1]! : 0;
    const same = cursor.gen === this.gen && cursor.count === this.count && cursor.lastN === lastN;
    if (same) return null;
    let from = 0, compact = 0;
    if (cursor.gen === this.gen) from = Math.min(cursor.final, this.count);
    else if (cursor.gen >= 0 && cursor.gen < this.gen) {
      // the receiver can merge the pairs of final columns it has exactly as we did
      compact = this.gen - cursor.gen;
      from = cursor.final;
      for (let k = 0; k < compact; k++) from = Math.floor(from / 2);
      from = Math.min(from, this.count);
    }
    const block = this.pack(from, this.count, binary);
    if (compact) block.compact = compact;
    cursor.gen = this.gen;
    cursor.count = this.count;
    cursor.final = this.finalCount;
    cursor.lastN = lastN;
    return block;
  }

  /**
   * Columns [from, to) as a block: base64 strings, or with `binary` typed arrays that are views of
   * one buffer of the block's own (a view into the store would carry the store's whole buffer;
   * one buffer instead of one per array keeps a message to a few buffers, none of them empty).
   */
  pack(from = 0, to = this.count, binary = false): PackedColumns {
    const n = Math.max(0, to - from);
    const f64 = SCALARS.length + this.layers.length * LAYER_QUANTITIES.length;
    const f32 = this.meta?.reduce((a, m) => a + m.units + m.histBins, 0) ?? 0;
    const block = binary && n > 0 ? new ArrayBuffer(n * (8 * f64 + 4 * f32)) : null;
    // the doubles first, then the floats: every view is aligned to its element size
    let at = 0;
    const cut = <T extends Float64Array | Float32Array>(a: T, per: number): Packed<T> => {
      const len = n * per;
      if (!block) return toBase64(new Uint8Array(a.buffer, a.byteOffset + from * per * a.BYTES_PER_ELEMENT, len * a.BYTES_PER_ELEMENT));
      const view = (a instanceof Float64Array ? new Float64Array(block, at, len) : new Float32Array(block, at, len)) as T;
      view.set(a.subarray(from * per, from * per + len));
      at += len * a.BYTES_PER_ELEMENT;
      return view;
    };
    const scalars = Object.fromEntries(SCALARS.map((k) => [k, cut(this.s[k], 1)])) as Record<Scalar, Packed<Float64Array>>;
    const q = this.layers.map((L) => Object.fromEntries(LAYER_QUANTITIES.map((k) => [k, cut(L.q[k], 1)])) as Record<LayerQuantity, Packed<Float64Array>>);
    return {
      from, count: n, stride: this.stride,
      scalars,
      layers: this.layers.map((L, i) => {
        const U = this.meta![i]!.units, B = this.meta![i]!.histBins;
        return { q: q[i]!, units: cut(L.units, U), hist: cut(L.hist, B) };
      }),
    };
  }

  /** Apply a block (receiver side): columns from block.from on are replaced. Layers must be set. */
  apply(block: PackedColumns): void {
    if (!this.meta) throw new Error('ColumnStore.apply before setLayers');
    for (let k = 0; k < (block.compact ?? 0); k++) this.compact();
    const { from, count } = block;
    if (from > this.count) throw new Error(`history block starts at column ${from} but only ${this.count} are here`);
    this.reserve(from + count);
    const put64 = (dst: Float64Array, p: Packed<Float64Array>) => dst.set(p instanceof Float64Array ? sized(p, count) : new Float64Array(bytes(p, count * 8).buffer), from);
    const put32 = (dst: Float32Array, p: Packed<Float32Array>, per: number) => dst.set(p instanceof Float32Array ? sized(p, count * per) : new Float32Array(bytes(p, count * per * 4).buffer), from * per);
    for (const k of SCALARS) put64(this.s[k], block.scalars[k]);
    block.layers.forEach((P, i) => {
      const L = this.layers[i];
      if (!L) return;
      const U = this.meta![i]!.units, B = this.meta![i]!.histBins;
      for (const k of LAYER_QUANTITIES) put64(L.q[k], P.q[k]);
      put32(L.units, P.units, U);
      put32(L.hist, P.hist, B);
    });
    this.count = from + count;
    this.stride = block.stride;
  }

  /** Approximate bytes held (for the memory-bound test and the log). */
  get bytes(): number {
    let b = SCALARS.length * 8 * this.alloc;
    this.layers.forEach((L) => {
      b += LAYER_QUANTITIES.length * 8 * this.alloc + L.units.byteLength + L.hist.byteLength;
    });
    return b;
  }
}

/** A typed array of a block, checked for its length. */
function sized<T extends Float64Array | Float32Array>(a: T, expected: number): T {
  if (a.length !== expected) throw new Error(`history block: expected ${expected} numbers, got ${a.length}`);
  return a;
}

function bytes(b64: unknown, expected: number): Uint8Array {
  if (typeof b64 !== 'string') throw new Error('history block: a field is neither a typed array of its kind nor base64');
  const out = fromBase64(b64);
  if (out.length !== expected) throw new Error(`history block: expected ${expected} bytes, got ${out.length}`);
  // a fresh, aligned buffer for the typed-array views
  return out;
}

// Base64, one native path per runtime: the host, the CLI and the workers run in Node (Buffer);
// the webviews and the exported HTML report in a browser (btoa/atob). Every runtime this code
// runs in has one of the two.
type B64Buffer = { from(a: ArrayBufferLike | string, o?: number | string, l?: number): Uint8Array & { toString(enc: string): string } };
const NodeBuffer = (globalThis as { Buffer?: B64Buffer }).Buffer;

export function toBase64(u: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
  let bin = '';
  for (let i = 0; i < u.length; i += 0x8000) bin += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(bin);
}

export function fromBase64(s: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error('bad base64 in a history block');
  if (NodeBuffer) {
    const b = NodeBuffer.from(s, 'base64');
    // a copy: the typed-array views need an aligned buffer of their own
    return new Uint8Array(b);
  }
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
