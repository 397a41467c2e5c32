/**
 * Shared engine types: the resolved experiment config (what the trainer consumes after
 * defaults and a variant's overrides are applied) and the in-memory dataset.
 */

export type HiddenActivation = 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'linear';
export const HIDDEN_ACTIVATIONS: readonly HiddenActivation[] = ['sigmoid', 'tanh', 'relu', 'leaky_relu', 'linear'];

/** softmax: any number of classes, mean cross-entropy. sigmoid: one unit p(y=1|x), binary cross-entropy, 2 classes only. */
export type OutputKind = 'softmax' | 'sigmoid';

export type InitScheme = 'normal' | 'uniform' | 'glorot_uniform' | 'glorot_normal' | 'he_normal' | 'he_uniform';

export interface InitSpec {
  scheme: InitScheme;
  /** Standard deviation for scheme "normal". */
  std: number;
  /** Half-width for scheme "uniform": U(-limit, limit). */
  limit: number;
  /** Value every bias starts at. */
  bias: number;
}

export type OptimizerType = 'sgd' | 'momentum' | 'adam';

export interface OptimizerSpec {
  type: OptimizerType;
  /** momentum coefficient (momentum). */
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 weight decay, added to the gradient as weightDecay * W (weights only, not biases). */
  weightDecay: number;
}

export type ScheduleSpec =
  | { type: 'constant' }
  /** lr * gamma^floor(epoch / every) */
  | { type: 'step'; every: number; gamma: number }
  /** cosine from lr to minLr over all training steps */
  | { type: 'cosine'; minLr: number };

export type SyntheticKind = 'spiral' | 'moons' | 'circles' | 'xor' | 'blobs';
export type BuiltinKind = 'digits' | 'iris' | 'wine' | 'mnist';

export type DatasetSpec =
  | { type: BuiltinKind; testFraction: number; standardize: boolean; seed: number }
  | { type: SyntheticKind; samples: number; classes: number; noise: number; seed: number; testFraction: number }
  | { type: 'csv'; path: string; label: string; standardize: boolean; testFraction: number; seed: number };

export interface ProbeSpec {
  /** record probes (and a metrics line) every N training steps; 1 = every step */
  every: number;
  /** bins of the fixed-range activation histogram */
  histogramBins: number;
  /** also record per-unit saturation (for unit-level heatmaps) */
  unitSaturation: boolean;
}

export interface ResolvedConfig {
  /** experiment name (from the config or the file name) */
  name: string;
  /** variant name; "base" when the config has no variants */
  variant: string;
  dataset: DatasetSpec;
  /** hidden layer sizes, input and output sizes come from the dataset */
  layers: number[];
  /** one activation per hidden layer */
  activation: HiddenActivation[];
  /** slope for leaky_relu when z < 0 */
  leakyReluSlope: number;
  output: OutputKind;
  init: InitSpec;
  optimizer: OptimizerSpec;
  lr: number;
  schedule: ScheduleSpec;
  batchSize: number;
  epochs: number;
  seed: number;
  probes: ProbeSpec;
}

/** A dataset in memory, already split and preprocessed. Row-major: X[i * features + j]. */
export interface Dataset {
  name: string;
  features: number;
  classes: number;
  classNames: string[];
  featureNames: string[];
  trainX: Float32Array;
  trainY: Int32Array;
  testX: Float32Array;
  testY: Int32Array;
  /** for image sets, [height, width] of one sample (digits 8x8, mnist 28x28) */
  imageShape?: [number, number];
  /** where the data came from, for summaries and the UI */
  description: string;
}

/** How the engine reads files without importing node:* (the host supplies it). */
export interface DataIO {
  /** a user file (CSV), path relative to the config's folder or absolute */
  readText(path: string): Promise<string>;
  /** a shipped dataset asset from media/datasets, returned decompressed */
  readAsset(name: string): Promise<Uint8Array>;
}

/** A problem with the user's input: config or data. Carries where it is. */
export class InputError extends Error {
  constructor(
    message: string,
    /** the file the problem is in, if known */
    readonly file?: string,
    /** 1-based line and column, if known */
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** "file:line:col: message" as compilers print it */
  format(): string {
    const where = this.file ? (this.line ? `${this.file}:${this.line}:${this.column ?? 1}: ` : `${this.file}: `) : '';
    return where + this.message;
  }
}

/**
 * A name or cell from a user's file, quoted for a message: control characters (NUL, terminal
 * escape sequences, C1 codes, bidirectional overrides) written as \u escapes, so a message is
 * safe to print on a terminal or show in the editor; long text is cut at `max` characters.
 */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return `'${cut.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

