/**
 * A dense feed-forward network h(k) = f(W(k) h(k-1) + b(k)) with a softmax (cross-entropy)
 * or single-sigmoid (binary cross-entropy) output, stored for speed:
 * - every parameter in ONE flat array (and every gradient in another), each layer's W and b
 *   are views into it, so optimizers run one loop over contiguous memory;
 * - activations and back-propagated signals in buffers sized once for the largest batch;
 * - forward() and backward() allocate nothing.
 * The same class runs in float32 (training) or float64 (gradient checks).
 *
 * Two implementations of the hot loops (kernel-path.ts): in float32 the WebAssembly SIMD
 * kernels (wasm/kernels-wasm.ts) when the runtime has them, every buffer then living in the
 * network's own WebAssembly memory (the arrays above are views into it); else, and always in
 * float64, the TypeScript kernels (kernels.ts). With probe buffers passed to forward/backward,
 * the WebAssembly path measures the activation statistics and gradient norms inside the
 * kernels' own passes.
 */
import { activateInPlace, histogramRange, mulDerivative } from './activations';
import type { UpdateNorms } from './optimizers';
import { selectedKernelPath, type KernelPath } from './kernel-path';
import { gemmAB, gemmABt, gemmAtB, sumRows, type FloatArray } from './kernels';
import { ProbeArray, type ProbeBuffers } from './probes';
import type { Rng } from './rng';
import type { HiddenActivation, InitSpec, OutputKind } from './types';
import { ACT, CTRL_BYTES, DESC, DESC_BYTES, EPI, NIBBLE_BINS, NIBBLE_TABLE_ENTRIES, nibbleTable, OPT_COEF_BYTES, SPMM_CHUNK, SPMM_STARTS, spmmScratchBytes } from './wasm/abi';
import { helperFactory, TaskPort } from './wasm/parallel';
import { Arena, type KernelExports } from './wasm/runtime';

export type DType = 'float32' | 'float64';

export interface NetworkSpec {
  /** n_0 (inputs), hidden sizes..., and the output size: classes for softmax, 1 for a sigmoid output */
  sizes: number[];
  /** one per hidden layer (sizes.length - 2) */
  hidden: HiddenActivation[];
  output: OutputKind;
  leakyReluSlope: number;
}

export interface Layer {
  /** 0-based weight-layer index k */
  index: number;
  inSize: number;
  outSize: number;
  /** hidden activation, or null for the output layer */
  activation: HiddenActivation | null;
  W: FloatArray; // [out, in]
  b: FloatArray; // [out]
  dW: FloatArray;
  db: FloatArray;
  /** offset of W in the flat parameter array; b follows W */
  offset: number;
}

/** What the last backward pass measured, per layer: ‖δ_k‖² and the first non-finite layer. */
export interface BackwardInfo {
  loss: number;
  /** number of examples whose argmax (or p > 0.5) equals the label */
  correct: number;
}

function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Histogram bins the WebAssembly probes count in place (the config allows up to 100). */
const WASM_MAX_BINS = 128;

/**
 * A product's rows are cut in two parts with their own descriptors, counters and sums (the sums
 * are added part 0 + part 1), so the same numbers come out whether one thread runs both parts or
 * two threads run one each. Small networks, where a second thread never pays, keep one part.
 */
export interface NetworkOptions {
  /** 1: never use a second thread; 2: use one when the host can start it (default) */
  threads?: 1 | 2;
  /** cut the products in two parts (default: when a step does at least SPLIT_MIN_FLOPS) */
  split?: boolean;
}
/**
 * spmm's break-even: when more than this fraction of a product's A is nonzero (a forward's input
 * or a backward's δ), those products go back to the GEMM (measured: spmm runs a dense A at about
 * 0.72 of the GEMM's speed), and try spmm again after SPARSE_RETRY steps.
 */
const SPARSE_MAX_DENSITY = 0.7;
const SPARSE_RETRY = 50;
/** spmm only for products with at least this many columns (fewer leave its column groups idle) */
const SPARSE_MIN_COLS = 28;
/** flops per training step from which products are cut in two (a second core pays: see README) */
export const SPLIT_MIN_FLOPS = 16e6;

