/**
 * Init-time inspection: what a config's network will be and how it behaves at its first step,
 * before anything is trained. For every variant: the architecture (layers, units, parameters,
 * memory), one forward and backward pass at initialization on the first training batch, built
 * exactly as `train` and `mlp-lens dump` build it (the same Trainer: same seed, weights and
 * batch; the same calls as gradientDump, so every shared number is bit-identical to the dump),
 * per-layer saturation, mean/std of the activations, ‖δ‖ per layer with its measured gain from
 * layer to layer next to the gain the theory predicts, and the warnings (warnings.ts).
 *
 * THE GAIN. Back-propagation through weight layer k+1 into hidden layer k is
 *   δ_k = (δ_{k+1} · W_{k+1}) ⊙ f'_k(z_k).
 * With W_{k+1} zero-mean with variance Var(W) and independent of δ_{k+1}, every entry of
 * δ_{k+1}·W_{k+1} sums n_{k+1} (units above) terms, so
 *   E‖δ_{k+1} W_{k+1}‖²_F = n · Var(W_{k+1}) · ‖δ_{k+1}‖²_F,  n = fan-in of W_{k+1} = units of layer k
 * (the per-entry variance grows with the fan-out, but the Frobenius norm has n entries per example
 * and ‖δ_{k+1}‖² counts n_{k+1} of them: n·Var(W) is what is left). Multiplying entry by entry by
 * f'(z) (taken as independent of the product) scales the energy by E[f'(z)²]:
 *   ‖δ_k‖² / ‖δ_{k+1}‖² ≈ n · Var(W_{k+1}) · E[f'_k(z_k)²].
 * That is the n·Var(W)·E[f'(z)²]: an ENERGY gain. The view and the warnings compare norms,
 * ‖δ_k‖/‖δ_{k+1}‖ (the probe ‖δ‖_F), so `predicted` is its square root. Var(W) is the init
 * scheme's variance (normal: std², uniform: limit²/3, glorot: 2/(fan_in+fan_out), he: 2/fan_in),
 * not the sample variance of the drawn weights. Two expectations are given:
 * - `predictedBatch`: E[f'(z)²] measured over the batch's actual pre-activations (B x units).
 *   It tests only the independence assumption, so it tracks the measured gain closely.
 * - `predictedInit`: E[f'(z)²] for the distribution the init implies, z ~ N(bias, q_k) with
 *   q_0 = Var(W_0)·mean_b ‖x_b‖² and q_{k+1} = n_{k+1}·Var(W_{k+1})·E[f_k(z_k)²] (mean-field
 *   propagation from the batch's input energy; gaussian integrals in math.ts). This is
 *   the textbook number: sigmoid at z≈0 gives E[f'²] = 1/16, so with Glorot's n·Var(W) = 1 a
 *   sigmoid layer passes at most 1/4 of ‖δ‖; ReLU gives 1/2, so He's n·Var(W) = 2 keeps ‖δ‖.
 *   The same mean-field also predicts each layer's saturated fraction (`predictedSaturation`).
 *
 * Pure TypeScript (no vscode, no node:*): runs in the inspection worker, tests and the bench.
 */
import { derivativeFromOutput, histogramRange, isSaturated } from '../activations';
import { fieldPath, formatJsonPath, variantIndex } from './paths';
import { gaussianMoments } from './math';
import { dataWarnings, variantWarnings } from './warnings';
import { DrawCache } from '../draws';
import { measureLayers, sumSquares } from '../probes';
import { Trainer } from '../trainer';
import { InputError, type Dataset, type DatasetSpec, type HiddenActivation, type InitSpec, type ResolvedConfig } from '../types';

export type * from './types';
import type { Architecture, ArchitectureLayer, DatasetPreview, DatasetSummary, FeatureStat, Inspection, LayerInspection, VariantInspection } from './types';

export interface InspectOptions {
  /** the parsed config (parseConfigText), to attach findings to the field a value comes from */
  config?: unknown;
  /** reuse init-time passes of unchanged networks across calls (the side view keeps one) */
  cache?: InspectCache;
}

/** The variance of W the init scheme draws from, for a layer with this fan-in and fan-out. */
export function initVariance(init: InitSpec, fanIn: number, fanOut: number): number {
  switch (init.scheme) {
    case 'normal': return init.std * init.std;
    case 'uniform': return (init.limit * init.limit) / 3;
    case 'glorot_uniform':
    case 'glorot_normal': return 2 / (fanIn + fanOut);
    case 'he_normal':
    case 'he_uniform': return 2 / fanIn;
  }
}

