/**
 * Optimizers over the network's flat parameter and gradient arrays (one loop over contiguous
 * memory, no allocation per step), and learning-rate schedules.
 *
 *   sgd       W ← W − lr·g
 *   momentum  v ← μv + g;  W ← W − lr·v            (Nesterov: W ← W − lr·(g + μv))
 *   adam      m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *             W ← W − lr · m̂ / (√v̂ + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
 * L2 weight decay is folded into g by Network.backward (weights only).
 *
 * When `norms` is given, the step also measures, per layer, ‖ΔW‖_F², ‖dW‖_F² and ‖W‖_F² (before the
 * step) for the update-to-weight ratio probe, in the same pass.
 */
import type { FloatArray } from './kernels';
import { stateSlots, wasmLayoutOf, type WasmLayout } from './network-layout';
import type { Layer, UpdateNorms } from './network-types';
import type { OptimizerSpec, ScheduleSpec } from './types';
import { OPT_COEF } from './wasm/abi';
import type { OptimizerKernels } from './wasm/runtime';

export class Optimizer {
  private readonly v: FloatArray | null;
  private readonly m: FloatArray | null;
  private t = 0;
  /**
   * The step's learning rate and Adam's bias corrections (1 otherwise), read where they are used:
   * a double passed to a function the compiler does not inline is boxed, an allocation each step.
   */
  private readonly coef = new Float64Array(3);
  /** The learning rate stepAtRate() takes (coef[0]): written in place, it is never a boxed argument. */
  readonly rate = this.coef.subarray(0, 1);
  /** Adam's bias corrections (coef[1], coef[2]), for the kernels' block (OPT_COEF.c1, c2: adjacent) */
  private readonly adamCoef = this.coef.subarray(1, 3);

  /** the network's WebAssembly memory when params and grads are its arrays: the SIMD step runs there */
  private readonly wasm: WasmLayout | undefined;

  constructor(readonly spec: OptimizerSpec, private readonly params: FloatArray, private readonly grads: FloatArray) {
    const w = wasmLayoutOf(params);
    this.wasm = w && grads.buffer === params.buffer && grads.byteOffset === w.grads ? w : undefined;
    if (this.wasm && stateSlots(spec.type) > this.wasm.stateSlots) throw new Error(`the network was planned for ${this.wasm.stateSlots} optimizer state slots; ${spec.type} needs ${stateSlots(spec.type)}`);
    const make = (slot: number) =>
      this.wasm ? new Float32Array(this.wasm.memory.buffer, this.wasm.state + slot * params.length * 4, params.length)
        : params instanceof Float64Array ? new Float64Array(params.length) : new Float32Array(params.length);
    this.v = spec.type === 'sgd' ? null : make(0);
    this.m = spec.type === 'adam' ? make(1) : null;
    this.v?.fill(0);
    this.m?.fill(0);
    if (this.wasm) {
      // the kernels' constant float arguments, as float32 (as a call's f32 parameters took them)
      const f = this.wasm.f32, b = this.wasm.coef >> 2;
      if (spec.type === 'momentum') f[b + OPT_COEF.mu] = spec.momentum;
      if (spec.type === 'adam') { f[b + OPT_COEF.b1] = spec.beta1; f[b + OPT_COEF.b2] = spec.beta2; f[b + OPT_COEF.eps] = spec.epsilon; }
    }
  }

  /** Steps taken (Adam's bias corrections count them). */
  get steps(): number {
    return this.t;
  }

  /** The state arrays (velocity or Adam's v, then Adam's m; none for sgd), the live arrays themselves. */
  get stateArrays(): FloatArray[] {
    return [this.v, this.m].filter((a): a is FloatArray => a !== null);
  }

  /** Continue from a saved state: `steps` taken, `arrays` as stateArrays held them (copied in). */
  restore(steps: number, arrays: readonly ArrayLike<number>[]): void {
    const own = this.stateArrays;
    if (arrays.length !== own.length) throw new Error(`${this.spec.type} keeps ${own.length} state arrays, the saved state has ${arrays.length}`);
    own.forEach((a, i) => {
      if (arrays[i]!.length !== a.length) throw new Error(`optimizer state array ${i} has ${arrays[i]!.length} values, the network ${a.length}`);
      a.set(arrays[i]!);
    });
    this.t = steps;
  }

  /** One step at learning rate lr. */
  step(lr: number, layers: Layer[], norms: UpdateNorms | null): void {
    this.coef[0] = lr;
    this.stepAtRate(layers, norms);
  }

  /** One step at the learning rate in `rate` (the trainer's way: no float argument to box). */
  stepAtRate(layers: Layer[], norms: UpdateNorms | null): void {
    this.t++;
    const s = this.spec, c = this.coef;
    c[1] = c[2] = 1;
    if (s.type === 'adam') { c[1] = 1 / (1 - Math.pow(s.beta1, this.t)); c[2] = 1 / (1 - Math.pow(s.beta2, this.t)); }
    if (this.wasm) this.stepWasm(this.wasm, layers, norms);
    else this.stepTs(layers, norms);
  }

