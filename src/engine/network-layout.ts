/**
 * The WebAssembly path's layout of a network: every buffer in one linear memory (parameters,
 * gradients, optimizer state, activations, deltas, the transposes' scratch, spmm's lists, the
 * epilogues' descriptors and probe counters, the helper thread's control block), planned once
 * with an Arena; the descriptors' fixed fields; and the probe outputs the kernels write in place.
 * The passes that run on it are in network-wasm.ts.
 */
import { histogramRange } from './activations';
import type { FloatArray } from './kernels';
import type { Layer, ProbeViews, UpdateNorms } from './network-types';
import { ProbeArray } from './probe-array';
import { ACT, CTRL_BYTES, DESC, DESC_BYTES, NIBBLE_BINS, NIBBLE_TABLE_ENTRIES, nibbleTable, OPT_COEF_BYTES, spmmScratchBytes } from './wasm/abi';
import { helperFactory, TaskPort } from './wasm/parallel';
import { Arena, type KernelExports } from './wasm/runtime';

/** Histogram bins the WebAssembly probes count in place (the config allows up to 100). */
export const WASM_MAX_BINS = 128;

/** Byte offsets of a network's buffers in its WebAssembly memory, its kernels and their state. */
export interface WasmLayout {
  k: KernelExports;
  /** byte offsets: colsum's float64 result; the optimizers' float32 arguments (OPT_COEF) */
  colsumOut: number;
  coef: number;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** 1 or 2 row parts per product */
  parts: number;
  params: number;
  grads: number;
  /** optimizer state: stateSlots x parameters (velocity / Adam's v, then Adam's m) */
  state: number;
  stateSlots: number;
  input: number;
  acts: number[];
  deltas: number[];
  /** δᵀ, aᵀ and Wᵀ scratch (t3 also holds W at a padded row stride, for spmm) */
  t1: number;
  t2: number;
  t3: number;
  /** [part]: spmm's lists of nonzeros */
  spList: number[];
  /**
   * [2 x layer + 0 forward / 1 backward]: whether those products may run on spmm now, and the
   * steps until products that went back to dense try spmm again (sparseNow, sparseSeen)
   */
  sparse: boolean[];
  sparseRetry: number[];
  /** products run so far on each kernel (see productCounts) */
  gemmProducts: number;
  spmmProducts: number;
  /** [layer][part]: descriptors for forward, input gradient and weight gradient (3 x DESC_BYTES) */
  desc: number[][];
  units: number[][];
  hist: number[][];
  /**
   * [layer][part]: float64 probe outputs of the forward kernel (per-unit fractions, bin counts);
   * ProbeArrays, since a record filled in place holds them (see ProbeArray)
   */
  unitsOut: ProbeArray[][];
  histOut: ProbeArray[][];
  /**
   * per layer the saturation, the mean and the std (float64 [L] each, one after the other in
   * memory): the forward kernels of a network in one part write hidden layers' here (see probeViews)
   */
  statViews: [Float64Array, Float64Array, Float64Array];
  /**
   * [part]: the optimizer's norms, one float64 [3L] block: ‖ΔW‖² per layer, then ‖W‖², then ‖dW‖²;
   * here as views (made once). A network in one part measures into part 0's in place (probeViews)
   */
  normsParts: UpdateNorms[];
  /** [part]: the optimizer's layer table: per layer i32 lo, wEnd, end (elements), where its ‖ΔW‖² goes (‖W‖², ‖dW‖²: L and 2L float64 on) */
  optTable: number[];
  i32: Int32Array;
  /** the memory as 16-bit words (exponent bits of float64 sums, read as integers) */
  u16: Uint16Array;
  f32: Float32Array;
  f64: Float64Array;
  /** batch stride of the transposed scratch (the batch rounded up to 4, plus 4) */
  ldT: number;
  /** histogram bins the descriptors are set up for (0: none yet) */
  bins: number;
  /** the probe pass's nibble table (nibbleTable; the descriptors point to it when bins <= NIBBLE_BINS) */
  nibbles: number;
  /** the second thread, when there is one */
  port: TaskPort | null;
  /** whether products use it now (the trainer measures which is faster; results are the same) */
  useHelper: boolean;
}

/** Row split of a product with R rows: part 0 gets the first r rows, a multiple of the tile. */
export function splitAt(R: number, parts: number): number {
  // ceil(R / 8) * 4 in integers: a float computed here is boxed until this code is optimized
  return parts === 1 ? R : Math.min(R, ((R + 7) >> 3) << 2);
}

