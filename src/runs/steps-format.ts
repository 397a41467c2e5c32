/**
 * metrics.bin, a run's step records as fixed-size binary frames (docs/cli.md, "metrics.bin"):
 *
 *   "MLPLSTP1"  u32 LE H  H bytes of UTF-8 JSON (the header)  zero padding to a multiple of 8
 *   frame, frame, ...  (each `frameBytes` long, the first at `dataOffset`)
 *
 * The header's `fields` are a numpy structured dtype in frame order (name, dtype, shape), so
 * numpy reads every whole frame with one np.frombuffer; the last field of a frame is `crc`, the
 * CRC-32 (zlib's) of the frame's bytes before it. Every number decodes to the value the step
 * record held: doubles stay doubles, histogram counts are counts, per-unit saturations are
 * stored as counts of the `rows` the probes measured (their fractions were computed as
 * count / rows, so the same division gives the same double back).
 *
 * Pure: no node imports (the encoder writes into a DataView the recorder owns).
 */
import { PARAM_PERCENTILES, type LayerProbe } from '../engine/probes';
import type { StepRecord } from '../engine/trainer';
import type { HiddenActivation, ResolvedConfig } from '../engine/types';
import { histogramRange } from '../engine/activations';

export const STEPS_FILE = 'metrics.bin';
export const EPOCHS_FILE = 'epochs.jsonl';
export const STEPS_MAGIC = 'MLPLSTP1';
export const STEPS_FORMAT = 'mlp-lens-steps/v1';
/** The largest header read (a real one, 17 layers, is under 4 KB). */
export const MAX_STEPS_HEADER = 1 << 20;

export interface StepsField { name: string; dtype: string; shape: number[] }
export interface StepsLayerSpec {
  layer: number;
  activation: string;
  units: number;
  histogram: { min: number; max: number; bins: number } | null;
  unitSaturation: boolean;
}
export interface StepsHeader {
  format: typeof STEPS_FORMAT;
  frameBytes: number;
  dataOffset: number;
  fields: StepsField[];
  layers: StepsLayerSpec[];
}

/** Where a layer's numbers are in a frame. */
interface LayerSlots {
  /** offset of its 7 doubles: saturation, mean, std, gradW, gradB, delta, updateRatio */
  at: number;
  hidden: boolean;
  activation: LayerProbe['activation'];
  /** histogram counts: offset (-1: none), bytes per count, bins, range */
  hist: number; histSize: number; bins: number; min: number; max: number;
  /** per-unit saturation counts: offset (-1: none), bytes per count, units */
  unit: number; unitSize: number; units: number;
  /** the weights' and weight gradients' percentiles (doubles, PARAM_PERCENTILES each): offset (-1: none, an older file) */
  pct: number;
}

export interface StepsLayout {
  header: StepsHeader;
  frameBytes: number;
  dataOffset: number;
  slots: LayerSlots[];
  crcAt: number;
}

/** What fixes a frame's layout: the config's layers and probes, the output kind and width. */
export type StepsShape = Pick<ResolvedConfig, 'layers' | 'activation' | 'output' | 'probes'>;

