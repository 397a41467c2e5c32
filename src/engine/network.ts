/**
 * A dense feed-forward network h(k) = f(W(k) h(k-1) + b(k)) with a softmax (cross-entropy)
 * or single-sigmoid (binary cross-entropy) output, stored for speed:
 * - every parameter in ONE flat array (and every gradient in another), each layer's W and b
 *   are views into it, so optimizers run one loop over contiguous memory;
 * - activations and back-propagated signals in buffers sized once for the largest batch;
 * - forward() and backward() allocate nothing.
 * The same class runs in float32 (training) or float64 (gradient checks).
 *
 * Two implementations of the hot loops (kernel-path.ts). The TypeScript kernels (kernels.ts),
 * always in float64, and in float32 where the runtime lacks WebAssembly SIMD: the passes below
 * are the textbook ones. The WebAssembly SIMD kernels (wasm/kernels/) in float32 when the runtime
 * has them: every buffer then lives in the network's own WebAssembly memory (the arrays above are
 * views into it; network-layout.ts plans it) and the passes run in network-wasm.ts. With probe
 * buffers passed to forward/backward, the WebAssembly path measures the activation statistics
 * and gradient norms inside the kernels' own passes.
 */
import { activateInPlace, mulDerivative } from './activations';
import { selectedKernelPath, type KernelPath } from './kernel-path';
import { gemmAB, gemmABt, gemmAtB, sumRows, type FloatArray } from './kernels';
import { fitProblem, parameterCount } from './limits';
import { closeHelper, closeHelperWith, initDescriptors, ownParams, planWasm, probeViews, stateSlots, WASM_MAX_BINS, type WasmLayout } from './network-layout';
import type { DType, Layer, LossInfo, NetworkOptions, NetworkSpec, PassProbes, ProbeViews } from './network-types';
import { actSumSums, backwardWasm, deltaSqSums, forwardWasm, partSumsFinite } from './network-wasm';
import type { DrawCache } from './draws';
import type { Rng } from './rng';
import { InputError, type HiddenActivation, type InitSpec, type OutputKind } from './types';
import { helperFactory } from './wasm/parallel';

export type { DType, Layer, LossInfo, NetworkOptions, NetworkSpec } from './network-types';

