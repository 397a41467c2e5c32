/**
 * What an inspection returns: the architecture, per-layer and per-variant results, the dataset
 * summary and the warnings. Types only; inspect.ts computes them, warnings.ts adds the warnings.
 */
import type { HiddenActivation, InitSpec } from '../types';

export type WarningCode =
  | 'saturated-init'
  | 'vanishing-signal'
  | 'exploding-signal'
  | 'exploding-activations'
  | 'dead-relu'
  | 'learning-rate'
  | 'batch-size'
  | 'label-not-categorical'
  | 'feature-scales';

export interface InspectWarning {
  code: WarningCode;
  severity: 'warning' | 'info';
  /** the variant it is about; null for data problems (every variant) */
  variant: string | null;
  /** 0-based weight-layer index it is about, if one */
  layer?: number;
  /** JSON path of the config field to attach the diagnostic to, e.g. $.variants[2].init */
  path: string;
  /** what was measured ("74% of layer-2 units are saturated at init") */
  measured: string;
  /** why it matters */
  why: string;
  /** what to do */
  fix: string;
  /** measured: why; fix (one line, for the Problems panel) */
  message: string;
}

export interface ArchitectureLayer {
  /** 0-based weight-layer index */
  index: number;
  /** "layer 1" ... for hidden layers, "output" */
  name: string;
  inSize: number;
  outSize: number;
  activation: HiddenActivation | 'softmax' | 'sigmoid';
  /** weights + biases */
  parameters: number;
  /** the init scheme's variance of this layer's weights */
  weightVariance: number;
}

export interface MemoryEstimate {
  /** bytes, float32 */
  parameters: number;
  gradients: number;
  /** momentum: one buffer, adam: two */
  optimizerState: number;
  /** activations and back-propagated signals for one batch, plus the batch itself */
  activations: number;
  /** the whole training step's working set */
  total: number;
  /** the loaded dataset (train + test, float32 features) */
  dataset: number;
}

export interface Architecture {
  /** n_0 (inputs), hidden sizes..., outputs */
  sizes: number[];
  layers: ArchitectureLayer[];
  parameterCount: number;
  memory: MemoryEstimate;
  batchSize: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

export interface GainInspection {
  /** ‖δ_k‖ / ‖δ_{k+1}‖: how much of the layer above's back-propagated signal this layer receives */
  measured: number;
  /** sqrt(n · Var(W) · E_batch[f'(z)²]) */
  predictedBatch: number;
  /** sqrt(n · Var(W) · E_init[f'(z)²]), mean-field */
  predictedInit: number;
  /** fan-in of the weight layer above (= this layer's units) */
  n: number;
  /** the init scheme's Var(W) of the weight layer above */
  weightVariance: number;
  /** E[f'(z)²] over the batch, and under the init's gaussian */
  fp2Batch: number;
  fp2Init: number;
}

export interface LayerInspection {
  index: number;
  name: string;
  activation: HiddenActivation | 'softmax' | 'sigmoid';
  units: number;
  /** fraction of batch x units entries saturated (probes' definition); null for the output layer */
  saturation: number | null;
  /** per unit: fraction of the batch in which it is saturated (hidden layers) */
  unitSaturation?: number[];
  /** units saturated (relu: inactive) on every example of the batch (hidden layers) */
  deadUnits?: number;
  /** mean-field prediction of `saturation` */
  predictedSaturation?: number;
  /** mean and std of a_k over batch and units (output: probabilities) */
  mean: number;
  std: number;
  /** sqrt(E[a²]) */
  rms: number;
  /** fixed-range histogram of a_k (hidden layers) */
  histogram?: { min: number; max: number; counts: number[] };
  /** ‖dW_k‖_F, ‖db_k‖, ‖δ_k‖_F as in the dump */
  gradW: number;
  gradB: number;
  delta: number;
  /** hidden layers: the gain of ‖δ‖ from the layer above into this one */
  gain: GainInspection | null;
}

export interface VariantInspection {
  variant: string;
  /** index in the config's variants array (-1 without variants) */
  index: number;
  /** what cannot be inspected (e.g. an output kind the data does not allow); the rest is then absent */
  error?: string;
  /** the JSON path the error belongs to */
  errorPath?: string;
  activation: HiddenActivation[];
  init: InitSpec;
  optimizer: string;
  lr: number;
  architecture?: Architecture;
  /** size of the first batch (the engine's batch: min(batchSize, training examples)) */
  batch?: number;
  loss?: number;
  accuracy?: number;
  /** ln(classes) (softmax) or ln 2 (sigmoid): the loss of a uniform guess */
  chanceLoss?: number;
  /** RMS of the input batch */
  inputRms?: number;
  layers?: LayerInspection[];
  /** ‖δ first hidden‖ / ‖δ last hidden‖ (null with fewer than two hidden layers) */
  deltaRatio?: number | null;
  warnings: InspectWarning[];
  /** wall time of this variant's inspection, ms */
  ms?: number;
  /** the init-time pass came from the cache (nothing it depends on changed) */
  cached?: boolean;
}

export interface FeatureStat {
  name: string;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export type DatasetPreview =
  | { kind: 'scatter'; /** x, y, label triples of up to 600 training points */ points: number[]; bounds: [number, number, number, number] }
  | { kind: 'images'; shape: [number, number]; images: { label: number; pixels: number[] }[] }
  | { kind: 'none' };

export interface DatasetSummary {
  name: string;
  description: string;
  train: number;
  test: number;
  features: number;
  classes: number;
  classNames: string[];
  /** training examples per class */
  classCounts: number[];
  imageShape?: [number, number];
  /** per feature over the training split (tables and CSVs; not for image sets) */
  featureStats?: FeatureStat[];
  standardized: boolean;
  preview: DatasetPreview;
}

export interface Inspection {
  dataset: DatasetSummary;
  /** data problems (not tied to one variant) */
  warnings: InspectWarning[];
  variants: VariantInspection[];
}
