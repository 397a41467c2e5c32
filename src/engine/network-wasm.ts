/**
 * The WebAssembly path's passes (network.ts calls them on its float32 networks when the runtime
 * has the kernels): the forward of every layer up to the output scores and the backward from
 * δ_{L-1} down, each product on the GEMM or, where A holds ReLU's exact zeros, on spmm, cut in
 * row parts (network-layout.ts) for a second thread. With probe buffers, the kernels' epilogues
 * measure the activation statistics and the gradient norms in their own passes.
 */
import type { FloatArray } from './kernels';
import { setHistogramBins, splitAt, WASM_MAX_BINS, type WasmLayout } from './network-layout';
import type { Layer, PassProbes } from './network-types';
import { DESC, DESC_BYTES, EPI, SPMM_CHUNK, SPMM_STARTS } from './wasm/abi';
import type { TaskPort } from './wasm/parallel';
import type { KernelExports } from './wasm/runtime';

/** What the passes read and write of the network (Network is one). */
export interface NetworkBuffers {
  readonly sizes: number[];
  readonly layers: Layer[];
  /** the input batch buffer, a view of the layout's `input` */
  readonly inputBuffer: FloatArray;
  /** the weight decay of the backward (decay[0]) */
  readonly decay: Float64Array;
}

/**
 * spmm's break-even: when more than SPARSE_MAX_TENTHS tenths of a product's A is nonzero (a
 * forward's input or a backward's δ), those products go back to the GEMM (measured: spmm runs a
 * dense A at about 0.72 of the GEMM's speed), and try spmm again after SPARSE_RETRY steps.
 */
