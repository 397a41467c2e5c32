/**
 * Seeded train/test split and standardization. Row-major data: X[i * features + j].
 */
import { InputError } from '../types';
import { Rng } from '../rng';

export interface SplitOptions {
  /** fraction of the samples held out for testing, 0 <= f < 1; 0 = no test set */
  testFraction: number;
  seed: number;
  /** z-score every feature with the mean/std of the TRAIN part */
  standardize: boolean;
  /** keep each class's share in both parts (default true) */
  stratify?: boolean;
}

export interface SplitData {
  trainX: Float32Array;
  trainY: Int32Array;
  testX: Float32Array;
  testY: Int32Array;
}

export interface Standardizer {
  mean: Float32Array;
  std: Float32Array;
}

export function checkTestFraction(testFraction: number): void {
  if (!Number.isFinite(testFraction) || testFraction < 0 || testFraction >= 1) {
    throw new InputError(`dataset.testFraction must be at least 0 and less than 1; got ${testFraction}`);
  }
}

/** Test-set size: round(n * f), but at least 1 when f > 0 and at most n - 1. */
export function testCount(n: number, testFraction: number): number {
  if (testFraction <= 0 || n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
}

/**
 * Indices of the train and test parts, each in random order. Stratified: every class gives its
 * share of the test set (largest-remainder rounding so the shares add up to the total), picked at
 * random within the class. Plain: one shuffle, the first nTest are the test set.
 */
export function splitIndices(
  y: Int32Array,
  classes: number,
  testFraction: number,
  rng: Rng,
  stratify = true,
): { train: Int32Array; test: Int32Array } {
  checkTestFraction(testFraction);
  const n = y.length;
  const nTest = testCount(n, testFraction);
  const test = new Int32Array(nTest);
  const train = new Int32Array(n - nTest);
  if (!stratify) {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(order);
    test.set(order.subarray(0, nTest));
    train.set(order.subarray(nTest));
    return { train, test };
  }
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) byClass[y[i]!]!.push(i);
  const quota = byClass.map((list) => (list.length * nTest) / n);
  const take = quota.map(Math.floor);
  const left = nTest - take.reduce((s, v) => s + v, 0);
  const order = [...quota.keys()].sort((a, b) => quota[b]! - take[b]! - (quota[a]! - take[a]!) || a - b);
  for (let k = 0; k < left; k++) take[order[k]!]!++;
  let t = 0;
  let r = 0;
  byClass.forEach((list, c) => {
    rng.shuffle(list);
    for (let k = 0; k < list.length; k++) {
      if (k < take[c]!) test[t++] = list[k]!;
      else train[r++] = list[k]!;
    }
  });
  rng.shuffle(train);
  rng.shuffle(test);
  return { train, test };
}

/** The rows idx of X, in that order. */
export function takeRows(X: Float32Array, features: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * features);
  for (let k = 0; k < idx.length; k++) {
    const from = idx[k]! * features;
    out.set(X.subarray(from, from + features), k * features);
  }
  return out;
}

export function takeLabels(y: Int32Array, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = y[idx[k]!]!;
  return out;
}

/** Per-column mean and (population) std of X; a constant column gets std 1. */
export function fitStandardizer(X: Float32Array, features: number): Standardizer {
  const n = X.length / features;
  const sum = new Float64Array(features);
  for (let i = 0; i < X.length; i++) sum[i % features]! += X[i]!;
  const mean = new Float64Array(features);
  for (let j = 0; j < features; j++) mean[j] = n > 0 ? sum[j]! / n : 0;
  const sq = new Float64Array(features);
  for (let i = 0; i < X.length; i++) {
    const d = X[i]! - mean[i % features]!;
    sq[i % features]! += d * d;
  }
  const std = new Float32Array(features);
  for (let j = 0; j < features; j++) {
    const s = n > 0 ? Math.sqrt(sq[j]! / n) : 0;
    std[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j]!)) ? s : 1;
  }
  return { mean: Float32Array.from(mean), std };
}

/** X = (X - mean) / std, in place. */
export function applyStandardizer(X: Float32Array, features: number, s: Standardizer): void {
  for (let i = 0; i < X.length; i++) {
    const j = i % features;
    X[i] = (X[i]! - s.mean[j]!) / s.std[j]!;
  }
}

/** Split (with new Rng(seed).fork("split")) and optionally standardize with train statistics. */
export function splitAndScale(
  X: Float32Array,
  y: Int32Array,
  features: number,
  classes: number,
  opts: SplitOptions,
): SplitData {
  const rng = new Rng(opts.seed).fork('split');
  const { train, test } = splitIndices(y, classes, opts.testFraction, rng, opts.stratify ?? true);
  const data: SplitData = {
    trainX: takeRows(X, features, train),
    trainY: takeLabels(y, train),
    testX: takeRows(X, features, test),
    testY: takeLabels(y, test),
  };
  if (opts.standardize) {
    const s = fitStandardizer(data.trainX, features);
    applyStandardizer(data.trainX, features, s);
    applyStandardizer(data.testX, features, s);
  }
  return data;
}

/** "120 train / 30 test" or "150 train, no test set" */
export function describeSplit(data: SplitData): string {
  const nTrain = data.trainY.length;
  const nTest = data.testY.length;
  return nTest > 0 ? `${nTrain} train / ${nTest} test` : `${nTrain} train, no test set`;
}