const BYTES = 4;

/** Layers, parameters and a float32 memory estimate of one variant on a dataset. */
export function architectureOf(cfg: ResolvedConfig, data: Dataset): Architecture {
  const out = cfg.output === 'sigmoid' ? 1 : data.classes;
  const sizes = [data.features, ...cfg.layers, out];
  const L = sizes.length - 1;
  const layers: ArchitectureLayer[] = [];
  let P = 0, units = 0;
  for (let k = 0; k < L; k++) {
    const inSize = sizes[k]!, outSize = sizes[k + 1]!;
    const parameters = outSize * (inSize + 1);
    P += parameters;
    units += outSize;
    layers.push({
      index: k, name: k < L - 1 ? `layer ${k + 1}` : 'output', inSize, outSize,
      activation: k < L - 1 ? cfg.activation[k]! : cfg.output, parameters,
      weightVariance: initVariance(cfg.init, inSize, outSize),
    });
  }
  const nTrain = data.trainY.length;
  const B = Math.max(1, Math.min(cfg.batchSize, nTrain));
  const stepsPerEpoch = Math.ceil(nTrain / B);
  const state = cfg.optimizer.type === 'adam' ? 2 : cfg.optimizer.type === 'momentum' ? 1 : 0;
  const mem = {
    parameters: P * BYTES,
    gradients: P * BYTES,
    optimizerState: state * P * BYTES,
    activations: (2 * B * units + B * data.features) * BYTES + B * 4,
    dataset: (data.trainX.length + data.testX.length) * BYTES + (data.trainY.length + data.testY.length) * 4,
  };
  return {
    sizes, layers, parameterCount: P,
    memory: { ...mem, total: mem.parameters + mem.gradients + mem.optimizerState + mem.activations },
    batchSize: B, stepsPerEpoch, totalSteps: stepsPerEpoch * cfg.epochs,
  };
}

function describeOptimizer(cfg: ResolvedConfig): string {
  const o = cfg.optimizer;
  return o.type === 'momentum' ? `momentum ${o.momentum}${o.nesterov ? ' (Nesterov)' : ''}` : o.type;
}

/** Milliseconds for timings: performance.now() where the runtime has it (every one this runs in), else Date.now(). */
export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** What one forward/backward pass at init measured: depends only on the fields in measureKey. */
type Measured = Pick<VariantInspection, 'error' | 'batch' | 'loss' | 'accuracy' | 'chanceLoss' | 'inputRms' | 'layers' | 'deltaRatio'> & { errorKey?: string };

/**
 * The fields the init-time pass depends on (not lr, optimizer, schedule, epochs or probes: those
 * only change the architecture's memory/steps figures and the warnings, which are recomputed).
 */
function measureKey(cfg: ResolvedConfig): string {
  return JSON.stringify([cfg.dataset, cfg.layers, cfg.activation, cfg.leakyReluSlope, cfg.output, cfg.init, cfg.batchSize, cfg.seed]);
}

/**
 * Results of the init-time pass, per dataset object and measureKey, so that editing one variant
 * (or the learning rate) recomputes only what changed. Bounded: the oldest entries go first.
 */
export class InspectCache {
  private readonly byData = new WeakMap<Dataset, Map<string, Measured>>();
  /** the weights' random draws, shared by variants with the same seed and kept across edits */
  readonly draws = new DrawCache();
  constructor(readonly maxEntries = 24) {}
  get(data: Dataset, key: string): Measured | undefined {
    return this.byData.get(data)?.get(key);
  }
  set(data: Dataset, key: string, m: Measured): void {
    let map = this.byData.get(data);
    if (!map) this.byData.set(data, (map = new Map()));
    map.delete(key);
    map.set(key, m);
    while (map.size > this.maxEntries) map.delete(map.keys().next().value!);
  }
}

// The long loops of an inspection are functions of their own, with nothing after the loop (see
// Rng.shuffle: a loop in measure itself would deoptimize it on every inspection).

/** Σ f'(z)² over the first n outputs a = f(z) of a layer. */
function derivativeSquares(kind: HiddenActivation, a: ArrayLike<number>, n: number, slope: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) { const d = derivativeFromOutput(kind, a[i]!, slope); s += d * d; }
  return s;
}