/** Helpers of networks that were dropped without dispose(). */
const helperReaper = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<TaskPort>((port) => port.close()) : null;

/** Close the helper thread when `owner` (the network) is collected without dispose(). */
export function closeHelperWith(owner: object, w: WasmLayout): void {
  if (w.port) helperReaper?.register(owner, w.port, w.port);
}

/** Stop the helper thread now, if there is one (the layout then runs on one thread). */
export function closeHelper(w: WasmLayout): void {
  if (w.port) {
    helperReaper?.unregister(w.port);
    w.port.close();
    w.port = null;
  }
}

/** The WebAssembly memory behind a parameter array, for the optimizer (same memory, same kernels). */
const wasmOwners = new WeakMap<FloatArray, WasmLayout>();
export function wasmLayoutOf(params: FloatArray): WasmLayout | undefined {
  return wasmOwners.get(params);
}
/** Make `params` (the network's view of w.params) find its layout (wasmLayoutOf). */
export function ownParams(params: FloatArray, w: WasmLayout): void {
  wasmOwners.set(params, w);
}

/** Optimizer state slots of `parameters` floats each: SGD none, momentum its velocity, Adam v and m. */
export function stateSlots(optimizer: 'sgd' | 'momentum' | 'adam' | undefined): number {
  return optimizer === 'sgd' ? 0 : optimizer === 'momentum' ? 1 : 2;
}

/** Every buffer's offset in the memory of a network of these sizes (arithmetic only: nothing allocated). */
function planOffsets(sizes: number[], maxBatch: number, total: number, parts: number, slots: number) {
  const L = sizes.length - 1;
  const B = maxBatch;
  // strides of the transposed scratch are padded past a multiple of 4: a power-of-two row
  // stride makes the transposes' stores alias their loads (4K aliasing), ten times slower
  const ldT = Math.ceil(B / 4) * 4 + 4;
  const r4 = (n: number) => Math.ceil(n / 4) * 4;
  const a = new Arena();
  const params = a.reserve(total * 4), grads = a.reserve(total * 4), state = a.reserve(slots * total * 4);
  const input = a.reserve(B * sizes[0]! * 4);
  const acts: number[] = [], deltas: number[] = [];
  const desc: number[][] = [], units: number[][] = [], hist: number[][] = [], unitsOutOff: number[][] = [], histOutOff: number[][] = [];
  const perPart = (bytes: number) => Array.from({ length: parts }, () => a.reserve(bytes));
  let t1 = 0, t2 = 0, t3 = 0, spK = 0;
  for (let k = 0; k < L; k++) {
    const inS = sizes[k]!, out = sizes[k + 1]!;
    acts.push(a.reserve(B * out * 4));
    deltas.push(a.reserve(B * out * 4));
    desc.push(perPart(3 * DESC_BYTES));
    units.push(perPart(r4(out) * 4));
    hist.push(perPart(4 * WASM_MAX_BINS * 4)); // one sub-histogram per SIMD lane
    unitsOutOff.push(perPart(r4(out) * 8)); // the kernels write whole vectors of 4
    histOutOff.push(perPart(WASM_MAX_BINS * 8));
    t1 = Math.max(t1, out * ldT);
    t2 = Math.max(t2, inS * ldT);
    if (k > 0) t3 = Math.max(t3, inS * (r4(out) + 4), out * (r4(inS) + 4));
    spK = Math.max(spK, out);
  }
  const norms = perPart(L * 24), optTable = perPart(L * 16), stats = a.reserve(3 * L * 8);
  const T1 = a.reserve(t1 * 4), T2 = a.reserve(t2 * 4), T3 = a.reserve(t3 * 4);
  // spmm's rows x k: M x out (input gradient and forward: out of the layer below) or out x M (weight gradient)
  const spList = perPart(Math.max(spmmScratchBytes(B, spK), spmmScratchBytes(spK, B)));
  const ctrl = a.reserve(CTRL_BYTES);
  // colsum's float64 result, then the optimizers' float arguments (OPT_COEF)
  const scalars = a.reserve(16 + OPT_COEF_BYTES);
  const nibbles = a.reserve(16 * NIBBLE_TABLE_ENTRIES);
  return { a, ldT, params, grads, state, input, acts, deltas, desc, units, hist, unitsOutOff, histOutOff, norms, optTable, stats, T1, T2, T3, spList, ctrl, scalars, nibbles };
}

