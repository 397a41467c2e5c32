/**
 * Checks for what a run folder holds, before anything is built from it: config.json as a
 * resolved config of the sizes the config schema allows (media/mlp-config.schema.json: at most
 * 16 hidden layers of at most 4096 units, 4 to 100 histogram bins), and each metrics line's step
 * or epoch record against that config (numbers where numbers go, one probe per weight layer,
 * each per-unit list the layer's width, each histogram the config's bin count). A run folder may
 * come from anywhere (a repository, a download): whatever it holds is refused with a reason, never
 * followed into a crash or an allocation its declared sizes ask for.
 *
 * A checked record is rebuilt from the fields it is known to have: nothing else a line holds
 * (an extra field of megabytes, a `__proto__` key) is kept or passed on to a panel.
 */
import { CONFUSION_MAX_CLASSES, MISCLASSIFIED_SHOWN, type TestErrors } from '../engine/errors';
import { isObj } from '../engine/guards';
import type { EpochRecord, EvalResult, StepRecord } from '../engine/trainer';
import { PARAM_PERCENTILES, type LayerProbe } from '../engine/probes';
import { HIDDEN_ACTIVATIONS, type ResolvedConfig } from '../engine/types';

/** The schema's limits (media/mlp-config.schema.json definitions/layers and probes). */
export const MAX_HIDDEN_LAYERS = 16;
export const MAX_LAYER_UNITS = 4096;
export const MIN_HISTOGRAM_BINS = 4;
export const MAX_HISTOGRAM_BINS = 100;
/** Longest name (experiment, variant, dataset type) a run's config may carry. */
const MAX_NAME = 1000;
/** Classes a synthetic dataset may have (the schema's 2..10); CSV sets up to MAX_CSV_CLASSES. */
const MAX_CLASSES = 100;

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A number in a record: JSON writes a NaN or an infinity (a diverged run's loss) as null. */
const isNumOrNull = (v: unknown): v is number | null => v === null || isFiniteNum(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_NAME;
const show = (v: unknown): string => {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return String(v);
};

/** Why `v` is not a resolved config a run can be shown with (the first field that is wrong), or null. */
export function configProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (!isName(v.name)) return `"name" is ${show(v.name)}, not a name`;
  if (!isName(v.variant)) return `"variant" is ${show(v.variant)}, not a name`;
  const layers = v.layers;
  if (!Array.isArray(layers)) return `"layers" is ${show(layers)}, not a list of layer sizes`;
  if (layers.length > MAX_HIDDEN_LAYERS) return `"layers" has ${layers.length} hidden layers; at most ${MAX_HIDDEN_LAYERS} are allowed`;
  for (let k = 0; k < layers.length; k++) {
    if (!isInt(layers[k], 1, MAX_LAYER_UNITS)) return `"layers"[${k}] is ${show(layers[k])}; a layer has 1 to ${MAX_LAYER_UNITS} units`;
  }
  const act = v.activation;
  if (!Array.isArray(act) || act.length !== layers.length) return `"activation" is ${show(act)}, not one activation per hidden layer (${layers.length})`;
  for (let k = 0; k < act.length; k++) {
    if (!(HIDDEN_ACTIVATIONS as readonly unknown[]).includes(act[k])) return `"activation"[${k}] is ${show(act[k])}, not a hidden activation`;
  }
  if (v.output !== 'softmax' && v.output !== 'sigmoid') return `"output" is ${show(v.output)}, not "softmax" or "sigmoid"`;
  if (!isInt(v.epochs, 1)) return `"epochs" is ${show(v.epochs)}, not a whole number of epochs`;
  if (!isInt(v.batchSize, 1)) return `"batchSize" is ${show(v.batchSize)}, not a batch size`;
  if (!isFiniteNum(v.lr)) return `"lr" is ${show(v.lr)}, not a learning rate`;
  if (!isObj(v.dataset) || !isName(v.dataset.type)) return `"dataset" is ${show(v.dataset)}, not a dataset`;
  if (v.dataset.classes !== undefined && !isInt(v.dataset.classes, 2, MAX_CLASSES)) return `"dataset.classes" is ${show(v.dataset.classes)}; 2 to ${MAX_CLASSES} classes are allowed`;
  const p = v.probes;
  if (!isObj(p)) return `"probes" is ${show(p)}, not the probe settings`;
  if (!isInt(p.every, 1)) return `"probes.every" is ${show(p.every)}, not a whole number of steps`;
  if (!isInt(p.histogramBins, MIN_HISTOGRAM_BINS, MAX_HISTOGRAM_BINS)) return `"probes.histogramBins" is ${show(p.histogramBins)}; ${MIN_HISTOGRAM_BINS} to ${MAX_HISTOGRAM_BINS} bins are allowed`;
  if (typeof p.unitSaturation !== 'boolean') return `"probes.unitSaturation" is ${show(p.unitSaturation)}, not true or false`;
  return null;
}

/** What a record is checked against: the parts of its run's config that fix its shape. */
export type RecordShape = Pick<ResolvedConfig, 'layers' | 'epochs' | 'probes'>;

/** Every entry of a list a number (or null: a NaN written to JSON), the list `n` long. */
function numbersProblem(v: unknown, n: number, what: string): string | null {
  if (!Array.isArray(v)) return `${what} is ${show(v)}, not a list of ${n} numbers`;
  if (v.length !== n) return `${what} has ${v.length} entries, not ${n}`;
  for (let i = 0; i < n; i++) if (!isNumOrNull(v[i])) return `${what}[${i}] is ${show(v[i])}, not a number`;
  return null;
}

const PROBE_NUMBERS = ['mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const;
const OUTPUT_KINDS: readonly unknown[] = ['softmax', 'sigmoid'];

/** Layer probe k of a step record, checked and rebuilt, or why not. */
function layerProbe(v: unknown, k: number, cfg: RecordShape): LayerProbe | string {
  const at = `"layers"[${k}]`;
  if (!isObj(v)) return `${at} is ${show(v)}, not a layer's probes`;
  const hidden = k < cfg.layers.length;
  if (v.layer !== k) return `${at}.layer is ${show(v.layer)}, not ${k}`;
  if (!(hidden ? HIDDEN_ACTIVATIONS as readonly unknown[] : OUTPUT_KINDS).includes(v.activation)) return `${at}.activation is ${show(v.activation)}`;
  if (!isNumOrNull(v.saturation)) return `${at}.saturation is ${show(v.saturation)}, not a number`;
  for (const key of PROBE_NUMBERS) if (!isNumOrNull(v[key])) return `${at}.${key} is ${show(v[key])}, not a number`;
  const out: LayerProbe = {
    layer: k, activation: v.activation as LayerProbe['activation'], saturation: v.saturation as number | null,
    mean: v.mean as number, std: v.std as number, gradW: v.gradW as number, gradB: v.gradB as number,
    delta: v.delta as number, updateRatio: v.updateRatio as number,
  };
  for (const key of ['weightPercentiles', 'gradPercentiles'] as const) {
    if (v[key] === undefined) continue;
    const bad = numbersProblem(v[key], PARAM_PERCENTILES.length, `${at}.${key}`);
    if (bad) return bad;
    out[key] = v[key] as number[];
  }
  if (v.histogram !== undefined) {
    const h = v.histogram;
    if (!hidden) return `${at}.histogram is there for the output layer`;
    if (!isObj(h) || !isNumOrNull(h.min) || !isNumOrNull(h.max)) return `${at}.histogram is ${show(h)}, not a histogram`;
    const bad = numbersProblem(h.counts, cfg.probes.histogramBins, `${at}.histogram.counts`);
    if (bad) return bad;
    out.histogram = { min: h.min as number, max: h.max as number, counts: h.counts as number[] };
  }
  if (v.unitSaturation !== undefined) {
    if (!hidden) return `${at}.unitSaturation is there for the output layer`;
    const bad = numbersProblem(v.unitSaturation, cfg.layers[k]!, `${at}.unitSaturation`);
    if (bad) return bad;
    out.unitSaturation = v.unitSaturation as number[];
  }
  return out;
}

function evalResult(v: unknown): EvalResult | null | undefined {
  if (v === null) return null;
  if (!isObj(v) || !isNumOrNull(v.loss) || !isNumOrNull(v.accuracy)) return undefined;
  return { loss: v.loss as number, accuracy: v.accuracy as number };
}

/** An epoch record's test errors (errors.ts), checked and rebuilt, or why not. */
function testErrors(v: unknown): TestErrors | string {
  if (!isObj(v)) return `"errors" is ${show(v)}, not a confusion matrix and misclassified examples`;
  const c = v.confusion, mis = v.misclassified;
  if (!Array.isArray(c) || c.length < 2 || c.length > CONFUSION_MAX_CLASSES) return `"errors.confusion" is ${show(c)}, not a matrix of 2 to ${CONFUSION_MAX_CLASSES} classes`;
  const n = c.length;
  const confusion: number[][] = [];
  for (let t = 0; t < n; t++) {
    const row = c[t];
    if (!Array.isArray(row) || row.length !== n) return `"errors.confusion"[${t}] is ${show(row)}, not a row of ${n} counts`;
    for (let p = 0; p < n; p++) if (!isInt(row[p], 0)) return `"errors.confusion"[${t}][${p}] is ${show(row[p])}, not a count`;
    confusion.push((row as number[]).slice());
  }
  if (!Array.isArray(mis) || mis.length > MISCLASSIFIED_SHOWN) return `"errors.misclassified" is ${show(mis)}, not a list of at most ${MISCLASSIFIED_SHOWN} examples`;
  const misclassified: [number, number][] = [];
  for (let i = 0; i < mis.length; i++) {
    const e = mis[i];
    if (!Array.isArray(e) || e.length !== 2 || !isInt(e[0], 0) || !isInt(e[1], 0, n - 1)) return `"errors.misclassified"[${i}] is ${show(e)}, not [test index, predicted class below ${n}]`;
    misclassified.push([e[0] as number, e[1] as number]);
  }
  return { confusion, misclassified };
}

/**
 * A metrics line's value as a step or epoch record of a run with config `cfg`, rebuilt from its
 * known fields; or a string saying what is wrong with it.
 */
export function checkRecord(v: unknown, cfg: RecordShape): StepRecord | EpochRecord | string {
  if (!isObj(v)) return `not a JSON object but ${show(v)}`;
  if (!isInt(v.step, 0)) return `"step" is ${show(v.step)}, not a whole number of steps`;
  if (v.kind === 'epoch') {
    if (!isInt(v.epoch, 0, cfg.epochs)) return `"epoch" is ${show(v.epoch)}, not an epoch of the run's ${cfg.epochs}`;
    const train = evalResult(v.train), test = evalResult(v.test);
    if (!train) return `"train" is ${show(v.train)}, not a loss and accuracy`;
    if (test === undefined) return `"test" is ${show(v.test)}, not a loss and accuracy or null`;
    const rec: EpochRecord = { kind: 'epoch', epoch: v.epoch, step: v.step, train, test };
    if (v.errors !== undefined) {
      const errors = testErrors(v.errors);
      if (typeof errors === 'string') return errors;
      rec.errors = errors;
    }
    return rec;
  }
  if (v.kind !== 'step') return `"kind" is ${show(v.kind)}, not "step" or "epoch"`;
  if (!isInt(v.epoch, 0, cfg.epochs)) return `"epoch" is ${show(v.epoch)}, not an epoch of the run's ${cfg.epochs}`;
  for (const key of ['loss', 'accuracy', 'lr'] as const) if (!isNumOrNull(v[key])) return `"${key}" is ${show(v[key])}, not a number`;
  const L = cfg.layers.length + 1;
  if (!Array.isArray(v.layers)) return `"layers" is ${show(v.layers)}, not a list of layer probes`;
  if (v.layers.length !== L) return `"layers" has ${v.layers.length} entries; the run's network has ${L} weight layers`;
  const layers: LayerProbe[] = [];
  for (let k = 0; k < L; k++) {
    const p = layerProbe(v.layers[k], k, cfg);
    if (typeof p === 'string') return p;
    layers.push(p);
  }
  return { kind: 'step', step: v.step, epoch: v.epoch, loss: v.loss as number, accuracy: v.accuracy as number, lr: v.lr as number, layers };
}

/** The record check for one variant's metrics: checkRecord, and no more epoch records than epochs. */
export function recordCheckFor(cfg: ResolvedConfig): (value: unknown) => StepRecord | EpochRecord | string {
  let epochs = 0;
  return (value) => {
    const rec = checkRecord(value, cfg);
    if (typeof rec !== 'string' && rec.kind === 'epoch' && ++epochs > cfg.epochs) return `more epoch records than the run's ${cfg.epochs} epochs`;
    return rec;
  };
}
