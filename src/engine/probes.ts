/**
 * Probes: the per-layer numbers the heatmaps show, measured inside the training step.
 * Definitions follow docs/dump-format.md, sections "2.6 Saturation" and "5. Training probes".
 *
 * Values land in preallocated typed arrays (ProbeBuffers); turning them into a JSON record
 * (snapshotProbes) is the consumer's business, outside the step.
 */
import { histogramRange, SIGMOID_HIGH, SIGMOID_LOW, TANH_ABS } from './activations';
import type { FloatArray } from './kernels';
import type { Network } from './network';
import type { PassProbes, UpdateNorms } from './network-types';
import { plain, ProbeArray } from './probe-array';
import type { HiddenActivation } from './types';

export { ProbeArray } from './probe-array';

export interface LayerProbe {
  /** 0-based weight-layer index k (the output layer is the last) */
  layer: number;
  /** hidden activation, or the output kind for the last layer */
  activation: HiddenActivation | 'softmax' | 'sigmoid';
  /** fraction of the batch x units entries that are saturated; null for the output layer */
  saturation: number | null;
  /** per unit: fraction of the batch in which the unit is saturated (hidden layers, when enabled) */
  unitSaturation?: ProbeNumbers;
  /** mean and standard deviation of a_k over batch and units (output layer: probabilities) */
  mean: number;
  std: number;
  /** fixed-range histogram of a_k (hidden layers); values outside [min, max] count in the edge bins */
  histogram?: { min: number; max: number; counts: ProbeNumbers };
  /** ‖dW_k‖_F, biases excluded */
  gradW: number;
  /** ‖db_k‖_2 */
  gradB: number;
  /** ‖δ_k‖_F: the gradient w.r.t. the layer's pre-activations over the batch */
  delta: number;
  /** ‖ΔW_k‖_F / ‖W_k‖_F of the step's update (0 when not measured) */
  updateRatio: number;
  /** percentiles PARAM_PERCENTILES of W_k after the step's update, and of dW_k, over PARAM_SAMPLE sampled entries */
  weightPercentiles?: ProbeNumbers;
  gradPercentiles?: ProbeNumbers;
}

/** The percentiles of each layer's weights and weight gradients a step record holds. */
export const PARAM_PERCENTILES: readonly number[] = [0, 16, 50, 84, 100];
/** Entries of W_k (and dW_k) the percentiles are taken over: all of a smaller layer, else this many at evenly strided positions. */
export const PARAM_SAMPLE = 128;
/**
 * The percentiles are measured at every k-th probe step, k from percentileEvery (the first probe
 * step included); the records between repeat the last measurement. Sorting 128 entries takes about
 * as long as a whole step of a lecture-sized network (64 units, batch 32): measured at every probe
 * step they cost 14-24% of the step on the digits networks of examples/depth.mlp.json and 68% on
 * W1, against 1.4% on W2 (scratch calibration, 2026-12-07: time of parameterPercentiles against a
 * probed step, see docs/panel.md).
 */
/** Probe steps between two measurements, at most (a tiny network: about 1% of its probed steps' time). */
export const PARAM_PERCENTILE_MAX_EVERY = 50;
/**
 * k = ⌈PARAM_PERCENTILE_COST · sort work / (batch · weights)⌉: a measurement sorts two arrays of
 * m = min(128, n) entries a layer (sort work: Σ 2·m·⌈log2 m⌉, about 4 ns a unit), and a probed
 * step takes at least about 0.15 ns per weight and sample; 1300 ≈ 4 / (0.02 · 0.15) keeps the
 * percentiles near 2% of a probed step or under. Integers only: every engine picks the same k.
 */
export const PARAM_PERCENTILE_COST = 1300;

/** Probe steps per measurement of the parameter percentiles for a network of these layers and batch size. */
export function percentileEvery(layers: readonly { W: { length: number } }[], batchSize: number): number {
  let weights = 0, sortWork = 0;
  for (const l of layers) {
    const n = l.W.length, m = Math.min(PARAM_SAMPLE, n);
    weights += n;
    if (m > 1) sortWork += 2 * m * (32 - Math.clz32(m - 1));
  }
  const k = Math.ceil((PARAM_PERCENTILE_COST * sortWork) / Math.max(1, weights * Math.max(1, batchSize)));
  return Math.min(PARAM_PERCENTILE_MAX_EVERY, Math.max(1, k));
}