/** Byte offsets of a network's buffers in its WebAssembly memory. */
interface WasmLayout {
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
  /** optimizer state: 2 x parameters (velocity / Adam's v, then Adam's m) */
  state: number;
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
function splitAt(R: number, parts: number): number {
  return parts === 1 ? R : Math.min(R, Math.ceil(R / 8) * 4);
}

/** One part of a product on this thread's kernels or the helper's port: spmm (with its list scratch S) or the GEMM. */
function product(x: KernelExports | TaskPort, sparse: boolean, A: number, lda: number, B: number, ldb: number, C: number, ldc: number,
  R: number, N: number, K: number, epi: number, d: number, S: number): void {
  if (sparse) x.spmm(A, lda, B, ldb, C, ldc, R, N, K, epi, d, S);
  else x.gemm(A, lda, B, ldb, C, ldc, R, N, K, epi, d);
}

/** Helpers of networks that were dropped without dispose(). */
const helperReaper = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<TaskPort>((port) => port.close()) : null;

/** The WebAssembly memory behind a parameter array, for the optimizer (same memory, same kernels). */
const wasmOwners = new WeakMap<FloatArray, WasmLayout>();
export function wasmLayoutOf(params: FloatArray): WasmLayout | undefined {
  return wasmOwners.get(params);
}

export class Network {
  readonly dtype: DType;
  readonly sizes: number[];
  readonly hidden: HiddenActivation[];
  readonly output: OutputKind;
  readonly slope: number;
  readonly layers: Layer[];
  readonly params: FloatArray;
  readonly grads: FloatArray;
  readonly maxBatch: number;
  /** acts[k] holds z_k, then a_k in place, [maxBatch, n_{k+1}]; for the output layer the probabilities */
  readonly acts: FloatArray[];
  /** deltas[k] = ∂loss/∂z_k, [maxBatch, n_{k+1}] */
  readonly deltas: FloatArray[];
  /** ‖δ_k‖_F² of the last backward pass */
  readonly deltaSq: Float64Array;
  /** The L2 weight decay backwardAtDecay() adds (the trainer sets it; backward() takes its own). */
  readonly decay = new Float64Array(1);
  /** Σ a_k of the last forward pass, per layer (non-finite when the layer blew up) */
  readonly actSum: Float64Array;
  /** the input batch of the last forward pass */
  private input: FloatArray;
  /** which kernels run this network */
  readonly kernelPath: KernelPath | 'typescript-f64';
  /** a [maxBatch, n_0] buffer for input batches: forward() reads it without a copy */
  readonly inputBuffer: FloatArray;
  private readonly wasm: WasmLayout | null;

  constructor(spec: NetworkSpec, maxBatch: number, dtype: DType = 'float32', kernel?: KernelPath, options: NetworkOptions = {}) {
    const L = spec.sizes.length - 1;
    if (L < 1) throw new Error('a network needs at least an input and an output size');
    if (spec.hidden.length !== L - 1) throw new Error(`expected ${L - 1} hidden activations, got ${spec.hidden.length}`);
    if (spec.output === 'sigmoid' && spec.sizes[L] !== 1) throw new Error('a sigmoid output has exactly one unit');
    this.dtype = dtype;
    this.sizes = spec.sizes.slice();
    this.hidden = spec.hidden.slice();
    this.output = spec.output;
    this.slope = spec.leakyReluSlope;
    this.maxBatch = maxBatch;
    let total = 0;
    for (let k = 0; k < L; k++) total += this.sizes[k + 1]! * (this.sizes[k]! + 1);
    this.kernelPath = dtype === 'float64' ? 'typescript-f64' : (kernel ?? selectedKernelPath());
    const split = options.split ?? 6 * total * maxBatch >= SPLIT_MIN_FLOPS;
    const threads = split && options.threads !== 1 && helperFactory() ? 2 : 1;
    this.wasm = this.kernelPath.startsWith('wasm-') ? this.planWasm(total, this.kernelPath === 'wasm-relaxed-simd-f32', split ? 2 : 1, threads) : null;
    const w = this.wasm;
    const view = (off: number, n: number) => new Float32Array(w!.memory.buffer, off, n);
    this.params = w ? view(w.params, total) : alloc(dtype, total);
    this.grads = w ? view(w.grads, total) : alloc(dtype, total);
    this.inputBuffer = w ? view(w.input, maxBatch * this.sizes[0]!) : alloc(dtype, maxBatch * this.sizes[0]!);
    if (w) wasmOwners.set(this.params, w);
    this.layers = [];
    this.acts = [];
    this.deltas = [];
    let off = 0;
    for (let k = 0; k < L; k++) {
      const inSize = this.sizes[k]!, outSize = this.sizes[k + 1]!;
      const nw = inSize * outSize;
      this.layers.push({
        index: k, inSize, outSize,
        activation: k < L - 1 ? this.hidden[k]! : null,
        W: this.params.subarray(off, off + nw), b: this.params.subarray(off + nw, off + nw + outSize),
        dW: this.grads.subarray(off, off + nw), db: this.grads.subarray(off + nw, off + nw + outSize),
        offset: off,
      });
      off += nw + outSize;
      this.acts.push(w ? view(w.acts[k]!, maxBatch * outSize) : alloc(dtype, maxBatch * outSize));
      this.deltas.push(w ? view(w.deltas[k]!, maxBatch * outSize) : alloc(dtype, maxBatch * outSize));
    }
    this.deltaSq = new Float64Array(L);
    this.actSum = new Float64Array(L);
    this.input = this.acts[0]!; // replaced by the first forward()
    if (w) this.initDescriptors(w);
    if (w?.port) helperReaper?.register(this, w.port, w.port);
  }