const SCALARS = ['saturation', 'mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const;
const UINT: Record<number, string> = { 1: '<u1', 2: '<u2', 4: '<u4' };
const SIZE_OF: Record<string, number> = { '<u1': 1, '<u2': 2, '<u4': 4, '<f8': 8, '|u1': 1 };

/** Bytes per histogram count for `rows` rows of `units` units (a count is at most rows × units). */
export const histBytes = (rows: number, units: number): number => (rows * units <= 0xffff ? 2 : 4);
/** Bytes per per-unit saturation count (at most rows). */
export const unitBytes = (rows: number): number => (rows <= 0xff ? 1 : rows <= 0xffff ? 2 : 4);

/**
 * The layout of a run's frames: `histSize(k)` and `unitSize(k)` the bytes per count of hidden
 * layer k (the writer picks them from the batch size; a reader takes them from the header).
 */
export function stepsLayout(cfg: StepsShape, outputs: number, histSize: (k: number) => number, unitSize: (k: number) => number, percentiles = true): StepsLayout {
  const fields: StepsField[] = [];
  const layers: StepsLayerSpec[] = [];
  const slots: LayerSlots[] = [];
  let off = 0;
  const add = (name: string, dtype: string, shape: number[] = []) => {
    fields.push({ name, dtype, shape });
    const at = off;
    off += SIZE_OF[dtype]! * (shape[0] ?? 1);
    return at;
  };
  add('step', '<u4'); add('epoch', '<u4'); add('rows', '<u4');
  add('loss', '<f8'); add('accuracy', '<f8'); add('lr', '<f8');
  const H = cfg.layers.length;
  for (let k = 0; k <= H; k++) {
    const hidden = k < H;
    const activation = (hidden ? cfg.activation[k]! : cfg.output) as LayerProbe['activation'];
    const units = hidden ? cfg.layers[k]! : outputs;
    const at = off;
    for (const s of SCALARS) add(`${s}.${k}`, '<f8');
    const bins = cfg.probes.histogramBins;
    const range = hidden ? histogramRange(activation as HiddenActivation) : null;
    const hs = hidden ? histSize(k) : 0, us = hidden && cfg.probes.unitSaturation ? unitSize(k) : 0;
    const hist = hidden ? add(`histogram.${k}`, UINT[hs]!, [bins]) : -1;
    const unit = us ? add(`unitSaturation.${k}`, UINT[us]!, [units]) : -1;
    const P = PARAM_PERCENTILES.length;
    const pct = percentiles ? add(`weightPercentiles.${k}`, '<f8', [P]) : -1;
    if (percentiles) add(`gradPercentiles.${k}`, '<f8', [P]);
    slots.push({ at, hidden, activation, hist, histSize: hs, bins, min: range?.[0] ?? 0, max: range?.[1] ?? 0, unit, unitSize: us, units, pct });
    layers.push({ layer: k, activation, units, histogram: range ? { min: range[0], max: range[1], bins } : null, unitSaturation: us > 0 });
  }
  const crcAt = add('crc', '<u4');
  const frameBytes = off;
  // the header's length depends on dataOffset's digits: settle it (it grows at most twice)
  const header: StepsHeader = { format: STEPS_FORMAT, frameBytes, dataOffset: 0, fields, layers };
  for (let i = 0; i < 4; i++) {
    const h = utf8(JSON.stringify(header)).length;
    const d = Math.ceil((12 + h) / 8) * 8;
    if (d === header.dataOffset) break;
    header.dataOffset = d;
  }
  return { header, frameBytes, dataOffset: header.dataOffset, slots, crcAt };
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The writer's layout for a run with this config: counts as wide as `rows` (the batch) needs. */
export function writerLayout(cfg: StepsShape, outputs: number, rows: number): StepsLayout {
  return stepsLayout(cfg, outputs, (k) => histBytes(rows, cfg.layers[k]!), () => unitBytes(rows));
}

/** The file's first `dataOffset` bytes: magic, header length, header, padding. */
export function headerBytes(layout: StepsLayout): Uint8Array {
  const json = utf8(JSON.stringify(layout.header));
  const out = new Uint8Array(layout.dataOffset);
  out.set(utf8(STEPS_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  return out;
}

// CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320), slicing by 8: table s maps a
// byte to its CRC shifted through s further zero bytes
const CRC = (() => {
  const t = new Int32Array(2048);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let s = 1; s < 8; s++) { c = t[c & 0xff]! ^ (c >>> 8); t[s * 256 + n] = c; }
  }
  return t;
})();

/** crcInto's result (a uint32 as int32): a number returned from a call not inlined can be boxed */
const CRC_OUT = new Int32Array(1);

/**
 * The percentiles go into a frame through these (a native copy): reading a double out of an
 * array whose kind a site has not settled on (a record's plain list, a probe's own array) boxes it,
 * an allocation per number per step.
 */
const PCT = new Float64Array(2 * PARAM_PERCENTILES.length);
const PCT_BYTES = new Uint8Array(PCT.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * zlib's crc32 of bytes[from, to) into CRC_OUT[0]. With `view` (a DataView over the same bytes,
 * index for index) eight bytes are read as two little-endian words at a time: about 0.6 of the
 * time bytewise.
 */
function crcInto(bytes: Uint8Array, from: number, to: number, view: DataView | null): void {
  const t = CRC;
  let c = -1, i = from;
  if (view) {
    for (; i + 8 <= to; i += 8) {
      const hi = view.getInt32(i + 4, true);
      c ^= view.getInt32(i, true);
      c = t[1792 + (c & 0xff)]! ^ t[1536 + ((c >>> 8) & 0xff)]! ^ t[1280 + ((c >>> 16) & 0xff)]! ^ t[1024 + (c >>> 24)]!
        ^ t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^ t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!;
    }
  } else {
    for (; i + 8 <= to; i += 8) {
      c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      c = t[1792 + (c & 0xff)]! ^ t[1536 + ((c >>> 8) & 0xff)]! ^ t[1280 + ((c >>> 16) & 0xff)]! ^ t[1024 + (c >>> 24)]!
        ^ t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
    }
  }
  for (; i < to; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  CRC_OUT[0] = c ^ -1;
}

/** zlib's crc32 of bytes[from, to). */
export function crc32(bytes: Uint8Array, from: number, to: number): number {
  crcInto(bytes, from, to, null);
  return CRC_OUT[0]! >>> 0;
}

/**
 * Writes `rec` as a frame at `off` of `view` (over `bytes`): no allocation, no JSON. `rows`:
 * the batch rows its probes measured (per-unit saturation fractions become counts of them).
 */
export function encodeStep(rec: StepRecord, rows: number, L: StepsLayout, view: DataView, bytes: Uint8Array, off: number): void {
  view.setUint32(off, rec.step, true);
  view.setUint32(off + 4, rec.epoch, true);
  view.setUint32(off + 8, rows, true);
  view.setFloat64(off + 12, rec.loss, true);
  view.setFloat64(off + 20, rec.accuracy, true);
  view.setFloat64(off + 28, rec.lr, true);
  const slots = L.slots, layers = rec.layers, last = slots.length - 1;
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!, p = layers[k]!;
    const a = off + s.at;
    // the output layer's saturation is null: not read (a site that sees null and numbers boxes them)
    if (k === last) view.setFloat64(a, NaN, true);
    else view.setFloat64(a, p.saturation as number, true);
    view.setFloat64(a + 8, p.mean, true);
    view.setFloat64(a + 16, p.std, true);
    view.setFloat64(a + 24, p.gradW, true);
    view.setFloat64(a + 32, p.gradB, true);
    view.setFloat64(a + 40, p.delta, true);
    view.setFloat64(a + 48, p.updateRatio, true);
    if (s.hist >= 0) {
      const c = p.histogram!.counts, h = off + s.hist;
      if (s.histSize === 2) for (let b = 0; b < s.bins; b++) view.setUint16(h + 2 * b, c[b]!, true);
      else for (let b = 0; b < s.bins; b++) view.setUint32(h + 4 * b, c[b]!, true);
    }
    if (s.unit >= 0) {
      const u = p.unitSaturation!, h = off + s.unit;
      if (s.unitSize === 1) for (let j = 0; j < s.units; j++) bytes[h + j] = Math.round(u[j]! * rows);
      else if (s.unitSize === 2) for (let j = 0; j < s.units; j++) view.setUint16(h + 2 * j, Math.round(u[j]! * rows), true);
      else for (let j = 0; j < s.units; j++) view.setUint32(h + 4 * j, Math.round(u[j]! * rows), true);
    }
    if (s.pct >= 0) {
      const w = p.weightPercentiles, g = p.gradPercentiles, h = off + s.pct, P = PARAM_PERCENTILES.length;
      if (w) PCT.set(w, 0);
      else PCT.fill(NaN, 0, P);
      if (g) PCT.set(g, P);
      else PCT.fill(NaN, P);
      if (LITTLE_ENDIAN) bytes.set(PCT_BYTES, h);
      else for (let j = 0; j < 2 * P; j++) view.setFloat64(h + 8 * j, PCT[j]!, true);
    }
  }
  // the CRC goes from CRC_OUT into the frame: never a number returned, so never a boxed one
  crcInto(bytes, off, off + L.crcAt, view);
  view.setInt32(off + L.crcAt, CRC_OUT[0]!, true);
}

/** Does the frame at `off` carry its own CRC? */
export function frameIntact(L: StepsLayout, view: DataView, bytes: Uint8Array, off: number): boolean {
  crcInto(bytes, off, off + L.crcAt, view);
  return view.getInt32(off + L.crcAt, true) === CRC_OUT[0];
}

/**
 * The frame at `off` as a step record, or why it is not one (a CRC that fails, counts past its
 * rows, a step or epoch out of range). `maxRows`: the most rows a batch of the run has;
 * `maxEpoch`: the run's epochs; `checked`: its CRC was checked already.
 */
export function decodeStep(L: StepsLayout, view: DataView, bytes: Uint8Array, off: number, maxRows: number, maxEpoch: number, checked = false): StepRecord | string {
  if (!checked && !frameIntact(L, view, bytes, off)) return 'its CRC does not match its bytes';
  const step = view.getUint32(off, true), epoch = view.getUint32(off + 4, true), rows = view.getUint32(off + 8, true);
  if (epoch > maxEpoch) return `"epoch" is ${epoch}, not an epoch of the run's ${maxEpoch}`;
  if (rows < 1 || rows > maxRows) return `"rows" is ${rows}; the run's batches have 1 to ${maxRows} rows`;
  const layers: LayerProbe[] = [];
  for (const s of L.slots) {
    const a = off + s.at;
    const f = (i: number) => view.getFloat64(a + 8 * i, true);
    const p: LayerProbe = {
      layer: layers.length, activation: s.activation, saturation: s.hidden ? f(0) : null,
      mean: f(1), std: f(2), gradW: f(3), gradB: f(4), delta: f(5), updateRatio: f(6),
    };
    // the percentiles before the histogram: the key order of the trainer's records (the same JSON)
    if (s.pct >= 0) {
      const P = PARAM_PERCENTILES.length, w = new Array<number>(P), g = new Array<number>(P), h = off + s.pct;
      for (let j = 0; j < P; j++) {
        w[j] = view.getFloat64(h + 8 * j, true);
        g[j] = view.getFloat64(h + 8 * (P + j), true);
      }
      p.weightPercentiles = w;
      p.gradPercentiles = g;
    }
    if (s.hist >= 0) {
      const counts = new Array<number>(s.bins), h = off + s.hist;
      for (let b = 0; b < s.bins; b++) counts[b] = s.histSize === 2 ? view.getUint16(h + 2 * b, true) : view.getUint32(h + 4 * b, true);
      p.histogram = { min: s.min, max: s.max, counts };
    }
    if (s.unit >= 0) {
      const u = new Array<number>(s.units), h = off + s.unit;
      for (let j = 0; j < s.units; j++) {
        const c = s.unitSize === 1 ? bytes[h + j]! : s.unitSize === 2 ? view.getUint16(h + 2 * j, true) : view.getUint32(h + 4 * j, true);
        if (c > rows) return `"unitSaturation.${p.layer}"[${j}] counts ${c} of ${rows} rows`;
        u[j] = c / rows;
      }
      p.unitSaturation = u;
    }
    layers.push(p);
  }
  return { kind: 'step', step, epoch, loss: view.getFloat64(off + 12, true), accuracy: view.getFloat64(off + 20, true), lr: view.getFloat64(off + 28, true), layers };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The layout a metrics.bin's first bytes declare, checked against the run's config: the magic,
 * a header of at most MAX_STEPS_HEADER bytes, the format, and fields exactly those the config
 * implies (in order, counts 2 or 4 bytes wide for histograms, 1, 2 or 4 for per-unit
 * saturation), so frameBytes is what the config implies. `head`: the file's first bytes (at
 * least 12; null when more are needed: the header's length is returned to read that many).
 */
export function parseStepsHeader(head: Uint8Array, cfg: StepsShape): { layout: StepsLayout } | { need: number } | string {
  if (head.length < 12) return { need: 12 };
  if (new TextDecoder().decode(head.subarray(0, 8)) !== STEPS_MAGIC) return `it does not start with ${STEPS_MAGIC}`;
  const n = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(8, true);
  if (n > MAX_STEPS_HEADER) return `its header is ${n} bytes; at most ${MAX_STEPS_HEADER} are read`;
  if (head.length < 12 + n) return { need: 12 + n };
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(12, 12 + n)));
  } catch (e) {
    return `its header is not JSON: ${(e as Error).message}`;
  }
  if (!isObj(h) || h.format !== STEPS_FORMAT) return `its header is not ${STEPS_FORMAT}`;
  if (!Array.isArray(h.fields) || !Array.isArray(h.layers)) return 'its header has no fields or layers';
  const widths = new Map<string, number>();
  for (const f of h.fields as unknown[]) {
    if (isObj(f) && typeof f.name === 'string' && typeof f.dtype === 'string' && /^(histogram|unitSaturation)\.\d+$/.test(f.name)) {
      widths.set(f.name, SIZE_OF[f.dtype] ?? 0);
    }
  }
  const outputs = isObj(h.layers.at(-1)) && Number.isInteger((h.layers.at(-1) as Record<string, unknown>).units) ? (h.layers.at(-1) as { units: number }).units : 0;
  const width = (name: string, allowed: number[]) => { const w = widths.get(name) ?? 0; return allowed.includes(w) ? w : 2; };
  // files written before the parameter percentiles have none: their frames are read as they are
  const percentiles = (h.fields as unknown[]).some((f) => isObj(f) && f.name === 'weightPercentiles.0');
  const layout = stepsLayout(cfg, Math.max(0, outputs), (k) => width(`histogram.${k}`, [2, 4]), (k) => width(`unitSaturation.${k}`, [1, 2, 4]), percentiles);
  if (JSON.stringify(h.fields) !== JSON.stringify(layout.header.fields)) return 'its fields are not those of the run\'s config';
  if (h.frameBytes !== layout.frameBytes) return `its frames are ${String(h.frameBytes)} bytes; the run's config makes them ${layout.frameBytes}`;
  if (typeof h.dataOffset !== 'number' || !Number.isInteger(h.dataOffset) || h.dataOffset < 12 + n || h.dataOffset > 12 + n + 4096) return 'its dataOffset is not past its header';
  return { layout: { ...layout, dataOffset: h.dataOffset, header: { ...layout.header, dataOffset: h.dataOffset } } };
}