/** Units saturated (ReLU: inactive) on every one of the batch's M examples (a: M × N outputs). */
function deadUnits(kind: HiddenActivation, a: ArrayLike<number>, M: number, N: number): number {
  let dead = 0;
  for (let j = 0; j < N; j++) {
    let all = true;
    for (let m = 0; m < M && all; m++) all = isSaturated(kind, a[m * N + j]!);
    if (all) dead++;
  }
  return dead;
}

/** One forward and backward pass at init on the first batch, exactly as gradientDump runs it. */
function measure(cfg: ResolvedConfig, data: Dataset, architecture: Architecture, draws?: DrawCache): Measured {
  let trainer: Trainer;
  try {
    trainer = new Trainer(cfg, data, 'float32', undefined, { draws });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const errorKey = /output/.test(e.message) ? 'output' : /activation/.test(e.message) ? 'activation' : 'layers';
    return { error: e.message, errorKey };
  }
  const net = trainer.net;
  // gradientDump's sequence: first batch, forward, loss, backward without weight decay (δ,
  // saturation and activations do not depend on it; dW is the loss gradient alone), probes.
  const M = trainer.loadBatch();
  const { X, y } = trainer.batch;
  net.forward(X, M);
  const info = { loss: 0, correct: 0 };
  net.lossAndCorrect(y, M, info);
  net.backward(y, M, 0);
  const P = trainer.probes;
  measureLayers(net, M, P);

  const L = net.layers.length;
  const F = net.sizes[0]!;
  const inputSq = sumSquares(X.subarray(0, M * F));
  // mean-field: q = Var(z) of the layer's pre-activations, from the input energy per example
  let q = architecture.layers[0]!.weightVariance * (inputSq / M);
  const mu = cfg.init.bias;
  const layers: LayerInspection[] = [];
  const fp2Init: number[] = [];
  const fp2Batch: number[] = [];
  for (let k = 0; k < L; k++) {
    const layer = net.layers[k]!;
    const N = layer.outSize;
    const mean = P.mean[k]!, std = P.std[k]!;
    const li: LayerInspection = {
      index: k, name: architecture.layers[k]!.name, activation: architecture.layers[k]!.activation, units: N,
      saturation: layer.activation ? P.saturation[k]! : null, mean, std, rms: Math.sqrt(mean * mean + std * std),
      gradW: P.gradW[k]!, gradB: P.gradB[k]!, delta: P.delta[k]!, gain: null,
    };
    if (layer.activation) {
      const kind = layer.activation;
      const a = net.acts[k]!;
      fp2Batch.push(derivativeSquares(kind, a, M * N, net.slope) / (M * N));
      li.unitSaturation = Array.from(P.unitSat[k]!);
      li.deadUnits = deadUnits(kind, a, M, N);
      const g = gaussianMoments(kind, mu, Math.sqrt(q), net.slope);
      li.predictedSaturation = g.saturation;
      fp2Init.push(g.fp2);
      q = N * architecture.layers[k + 1]!.weightVariance * g.a2;
      const [min, max] = histogramRange(kind);
      li.histogram = { min, max, counts: Array.from(P.hist[k]!) };
    }
    layers.push(li);
  }
  for (let k = 0; k < L - 1; k++) {
    const n = net.layers[k]!.outSize;
    const v = architecture.layers[k + 1]!.weightVariance;
    layers[k]!.gain = {
      measured: layers[k]!.delta / layers[k + 1]!.delta,
      predictedBatch: Math.sqrt(n * v * fp2Batch[k]!),
      predictedInit: Math.sqrt(n * v * fp2Init[k]!),
      n, weightVariance: v, fp2Batch: fp2Batch[k]!, fp2Init: fp2Init[k]!,
    };
  }
  return {
    batch: M, loss: info.loss, accuracy: info.correct / M,
    chanceLoss: Math.log(net.output === 'sigmoid' ? 2 : net.sizes[L]!),
    inputRms: Math.sqrt(inputSq / (M * F)), layers,
    deltaRatio: L >= 3 ? layers[0]!.delta / layers[L - 2]!.delta : null,
  };
}

/**
 * Inspects one variant. `index` is its position in the config's variants (-1 without variants),
 * used for the JSON paths of its warnings. With a cache, an unchanged network is not recomputed.
 */