/**
 * Lists of numbers in a record: number[] in every record that is kept (fresh records, records read
 * back from JSON, records in messages); a ProbeArray in a record filled in place.
 */
export type ProbeNumbers = number[] | ProbeArray;

export class ProbeBuffers implements PassProbes {
  readonly L: number;
  readonly saturation: Float64Array;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly gradW: Float64Array;
  readonly gradB: Float64Array;
  readonly delta: Float64Array;
  readonly updateRatio: Float64Array;
  readonly unitSat: ProbeArray[];
  readonly hist: ProbeArray[];
  /** activationStats' running Σa, Σa² and saturated count (see countActivations) */
  readonly sums = new Float64Array(3);
  /** per layer: PARAM_PERCENTILES of W_k and of dW_k (parameterPercentiles) */
  readonly wPct: ProbeArray[];
  readonly gPct: ProbeArray[];
  /** per layer: the sampled entries, sorted in place */
  readonly sample: Float64Array[];
  readonly norms: UpdateNorms;
  /** per layer: the histogram's fixed range (hidden layers) */
  readonly ranges: ([number, number] | null)[];
  /**
   * Set by a forward (backward) pass that measured this step's activation statistics (gradient
   * norms) inside its kernels; measureLayers then only reads them, and clears the flags.
   */
  fusedForward = false;
  fusedBackward = false;

  /**
   * `shared`: saturation, mean, std, per-unit saturation, histograms and the optimizer's norms in
   * the network's own probe outputs where it has them (Network.probeViews: the WebAssembly forward of a network in
   * one part then writes them in place). For the network's one measuring user (the trainer): a
   * forward with any other buffers also writes those numbers.
   */
  constructor(net: Network, readonly bins: number, readonly unitLevel: boolean, shared = false) {
    const L = (this.L = net.layers.length);
    const views = shared ? net.probeViews(bins) : null;
    this.saturation = views?.saturation ?? new Float64Array(L);
    this.mean = views?.mean ?? new Float64Array(L);
    this.std = views?.std ?? new Float64Array(L);
    this.gradW = new Float64Array(L);
    this.gradB = new Float64Array(L);
    this.delta = new Float64Array(L);
    this.updateRatio = new Float64Array(L);
    this.unitSat = net.layers.map((l, k) => views?.unitSat[k] ?? new ProbeArray(l.outSize));
    this.hist = net.layers.map((_, k) => views?.hist[k] ?? new ProbeArray(bins));
    this.wPct = net.layers.map(() => new ProbeArray(PARAM_PERCENTILES.length));
    this.gPct = net.layers.map(() => new ProbeArray(PARAM_PERCENTILES.length));
    this.sample = net.layers.map((l) => new Float64Array(Math.min(PARAM_SAMPLE, l.W.length)));
    this.norms = views?.norms ?? { update: new Float64Array(L), weight: new Float64Array(L), grad: new Float64Array(L) };
    this.ranges = net.layers.map((l) => (l.activation ? histogramRange(l.activation) : null));
  }
}

/**
 * One pass over a hidden layer's activations a [M, N]: saturation (total and per unit), mean,
 * std and histogram. Returns nothing; writes into P at layer k.
 */
export function activationStats(kind: HiddenActivation, a: FloatArray, M: number, N: number, P: ProbeBuffers, k: number): void {
  const unit = P.unitSat[k]!;
  const hist = P.hist[k]!;
  unit.fill(0);
  hist.fill(0);
  const bins = P.bins;
  // the range as P holds it (histogramRange's array destructured here would be garbage each step)
  const range = P.ranges[k] ?? histogramRange(kind);
  const lo = range[0], hi = range[1];
  // bins in float32 arithmetic (x - lo, times the scale, floor), as the WebAssembly probe counts
  const scale = Math.fround(bins / (hi - lo));
  const sums = P.sums;
  countActivations(kind, a, M, N, lo, scale, bins, unit, hist, sums);
  const count = M * N;
  P.saturation[k] = sums[2]! / count;
  const mean = sums[0]! / count;
  P.mean[k] = mean;
  P.std[k] = Math.sqrt(Math.max(sums[1]! / count - mean * mean, 0));
  divideAll(unit, N, M);
}

