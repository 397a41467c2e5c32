/** Test fixtures: resolved configs and datasets built in memory, without the config parser. */
import { Network, type NetworkSpec } from '../../src/engine/network';
import { Rng } from '../../src/engine/rng';
import type { Dataset, HiddenActivation, ResolvedConfig } from '../../src/engine/types';

export function makeConfig(over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  const layers = over.layers ?? [8, 8];
  return {
    name: 'test',
    variant: 'base',
    dataset: { type: 'spiral', samples: 200, classes: 3, noise: 0.1, seed: 0, testFraction: 0.2 },
    layers,
    activation: over.activation ?? layers.map((): HiddenActivation => 'tanh'),
    leakyReluSlope: 0.01,
    output: 'softmax',
    init: { scheme: 'glorot_uniform', std: 1, limit: 0.05, bias: 0 },
    optimizer: { type: 'sgd', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    lr: 0.1,
    schedule: { type: 'constant' },
    batchSize: 16,
    epochs: 2,
    seed: 1,
    probes: { every: 1, histogramBins: 20, unitSaturation: true },
    ...over,
  };
}

/** A random dataset: features uniform in [-1, 1], labels uniform. */
export function randomDataset(n: number, features: number, classes: number, seed = 7, nTest = 0): Dataset {
  const r = new Rng(seed);
  const X = new Float32Array((n + nTest) * features).map(() => r.uniform(-1, 1));
  const y = new Int32Array(n + nTest).map(() => r.int(classes));
  return {
    name: 'random', features, classes,
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    featureNames: Array.from({ length: features }, (_, i) => `x${i}`),
    trainX: X.slice(0, n * features), trainY: y.slice(0, n),
    testX: X.slice(n * features), testY: y.slice(n),
    description: 'random test data',
  };
}

/** A float64 network with random weights and a random batch, for gradient checks. */
export function randomNet(spec: NetworkSpec, batch: number, seed = 3) {
  const net = new Network(spec, batch, 'float64');
  const r = new Rng(seed);
  for (let i = 0; i < net.params.length; i++) net.params[i] = r.normal() * 0.8;
  const X = new Float64Array(batch * spec.sizes[0]!).map(() => r.uniform(-1.5, 1.5));
  const classes = spec.output === 'sigmoid' ? 2 : spec.sizes[spec.sizes.length - 1]!;
  const y = new Int32Array(batch).map(() => r.int(classes));
  return { net, X, y };
}