const SPARSE_MAX_TENTHS = 7;
const SPARSE_RETRY = 50;
/** spmm only for products with at least this many columns (fewer leave its column groups idle) */
const SPARSE_MIN_COLS = 28;
/** One part of a product on this thread's kernels or the helper's port: spmm (with its list scratch S) or the GEMM. */
function product(x: KernelExports | TaskPort, sparse: boolean, A: number, lda: number, B: number, ldb: number, C: number, ldc: number,
  R: number, N: number, K: number, epi: number, d: number, S: number): void {
  if (sparse) x.spmm(A, lda, B, ldb, C, ldc, R, N, K, epi, d, S);
  else x.gemm(A, lda, B, ldb, C, ldc, R, N, K, epi, d);
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
function productParts(w: WasmLayout, k: number, kind: number, byCols: boolean, sparse: boolean, A: number, lda: number, B: number, ldb: number,
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
function nonzeros(w: WasmLayout, byCols: boolean, both: boolean, R: number, K: number): number {
  if (!both || byCols) return listed(w, w.spList[0]!, R, K);
  const cut = splitAt(R, 2);
  return listed(w, w.spList[0]!, cut, K) + listed(w, w.spList[1]!, R - cut, K);
}

/** Whether layer k's forward runs on spmm: its input is a ReLU layer's output (see sparseNow). */
function sparseInput(net: NetworkBuffers, w: WasmLayout, k: number, N: number): boolean {
  return k > 0 && net.layers[k - 1]!.activation === 'relu' && N >= SPARSE_MIN_COLS && sparseNow(w, k, 0);
}

/** Whether product family `which` (0 forward, 1 backward) of layer k uses spmm this step. */
function sparseNow(w: WasmLayout, k: number, which: number): boolean {
  const i = 2 * k + which;
  if (w.sparse[i]) return true;
  if (--w.sparseRetry[i]! > 0) return false;
  return (w.sparse[i] = true);
}

/** After a spmm: with more than SPARSE_MAX_DENSITY nonzeros, the dense products for a while. */
function sparseSeen(w: WasmLayout, k: number, which: number, nonzeros: number, total: number): void {
  // in integers: a float computed here is boxed until this code is optimized
  if (10 * nonzeros <= SPARSE_MAX_TENTHS * total) return;
  w.sparse[2 * k + which] = false;
  w.sparseRetry[2 * k + which] = SPARSE_RETRY;
}

/**
 * The nonzeros spmm listed at S for R rows: the end of the last list minus the start of the
 * first, in pairs (a product's lists are one run of pairs, chunk by chunk, row by row).
 */
function listed(w: WasmLayout, S: number, R: number, K: number): number {
  const starts = (S + SPMM_STARTS) >> 2;
  const chunks = (K + SPMM_CHUNK - 1 - ((K + SPMM_CHUNK - 1) % SPMM_CHUNK)) / SPMM_CHUNK; // ceil(K / SPMM_CHUNK) in integers: never a boxed float
  return (w.i32[starts + R * chunks]! - w.i32[starts]!) >> 3; // 8 bytes a nonzero
}

/**
 * A descriptor sum over the parts, part 0 + part 1 (slot: DESC.sum / sumSq / sat), into out[i]:
 * a float returned by a call the compiler does not inline is boxed, an allocation each step.
 */
function partSumInto(out: Float64Array, i: number, w: WasmLayout, k: number, kind: number, slot: number): void {
  const f64 = w.f64, d = w.desc[k]!;
  let s = f64[(d[0]! + kind * DESC_BYTES + slot) >> 3]!;
  if (w.parts === 2) s += f64[(d[1]! + kind * DESC_BYTES + slot) >> 3]!;
  out[i] = s;
}

/** Σ a_k of every hidden layer of the last forward, from its parts' sums, into actSum. */
export function actSumSums(net: NetworkBuffers, w: WasmLayout, actSum: Float64Array): void {
  for (let k = 0; k < net.layers.length; k++) if (net.layers[k]!.activation !== null) partSumInto(actSum, k, w, k, 0, DESC.sum);
}

/** ‖δ_k‖² of layers below the output of the last backward, from its parts' sums, into deltaSq. */
export function deltaSqSums(w: WasmLayout, L: number, deltaSq: Float64Array): void {
  for (let k = 1; k < L; k++) partSumInto(deltaSq, k - 1, w, k, 1, DESC.sum);
}

/**
 * Whether every part's ‖δ_k‖² of the last backward (layers below the output) is finite: the
 * exponent bits of each float64 sum, read as 16-bit integers (never a boxed float). Two finite
 * parts add up to a finite sum (each is at most 2^31 float32 squares).
 */
export function partSumsFinite(w: WasmLayout, L: number): boolean {
  const u16 = w.u16;
  for (let k = 1; k < L; k++) {
    for (let p = 0; p < w.parts; p++) {
      if ((u16[(w.desc[k]![p]! + DESC_BYTES + DESC.sum + 6) >> 1]! & 0x7ff0) === 0x7ff0) return false;
    }
  }
  return true;
}

/**
 * The WebAssembly forward of every layer up to the output scores (bias, activation and probes
 * fused). With probes, Σ a_k of the hidden layers goes into actSum; without, it stays in the
 * parts' descriptors (actSumSums adds it up when asked).
 */
export function forwardWasm(net: NetworkBuffers, w: WasmLayout, X: FloatArray, M: number, P: PassProbes | null, actSum: Float64Array): void {
  const L = net.layers.length;
  const n0 = net.sizes[0]!;
  if (X !== net.inputBuffer) (net.inputBuffer as Float32Array).set(X.length === M * n0 ? X : X.subarray(0, M * n0));
  const probe = P !== null && P.bins <= WASM_MAX_BINS;
  const i32 = w.i32;
  if (probe && w.bins !== P.bins) setHistogramBins(w, net.layers, P.bins);
  let prev = w.input, prevLd = n0;
  for (let k = 0; k < L; k++) {
    const layer = net.layers[k]!;
    const N = layer.outSize, K = layer.inSize;
    const hidden = layer.activation !== null;
    for (let p = 0; p < w.parts; p++) i32[(w.desc[k]![p]! + DESC.probe) >> 2] = probe ? 1 : 0;
    const epi = hidden ? EPI.act : EPI.bias;
    let both: boolean;
    if (sparseInput(net, w, k, N)) {
      // the input is a ReLU layer's output: z = a·Wᵀ on spmm over a's nonzeros, with Wᵀ
      // at a padded row stride (as in the backward)
      const N4 = ((N + 3) >> 2) * 4 + 4; // ceil(N / 4): in integers, never a boxed float
      w.k.transpose(w.params + layer.offset * 4, K, w.t3, N4, N, K);
      both = productParts(w, k, 0, true, true, prev, prevLd, w.t3, N4, w.acts[k]!, N, M, N, K, epi);
      sparseSeen(w, k, 0, nonzeros(w, true, both, M, K), M * K);
    } else {
      both = productParts(w, k, 0, true, false, prev, prevLd, w.params + layer.offset * 4, K, w.acts[k]!, N, M, N, K, epi);
    }
    if (hidden && P !== null) {
      partSumInto(actSum, k, w, k, 0, DESC.sum);
      if (probe) {
        const sum = actSum[k]!;
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
          partSumInto(P.saturation, k, w, k, 0, DESC.sat);
          P.saturation[k] = P.saturation[k]! / count;
          P.mean[k] = mean;
          partSumInto(P.std, k, w, k, 0, DESC.sumSq); // Σa², then the std from it
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

/**
 * The WebAssembly backward from δ_{L-1} down: dW (+ λW), db, δ_{k-1} = (δ_k·W_k) ⊙ f'(a_{k-1}).
 * With probes, ‖δ_k‖² of the layers below the output goes into deltaSq; without, it stays in
 * the parts' descriptors (deltaSqSums adds it up when asked).
 */
export function backwardWasm(net: NetworkBuffers, w: WasmLayout, M: number, P: PassProbes | null, deltaSq: Float64Array): void {
  const L = net.layers.length;
  const { f32, k: K_, ldT } = w;
  const probe = P !== null;
  for (let k = L - 1; k >= 0; k--) {
    const layer = net.layers[k]!;
    const N = layer.outSize, K = layer.inSize;
    const wOff = w.params + layer.offset * 4, gOff = w.grads + layer.offset * 4;
    const prevA = k > 0 ? w.acts[k - 1]! : w.input;
    const dk = w.deltas[k]!;
    // δ_k of a hidden ReLU layer is 0 wherever its unit is off (often half): its two products
    // then run on spmm, which skips those zeros; a layer whose δ has few zeros goes back to
    // the dense products, and tries spmm again SPARSE_RETRY steps later
    const sparse = k < L - 1 && layer.activation === 'relu' && K >= SPARSE_MIN_COLS && sparseNow(w, k, 1);
    // the decay as float32, copied natively (a float read here is boxed until this code is optimized)
    for (let p = 0; p < w.parts; p++) f32.set(net.decay, (w.desc[k]![p]! + 2 * DESC_BYTES + DESC.wd) >> 2);
    if (sparse) {
      // dW = δᵀ·a: A = δᵀ (transposed), B = a as it is; rows (units) in parts
      K_.transpose(dk, N, w.t1, ldT, M, N);
      const both = productParts(w, k, 2, false, true, w.t1, ldT, prevA, K, gOff, K, N, K, M, EPI.grad);
      sparseSeen(w, k, 1, nonzeros(w, false, both, N, M), M * N);
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
      productParts(w, k, 2, false, false, w.t1, ldT, w.t2, ldT, gOff, K, N, K, M, EPI.grad);
    }
    K_.colsum(dk, N, M, N, gOff + N * K * 4, w.colsumOut);
    if (probe) P.gradB[k] = Math.sqrt(w.f64[w.colsumOut >> 3]!); // ‖dW‖: the optimizer's pass measures it
    if (k > 0 && sparse) {
      // δ_{k-1} = δ_k·W ⊙ f'(a_{k-1}) on spmm: A = δ_k, B = W at a padded row stride (rows a
      // power of two apart share a few cache sets: the column panel would not stay in L1)
      const K4 = ((K + 3) >> 2) * 4 + 4;
      K_.copy2d(wOff, K, w.t3, K4, N, K);
      productParts(w, k, 1, true, true, dk, N, w.t3, K4, w.deltas[k - 1]!, K, M, K, N, EPI.deriv);
      if (probe) partSumInto(deltaSq, k - 1, w, k, 1, DESC.sum);
    } else if (k > 0) {
      const N4 = ((N + 3) >> 2) * 4 + 4; // padded stride, see planWasm
      K_.transpose(wOff, K, w.t3, N4, N, K);
      productParts(w, k, 1, true, false, dk, N, w.t3, N4, w.deltas[k - 1]!, K, M, K, N, EPI.deriv);
      if (probe) partSumInto(deltaSq, k - 1, w, k, 1, DESC.sum);
    }
  }
  if (P) P.fusedBackward = true;
}
