/**
 * npm run bench:percentiles: what one measurement of the weight and gradient percentiles costs
 * against one probed training step, on networks from W1 to W2 (not a test; numbers vary by
 * machine and load), and the cadence k that percentileEvery picks for each (src/engine/probes.ts).
 * Rounds of K probed steps, then K parameterPercentiles calls on the same network, in turn; the
 * medians of 11 rounds. The measured share divided by k is what the percentiles add to a run's
 * probed steps.
 *
 *   npm run bench:percentiles
 */
import * as os from 'node:os';
import { selectedKernelPath } from '../src/engine/kernel-path';
import { percentileEvery } from '../src/engine/probes';
import { Rng } from '../src/engine/rng';
import { Trainer } from '../src/engine/trainer';
import type { Dataset, HiddenActivation, ResolvedConfig } from '../src/engine/types';
import { setupKernels } from '../src/node/kernel-setup';
import { percentileTiming } from './percentile-timing';

setupKernels();
const kernelPath = selectedKernelPath();

function dataset(features: number, classes: number, n: number): Dataset {
  const r = new Rng(1);
  return {
    name: 'bench', features, classes, classNames: [], featureNames: [],
    trainX: new Float32Array(n * features).map(() => r.next()), trainY: new Int32Array(n).map(() => r.int(classes)),
    testX: new Float32Array(0), testY: new Int32Array(0), description: 'random',
  };
}

const NETS: [string, number[], number, HiddenActivation][] = [
  ['W1', [2, 8, 8, 8, 2], 16, 'sigmoid'],
  ['xor 16x16', [2, 16, 16, 2], 32, 'relu'],
  ['spiral 32x3', [2, 32, 32, 32, 3], 32, 'relu'],
  ['digits 64', [64, 64, 10], 32, 'sigmoid'],
  ['digits 64x3', [64, 64, 64, 64, 10], 32, 'sigmoid'],
  ['digits 64x5', [64, 64, 64, 64, 64, 64, 10], 32, 'relu'],
  ['MNIST lecture', [784, 64, 64, 64, 10], 32, 'sigmoid'],
  ['W2', [784, 256, 256, 256, 10], 64, 'relu'],
];

console.log(`bench:percentiles ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, ${os.platform()} ${os.release()}, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; kernels ${kernelPath}`);
console.log('command: npm run bench:percentiles  (11 rounds a network, one thread, probes every step)\n');
console.log(`${'network'.padEnd(14)} ${'batch'.padStart(5)} ${'weights'.padStart(8)} ${'step us'.padStart(8)} ${'measure us'.padStart(10)} ${'share'.padStart(7)} ${'k'.padStart(3)} ${'share / k'.padStart(9)}`);
for (const [name, sizes, batch, act] of NETS) {
  const hidden = sizes.slice(1, -1);
  const cfg: ResolvedConfig = {
    name: 'bench', variant: name, dataset: { type: 'spiral', samples: 0, classes: 0, noise: 0, seed: 0, testFraction: 0 },
    layers: hidden, activation: hidden.map(() => act), leakyReluSlope: 0.01, output: 'softmax',
    init: { scheme: act === 'relu' ? 'he_normal' : 'glorot_uniform', std: 1, limit: 1, bias: 0 },
    optimizer: { type: 'sgd', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    lr: 0.01, schedule: { type: 'constant' }, batchSize: batch, epochs: 1_000_000, seed: 0,
    probes: { every: 1, histogramBins: 20, unitSaturation: true },
  };
  const t = new Trainer(cfg, dataset(sizes[0]!, sizes.at(-1)!, 4096), 'float32', kernelPath, { threads: 1 });
  const weights = t.net.layers.reduce((a, l) => a + l.W.length, 0);
  const K = Math.max(20, Math.round(3e7 / weights / batch));
  t.runSteps(K, { transientSteps: true }); // warm up
  const { share: s, stepMs, measureMs } = percentileTiming(t, K, 11);
  const k = percentileEvery(t.net.layers, batch);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`${name.padEnd(14)} ${String(batch).padStart(5)} ${String(weights).padStart(8)} ${(1000 * stepMs).toFixed(1).padStart(8)} ${(1000 * measureMs).toFixed(1).padStart(10)} ${pct(s).padStart(7)} ${String(k).padStart(3)} ${pct(s / k).padStart(9)}`);
  t.dispose();
}
console.log('\nstep us: a probed training step; measure us: one parameterPercentiles call; share: their ratio; k: probe steps per measurement.');