/**
 * activationStats' pass: saturated counts per unit and histogram counts, and Σa, Σa² and the
 * saturated count into sums, written at the end of every row so that nothing follows the loop
 * (see Rng.shuffle).
 */
function countActivations(kind: HiddenActivation, a: FloatArray, M: number, N: number, lo: number, scale: number, bins: number, unit: ProbeArray, hist: ProbeArray, sums: Float64Array): void {
  let sum = 0, sumSq = 0, sat = 0;
  sums[0] = 0; sums[1] = 0; sums[2] = 0;
  for (let m = 0; m < M; m++) {
    const r = m * N;
    for (let j = 0; j < N; j++) {
      const x = a[r + j]!;
      sum += x;
      sumSq += x * x;
      let s: boolean;
      switch (kind) {
        case 'sigmoid': s = x < SIGMOID_LOW || x > SIGMOID_HIGH; break;
        case 'tanh': s = x > TANH_ABS || x < -TANH_ABS; break;
        case 'relu': s = x === 0; break;
        case 'leaky_relu': s = x <= 0; break;
        default: s = false;
      }
      if (s) { sat++; unit[j]!++; }
      let b = Math.floor(Math.fround(Math.fround(x - lo) * scale));
      if (b < 0 || b !== b) b = 0; else if (b >= bins) b = bins - 1;
      hist[b]!++;
    }
    sums[0] = sum; sums[1] = sumSq; sums[2] = sat;
  }
}

/** x[j] /= d for j < n. */
function divideAll(x: ProbeArray, n: number, d: number): void {
  for (let j = 0; j < n; j++) x[j]! /= d;
}

/** Mean and std of the output probabilities (no saturation for the output layer). */
export function outputStats(p: FloatArray, count: number, P: ProbeBuffers, k: number): void {
  let sum = 0, sumSq = 0;
  for (let i = 0; i < count; i++) { const x = p[i]!; sum += x; sumSq += x * x; }
  const mean = sum / count;
  P.mean[k] = mean;
  P.std[k] = Math.sqrt(Math.max(sumSq / count - mean * mean, 0));
  P.saturation[k] = NaN;
}

/** Σ x² over an array, in float64. */
export function sumSquares(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) { const v = x[i]!; s += v * v; }
  return s;
}

/**
 * Everything measured of the current batch's forward and backward: what the kernels did not
 * measure already (fusedForward, fusedBackward), ‖δ‖, and ‖dW‖. With `afterUpdate`, called after
 * an optimizer step that measured its update into P.norms (the step reads dW anyway): ‖dW‖ from
 * there, and the ratios ‖ΔW‖/‖W‖. The step changes the weights only, none of what is measured here.
 */
export function measureLayers(net: Network, M: number, P: ProbeBuffers, afterUpdate = false): void {
  const L = net.layers.length;
  const { grad, update, weight } = P.norms;
  for (let k = 0; k < L; k++) {
    const layer = net.layers[k]!;
    if (!P.fusedForward) {
      if (layer.activation) activationStats(layer.activation, net.acts[k]!, M, layer.outSize, P, k);
      else outputStats(net.acts[k]!, M * layer.outSize, P, k);
    }
    if (!P.fusedBackward) P.gradB[k] = Math.sqrt(sumSquares(layer.db));
    P.delta[k] = Math.sqrt(net.deltaSq[k]!);
    if (afterUpdate) {
      P.gradW[k] = Math.sqrt(grad[k]!);
      const w = weight[k]!;
      P.updateRatio[k] = w > 0 ? Math.sqrt(update[k]! / w) : 0;
    } else {
      P.gradW[k] = Math.sqrt(sumSquares(layer.dW));
    }
  }
  P.fusedForward = P.fusedBackward = false;
}

/**
 * PARAM_PERCENTILES of every layer's weights W_k and weight gradients dW_k into P.wPct and
 * P.gPct: of all entries of a layer of at most PARAM_SAMPLE weights, else of PARAM_SAMPLE entries
 * at evenly strided positions (entry ⌊(i + ½)·n / PARAM_SAMPLE⌋ of the n, row-major), sorted.
 * Allocates nothing.
 */
export function parameterPercentiles(net: Network, P: ProbeBuffers): void {
  for (let k = 0; k < P.L; k++) {
    const layer = net.layers[k]!, s = P.sample[k]!;
    samplePercentiles(layer.W, s, P.wPct[k]!);
    samplePercentiles(layer.dW, s, P.gPct[k]!);
  }
}