function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** flops per training step from which products are cut in two (a second core pays: see README) */
export const SPLIT_MIN_FLOPS = 16e6;

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
  private readonly deltaSqOut: Float64Array;
  private readonly actSumOut: Float64Array;
  /**
   * On the WebAssembly path, sums the kernels left in their descriptors (one per product part)
   * and not yet added into actSum (bit 1) or deltaSq (bit 2): a probe-off step leaves them there
   * (adding two floats in JavaScript boxes them until the code is optimized, an allocation a
   * step), and reading actSum or deltaSq adds them then.
   */
  private pendingSums = 0;
  /** deltaSq's storage as 16-bit words: word 4k + 3 holds ‖δ_k‖²'s sign and exponent (little-endian) */
  private readonly deltaSqHi: Uint16Array;
  /** The L2 weight decay backwardAtDecay() adds (the trainer sets it; backward() takes its own). */
  readonly decay = new Float64Array(1);
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
    const total = parameterCount(this.sizes);
    this.kernelPath = dtype === 'float64' ? 'typescript-f64' : (kernel ?? selectedKernelPath());
    const split = options.split ?? 6 * total * maxBatch >= SPLIT_MIN_FLOPS;
    const threads = split && options.threads !== 1 && helperFactory() ? 2 : 1;
    // before anything big is allocated: refuse what does not fit, saying what would
    const problem = fitProblem({ sizes: this.sizes, batch: maxBatch, dtype, kernel: this.kernelPath, parts: split ? 2 : 1, optimizer: options.optimizer, budget: options.memoryBudget });
    if (problem) throw new InputError(`$.layers: the network ${problem}`);
    const relaxed = this.kernelPath === 'wasm-relaxed-simd-f32';
    this.wasm = this.kernelPath.startsWith('wasm-') ? planWasm(this.sizes, maxBatch, total, relaxed, split ? 2 : 1, threads, stateSlots(options.optimizer)) : null;
    const w = this.wasm;
    const view = (off: number, n: number) => new Float32Array(w!.memory.buffer, off, n);
    this.params = w ? view(w.params, total) : alloc(dtype, total);
    this.grads = w ? view(w.grads, total) : alloc(dtype, total);
    this.inputBuffer = w ? view(w.input, maxBatch * this.sizes[0]!) : alloc(dtype, maxBatch * this.sizes[0]!);
    if (w) ownParams(this.params, w);
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
    this.deltaSqOut = new Float64Array(L);
    this.actSumOut = new Float64Array(L);
    this.deltaSqHi = new Uint16Array(this.deltaSqOut.buffer, 0, 4 * L);
    this.input = this.acts[0]!; // replaced by the first forward()
    if (w) {
      initDescriptors(w, this.layers, this.slope);
      closeHelperWith(this, w);
    }
  }

  /** ‖δ_k‖_F² of the last backward pass */
  get deltaSq(): Float64Array {
    if (this.pendingSums & 2) {
      this.pendingSums &= ~2;
      deltaSqSums(this.wasm!, this.layers.length, this.deltaSqOut);
    }
    return this.deltaSqOut;
  }

  /** Σ a_k of the last forward pass, per layer (non-finite when the layer blew up) */
  get actSum(): Float64Array {
    if (this.pendingSums & 1) {
      this.pendingSums &= ~1;
      actSumSums(this, this.wasm!, this.actSumOut);
    }
    return this.actSumOut;
  }

  /**
   * Whether every ‖δ_k‖² of the last backward pass is finite, from the exponent bits of its
   * float64 sums (integer reads: never a boxed float).
   */
  gradientsFinite(): boolean {
    const hi = this.deltaSqHi, L = this.layers.length;
    if ((hi[4 * (L - 1) + 3]! & 0x7ff0) === 0x7ff0) return false;
    if (this.wasm) return partSumsFinite(this.wasm, L);
    for (let k = 0; k < L - 1; k++) if ((hi[4 * k + 3]! & 0x7ff0) === 0x7ff0) return false;
    return true;
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

  /**
   * Which products run on spmm and the steps until dense ones try it again (the WebAssembly path;
   * null on the TypeScript path): spmm and the GEMM add in different orders, so a run continued
   * from saved state takes this up too (Trainer.saveState).
   */
  get sparseState(): { sparse: boolean[]; retry: number[] } | null {
    return this.wasm ? { sparse: this.wasm.sparse.slice(), retry: this.wasm.sparseRetry.slice() } : null;
  }
  set sparseState(s: { sparse: boolean[]; retry: number[] } | null) {
    const w = this.wasm;
    if (!w || !s || s.sparse.length !== w.sparse.length || s.retry.length !== w.sparseRetry.length) return;
    for (let i = 0; i < w.sparse.length; i++) { w.sparse[i] = s.sparse[i]!; w.sparseRetry[i] = s.retry[i]!; }
  }

  /** Stop the helper thread, if any (the network still works, on one thread). */
  dispose(): void {
    if (this.wasm) closeHelper(this.wasm);
  }

  get parameterCount(): number {
    return this.params.length;
  }

  /**
   * Initialize weights by the scheme (fan-in/fan-out per layer) and biases to init.bias. With
   * `draws` and a fresh rng (nothing drawn from it yet, as the trainer's), the draws come from
   * the cache, bit-identical to drawing them here (draws.ts), and rng is left as it was.
   */
  initialize(init: InitSpec, rng: Rng, draws?: DrawCache): void {
    const normal = init.scheme === 'normal' || init.scheme === 'glorot_normal' || init.scheme === 'he_normal';
    let kept: Float64Array | null = null;
    if (draws && rng.isFresh()) {
      let n = 0;
      for (const layer of this.layers) n += layer.W.length;
      kept = draws.values(rng.seed, normal ? 'normal' : 'uniform', n);
    }
    let at = 0;
    for (const layer of this.layers) {
      const fanIn = layer.inSize, fanOut = layer.outSize;
      const W = layer.W;
      // normals scaled by s, or uniforms in [-l, l): in bulk, the same values bit for bit as a draw per weight (Rng.fillNormal)
      const s = init.scheme === 'normal' ? init.std : init.scheme === 'glorot_normal' ? Math.sqrt(2 / (fanIn + fanOut)) : init.scheme === 'he_normal' ? Math.sqrt(2 / fanIn) : 0;
      const l = init.scheme === 'uniform' ? init.limit : init.scheme === 'glorot_uniform' ? Math.sqrt(6 / (fanIn + fanOut)) : init.scheme === 'he_uniform' ? Math.sqrt(6 / fanIn) : 0;
      if (kept) {
        if (normal) for (let i = 0; i < W.length; i++) W[i] = s * kept[at + i]!;
        else { const span = l - -l; for (let i = 0; i < W.length; i++) W[i] = -l + span * kept[at + i]!; }
      } else if (normal) {
        rng.fillNormal(W, s);
      } else {
        rng.fillUniform(W, -l, l);
      }
      at += W.length;
      layer.b.fill(init.bias);
    }
  }

  /**
   * Forward pass over the first M rows of X ([M, n_0]). Leaves a_k in acts[k] and the output
   * probabilities (softmax rows, or p(y=1|x) for a sigmoid output) in the last buffer; also
   * keeps the raw output scores for the loss in deltas[L-1] (overwritten by backward()).
   */
  forward(X: FloatArray, M: number, probes: PassProbes | null = null): void {
    if (M > this.maxBatch) throw new Error(`batch of ${M} exceeds the network's maximum ${this.maxBatch}`);
    const L = this.layers.length;
    if (probes) probes.fusedForward = probes.fusedBackward = false;
    if (this.wasm) {
      forwardWasm(this, this.wasm, X, M, probes, this.actSumOut);
      if (probes) this.pendingSums &= ~1;
      else this.pendingSums |= 1;
      this.input = this.inputBuffer;
    } else {
      this.input = X;
      let prev: FloatArray = X;
      for (let k = 0; k < L; k++) {
        const layer = this.layers[k]!;
        const out = this.acts[k]!;
        gemmABt(prev, layer.W, layer.b, out, M, layer.outSize, layer.inSize);
        if (layer.activation) this.actSumOut[k] = activateInPlace(layer.activation, out, M * layer.outSize, this.slope);
        prev = out;
      }
    }
    // The output layer: keep the scores (logits) for a stable loss, then turn acts into probabilities.
    const n = this.sizes[L]!;
    const scores = this.deltas[L - 1]!;
    const probs = this.acts[L - 1]!;
    let sum = 0;
    for (let i = 0; i < M * n; i++) { scores[i] = probs[i]!; sum += probs[i]!; }
    this.actSumOut[L - 1] = sum;
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
   * The float64 arrays the forward kernels write their finished probes into, for ProbeBuffers to
   * use as their own (no copy each step); null on the TypeScript path, and where the kernels do
   * not finish them (see network-layout.ts's probeViews).
   */
  probeViews(bins: number): ProbeViews | null {
    return this.wasm ? probeViews(this.wasm, this.layers, bins) : null;
  }

  /** The predicted class of each of the last forward pass's first M rows, as lossAndCorrect counts them. */
  predictRows(M: number, out: Int32Array): void {
    const L = this.layers.length, n = this.sizes[L]!, scores = this.deltas[L - 1]!;
    if (this.output === 'sigmoid') {
      for (let m = 0; m < M; m++) out[m] = scores[m]! > 0 ? 1 : 0;
      return;
    }
    for (let m = 0; m < M; m++) {
      const r = m * n;
      let max = -Infinity, arg = 0;
      for (let j = 0; j < n; j++) if (scores[r + j]! > max) { max = scores[r + j]!; arg = j; }
      out[m] = arg;
    }
  }

  /**
   * Mean loss and correct count of the last forward pass against labels y (first M).
   * Softmax: loss = mean(logsumexp(s) − s_y), computed from the kept scores (log-sum-exp with
   * max shift, exact for huge logits). Sigmoid: loss = mean(softplus(s) − y·s), stable form.
   * Accuracy: argmax with ties to the lowest index; sigmoid predicts 1 when s > 0.
   * With `sums` and a finite loss, also adds loss·M, the correct count and M to sums[0..2] and sums[3..5] (the
   * trainer's running sums: kept here, where the loop has the code optimized early, since floats
   * added up in the caller are boxed until it is). Returns whether the loss is finite.
   */
  lossAndCorrect(y: Int32Array, M: number, out: LossInfo, sums: Float64Array | null = null): boolean {
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
    const mean = loss / M;
    out.loss = mean;
    out.correct = correct;
    const finite = mean - mean === 0; // false for ±Infinity and NaN
    if (sums && finite) {
      sums[0]! += mean * M; sums[1]! += correct; sums[2]! += M;
      sums[3]! += mean * M; sums[4]! += correct; sums[5]! += M;
    }
    return finite;
  }

  /**
   * Backward pass for the last forward(): fills grads (dW, db of every layer), deltas[k] = δ_k
   * and deltaSq[k] = ‖δ_k‖_F². Gradients are of the MEAN loss over the M examples.
   * weightDecay adds weightDecay·W to dW (L2; biases excluded).
   */
  backward(y: Int32Array, M: number, weightDecay = 0, probes: PassProbes | null = null): void {
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
  backwardAtDecay(y: Int32Array, M: number, probes: PassProbes | null = null): void {
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
    this.deltaSqOut[L - 1] = ss;
    if (this.wasm) {
      backwardWasm(this, this.wasm, M, probes, this.deltaSqOut);
      if (probes) this.pendingSums &= ~2;
      else this.pendingSums |= 2;
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
        this.deltaSqOut[k - 1] = mulDerivative(below.activation!, prevDelta, prevA, M * below.outSize, this.slope);
      }
    }
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
