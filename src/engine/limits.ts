/**
 * What fits: the bytes a network needs, checked before anything big is allocated, against the
 * limits that apply. A network that does not fit is refused with one message saying what it
 * needs, the limit, and how many parameters would fit (docs/engine.md#memory-limits).
 *
 * - The WebAssembly path keeps everything in one memory (network-layout.ts plans it exactly):
 *   parameters, gradients, the optimizer's state (momentum one copy, Adam two, SGD none),
 *   activations and deltas for the batch, the kernels' scratch. A helper thread shares that
 *   memory: two threads need no more. The layout addresses at most WASM_MAX_BYTES (2 GiB).
 * - The TypeScript path allocates the same buffers as typed arrays (float32, or float64 for the
 *   gradient checks).
 * - Either way a network may use at most the memory budget (DEFAULT_MEMORY_BUDGET, 2 GiB, or
 *   NetworkOptions.memoryBudget).
 */
import { selectedKernelPath, type KernelPath } from './kernel-path';
import { stateSlots, wasmMemoryBytes } from './network-layout';
import type { DType } from './network-types';
import type { DatasetSpec, OptimizerType, ResolvedConfig } from './types';
import { WASM_MAX_BYTES } from './wasm/runtime';

/** The longest string V8 makes on 64-bit hosts (2^29 - 24 characters): JSON that is one string must fit it. */
export const JS_STRING_MAX_CHARS = 2 ** 29 - 24;
/** Characters a float takes in JSON at most ("-1.2345678901234567e-10,"). */
export const JSON_FLOAT_CHARS = 24;

/** The bytes a network may use unless told otherwise (NetworkOptions.memoryBudget). */
export const DEFAULT_MEMORY_BUDGET = 2 ** 31;

/** What a network is made of, for the check. */
export interface FitQuery {
  /** n_0, hidden sizes..., n_L */
  sizes: number[];
  /** the largest batch it runs */
  batch: number;
  dtype: DType;
  kernel: KernelPath | 'typescript-f64';
  /** products cut in two row parts (see NetworkOptions.split) */
  parts: number;
  /** undefined: room for any optimizer (Adam's two copies) */
  optimizer?: OptimizerType;
  budget?: number;
}

/** Parameters of a network of these layer sizes (weights and biases). */
export const parameterCount = (sizes: readonly number[]): number => {
  let total = 0;
  for (let k = 0; k + 1 < sizes.length; k++) total += sizes[k + 1]! * (sizes[k]! + 1);
  return total;
};

/** Bytes per parameter on this path: parameters, gradients and the optimizer's state. */
function bytesPerParameter(q: FitQuery): number {
  const float = q.kernel.startsWith('wasm-') || q.dtype === 'float32' ? 4 : 8;
  return float * (2 + stateSlots(q.optimizer));
}

/** The bytes the network's buffers take (the WebAssembly memory, or the typed arrays). */
export function networkBytes(q: FitQuery): number {
  const total = parameterCount(q.sizes);
  if (q.kernel.startsWith('wasm-')) return wasmMemoryBytes(q.sizes, q.batch, total, q.parts, stateSlots(q.optimizer));
  const float = q.dtype === 'float32' ? 4 : 8;
  let units = q.sizes[0]!; // the input buffer, then acts and deltas per layer
  for (let k = 1; k < q.sizes.length; k++) units += 2 * q.sizes[k]!;
  return bytesPerParameter(q) * total + float * q.batch * units;
}

