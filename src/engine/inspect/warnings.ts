/**
 * Init-time warnings: each names what the engine measured, why it matters, and a fix, and
 * carries the JSON path of the config field it belongs to. The thresholds are in THRESHOLDS,
 * and test/unit/inspect-warnings.test.ts checks each one against the engine's own numbers
 * (that a value just past it fires and one just inside does not, and that what it predicts,
 * e.g. "this does not train", is what training with the engine then does).
 */
import { fieldPath, datasetFieldPath, formatJsonPath } from './paths';
import type { DatasetSummary, InspectWarning, VariantInspection } from './types';
import type { Dataset, DatasetSpec, ResolvedConfig } from '../types';

export const THRESHOLDS = {
  /** sigmoid/tanh hidden layer: fraction of (unit, example) pairs saturated at init */
  saturated: 0.2,
  /** ‖δ first hidden‖ / ‖δ last hidden‖ below this (needs at least two hidden layers) */
  vanishing: 1 / 8,
  /** ... above this */
  exploding: 8,
  /**
   * RMS of the last hidden layer's activations over the first's. Lecture relu net, normal(std)
   * init: std 0.4 (5.5x) -> 94% test accuracy, 0.5 (9x) -> 82%, 1 (36x) diverges at step 10.
   */
  explodingActivations: 8,
  /**
   * Loss at init above this multiple of the chance loss ln(classes): the logits are huge. The
   * engine trains through a lot (relu normal(0.4): 15x -> 94%); raw wine with relu+he: 45x -> 39%.
   */
  explodingLoss: 25,
  /** relu layer: fraction of its units inactive on every example of the first batch ... */
  deadRelu: 0.5,
  /** ... measured on a batch of at least this many examples */
  deadReluMinBatch: 16,
  /**
   * Sane learning rates [low, high): a warning when lr < low or lr >= high. Momentum's bounds
   * apply to its effective step lr / (1 - momentum). Measured with the engine on the lecture's
   * relu+he net (digits, batch 32, 5 epochs; test accuracy; TypeScript kernels, the relaxed-SIMD
   * ones differ a little where training is chaotic: sgd 1 -> 21%, 0.5 -> 78%, adam 0.1 -> 49%):
   * sgd 0.0009 -> 8%, 0.01 -> 73%,
   * 0.5 -> 70%, 0.9 -> 20%, 1 -> 10%, 3 diverges; momentum 0.9 with lr 0.1 (effective 1) -> 92%,
   * lr 0.2 (effective 2) -> 24%; adam 1e-5 -> 2%, 1e-4 -> 37%, 0.01 -> 98%, 0.05 -> 83%, 0.1 -> 55%.
   */
  lrSgd: [1e-3, 1] as [number, number],
  lrMomentum: [1e-3, 1.5] as [number, number],
  lrAdam: [1e-4, 0.05] as [number, number],
  /** smallest sane batch size (digits, lr 0.1: batch 1 -> 17% test accuracy, 4 -> 96%; 3.7x fewer samples/s at batch 1 than 32) */
  batchMin: 4,
  /** fewest sane parameter updates over the whole training (10 updates -> 12%, 25 -> 74%, 225 -> 91%) */
  minUpdates: 20,
  /** a label column with more classes than this and fewer examples per class than minPerClass looks numeric */
  labelClasses: 20,
  labelMinPerClass: 5,
  /** largest / smallest feature standard deviation without standardization */
  featureScaleRatio: 100,
  /** input RMS above which a problem's fix is to standardize the data rather than change the init */
  largeInputRms: 3,
};

const pct = (x: number): string => `${Math.round(x * 100)}%`;
/**
 * A ratio of two measured norms (‖δ1‖/‖δ3‖, a layer's gain) as the CLI, the warnings and the
 * CodeLens print it: below 1 as "1/" and the reciprocal of the ratio as measured, to one decimal
 * (0.05147 -> "1/19.4"; never the reciprocal of a rounded print, 1/0.051 = 19.6), from 1 on as
 * "1.3x", "34x".
 */
export function ratioText(r: number): string {
  if (!Number.isFinite(r)) return String(r);
  if (r >= 1) return `${r < 10 ? r.toFixed(1) : Math.round(r)}x`;
  const inv = 1 / r;
  return `1/${inv < 100 ? inv.toFixed(1) : Math.round(inv)}`;
}
const fmt = (x: number): string => (Math.abs(x) >= 100 || x === Math.round(x) ? String(Math.round(x)) : x.toPrecision(2));