function samplePercentiles(src: FloatArray, s: Float64Array, out: Float64Array): void {
  const n = src.length, m = s.length;
  if (m === n) for (let i = 0; i < m; i++) s[i] = src[i]!;
  else for (let i = 0; i < m; i++) s[i] = src[Math.floor(((i + 0.5) * n) / m)]!;
  shellSort(s);
  // percentileOfSorted's arithmetic, inline: a float a call returns is a heap number each step
  const last = m - 1;
  for (let j = 0; j < out.length; j++) {
    const r = (PARAM_PERCENTILES[j]! / 100) * last, i = Math.floor(r);
    out[j] = i < last ? s[i]! + (r - i) * (s[i + 1]! - s[i]!) : s[last]!;
  }
}

/** Shell sort gaps (Ciura's), largest first. */
const GAPS = new Int32Array([701, 301, 132, 57, 23, 10, 4, 1]);

/**
 * Sorts `a` ascending in place. Not TypedArray.prototype.sort, which allocates (about 80 bytes a
 * call in V8): a probe step allocates nothing. NaNs (a diverging step) end up anywhere.
 */
export function shellSort(a: Float64Array): void {
  const n = a.length;
  for (let g = 0; g < GAPS.length; g++) {
    const gap = GAPS[g]!;
    for (let i = gap; i < n; i++) {
      const x = a[i]!;
      let j = i;
      while (j >= gap && a[j - gap]! > x) {
        a[j] = a[j - gap]!;
        j -= gap;
      }
      a[j] = x;
    }
  }
}

/**
 * The buffers into a live snapshot of them (snapshotProbes with `live`: its arrays are P's own, so
 * only the scalars are written): the numbers are overwritten, nothing is allocated.
 */
export function snapshotProbesInto(P: ProbeBuffers, out: LayerProbe[]): void {
  const last = P.L - 1;
  for (let k = 0; k < P.L; k++) {
    const o = out[k]!;
    o.mean = P.mean[k]!;
    o.std = P.std[k]!;
    o.gradW = P.gradW[k]!;
    o.gradB = P.gradB[k]!;
    o.delta = P.delta[k]!;
    o.updateRatio = P.updateRatio[k]!;
    // the output layer (last) has no saturation. Not `o.saturation === null`: on a site that sees
    // both shapes that load boxes a hidden layer's fraction, an allocation each step
    if (k === last) continue;
    o.saturation = P.saturation[k]!;
  }
}

/**
 * measureLayers(net, M, P, true) and snapshotProbesInto(P, out) in one pass, for a step whose
 * forward and backward measured in their kernels (P.fusedForward and P.fusedBackward) and whose
 * optimizer measured its update: the same numbers from the same operations, written straight into
 * the record (‖δ‖, ‖dW‖ and the update ratio are not kept in P). Returns false, doing nothing,
 * when the kernels did not measure; the caller then takes the two-call way.
 */
export function measureIntoRecord(net: Network, P: ProbeBuffers, out: LayerProbe[]): boolean {
  if (!P.fusedForward || !P.fusedBackward) return false;
  const { grad, update, weight } = P.norms;
  const deltaSq = net.deltaSq, last = P.L - 1;
  for (let k = 0; k < P.L; k++) {
    const o = out[k]!;
    o.mean = P.mean[k]!;
    o.std = P.std[k]!;
    o.gradW = Math.sqrt(grad[k]!);
    o.gradB = P.gradB[k]!;
    o.delta = Math.sqrt(deltaSq[k]!);
    const w = weight[k]!;
    o.updateRatio = w > 0 ? Math.sqrt(update[k]! / w) : 0;
    // the output layer (last) has no saturation. Not `o.saturation === null`: on a site that sees
    // both shapes that load boxes a hidden layer's fraction, an allocation each step
    if (k === last) continue;
    o.saturation = P.saturation[k]!;
  }
  P.fusedForward = P.fusedBackward = false;
  return true;
}

/**
 * A hidden layer's probe in a record filled in place (snapshotProbes with `live`): the fields of a
 * hidden layer's literal, in the same order (the same JSON). Its own class, so that its shape is not
 * the literals': there `saturation` also holds the output layer's null, which makes V8 keep the
 * field as a pointer, and every number stored in it then takes a new heap box, each step.
 */