  /** The step in TypeScript over params and grads. */
  private stepTs(layers: Layer[], norms: UpdateNorms | null): void {
    const { params: P, grads: G } = this;
    const s = this.spec;
    const lr = this.coef[0]!, c1 = this.coef[1]!, c2 = this.coef[2]!;
    for (const layer of layers) {
      const start = layer.offset, wEnd = start + layer.W.length, end = wEnd + layer.b.length;
      // Weights [start, wEnd) with optional norms, then biases [wEnd, end) without.
      let upd = 0, wsq = 0, gsq = 0;
      for (let pass = 0; pass < 2; pass++) {
        const lo = pass === 0 ? start : wEnd, hi = pass === 0 ? wEnd : end;
        const measure = norms !== null && pass === 0;
        switch (s.type) {
          case 'sgd':
            for (let i = lo; i < hi; i++) {
              const d = lr * G[i]!;
              if (measure) { const w = P[i]!, g = G[i]!; wsq += w * w; upd += d * d; gsq += g * g; }
              P[i]! -= d;
            }
            break;
          case 'momentum': {
            const V = this.v!, mu = s.momentum;
            for (let i = lo; i < hi; i++) {
              const g = G[i]!;
              const vi = mu * V[i]! + g;
              V[i] = vi;
              const d = lr * (s.nesterov ? g + mu * vi : vi);
              if (measure) { const w = P[i]!; wsq += w * w; upd += d * d; gsq += g * g; }
              P[i]! -= d;
            }
            break;
          }
          case 'adam': {
            const V = this.v!, Mo = this.m!, b1 = s.beta1, b2 = s.beta2, eps = s.epsilon;
            for (let i = lo; i < hi; i++) {
              const g = G[i]!;
              const mi = b1 * Mo[i]! + (1 - b1) * g;
              const vi = b2 * V[i]! + (1 - b2) * g * g;
              Mo[i] = mi;
              V[i] = vi;
              const d = (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
              if (measure) { const w = P[i]!; wsq += w * w; upd += d * d; gsq += g * g; }
              P[i]! -= d;
            }
            break;
          }
        }
      }
      if (norms) { norms.update[layer.index] = upd; norms.weight[layer.index] = wsq; norms.grad[layer.index] = gsq; }
    }
  }

  /**
   * The same step as SIMD over the network's memory, every layer in one call per part (a second
   * thread takes part 1 when the network has one); norms measured in the same pass, part 0 + part 1.
   */
  private stepWasm(w: WasmLayout, layers: Layer[], norms: UpdateNorms | null): void {
    const k = w.k;
    const P = w.params, G = w.grads, V = w.state, Mo = w.state + this.params.length * 4;
    const L = layers.length, measure = norms ? 1 : 0;
    // the step's float arguments into the kernels' block (the constant ones are there since the constructor)
    const f = w.f32, b = w.coef >> 2;
    // copied natively (TypedArray.set): a float read here would be boxed until this code is optimized
    f.set(this.rate, b + OPT_COEF.lr);
    if (this.spec.type === 'adam') f.set(this.adamCoef, b + OPT_COEF.c1);
    if (w.parts === 1) this.stepPart(k, w.optTable[0]!, P, G, V, Mo, L, measure, w.coef);
    else if (w.port && w.useHelper) {
      this.stepPart(w.port, w.optTable[1]!, P, G, V, Mo, L, measure, w.coef);
      this.stepPart(k, w.optTable[0]!, P, G, V, Mo, L, measure, w.coef);
      w.port.wait();
    } else {
      this.stepPart(k, w.optTable[0]!, P, G, V, Mo, L, measure, w.coef);
      this.stepPart(k, w.optTable[1]!, P, G, V, Mo, L, measure, w.coef);
    }
    // the kernels measured into part 0's norms (and part 1's): into `norms` unless they are those (probeViews)
    if (norms && norms.update !== w.normsParts[0]!.update) {
      const a = w.normsParts[0]!, b = w.parts === 2 ? w.normsParts[1]! : null;
      for (let k = 0; k < L; k++) {
        norms.update[k] = b ? a.update[k]! + b.update[k]! : a.update[k]!;
        norms.weight[k] = b ? a.weight[k]! + b.weight[k]! : a.weight[k]!;
        norms.grad[k] = b ? a.grad[k]! + b.grad[k]! : a.grad[k]!;
      }
    }
  }

  /** One part's step (its layer table `t`) on `x`: this thread's kernels, or the helper's port. */
  private stepPart(x: OptimizerKernels, t: number, P: number, G: number, V: number, Mo: number, L: number, measure: number, coef: number): void {
    const s = this.spec;
    switch (s.type) {
      case 'sgd': x.sgd(P, G, t, L, measure, coef, 0); break;
      case 'momentum': x.momentum(P, G, t, L, measure, coef, V, s.nesterov ? 1 : 0); break;
      case 'adam': x.adam(P, G, t, L, measure, coef, V, Mo); break;
    }
  }
}

/** Learning rate at a step (0-based) of a run of totalSteps, stepsPerEpoch steps an epoch. */
export function learningRate(base: number, schedule: ScheduleSpec, step: number, stepsPerEpoch: number, totalSteps: number): number {
  const out = new Float64Array(1);
  learningRateInto(out, { lr: base, schedule }, step, stepsPerEpoch, totalSteps);
  return out[0]!;
}

/**
 * learningRate into out[0], for the training step: no float64 crosses the call (the rate is in
 * cfg, the result goes to memory), so nothing is boxed if the compiler does not inline it.
 */
export function learningRateInto(out: Float64Array, cfg: { lr: number; schedule: ScheduleSpec }, step: number, stepsPerEpoch: number, totalSteps: number): void {
  const base = cfg.lr, schedule = cfg.schedule;
  switch (schedule.type) {
    case 'constant': out[0] = base; break;
    case 'step': out[0] = base * Math.pow(schedule.gamma, Math.floor(Math.floor(step / stepsPerEpoch) / schedule.every)); break;
    case 'cosine': {
      const t = totalSteps > 1 ? Math.min(step / (totalSteps - 1), 1) : 1;
      out[0] = schedule.minLr + 0.5 * (base - schedule.minLr) * (1 + Math.cos(Math.PI * t));
      break;
    }
  }
}
