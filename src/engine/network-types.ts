/**
 * The types the network, its optimizer and its probes share (network.ts, network-layout.ts,
 * network-wasm.ts, optimizers.ts, probes.ts), in a file of their own: each of those imports
 * these, none of them needs another's types for its own.
 */
import type { FloatArray } from './kernels';
import type { ProbeArray } from './probe-array';
import type { HiddenActivation, OptimizerType, OutputKind } from './types';

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

/** The mean loss and the correct count of the last forward pass against its labels (Network.lossAndCorrect). */
export interface LossInfo {
  loss: number;
  /** number of examples whose argmax (or p > 0.5) equals the label */
  correct: number;
}

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
  /** the optimizer that will train it: the WebAssembly memory then holds only its state (default: room for Adam's) */
  optimizer?: OptimizerType;
  /** the most bytes the network may take (default DEFAULT_MEMORY_BUDGET, 2 GiB; limits.ts) */
  memoryBudget?: number;
}

/** What an optimizer step measures per layer (Optimizer.step with norms). */
export interface UpdateNorms {
  /** per layer: ‖ΔW‖_F² */
  update: Float64Array;
  /** per layer: ‖W‖_F² before the step */
  weight: Float64Array;
  /** per layer: ‖dW‖_F², the gradient the step took (with weight decay's λW when it is on) */
  grad: Float64Array;
}

/**
 * The probe buffers a forward or backward pass measures into inside its kernels (the WebAssembly
 * path); ProbeBuffers (probes.ts) is the one kind there is. Per layer k, as ProbeBuffers documents.
 */
export interface PassProbes {
  readonly bins: number;
  /** set by a pass that measured this step's activation statistics (gradient norms) */
  fusedForward: boolean;
  fusedBackward: boolean;
  readonly saturation: Float64Array;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly gradB: Float64Array;
  readonly unitSat: ProbeArray[];
  readonly hist: ProbeArray[];
}

/**
 * The network's own probe outputs (Network.probeViews): per layer saturation, mean and std, per
 * hidden layer (null for the output layer) the per-unit saturated fractions and the histogram's
 * counts, and the optimizer's norms.
 */
export interface ProbeViews {
  saturation: Float64Array;
  mean: Float64Array;
  std: Float64Array;
  unitSat: (ProbeArray | null)[];
  hist: (ProbeArray | null)[];
  norms: UpdateNorms;
}
