/**
 * npm run bench: training throughput of the engine (not a test; numbers vary by machine).
 * Trains after a warm-up and prints samples/s (median of repetitions, min-max) and GFLOP/s
 * counted as 6 x parameters per sample (forward 2, backward 4 multiply-adds per weight).
 *
 *   W1  2-8-8-8-2       batch 16   sigmoid
 *   W2  784-256-256-256-10  batch 64   relu, SGD   (goal: >= 1,500 samples/s on one core)
 *   W3  784-1024-1024-1024-10 batch 128 relu  (with --large)
 */
import { Rng } from '../src/engine/rng';
import { Trainer } from '../src/engine/trainer';
import type { Dataset, HiddenActivation, ResolvedConfig } from '../src/engine/types';
import { KERNEL } from '../src/train-session';

interface Workload {
  name: string;
  sizes: number[];
  batch: number;
  activation: HiddenActivation;
  seconds: number;
}

const large = process.argv.includes('--large');
const reps = 5;
const workloads: Workload[] = [
  { name: 'W1', sizes: [2, 8, 8, 8, 2], batch: 16, activation: 'sigmoid', seconds: 0.4 },
  { name: 'W2', sizes: [784, 256, 256, 256, 10], batch: 64, activation: 'relu', seconds: 1 },
  ...(large ? [{ name: 'W3', sizes: [784, 1024, 1024, 1024, 10], batch: 128, activation: 'relu' as const, seconds: 3 }] : []),
];

function dataset(features: number, classes: number, n: number): Dataset {
  const r = new Rng(1);
  return {
    name: 'bench', features, classes, classNames: [], featureNames: [],
    trainX: new Float32Array(n * features).map(() => r.next()),
    trainY: new Int32Array(n).map(() => r.int(classes)),
    testX: new Float32Array(0), testY: new Int32Array(0), description: 'random',
  };
}

function config(w: Workload, probeEvery: number): ResolvedConfig {
  const hidden = w.sizes.slice(1, -1);
  return {
    name: 'bench', variant: w.name, dataset: { type: 'spiral', samples: 0, classes: 0, noise: 0, seed: 0, testFraction: 0 },
    layers: hidden, activation: hidden.map(() => w.activation), leakyReluSlope: 0.01, output: 'softmax',
    init: { scheme: w.activation === 'relu' ? 'he_normal' : 'glorot_uniform', std: 1, limit: 1, bias: 0 },
    optimizer: { type: 'sgd', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    lr: 0.001, schedule: { type: 'constant' }, batchSize: w.batch, epochs: 1_000_000, seed: 0,
    probes: { every: probeEvery, histogramBins: 20, unitSaturation: true },
  };
}

/** samples/s over about `seconds` of training. */
function measure(t: Trainer, seconds: number): number {
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < seconds * 1000) steps += t.runSteps(4, {});
  return (steps * t.batchSize) / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

console.log(`mlp-lens bench: kernel ${KERNEL}, node ${process.version}, ${reps} repetitions each, probes every step vs never`);
for (const w of workloads) {
  const params = w.sizes.slice(1).reduce((a, n, i) => a + n * (w.sizes[i]! + 1), 0);
  const data = dataset(w.sizes[0]!, w.sizes.at(-1)!, Math.max(w.batch * 64, 4096));
  const on = new Trainer(config(w, 1), data);
  const off = new Trainer(config(w, 1_000_000_000), data);
  measure(on, w.seconds / 2); // warm-up
  measure(off, w.seconds / 2);
  const rOn: number[] = [], rOff: number[] = [];
  for (let i = 0; i < reps; i++) { // interleaved, so drift hits both alike
    rOn.push(measure(on, w.seconds));
    rOff.push(measure(off, w.seconds));
  }
  if (on.status === 'diverged' || off.status === 'diverged') throw new Error(`${w.name} diverged; the numbers are not meaningful`);
  const mOn = median(rOn), mOff = median(rOff);
  console.log(
    `${w.name} ${w.sizes.join('-')} batch ${w.batch} ${w.activation}: ` +
      `probes on ${fmt(mOn)} samples/s (${fmt(Math.min(...rOn))}-${fmt(Math.max(...rOn))}), ${((mOn * 6 * params) / 1e9).toFixed(2)} GFLOP/s; ` +
      `probes off ${fmt(mOff)} samples/s; probe cost ${(100 * (1 - mOn / mOff)).toFixed(1)}%`,
  );
}