export function inspectVariant(cfg: ResolvedConfig, data: Dataset, index: number, opts: InspectOptions = {}): VariantInspection {
  const t0 = now();
  const base: VariantInspection = {
    variant: cfg.variant, index, activation: cfg.activation, init: cfg.init,
    optimizer: describeOptimizer(cfg), lr: cfg.lr, warnings: [],
  };
  const key = measureKey(cfg);
  let m = opts.cache?.get(data, key);
  const cached = m !== undefined;
  const architecture = architectureOf(cfg, data);
  if (!m) {
    m = measure(cfg, data, architecture, opts.cache?.draws);
    opts.cache?.set(data, key, m);
  }
  if (m.error !== undefined) {
    return { ...base, error: m.error, errorPath: formatJsonPath(fieldPath(opts.config, index, m.errorKey!)), ms: now() - t0, cached };
  }
  const { batch, loss, accuracy, chanceLoss, inputRms, layers, deltaRatio } = m;
  const result: VariantInspection = { ...base, architecture, batch, loss, accuracy, chanceLoss, inputRms, layers, deltaRatio };
  result.warnings = variantWarnings(cfg, data, result, opts.config);
  result.ms = now() - t0;
  result.cached = cached;
  return result;
}

const summaries = new WeakMap<Dataset, DatasetSummary>();

/** Size, classes, feature statistics and a small preview of a dataset (cached per Dataset object). */
export function summarizeDataset(data: Dataset, spec: DatasetSpec): DatasetSummary {
  const cached = summaries.get(data);
  if (cached) return cached;
  const n = data.trainY.length, F = data.features;
  const classCounts = new Array<number>(data.classes).fill(0);
  for (let i = 0; i < n; i++) classCounts[data.trainY[i]!]!++;
  const standardized = 'standardize' in spec ? spec.standardize : false;
  let featureStats: FeatureStat[] | undefined;
  if (!data.imageShape) {
    featureStats = [];
    for (let j = 0; j < F; j++) {
      let s = 0, ss = 0, min = Infinity, max = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = data.trainX[i * F + j]!;
        s += x; ss += x * x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const mean = n ? s / n : 0;
      featureStats.push({ name: data.featureNames[j] ?? `x${j}`, mean, std: Math.sqrt(Math.max(n ? ss / n - mean * mean : 0, 0)), min, max });
    }
  }
  let preview: DatasetPreview = { kind: 'none' };
  if (data.imageShape) {
    // the first training image of each class, pixels scaled to [0, 1] per image for display
    const px = F;
    const images: { label: number; pixels: number[] }[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < n && images.length < Math.min(10, data.classes); i++) {
      const label = data.trainY[i]!;
      if (seen.has(label)) continue;
      seen.add(label);
      const row = data.trainX.subarray(i * px, (i + 1) * px);
      let lo = Infinity, hi = -Infinity;
      for (const v of row) { if (v < lo) lo = v; if (v > hi) hi = v; }
      const span = hi > lo ? hi - lo : 1;
      images.push({ label, pixels: Array.from(row, (v) => Math.round(((v - lo) / span) * 1000) / 1000) });
    }
    images.sort((a, b) => a.label - b.label);
    preview = { kind: 'images', shape: data.imageShape, images };
  } else if (F === 2) {
    const step = Math.max(1, Math.ceil(n / 600));
    const points: number[] = [];
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i += step) {
      const x = data.trainX[2 * i]!, yv = data.trainX[2 * i + 1]!;
      points.push(x, yv, data.trainY[i]!);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, yv); y1 = Math.max(y1, yv);
    }
    preview = { kind: 'scatter', points, bounds: [x0, x1, y0, y1] };
  }
  const summary: DatasetSummary = {
    name: data.name, description: data.description, train: n, test: data.testY.length, features: F,
    classes: data.classes, classNames: data.classNames, classCounts,
    ...(data.imageShape ? { imageShape: data.imageShape } : {}),
    ...(featureStats ? { featureStats } : {}),
    standardized, preview,
  };
  summaries.set(data, summary);
  return summary;
}

/**
 * Inspects every variant of a config (cfgs from resolveConfig, in the config's order) on its
 * dataset. Synchronous; the inspection worker calls inspectVariant itself to stay cancellable.
 */
export function inspect(cfgs: ResolvedConfig[], data: Dataset, opts: InspectOptions = {}): Inspection {
  const spec = cfgs[0]!.dataset;
  const dataset = summarizeDataset(data, spec);
  return {
    dataset,
    warnings: dataWarnings(data, spec, dataset, opts.config),
    variants: cfgs.map((c, i) => inspectVariant(c, data, opts.config !== undefined ? variantIndex(opts.config, c.variant) : cfgs.length > 1 ? i : -1, opts)),
  };
}