function make(w: Omit<InspectWarning, 'message'>): InspectWarning {
  return { ...w, message: `${w.measured}: ${w.why}; ${w.fix}` };
}

function initText(cfg: ResolvedConfig): string {
  const i = cfg.init;
  return i.scheme === 'normal' ? `normal(${i.std})` : i.scheme === 'uniform' ? `uniform(±${i.limit})` : i.scheme;
}

/** The warnings about one inspected variant. */
export function variantWarnings(cfg: ResolvedConfig, data: Dataset, v: VariantInspection, config: unknown): InspectWarning[] {
  const out: InspectWarning[] = [];
  const at = (key: string) => formatJsonPath(fieldPath(config, v.index, key));
  const variant = cfg.variant;
  const layers = v.layers ?? [];
  const hidden = layers.slice(0, -1);
  const H = hidden.length;
  // Large inputs with a sensible init scheme: the data's scale is to blame, and the fix is to standardize it.
  const ds = cfg.dataset as { standardize?: boolean };
  const dataToBlame = (v.inputRms ?? 0) > THRESHOLDS.largeInputRms && ds.standardize === false && cfg.init.scheme !== 'normal' && cfg.init.scheme !== 'uniform';
  const standardizePath = formatJsonPath(datasetFieldPath(config, 'standardize'));
  const standardizeFix = `the inputs are large (RMS ${fmt(v.inputRms ?? 0)}): set "standardize": true in "dataset"`;

  // -- saturation at init (sigmoid, tanh)
  const satLayers = hidden.filter((l) => (l.activation === 'sigmoid' || l.activation === 'tanh') && l.saturation! >= THRESHOLDS.saturated);
  if (satLayers.length) {
    const worst = satLayers.reduce((a, b) => (b.saturation! > a.saturation! ? b : a));
    const kind = worst.activation as 'sigmoid' | 'tanh';
    const others = satLayers.filter((l) => l !== worst).map((l) => `layer ${l.index + 1} ${pct(l.saturation!)}`);
    const scaleHint = dataToBlame;
    out.push(make({
      code: 'saturated-init', severity: 'warning', variant, layer: worst.index,
      path: scaleHint ? standardizePath : at('init'),
      measured: `${pct(worst.saturation!)} of layer-${worst.index + 1} units are saturated at init${others.length ? ` (${others.join(', ')})` : ''}`,
      why: kind === 'sigmoid'
        ? `their gradient is ~0 (σ'(z) < 0.048 where |z| > 2.94), so those units barely learn`
        : `their gradient is ~0 (tanh'(z) < 0.1 where |z| > 1.83), so those units barely learn`,
      fix: scaleHint
        ? standardizeFix
        : `use glorot_uniform${cfg.init.scheme === 'normal' ? ` instead of ${initText(cfg)}` : ''} (Var(W) = 2/(fan_in+fan_out) keeps z near 0)`,
    }));
  }

  // -- gradient flow through the hidden layers: ‖δ first‖ / ‖δ last‖
  const ratio = v.deltaRatio;
  if (ratio != null && H >= 2 && Number.isFinite(ratio)) {
    const gains = hidden.slice(0, -1).map((l) => l.gain!.measured);
    const gainList = gains.map((g, i) => `layer ${i + 2}→${i + 1} ${ratioText(g)}`).join(', ');
    if (ratio < THRESHOLDS.vanishing) {
      const acts = new Set(hidden.map((l) => l.activation));
      const allSigmoid = acts.size === 1 && acts.has('sigmoid');
      const bound = allSigmoid ? `; sigmoid scales it by at most 1/4 per layer (σ'(z) ≤ 1/4), ${H - 1} layers by at most 1/${4 ** (H - 1)}` : '';
      out.push(make({
        code: 'vanishing-signal', severity: 'warning', variant, layer: 0,
        path: dataToBlame ? standardizePath : at('activation'),
        measured: `layer 1 receives ${ratioText(ratio)} of the gradient of layer ${H} (‖δ1‖/‖δ${H}‖ at init; ${gainList})`,
        why: `the first layers learn ${ratioText(ratio)} as fast as the last${bound}`,
        fix: dataToBlame ? standardizeFix : `try relu with he_normal`,
      }));
    } else if (ratio > THRESHOLDS.exploding) {
      out.push(make({
        code: 'exploding-signal', severity: 'warning', variant, layer: 0,
        path: dataToBlame ? standardizePath : at('init'),
        measured: `layer 1 receives ${ratioText(ratio)} the gradient of layer ${H} (‖δ1‖/‖δ${H}‖ at init; ${gainList})`,
        why: `the back-propagated signal grows layer by layer: the first layers take steps ${ratioText(ratio)} larger than the last and the run may diverge`,
        fix: dataToBlame ? standardizeFix : hidden.some((l) => l.activation === 'relu' || l.activation === 'leaky_relu') ? 'use he_normal (n·Var(W) = 2 keeps ‖δ‖ for relu)' : 'use glorot_uniform',
      }));
    }
  }

  // -- exploding activations (forward): growth through the hidden layers, or huge logits
  if (H >= 1) {
    const first = hidden[0]!, last = hidden[H - 1]!;
    const growth = last.rms / first.rms;
    const finite = Number.isFinite(v.loss!);
    const lossRatio = finite ? v.loss! / v.chanceLoss! : Infinity;
    const relu = hidden.some((l) => l.activation === 'relu' || l.activation === 'leaky_relu');
    const lossText = `the initial loss is ${finite ? fmt(v.loss!) : 'not finite'} (a uniform guess: ${v.chanceLoss!.toFixed(2)})`;
    if ((H >= 2 && growth > THRESHOLDS.explodingActivations) || !finite) {
      const rmsList = hidden.map((l) => fmt(l.rms)).join(' → ');
      out.push(make({
        code: 'exploding-activations', severity: 'warning', variant, layer: last.index,
        path: dataToBlame ? standardizePath : at('init'),
        measured: `activations grow layer by layer at init (RMS ${rmsList}, ${ratioText(growth)} from layer 1 to ${H}); ${lossText}`,
        why: `each layer multiplies the signal's RMS by about sqrt(n·Var(W)·E[f(z)²]/E[z²]) > 1, so the logits are huge, the softmax is saturated and the first steps are enormous`,
        fix: dataToBlame ? standardizeFix : relu ? 'use he_normal (Var(W) = 2/fan_in)' : 'use glorot_uniform (Var(W) = 2/(fan_in+fan_out))',
      }));
    } else if (lossRatio > THRESHOLDS.explodingLoss) {
      const out0 = layers[layers.length - 1]!;
      out.push(make({
        code: 'exploding-activations', severity: 'warning', variant, layer: out0.index,
        path: dataToBlame ? standardizePath : at('init'),
        measured: `the initial loss is ${fmt(v.loss!)}, ${lossRatio.toFixed(1)} times that of a uniform guess (${v.chanceLoss!.toFixed(2)})`,
        why: `the output layer's logits are large at init, so the softmax is confidently wrong and the first gradient steps are large`,
        fix: dataToBlame ? standardizeFix : relu ? 'use he_normal (Var(W) = 2/fan_in)' : 'use glorot_uniform (Var(W) = 2/(fan_in+fan_out))',
      }));
    }
  }

  // -- dead ReLU units at init: the layer with the largest share
  if ((v.batch ?? 0) >= THRESHOLDS.deadReluMinBatch) {
    const relu = hidden.filter((l) => l.activation === 'relu' && l.deadUnits !== undefined);
    const worst = relu.length ? relu.reduce((a, b) => (b.deadUnits! / b.units > a.deadUnits! / a.units ? b : a)) : undefined;
    const frac = worst ? worst.deadUnits! / worst.units : 0;
    if (worst && frac >= THRESHOLDS.deadRelu) {
      out.push(make({
        code: 'dead-relu', severity: 'warning', variant, layer: worst.index,
        path: dataToBlame && cfg.init.bias >= 0 ? standardizePath : at('init'),
        measured: `${worst.deadUnits} of ${worst.units} units of layer ${worst.index + 1} (${pct(frac)}) are dead at init: zero for all ${v.batch} examples of the first batch`,
        why: `a dead ReLU passes no gradient, so it learns nothing from those examples and may never recover`,
        fix: cfg.init.bias < 0 ? `start the biases at 0 or a small positive value (now ${cfg.init.bias})` : dataToBlame ? standardizeFix : 'use leaky_relu, or give the biases a small positive start ("bias": 0.01)',
      }));
    }
  }

  // -- learning rate
  const o = cfg.optimizer;
  const eff = o.type === 'momentum' ? cfg.lr / (1 - o.momentum) : cfg.lr;
  const [lo, hi] = o.type === 'adam' ? THRESHOLDS.lrAdam : o.type === 'momentum' ? THRESHOLDS.lrMomentum : THRESHOLDS.lrSgd;
  if (eff >= hi || eff < lo) {
    const effText = o.type === 'momentum' ? ` (effective ${fmt(eff)} with momentum ${o.momentum})` : '';
    const tooHigh = eff > hi;
    out.push(make({
      code: 'learning-rate', severity: 'warning', variant,
      path: at('lr'),
      measured: `learning rate ${cfg.lr}${effText} is ${tooHigh ? 'above' : 'below'} the sane range for ${o.type} (${lo} to ${hi})`,
      why: tooHigh ? 'steps this large overshoot: the loss oscillates or diverges' : `steps this small barely move the weights in ${cfg.epochs} epochs`,
      fix: `try ${o.type === 'adam' ? '0.001' : '0.1'}`,
    }));
  }

  // -- batch size
  const arch = v.architecture;
  if (arch) {
    const nTrain = data.trainY.length;
    if (cfg.batchSize < THRESHOLDS.batchMin && nTrain >= THRESHOLDS.batchMin) {
      out.push(make({
        code: 'batch-size', severity: 'warning', variant, path: at('batchSize'),
        measured: `batch size ${cfg.batchSize} is below ${THRESHOLDS.batchMin}`,
        why: `each step follows the gradient of ${cfg.batchSize === 1 ? 'a single example' : `${cfg.batchSize} examples`}: very noisy, and the engine runs many times fewer samples per second`,
        fix: 'try 32',
      }));
    } else if (arch.totalSteps < THRESHOLDS.minUpdates) {
      const clamp = cfg.batchSize > nTrain ? ` (larger than the ${nTrain} training examples)` : '';
      out.push(make({
        code: 'batch-size', severity: 'warning', variant, path: cfg.batchSize > 64 ? at('batchSize') : at('epochs'),
        measured: `batch size ${cfg.batchSize}${clamp} gives ${arch.stepsPerEpoch} update${arch.stepsPerEpoch === 1 ? '' : 's'} per epoch, ${arch.totalSteps} in ${cfg.epochs} epochs`,
        why: 'so few gradient steps barely move the weights from their initial values',
        fix: `use a smaller batch (e.g. 32: ${Math.ceil(nTrain / Math.min(32, nTrain)) * cfg.epochs} updates) or more epochs`,
      }));
    }
  }
  return out;
}