  /**
   * The matrix products run so far on the dense GEMM and on spmm (ReLU's zeros skipped), on the
   * WebAssembly path; null on the TypeScript path.
   */
  get productCounts(): { gemm: number; spmm: number } | null {
    return this.wasm ? { gemm: this.wasm.gemmProducts, spmm: this.wasm.spmmProducts } : null;
  }

  /** Threads running this network's products: 1, or 2 with a helper thread. */
  get threads(): number {
    return this.wasm?.port ? 2 : 1;
  }

  /**
   * With a helper thread: whether the products use it (true by default). Either way every product
   * is cut in the same parts, so the results are bit-identical; only the speed differs.
   */
  get useHelper(): boolean {
    return !!this.wasm?.port && this.wasm.useHelper;
  }
  set useHelper(on: boolean) {
    if (this.wasm) this.wasm.useHelper = on;
  }

  /** Stop the helper thread, if any (the network still works, on one thread). */
  dispose(): void {
    const w = this.wasm;
    if (w?.port) {
      helperReaper?.unregister(w.port);
      w.port.close();
      w.port = null;
    }
  }

  get parameterCount(): number {
    return this.params.length;
  }

  private planWasm(total: number, relaxed: boolean, parts: number, threads: number): WasmLayout {
    const L = this.sizes.length - 1;
    const B = this.maxBatch;
    // strides of the transposed scratch are padded past a multiple of 4: a power-of-two row
    // stride makes the transposes' stores alias their loads (4K aliasing), ten times slower
    const ldT = Math.ceil(B / 4) * 4 + 4;
    const r4 = (n: number) => Math.ceil(n / 4) * 4;
    const a = new Arena();
    const params = a.reserve(total * 4), grads = a.reserve(total * 4), state = a.reserve(2 * total * 4);
    const input = a.reserve(B * this.sizes[0]! * 4);
    const acts: number[] = [], deltas: number[] = [];
    const desc: number[][] = [], units: number[][] = [], hist: number[][] = [], unitsOutOff: number[][] = [], histOutOff: number[][] = [];
    const perPart = (bytes: number) => Array.from({ length: parts }, () => a.reserve(bytes));
    let t1 = 0, t2 = 0, t3 = 0, spK = 0;
    for (let k = 0; k < L; k++) {
      const inS = this.sizes[k]!, out = this.sizes[k + 1]!;
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
    const shared = threads === 2;
    const { memory, exports, module } = a.instantiate(relaxed, shared);
    const f64 = (o: number, n: number) => new Float64Array(memory.buffer, o, n);
    const w: WasmLayout = {
      k: exports, memory, module, parts, params, grads, state, input, acts, deltas, t1: T1, t2: T2, t3: T3, spList, sparse: new Array<boolean>(2 * L).fill(true), sparseRetry: new Array<number>(2 * L).fill(0), gemmProducts: 0, spmmProducts: 0, desc, units, hist, optTable,
      normsParts: norms.map((o) => { const v = f64(o, 3 * L); return { update: v.subarray(0, L), weight: v.subarray(L, 2 * L), grad: v.subarray(2 * L) }; }), statViews: [f64(stats, L), f64(stats + 8 * L, L), f64(stats + 16 * L, L)],
      unitsOut: unitsOutOff.map((offs, k) => offs.map((o) => new ProbeArray(memory.buffer, o, this.sizes[k + 1]!))),
      histOut: histOutOff.map((offs) => offs.map((o) => new ProbeArray(memory.buffer, o, WASM_MAX_BINS))),
      i32: new Int32Array(memory.buffer), f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer), ldT, bins: 0,
      port: null, useHelper: true, colsumOut: scalars, coef: scalars + 16, nibbles,
    };
    if (shared) {
      const helper = helperFactory()!(module, memory, ctrl);
      w.port = new TaskPort(w.i32, ctrl, helper);
    }
    return w;
  }

