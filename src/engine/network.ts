/**
 * A dense feed-forward network h(k) = f(W(k) h(k-1) + b(k)) with a softmax (cross-entropy)
 * or single-sigmoid (binary cross-entropy) output, stored for speed:
 * - every parameter in ONE flat array (and every gradient in another), each layer's W and b
 *   are views into it, so optimizers run one loop over contiguous memory;
 * - activations and back-propagated signals in buffers sized once for the largest batch;
 * - forward() and backward() allocate nothing.
 * The same class runs in float32 (training) or float64 (gradient checks).
 */
import { activateInPlace, mulDerivative } from './activations';
import { gemmAB, gemmABt, gemmAtB, sumRows, type FloatArray } from './kernels';
import type { Rng } from './rng';
import type { HiddenActivation, InitSpec, OutputKind } from './types';

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
  /** Σ a_k of the last forward pass, per layer (non-finite when the layer blew up) */
  readonly actSum: Float64Array;
  /** the input batch of the last forward pass */
  private input: FloatArray;

  constructor(spec: NetworkSpec, maxBatch: number, dtype: DType = 'float32') {
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
    this.params = alloc(dtype, total);
    this.grads = alloc(dtype, total);
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
      this.acts.push(alloc(dtype, maxBatch * outSize));
      this.deltas.push(alloc(dtype, maxBatch * outSize));
    }
    this.deltaSq = new Float64Array(L);
    this.actSum = new Float64Array(L);
    this.input = this.acts[0]!; // replaced by the first forward()
  }

  get parameterCount(): number {
    return this.params.length;
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
  forward(X: FloatArray, M: number): void {
    if (M > this.maxBatch) throw new Error(`batch of ${M} exceeds the network's maximum ${this.maxBatch}`);
    this.input = X;
    const L = this.layers.length;
    let prev: FloatArray = X;
    for (let k = 0; k < L; k++) {
      const layer = this.layers[k]!;
      const out = this.acts[k]!;
      gemmABt(prev, layer.W, layer.b, out, M, layer.outSize, layer.inSize);
      if (layer.activation) this.actSum[k] = activateInPlace(layer.activation, out, M * layer.outSize, this.slope);
      prev = out;
    }
    // The output layer: keep the scores (logits) for a stable loss, then turn acts into probabilities.
    const n = this.sizes[L]!;
    const scores = this.deltas[L - 1]!;
    const probs = this.acts[L - 1]!;
    let sum = 0;
    for (let i = 0; i < M * n; i++) { scores[i] = probs[i]!; sum += probs[i]!; }
    this.actSum[L - 1] = sum;
    if (this.output === 'sigmoid') {
      activateInPlace('sigmoid', probs, M, 0);
    } else {
      for (let m = 0; m < M; m++) {
        const r = m * n;
        let max = -Infinity;
        for (let j = 0; j < n; j++) if (probs[r + j]! > max) max = probs[r + j]!;
        let s = 0;
        for (let j = 0; j < n; j++) { const e = Math.exp(probs[r + j]! - max); probs[r + j] = e; s += e; }
        const inv = 1 / s;
        for (let j = 0; j < n; j++) probs[r + j]! *= inv;
      }
    }
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
  backward(y: Int32Array, M: number, weightDecay = 0): void {
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