const grouped = (n: number): string => Math.floor(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** "9.1 GB", "640 MB": bytes in decimal units, as a file manager shows them. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} MB`;
  return `${Math.ceil(n / 1e3)} kB`;
}

/** "16 hidden layers of 4096 units", "hidden layers 512, 4096 and 64", "no hidden layer" */
function describeLayers(hidden: number[]): string {
  if (hidden.length === 0) return 'no hidden layer';
  if (hidden.every((n) => n === hidden[0])) return `${hidden.length} hidden layer${hidden.length > 1 ? 's' : ''} of ${hidden[0]} units`;
  const shown = hidden.length > 6 ? [...hidden.slice(0, 5).map(String), '...'] : hidden.map(String);
  return `hidden layers ${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

/**
 * Why the network does not fit, or null when it does: "needs 4.3 GB (16 hidden layers of 4096
 * units on 784 inputs with adam, batch 32); the limit is 2 GiB of WebAssembly memory: at most
 * 126,000,000 parameters fit (it has 252,000,000): use fewer or narrower layers".
 * batchNote replaces "batch N" in the message (the config check, which may not know the batch).
 */
export function fitProblem(q: FitQuery, batchNote?: string): string | null {
  const bytes = networkBytes(q);
  const budget = q.budget ?? DEFAULT_MEMORY_BUDGET;
  const wasm = q.kernel.startsWith('wasm-');
  const limit = wasm ? Math.min(budget, WASM_MAX_BYTES) : budget;
  if (bytes <= limit) return null;
  const total = parameterCount(q.sizes);
  const per = bytesPerParameter(q);
  const rest = Math.max(0, bytes - per * total); // what does not grow with the parameters
  const fit = Math.max(0, Math.floor((limit - rest) / per));
  const what = wasm && limit === WASM_MAX_BYTES ? `${limit / 2 ** 30} GiB of WebAssembly memory (the most a network's layout addresses)` : `the memory budget of ${limit % 2 ** 30 === 0 ? `${limit / 2 ** 30} GiB` : formatBytes(limit)} a network may use`;
  const opt = q.optimizer ? ` with ${q.optimizer}` : '';
  const shape = `${describeLayers(q.sizes.slice(1, -1))} on ${q.sizes[0]} inputs${opt}, ${batchNote ?? `batch ${q.batch}`}`;
  const advice = rest * 2 > limit ? `its other buffers (activations for the batch, scratch) alone take ${formatBytes(rest)}: use a smaller batchSize or narrower layers`
    : `at most ${grouped(fit)} parameters fit (it has ${grouped(total)}): use fewer or narrower layers`;
  return `needs ${formatBytes(bytes)} (${shape}); the limit is ${what}: ${advice}`;
}

/** Inputs, classes and samples of the datasets a config names (undefined: known only once loaded). */
function datasetShape(ds: DatasetSpec): { features?: number; classes?: number; samples?: number; testFraction: number } {
  const d = ds as DatasetSpec & { samples?: number; classes?: number; testFraction?: number };
  const tf = d.testFraction ?? 0.2;
  switch (d.type) {
    case 'digits': return { features: 64, classes: 10, samples: 1797, testFraction: tf };
    case 'mnist': return { features: 784, classes: 10, samples: 8001, testFraction: 0 }; // its own fixed 8,000-row training split
    case 'iris': return { features: 4, classes: 3, samples: 150, testFraction: tf };
    case 'wine': return { features: 13, classes: 3, samples: 178, testFraction: tf };
    case 'csv': return { classes: d.classes, testFraction: tf };
    default: return { features: 2, classes: d.classes, samples: d.samples, testFraction: tf };
  }
}

/**
 * The config check's version of fitProblem, for a resolved variant before its data is loaded:
 * what the data decides (a CSV's columns and rows) is taken at its smallest, so a config is only
 * refused here when it cannot fit whatever the data; the trainer checks again with the real sizes.
 */
export function configFitProblem(cfg: ResolvedConfig, budget?: number): string | null {
  const shape = datasetShape(cfg.dataset);
  const classes = cfg.output === 'sigmoid' ? 1 : shape.classes ?? 2;
  // the training split, a row short of its smallest rounding; 1 when unknown
  const rows = shape.samples === undefined ? 1 : Math.max(1, Math.floor(shape.samples * (1 - shape.testFraction)) - 1);
  const batch = Math.min(cfg.batchSize, rows);
  const sizes = [shape.features ?? 1, ...cfg.layers, classes];
  const note = shape.features === undefined ? `batch up to ${cfg.batchSize}, before the CSV's columns are counted` : undefined;
  return fitProblem({ sizes, batch, dtype: 'float32', kernel: selectedKernelPath(), parts: 1, optimizer: cfg.optimizer.type, budget }, note);
}