class LiveHiddenProbe implements LayerProbe {
  declare layer: number;
  declare activation: HiddenActivation;
  declare saturation: number;
  declare mean: number;
  declare std: number;
  declare gradW: number;
  declare gradB: number;
  declare delta: number;
  declare updateRatio: number;
  declare weightPercentiles: ProbeNumbers;
  declare gradPercentiles: ProbeNumbers;
  declare histogram: { min: number; max: number; counts: ProbeNumbers };
  declare unitSaturation?: ProbeNumbers;

  /** The fields in the literals' order, the numbers NaN until snapshotProbesInto fills them. */
  constructor(k: number, kind: HiddenActivation, P: ProbeBuffers, histogram: { min: number; max: number; counts: ProbeNumbers }) {
    this.layer = k;
    this.activation = kind;
    // NaN, not a small integer, makes the number fields float64 ones from the start
    this.saturation = NaN;
    this.mean = NaN;
    this.std = NaN;
    this.gradW = NaN;
    this.gradB = NaN;
    this.delta = NaN;
    this.updateRatio = NaN;
    this.weightPercentiles = P.wPct[k]!;
    this.gradPercentiles = P.gPct[k]!;
    this.histogram = histogram;
    if (P.unitLevel) this.unitSaturation = P.unitSat[k]!;
  }
}

/**
 * A plain-object copy of the buffers (allocates: call outside the step). `live`: for a record to
 * be filled in place (snapshotProbesInto, measureIntoRecord), the histogram counts and per-unit
 * saturations are P's own arrays, not copies.
 */
export function snapshotProbes(net: Network, P: ProbeBuffers, live = false): LayerProbe[] {
  const out = new Array<LayerProbe>(P.L);
  for (let k = 0; k < P.L; k++) {
    const hiddenKind = net.layers[k]!.activation;
    // each shape in one literal, keys in the order of the records (no hidden-class transitions)
    if (!hiddenKind) {
      out[k] = {
        layer: k, activation: net.output, saturation: null, mean: P.mean[k]!, std: P.std[k]!,
        gradW: P.gradW[k]!, gradB: P.gradB[k]!, delta: P.delta[k]!, updateRatio: P.updateRatio[k]!,
        weightPercentiles: live ? P.wPct[k]! : plain(P.wPct[k]!), gradPercentiles: live ? P.gPct[k]! : plain(P.gPct[k]!),
      };
      continue;
    }
    const [min, max] = P.ranges[k]!;
    if (live) {
      out[k] = new LiveHiddenProbe(k, hiddenKind, P, { min, max, counts: P.hist[k]! });
      continue;
    }
    const histogram = { min, max, counts: plain(P.hist[k]!) };
    out[k] = P.unitLevel
      ? {
        layer: k, activation: hiddenKind, saturation: P.saturation[k]!, mean: P.mean[k]!, std: P.std[k]!,
        gradW: P.gradW[k]!, gradB: P.gradB[k]!, delta: P.delta[k]!, updateRatio: P.updateRatio[k]!,
        weightPercentiles: plain(P.wPct[k]!), gradPercentiles: plain(P.gPct[k]!), histogram, unitSaturation: plain(P.unitSat[k]!),
      }
      : {
        layer: k, activation: hiddenKind, saturation: P.saturation[k]!, mean: P.mean[k]!, std: P.std[k]!,
        gradW: P.gradW[k]!, gradB: P.gradB[k]!, delta: P.delta[k]!, updateRatio: P.updateRatio[k]!,
        weightPercentiles: plain(P.wPct[k]!), gradPercentiles: plain(P.gPct[k]!), histogram,
      };
  }
  // a live snapshot's hidden layers take their numbers the way every later step fills them
  if (live) snapshotProbesInto(P, out);
  return out;
}

/** A copy of a record's layers with plain arrays, for keeping a record a sink was lent. */
export function copyLayerProbes(layers: LayerProbe[]): LayerProbe[] {
  return layers.map((l) => {
    const o = { ...l };
    if (l.weightPercentiles) o.weightPercentiles = plain(l.weightPercentiles);
    if (l.gradPercentiles) o.gradPercentiles = plain(l.gradPercentiles);
    if (l.histogram) o.histogram = { ...l.histogram, counts: plain(l.histogram.counts) };
    if (l.unitSaturation) o.unitSaturation = plain(l.unitSaturation);
    return o;
  });
}