/** Warnings about the data itself, shared by every variant. */
export function dataWarnings(data: Dataset, spec: DatasetSpec, summary: DatasetSummary, config: unknown): InspectWarning[] {
  const out: InspectWarning[] = [];
  // -- labels that look like a numeric quantity (the loader already refuses fractions and > 100 classes)
  if (spec.type === 'csv') {
    const perClass = summary.train / summary.classes;
    const singletons = summary.classCounts.filter((c) => c <= 1).length;
    if (summary.classes > THRESHOLDS.labelClasses && perClass < THRESHOLDS.labelMinPerClass) {
      out.push(make({
        code: 'label-not-categorical', severity: 'warning', variant: null,
        path: formatJsonPath(datasetFieldPath(config, 'label')),
        measured: `label column '${spec.label}' has ${summary.classes} distinct values for ${summary.train} training rows (${perClass.toFixed(1)} per class, ${singletons} seen at most once)`,
        why: 'it looks like a numeric quantity, not categories: a classifier treats 41 and 42 as unrelated classes and cannot learn a class it saw once',
        fix: 'choose a categorical column as "label", or bin the values into a few classes in the CSV',
      }));
    }
  }
  // -- features on wildly different scales, not standardized (image sets share one pixel scale)
  const standardize = 'standardize' in spec ? spec.standardize : true;
  if (!standardize && summary.featureStats) {
    const stats = summary.featureStats.filter((f) => f.std > 0);
    if (stats.length >= 2) {
      const big = stats.reduce((a, b) => (b.std > a.std ? b : a));
      const small = stats.reduce((a, b) => (b.std < a.std ? b : a));
      const r = big.std / small.std;
      if (r > THRESHOLDS.featureScaleRatio) {
        out.push(make({
          code: 'feature-scales', severity: 'warning', variant: null,
          path: formatJsonPath(datasetFieldPath(config, 'standardize')),
          measured: `feature scales differ ${Math.round(r)}-fold: '${big.name}' has std ${fmt(big.std)}, '${small.name}' ${fmt(small.std)}`,
          why: `the large feature dominates every pre-activation (and saturates sigmoid/tanh units) while the small one is ignored, and one learning rate cannot suit both`,
          fix: 'set "standardize": true in "dataset"',
        }));
      }
    }
  }
  void data;
  return out;
}