  /** Initialize weights by the scheme (fan-in/fan-out per layer) and biases to init.bias. */
  initialize(init: InitSpec, rng: Rng): void {
    for (const layer of this.layers) {
      const fanIn = layer.inSize, fanOut = layer.outSize;
      const W = layer.W;
      switch (init.scheme) {
        case 'normal': for (let i = 0; i < W.length; i++) W[i] = init.std * rng.normal(); break;
        case 'uniform': for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-init.limit, init.limit); break;
        case 'glorot_uniform': { const l = Math.sqrt(6 / (fanIn + fanOut)); for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-l, l); break; }
        case 'glorot_normal': { const s = Math.sqrt(2 / (fanIn + fanOut)); for (let i = 0; i < W.length; i++) W[i] = s * rng.normal(); break; }
        case 'he_normal': { const s = Math.sqrt(2 / fanIn); for (let i = 0; i < W.length; i++) W[i] = s * rng.normal(); break; }
        case 'he_uniform': { const l = Math.sqrt(6 / fanIn); for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-l, l); break; }
      }
      layer.b.fill(init.bias);
    }
  }

  /**
   * Forward pass over the first M rows of X ([M, n_0]). Leaves a_k in acts[k] and the output
   * probabilities (softmax rows, or p(y=1|x) for a sigmoid output) in the last buffer; also
   * keeps the raw output scores for the loss in deltas[L-1] (overwritten by backward()).
   */
  forward(X: FloatArray, M: number, probes: ProbeBuffers | null = null): void {
    if (M > this.maxBatch) throw new Error(`batch of ${M} exceeds the network's maximum ${this.maxBatch}`);
    const L = this.layers.length;
    if (probes) probes.fusedForward = probes.fusedBackward = false;
    if (this.wasm) {
      this.forwardWasm(this.wasm, X, M, probes);
    } else {
      this.input = X;
      let prev: FloatArray = X;
      for (let k = 0; k < L; k++) {
        const layer = this.layers[k]!;
        const out = this.acts[k]!;
        gemmABt(prev, layer.W, layer.b, out, M, layer.outSize, layer.inSize);
        if (layer.activation) this.actSum[k] = activateInPlace(layer.activation, out, M * layer.outSize, this.slope);
        prev = out;
      }
    }
    // The output layer: keep the scores (logits) for a stable loss, then turn acts into probabilities.
    const n = this.sizes[L]!;
    const scores = this.deltas[L - 1]!;
    const probs = this.acts[L - 1]!;
    let sum = 0;
    for (let i = 0; i < M * n; i++) { scores[i] = probs[i]!; sum += probs[i]!; }
    this.actSum[L - 1] = sum;
    // with fused probes, Σp and Σp² of the output as the probabilities are made (softmax: per row)
    const stats = this.wasm !== null && probes !== null && probes.bins <= WASM_MAX_BINS;
    let ps = 0, pss = 0;
    if (this.output === 'sigmoid') {
      activateInPlace('sigmoid', probs, M, 0);
      if (stats) for (let i = 0; i < M; i++) { const x = probs[i]!; ps += x; pss += x * x; }
    } else {
      for (let m = 0; m < M; m++) {
        const r = m * n;
        let max = -Infinity;
        for (let j = 0; j < n; j++) if (probs[r + j]! > max) max = probs[r + j]!;
        // Σe² too: the row's Σp = Σe/s and Σp² = Σe²/s² for the probes (p before its float32 rounding)
        let s = 0, s2 = 0;
        for (let j = 0; j < n; j++) { const e = Math.exp(probs[r + j]! - max); probs[r + j] = e; s += e; s2 += e * e; }
        const inv = 1 / s;
        for (let j = 0; j < n; j++) probs[r + j]! *= inv;
        if (stats) { ps += s * inv; pss += s2 * inv * inv; }
      }
    }
    if (stats) {
      const mean = ps / (M * n);
      probes.mean[L - 1] = mean;
      probes.std[L - 1] = Math.sqrt(Math.max(pss / (M * n) - mean * mean, 0));
      probes.saturation[L - 1] = NaN;
      probes.fusedForward = true;
    }
  }

  /**
   * One product in two parts (see NetworkOptions), on the GEMM (C = A·Bᵀ, B is [N, K]) or, with
   * `sparse`, on spmm (C = A·B over A's nonzeros, B is [K, N]): by columns of C (forward and
   * input gradient: each part reads part of the weights) or by rows (weight gradient: rows are
   * units). Part 1 goes to the helper thread when there is one, part 0 runs here. `kind` picks
   * the layer's descriptor (0 forward, 1 input gradient, 2 weight gradient); the parts'
   * descriptors carry their own column or row offsets (initDescriptors), and each part lists its
   * own nonzeros for spmm. Returns whether part 1 ran (else its sums are zeroed).
   */
  private productParts(w: WasmLayout, k: number, kind: number, byCols: boolean, sparse: boolean, A: number, lda: number, B: number, ldb: number,
    C: number, ldc: number, R: number, N: number, K: number, epi: number): boolean {
    const d0 = w.desc[k]![0]! + kind * DESC_BYTES;
    const cut = splitAt(byCols ? N : R, w.parts);
    if (sparse) w.spmmProducts++;
    else w.gemmProducts++;
    if (w.parts === 1 || cut === (byCols ? N : R)) {
      if (w.parts === 2) { const d1 = (w.desc[k]![1]! + kind * DESC_BYTES + DESC.sum) >> 3; w.f64.fill(0, d1, d1 + 3); }
      product(w.k, sparse, A, lda, B, ldb, C, ldc, R, N, K, epi, d0, w.spList[0]!);
      return false;
    }
    const d1 = w.desc[k]![1]! + kind * DESC_BYTES;
    let A1 = A, B1 = B, C1: number, R0 = R, R1 = R, N0 = N, N1 = N;
    // part 1's columns: further along B's rows for spmm, further rows of B for the GEMM
    if (byCols) { B1 = B + cut * (sparse ? 1 : ldb) * 4; C1 = C + cut * 4; N0 = cut; N1 = N - cut; }
    else { A1 = A + cut * lda * 4; C1 = C + cut * ldc * 4; R0 = cut; R1 = R - cut; }
    if (w.port && w.useHelper) {
      product(w.port, sparse, A1, lda, B1, ldb, C1, ldc, R1, N1, K, epi, d1, w.spList[1]!);
      product(w.k, sparse, A, lda, B, ldb, C, ldc, R0, N0, K, epi, d0, w.spList[0]!);
      w.port.wait();
    } else {
      product(w.k, sparse, A, lda, B, ldb, C, ldc, R0, N0, K, epi, d0, w.spList[0]!);
      product(w.k, sparse, A1, lda, B1, ldb, C1, ldc, R1, N1, K, epi, d1, w.spList[1]!);
    }
    return true;
  }

  /**
   * The nonzeros of A the last spmm product listed (R rows, K k), over its parts: by columns
   * both parts listed every row (count one), by rows each its own.
   */
  private nonzeros(w: WasmLayout, byCols: boolean, both: boolean, R: number, K: number): number {
    if (!both || byCols) return this.listed(w, w.spList[0]!, R, K);
    const cut = splitAt(R, 2);
    return this.listed(w, w.spList[0]!, cut, K) + this.listed(w, w.spList[1]!, R - cut, K);
  }

  /** Whether layer k's forward runs on spmm: its input is a ReLU layer's output (see sparseNow). */
  private sparseInput(w: WasmLayout, k: number, N: number): boolean {
    return k > 0 && this.layers[k - 1]!.activation === 'relu' && N >= SPARSE_MIN_COLS && this.sparseNow(w, k, 0);
  }

  /** Whether product family `which` (0 forward, 1 backward) of layer k uses spmm this step. */
  private sparseNow(w: WasmLayout, k: number, which: number): boolean {
    const i = 2 * k + which;
    if (w.sparse[i]) return true;
    if (--w.sparseRetry[i]! > 0) return false;
    return (w.sparse[i] = true);
  }

  /** After a spmm: with more than SPARSE_MAX_DENSITY nonzeros, the dense products for a while. */
  private sparseSeen(w: WasmLayout, k: number, which: number, nonzeros: number, total: number): void {
    if (nonzeros <= SPARSE_MAX_DENSITY * total) return;
    w.sparse[2 * k + which] = false;
    w.sparseRetry[2 * k + which] = SPARSE_RETRY;
  }

  /**
   * The nonzeros spmm listed at S for R rows: the end of the last list minus the start of the
   * first, in pairs (a product's lists are one run of pairs, chunk by chunk, row by row).
   */
  private listed(w: WasmLayout, S: number, R: number, K: number): number {
    const starts = (S + SPMM_STARTS) >> 2;
    return (w.i32[starts + R * Math.ceil(K / SPMM_CHUNK)]! - w.i32[starts]!) >> 3; // 8 bytes a nonzero
  }

  /**
   * A descriptor sum over the parts, part 0 + part 1 (slot: DESC.sum / sumSq / sat), into out[i]:
   * a float returned by a call the compiler does not inline is boxed, an allocation each step.
   */
  private partSumInto(out: Float64Array, i: number, w: WasmLayout, k: number, kind: number, slot: number): void {
    const f64 = w.f64, d = w.desc[k]!;
    let s = f64[(d[0]! + kind * DESC_BYTES + slot) >> 3]!;
    if (w.parts === 2) s += f64[(d[1]! + kind * DESC_BYTES + slot) >> 3]!;
    out[i] = s;
  }

  /** The WebAssembly forward of every layer up to the output scores (bias, activation and probes fused). */
  private forwardWasm(w: WasmLayout, X: FloatArray, M: number, P: ProbeBuffers | null): void {
    const L = this.layers.length;
    const n0 = this.sizes[0]!;
    if (X !== this.inputBuffer) (this.inputBuffer as Float32Array).set(X.length === M * n0 ? X : X.subarray(0, M * n0));
    this.input = this.inputBuffer;
    const probe = P !== null && P.bins <= WASM_MAX_BINS;
    const i32 = w.i32;
    if (probe && w.bins !== P.bins) this.setHistogramBins(w, P.bins);
    let prev = w.input, prevLd = n0;
    for (let k = 0; k < L; k++) {
      const layer = this.layers[k]!;
      const N = layer.outSize, K = layer.inSize;
      const hidden = layer.activation !== null;
      for (let p = 0; p < w.parts; p++) i32[(w.desc[k]![p]! + DESC.probe) >> 2] = probe ? 1 : 0;
      const epi = hidden ? EPI.act : EPI.bias;
      let both: boolean;
      if (this.sparseInput(w, k, N)) {
        // the input is a ReLU layer's output: z = a·Wᵀ on spmm over a's nonzeros, with Wᵀ
        // at a padded row stride (as in the backward)
        const N4 = Math.ceil(N / 4) * 4 + 4;
        w.k.transpose(w.params + layer.offset * 4, K, w.t3, N4, N, K);
        both = this.productParts(w, k, 0, true, true, prev, prevLd, w.t3, N4, w.acts[k]!, N, M, N, K, epi);
        this.sparseSeen(w, k, 0, this.nonzeros(w, true, both, M, K), M * K);
      } else {
        both = this.productParts(w, k, 0, true, false, prev, prevLd, w.params + layer.offset * 4, K, w.acts[k]!, N, M, N, K, epi);
      }
      if (hidden) {
        this.partSumInto(this.actSum, k, w, k, 0, DESC.sum);
        const sum = this.actSum[k]!;
        if (probe) {
          if (w.parts === 1) {
            // the kernel finished saturation, mean and std (in P already when P holds its views)
            if (P.saturation !== w.statViews[0]) {
              P.saturation[k] = w.statViews[0][k]!;
              P.mean[k] = w.statViews[1][k]!;
              P.std[k] = w.statViews[2][k]!;
            }
          } else {
            const count = M * N;
            const mean = sum / count;
            this.partSumInto(P.saturation, k, w, k, 0, DESC.sat);
            P.saturation[k] = P.saturation[k]! / count;
            P.mean[k] = mean;
            this.partSumInto(P.std, k, w, k, 0, DESC.sumSq); // Σa², then the std from it
            P.std[k] = Math.sqrt(Math.max(P.std[k]! / count - mean * mean, 0));
          }
          // the kernels wrote per-unit fractions and bin counts; buffers made with the network's
          // own views (probeViews) hold them already, others take a copy. Plain loops: for a few
          // dozen numbers TypedArray.set's native call costs more
          const unit = P.unitSat[k]!, hist = P.hist[k]!;
          const u0 = w.unitsOut[k]![0]!, h0 = w.histOut[k]![0]!;
          if (!both) {
            if (unit !== u0) for (let j = 0; j < N; j++) unit[j] = u0[j]!;
            if (hist !== h0) for (let b = 0; b < h0.length; b++) hist[b] = h0[b]!;
          } else {
            // part 0 counted units [0, cut), part 1 units [cut, N) from its own 0
            const u1 = w.unitsOut[k]![1]!, h1 = w.histOut[k]![1]!, cut = splitAt(N, 2);
            for (let j = 0; j < cut; j++) unit[j] = u0[j]!;
            for (let j = cut; j < N; j++) unit[j] = u1[j - cut]!;
            for (let b = 0; b < h0.length; b++) hist[b] = h0[b]! + h1[b]!;
          }
        }
      }
      prev = w.acts[k]!;
      prevLd = N;
    }
  }

  /** Descriptor fields that never change: pointers, activations, strides; the optimizer's tables. */
  private initDescriptors(w: WasmLayout): void {
    const { i32, f32 } = w;
    for (let k = 0; k < this.layers.length; k++) {
      const layer = this.layers[k]!;
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
        i32[(d + DESC.statsStride) >> 2] = 8 * this.layers.length;
        if (layer.activation) i32[(d + DESC.act) >> 2] = ACT[layer.activation];
        f32[(d + DESC.slope) >> 2] = this.slope;
        // input gradient of the layer below: δ ⊙ f'(a_{k-1}) (part 1: inputs from kCut on)
        if (k > 0) {
          i32[(dd + DESC.act) >> 2] = ACT[this.layers[k - 1]!.activation!];
          f32[(dd + DESC.slope) >> 2] = this.slope;
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
  probeViews(bins: number): { saturation: Float64Array; mean: Float64Array; std: Float64Array; unitSat: (ProbeArray | null)[]; hist: (ProbeArray | null)[]; norms: UpdateNorms } | null {
    const w = this.wasm;
    if (!w || w.parts !== 1 || bins > WASM_MAX_BINS) return null;
    if (w.bins !== bins) this.setHistogramBins(w, bins);
    const hidden = (k: number) => this.layers[k]!.activation !== null;
    return {
      saturation: w.statViews[0], mean: w.statViews[1], std: w.statViews[2],
      unitSat: this.layers.map((_, k) => (hidden(k) ? w.unitsOut[k]![0]! : null)),
      hist: this.layers.map((_, k) => (hidden(k) ? w.histOut[k]![0]! : null)),
      norms: w.normsParts[0]!,
    };
  }

  private setHistogramBins(w: WasmLayout, bins: number): void {
    // up to NIBBLE_BINS bins the probe pass counts in registers, by the table's one-hot entries
    const table = bins <= NIBBLE_BINS ? w.nibbles : 0;
    if (table) new Uint8Array(w.memory.buffer, table, 16 * NIBBLE_TABLE_ENTRIES).set(nibbleTable(bins));
    for (let k = 0; k < this.layers.length; k++) {
      const kind = this.layers[k]!.activation;
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

  /**
   * Mean loss and correct count of the last forward pass against labels y (first M).
   * Softmax: loss = mean(logsumexp(s) − s_y), computed from the kept scores (log-sum-exp with
   * max shift, exact for huge logits). Sigmoid: loss = mean(softplus(s) − y·s), stable form.
   * Accuracy: argmax with ties to the lowest index; sigmoid predicts 1 when s > 0.
   */
  lossAndCorrect(y: Int32Array, M: number, out: BackwardInfo): void {
    const L = this.layers.length;
    const n = this.sizes[L]!;
    const scores = this.deltas[L - 1]!;
    let loss = 0;
    let correct = 0;
    if (this.output === 'sigmoid') {
      for (let m = 0; m < M; m++) {
        const s = scores[m]!, t = y[m]!;
        loss += Math.max(s, 0) - t * s + Math.log1p(Math.exp(-Math.abs(s)));
        if ((s > 0 ? 1 : 0) === t) correct++;
      }
    } else {
      for (let m = 0; m < M; m++) {
        const r = m * n;
        let max = -Infinity, arg = 0;
        for (let j = 0; j < n; j++) if (scores[r + j]! > max) { max = scores[r + j]!; arg = j; }
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(scores[r + j]! - max);
        loss += max + Math.log(s) - scores[r + y[m]!]!;
        if (arg === y[m]) correct++;
      }
    }
    out.loss = loss / M;
    out.correct = correct;
  }

  /**
   * Backward pass for the last forward(): fills grads (dW, db of every layer), deltas[k] = δ_k
   * and deltaSq[k] = ‖δ_k‖_F². Gradients are of the MEAN loss over the M examples.
   * weightDecay adds weightDecay·W to dW (L2; biases excluded).
   */
  backward(y: Int32Array, M: number, weightDecay = 0, probes: ProbeBuffers | null = null): void {
    const kept = this.decay[0]!; // a trainer's decay stays as it was
    this.decay[0] = weightDecay;
    try {
      this.backwardAtDecay(y, M, probes);
    } finally {
      this.decay[0] = kept;
    }
  }

  /**
   * backward() with the weight decay in `decay` (the trainer's way: a float argument to a call the
   * compiler does not inline is boxed, an allocation each step).
   */
  backwardAtDecay(y: Int32Array, M: number, probes: ProbeBuffers | null = null): void {
    const weightDecay = this.decay[0]!;
    const L = this.layers.length;
    const n = this.sizes[L]!;
    const probs = this.acts[L - 1]!;
    const top = this.deltas[L - 1]!;
    const invM = 1 / M;
    let ss = 0;
    // δ_{L-1} = (p − onehot(y)) / M; the same form for the sigmoid output with p = σ(s).
    if (this.output === 'sigmoid') {
      for (let m = 0; m < M; m++) { const d = (probs[m]! - y[m]!) * invM; top[m] = d; ss += d * d; }
    } else {
      for (let m = 0; m < M; m++) {
        const r = m * n;
        for (let j = 0; j < n; j++) { const d = (probs[r + j]! - (j === y[m] ? 1 : 0)) * invM; top[r + j] = d; ss += d * d; }
      }
    }
    this.deltaSq[L - 1] = ss;
    if (this.wasm) {
      this.backwardWasm(this.wasm, M, probes);
      return;
    }
    for (let k = L - 1; k >= 0; k--) {
      const layer = this.layers[k]!;
      const delta = this.deltas[k]!;
      const prevA = k > 0 ? this.acts[k - 1]! : this.input;
      gemmAtB(delta, prevA, layer.dW, M, layer.outSize, layer.inSize);
      sumRows(delta, layer.db, M, layer.outSize);
      if (weightDecay !== 0) {
        const W = layer.W, dW = layer.dW;
        for (let i = 0; i < W.length; i++) dW[i]! += weightDecay * W[i]!;
      }
      if (k > 0) {
        const below = this.layers[k - 1]!;
        const prevDelta = this.deltas[k - 1]!;
        gemmAB(delta, layer.W, prevDelta, M, layer.outSize, layer.inSize);
        this.deltaSq[k - 1] = mulDerivative(below.activation!, prevDelta, prevA, M * below.outSize, this.slope);
      }
    }
  }

  /** The WebAssembly backward from δ_{L-1} down: dW (+ λW), db, δ_{k-1} = (δ_k·W_k) ⊙ f'(a_{k-1}). */
  private backwardWasm(w: WasmLayout, M: number, P: ProbeBuffers | null): void {
    const weightDecay = this.decay[0]!;
    const L = this.layers.length;
    const { f32, k: K_, ldT } = w;
    const probe = P !== null;
    for (let k = L - 1; k >= 0; k--) {
      const layer = this.layers[k]!;
      const N = layer.outSize, K = layer.inSize;
      const wOff = w.params + layer.offset * 4, gOff = w.grads + layer.offset * 4;
      const prevA = k > 0 ? w.acts[k - 1]! : w.input;
      const dk = w.deltas[k]!;
      // δ_k of a hidden ReLU layer is 0 wherever its unit is off (often half): its two products
      // then run on spmm, which skips those zeros; a layer whose δ has few zeros goes back to
      // the dense products, and tries spmm again SPARSE_RETRY steps later
      const sparse = k < L - 1 && layer.activation === 'relu' && K >= SPARSE_MIN_COLS && this.sparseNow(w, k, 1);
      for (let p = 0; p < w.parts; p++) {
        const dg = w.desc[k]![p]! + 2 * DESC_BYTES;
        f32[(dg + DESC.wd) >> 2] = weightDecay;
      }
      if (sparse) {
        // dW = δᵀ·a: A = δᵀ (transposed), B = a as it is; rows (units) in parts
        K_.transpose(dk, N, w.t1, ldT, M, N);
        const both = this.productParts(w, k, 2, false, true, w.t1, ldT, prevA, K, gOff, K, N, K, M, EPI.grad);
        this.sparseSeen(w, k, 1, this.nonzeros(w, false, both, N, M), M * N);
      } else {
        // dW = δᵀ·a as a dot-form product of the transposes; its rows (units) in parts
        if (w.port && w.useHelper) {
          w.port.transpose(prevA, K, w.t2, ldT, M, K);
          K_.transpose(dk, N, w.t1, ldT, M, N);
          w.port.wait();
        } else {
          K_.transpose(dk, N, w.t1, ldT, M, N);
          K_.transpose(prevA, K, w.t2, ldT, M, K);
        }
        this.productParts(w, k, 2, false, false, w.t1, ldT, w.t2, ldT, gOff, K, N, K, M, EPI.grad);
      }
      K_.colsum(dk, N, M, N, gOff + N * K * 4, w.colsumOut);
      const gb = w.f64[w.colsumOut >> 3]!;
      if (probe) P.gradB[k] = Math.sqrt(gb); // ‖dW‖: the optimizer's pass measures it
      if (k > 0 && sparse) {
        // δ_{k-1} = δ_k·W ⊙ f'(a_{k-1}) on spmm: A = δ_k, B = W at a padded row stride (rows a
        // power of two apart share a few cache sets: the column panel would not stay in L1)
        const K4 = Math.ceil(K / 4) * 4 + 4;
        K_.copy2d(wOff, K, w.t3, K4, N, K);
        this.productParts(w, k, 1, true, true, dk, N, w.t3, K4, w.deltas[k - 1]!, K, M, K, N, EPI.deriv);
        this.partSumInto(this.deltaSq, k - 1, w, k, 1, DESC.sum);
      } else if (k > 0) {
        const N4 = Math.ceil(N / 4) * 4 + 4; // padded stride, see planWasm
        K_.transpose(wOff, K, w.t3, N4, N, K);
        this.productParts(w, k, 1, true, false, dk, N, w.t3, N4, w.deltas[k - 1]!, K, M, K, N, EPI.deriv);
        this.partSumInto(this.deltaSq, k - 1, w, k, 1, DESC.sum);
      }
    }
    if (P) P.fusedBackward = true;
  }

  /** Predicted class of row m of the last forward pass. */
  predict(m: number): number {
    const L = this.layers.length;
    const n = this.sizes[L]!;
    const probs = this.acts[L - 1]!;
    if (this.output === 'sigmoid') return probs[m]! > 0.5 ? 1 : 0;
    let arg = 0;
    for (let j = 1; j < n; j++) if (probs[m * n + j]! > probs[m * n + arg]!) arg = j;
    return arg;
  }
}