/** Bytes of the WebAssembly memory planWasm would make for these arguments (see limits.ts). */
export function wasmMemoryBytes(sizes: number[], maxBatch: number, total: number, parts: number, slots: number): number {
  return Math.ceil(planOffsets(sizes, maxBatch, total, parts, slots).a.bytes / 65536) * 65536;
}

/**
 * The layout of a network of these sizes for batches up to maxBatch (`total` parameters), its
 * memory instantiated with the kernels (relaxed SIMD or not) and, with two threads, its helper
 * thread started; `parts`: the products' row parts (see NetworkOptions); `slots`: the optimizer
 * state it holds (stateSlots).
 */
export function planWasm(sizes: number[], maxBatch: number, total: number, relaxed: boolean, parts: number, threads: number, slots = 2): WasmLayout {
  const L = sizes.length - 1;
  const { a, ldT, params, grads, state, input, acts, deltas, desc, units, hist, unitsOutOff, histOutOff, norms, optTable, stats, T1, T2, T3, spList, ctrl, scalars, nibbles } = planOffsets(sizes, maxBatch, total, parts, slots);
  const shared = threads === 2;
  const { memory, exports, module } = a.instantiate(relaxed, shared);
  const f64 = (o: number, n: number) => new Float64Array(memory.buffer, o, n);
  const w: WasmLayout = {
    k: exports, memory, module, parts, params, grads, state, stateSlots: slots, input, acts, deltas, t1: T1, t2: T2, t3: T3, spList, sparse: new Array<boolean>(2 * L).fill(true), sparseRetry: new Array<number>(2 * L).fill(0), gemmProducts: 0, spmmProducts: 0, desc, units, hist, optTable,
    normsParts: norms.map((o) => { const v = f64(o, 3 * L); return { update: v.subarray(0, L), weight: v.subarray(L, 2 * L), grad: v.subarray(2 * L) }; }), statViews: [f64(stats, L), f64(stats + 8 * L, L), f64(stats + 16 * L, L)],
    unitsOut: unitsOutOff.map((offs, k) => offs.map((o) => new ProbeArray(memory.buffer, o, sizes[k + 1]!))),
    histOut: histOutOff.map((offs) => offs.map((o) => new ProbeArray(memory.buffer, o, WASM_MAX_BINS))),
    i32: new Int32Array(memory.buffer), u16: new Uint16Array(memory.buffer), f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer), ldT, bins: 0,
    port: null, useHelper: true, colsumOut: scalars, coef: scalars + 16, nibbles,
  };
  if (shared) {
    const helper = helperFactory()!(module, memory, ctrl);
    w.port = new TaskPort(w.i32, ctrl, helper);
  }
  return w;
}

/** Descriptor fields that never change: pointers, activations, strides; the optimizer's tables. */
export function initDescriptors(w: WasmLayout, layers: Layer[], slope: number): void {
  const { i32, f32 } = w;
  for (let k = 0; k < layers.length; k++) {
    const layer = layers[k]!;
    const N = layer.outSize, K = layer.inSize;
    const wOff = w.params + layer.offset * 4;
    const nCut = splitAt(N, w.parts), kCut = splitAt(K, w.parts); // forward columns / weight-gradient rows are units; input-gradient columns are inputs
    for (let p = 0; p < w.parts; p++) {
      const d = w.desc[k]![p]!, dd = d + DESC_BYTES, dg = d + 2 * DESC_BYTES;
      // forward (part 1: units from nCut on)
      i32[(d + DESC.bias) >> 2] = wOff + N * K * 4 + (p === 0 ? 0 : nCut * 4);
      i32[(d + DESC.units) >> 2] = w.units[k]![p]!;
      i32[(d + DESC.hist) >> 2] = w.hist[k]![p]!;
      i32[(d + DESC.unitsOut) >> 2] = w.unitsOut[k]![p]!.byteOffset;
      i32[(d + DESC.histOut) >> 2] = w.histOut[k]![p]!.byteOffset;
      // one part: the kernel finishes the layer's saturation, mean and std itself
      i32[(d + DESC.statsOut) >> 2] = w.parts === 1 && layer.activation ? w.statViews[0].byteOffset + 8 * k : 0;
      i32[(d + DESC.statsStride) >> 2] = 8 * layers.length;
      if (layer.activation) i32[(d + DESC.act) >> 2] = ACT[layer.activation];
      f32[(d + DESC.slope) >> 2] = slope;
      // input gradient of the layer below: δ ⊙ f'(a_{k-1}) (part 1: inputs from kCut on)
      if (k > 0) {
        i32[(dd + DESC.act) >> 2] = ACT[layers[k - 1]!.activation!];
        f32[(dd + DESC.slope) >> 2] = slope;
        i32[(dd + DESC.aux) >> 2] = w.acts[k - 1]! + (p === 0 ? 0 : kCut * 4);
        i32[(dd + DESC.auxLd) >> 2] = K;
      }
      // weight gradient: + λW (aux: this part's rows of W)
      i32[(dg + DESC.aux) >> 2] = wOff + (p === 0 ? 0 : nCut * K * 4);
      i32[(dg + DESC.auxLd) >> 2] = K;
      // the optimizer's table: split, part 0 takes the first half of each layer's weights,
      // part 1 the rest of the weights and the biases
      const lo = layer.offset, wEnd = lo + N * K, end = wEnd + N;
      const mid = lo + Math.ceil((N * K) / 8) * 4;
      const t = (w.optTable[p]! >> 2) + 4 * k;
      const half = w.parts === 1 ? [lo, wEnd, end] : p === 0 ? [lo, Math.min(mid, wEnd), Math.min(mid, wEnd)] : [Math.min(mid, wEnd), wEnd, end];
      i32[t] = half[0]!;
      i32[t + 1] = half[1]!;
      i32[t + 2] = half[2]!;
      i32[t + 3] = w.normsParts[p]!.update.byteOffset + 8 * k;
    }
  }
}

/**
 * The float64 arrays the forward kernels write their finished probes into, for ProbeBuffers
 * to use as their own (no copy each step): per layer saturation, mean and std (the kernels
 * write the hidden layers', the output's are written by forward()), and per hidden layer the
 * per-unit saturated fractions and the histogram's counts. Only with one part and bins the
 * kernels count; null otherwise. The histogram views stay valid while the bins stay the same:
 * a forward with buffers of other bins takes new views (of the same memory), and the old
 * buffers then get copies.
 */
export function probeViews(w: WasmLayout, layers: Layer[], bins: number): ProbeViews | null {
  if (w.parts !== 1 || bins > WASM_MAX_BINS) return null;
  if (w.bins !== bins) setHistogramBins(w, layers, bins);
  const hidden = (k: number) => layers[k]!.activation !== null;
  return {
    saturation: w.statViews[0], mean: w.statViews[1], std: w.statViews[2],
    unitSat: layers.map((_, k) => (hidden(k) ? w.unitsOut[k]![0]! : null)),
    hist: layers.map((_, k) => (hidden(k) ? w.histOut[k]![0]! : null)),
    norms: w.normsParts[0]!,
  };
}

/**
 * Set the descriptors up for histograms of `bins` bins (the nibble table up to NIBBLE_BINS, each
 * hidden layer's range and scale) and zero the counters.
 */
export function setHistogramBins(w: WasmLayout, layers: Layer[], bins: number): void {
  // up to NIBBLE_BINS bins the probe pass counts in registers, by the table's one-hot entries
  const table = bins <= NIBBLE_BINS ? w.nibbles : 0;
  if (table) new Uint8Array(w.memory.buffer, table, 16 * NIBBLE_TABLE_ENTRIES).set(nibbleTable(bins));
  for (let k = 0; k < layers.length; k++) {
    const kind = layers[k]!.activation;
    if (!kind) continue;
    const [lo, hi] = histogramRange(kind);
    for (let p = 0; p < w.parts; p++) {
      const d = w.desc[k]![p]!;
      w.i32[(d + DESC.bins) >> 2] = bins;
      w.i32[(d + DESC.nibbles) >> 2] = table;
      w.histOut[k]![p] = new ProbeArray(w.memory.buffer, w.histOut[k]![p]!.byteOffset, bins); // a view of exactly the bins
      w.i32.fill(0, w.hist[k]![p]! >> 2, (w.hist[k]![p]! >> 2) + 4 * WASM_MAX_BINS); // counters start at 0 (kernels re-zero them as they read)
      w.f64[(d + DESC.histLo) >> 3] = lo;
      w.f64[(d + DESC.histScale) >> 3] = Math.fround(bins / (hi - lo)); // used as float32 (see activationStats)
    }
  }
  w.bins = bins;
}

