/**
 * The engine against hand computations, finite differences in float64, and itself
 * (determinism). Every number here is computed, none is pasted from a previous run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activate, derivativeFromOutput, sigmoid } from '../../src/engine/activations';
import { gemmAB, gemmABt, gemmAtB, sumRows } from '../../src/engine/kernels';
import { Network, type NetworkSpec } from '../../src/engine/network';
import { learningRate, Optimizer } from '../../src/engine/optimizers';
import { activationStats, ProbeArray, ProbeBuffers } from '../../src/engine/probes';
import { Rng } from '../../src/engine/rng';
import { copyStepRecord, Trainer, type EpochRecord, type StepRecord } from '../../src/engine/trainer';
import { HIDDEN_ACTIVATIONS } from '../../src/engine/types';
import { makeConfig, randomDataset, randomNet } from '../support/fixtures';

function close(actual: number, expected: number, rtol: number, atol = 0, what = '') {
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  assert.ok(ok, `${what} ${actual} vs expected ${expected} (rtol ${rtol}, atol ${atol})`);
}

describe('kernels', () => {
  const naive = {
    ABt: (A: Float64Array, B: Float64Array, M: number, N: number, K: number) => {
      const C = new Float64Array(M * N);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) { let s = 0; for (let k = 0; k < K; k++) s += A[m * K + k]! * B[n * K + k]!; C[m * N + n] = s; }
      return C;
    },
  };
  const sizes = [[1, 1, 1], [7, 13, 5], [4, 4, 4], [9, 6, 11], [3, 17, 2], [16, 8, 33]] as const;
  for (const [M, N, K] of sizes) {
    test(`gemm kernels match a naive float64 product at ${M}x${N}x${K}`, () => {
      const r = new Rng(M * 100 + N * 10 + K);
      const A = new Float64Array(M * K).map(() => r.normal());
      const W = new Float64Array(N * K).map(() => r.normal());
      const bias = new Float64Array(N).map(() => r.normal());
      const C = new Float64Array(M * N);
      gemmABt(A, W, bias, C, M, N, K);
      const ref = naive.ABt(A, W, M, N, K);
      for (let i = 0; i < M * N; i++) close(C[i]!, ref[i]! + bias[i % N]!, 1e-12, 1e-12, `ABt[${i}]`);
      // AB: D[M,N]·W[N,K] equals ABt with W transposed
      const D = new Float64Array(M * N).map(() => r.normal());
      const Wt = new Float64Array(K * N);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) Wt[k * N + n] = W[n * K + k]!;
      const C2 = new Float64Array(M * K);
      gemmAB(D, W, C2, M, N, K);
      const ref2 = naive.ABt(D, Wt, M, K, N);
      for (let i = 0; i < M * K; i++) close(C2[i]!, ref2[i]!, 1e-12, 1e-12, `AB[${i}]`);
      // AtB: Dᵀ[N,M]·A[M,K]
      const C3 = new Float64Array(N * K);
      gemmAtB(D, A, C3, M, N, K);
      const Dt = new Float64Array(N * M), At = new Float64Array(K * M);
      for (let m = 0; m < M; m++) { for (let n = 0; n < N; n++) Dt[n * M + m] = D[m * N + n]!; for (let k = 0; k < K; k++) At[k * M + m] = A[m * K + k]!; }
      const ref3 = naive.ABt(Dt, At, N, K, M);
      for (let i = 0; i < N * K; i++) close(C3[i]!, ref3[i]!, 1e-12, 1e-12, `AtB[${i}]`);
      const s = new Float64Array(N);
      sumRows(D, s, M, N);
      for (let n = 0; n < N; n++) { let t = 0; for (let m = 0; m < M; m++) t += D[m * N + n]!; close(s[n]!, t, 1e-12, 1e-12); }
    });
  }
  test('float32 kernels agree with float64 to float32 precision', () => {
    const r = new Rng(5);
    const M = 13, N = 29, K = 101;
    const A = new Float64Array(M * K).map(() => r.normal()), W = new Float64Array(N * K).map(() => r.normal());
    const C64 = new Float64Array(M * N), C32 = new Float32Array(M * N);
    gemmABt(A, W, null, C64, M, N, K);
    gemmABt(Float32Array.from(A), Float32Array.from(W), null, C32, M, N, K);
    for (let i = 0; i < M * N; i++) close(C32[i]!, C64[i]!, 1e-5, 1e-4);
  });
});

describe('activations', () => {
  test('stable sigmoid at extreme inputs', () => {
    assert.equal(sigmoid(1000), 1);
    assert.equal(sigmoid(-1000), 0);
    close(sigmoid(-745), Math.exp(-745), 1e-12);
    close(sigmoid(0.5), 1 / (1 + Math.exp(-0.5)), 1e-15);
  });
  for (const kind of HIDDEN_ACTIVATIONS) {
    test(`${kind}: derivative from the output equals a float64 central difference`, () => {
      for (const z of [-3.1, -0.7, -0.01, 0.02, 0.4, 2.5]) {
        const h = 1e-6;
        const fd = (activate(kind, z + h, 0.01) - activate(kind, z - h, 0.01)) / (2 * h);
        close(derivativeFromOutput(kind, activate(kind, z, 0.01), 0.01), fd, 1e-6, 1e-9, `${kind}'(${z})`);
      }
    });
  }
  test('relu derivative at 0 is 0 (spec)', () => {
    assert.equal(derivativeFromOutput('relu', activate('relu', 0)), 0);
  });
});

describe('network: the hand-checkable example of the spec (section 4)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(dtype, () => {
      const net = new Network({ sizes: [2, 2, 2], hidden: ['relu'], output: 'softmax', leakyReluSlope: 0 }, 1, dtype);
      net.layers[0]!.W.set([1, -1, 0.5, 0.5]);
      net.layers[0]!.b.set([0, -1]);
      net.layers[1]!.W.set([1, 0, 0, 1]);
      net.layers[1]!.b.set([0, 0]);
      const X = dtype === 'float64' ? new Float64Array([1, 2]) : new Float32Array([1, 2]);
      const y = new Int32Array([0]);
      net.forward(X, 1);
      const info = { loss: 0, correct: 0 };
      net.lossAndCorrect(y, 1, info);
      const tol = dtype === 'float64' ? 1e-10 : 1e-6; // the spec prints 10 significant digits
      const q = 0.6224593312;
      close(info.loss, 0.9740769842, tol * 10, tol);
      assert.equal(info.correct, 0);
      close(net.acts[1]![0]!, 0.3775406688, tol * 10, tol);
      close(net.acts[1]![1]!, q, tol * 10, tol);
      assert.deepEqual(Array.from(net.acts[0]!), [0, 0.5]);
      net.backward(y, 1);
      const expect = (a: ArrayLike<number>, e: number[], what: string) => e.forEach((v, i) => close(a[i]!, v, tol * 10, tol, `${what}[${i}]`));
      expect(net.layers[1]!.dW, [0, -q / 2, 0, q / 2], 'dW1');
      expect(net.layers[1]!.db, [-q, q], 'db1');
      expect(net.layers[0]!.dW, [0, 0, q, 2 * q], 'dW0');
      expect(net.layers[0]!.db, [0, q], 'db0');
      let ss = 0;
      for (const v of net.layers[0]!.dW) ss += v * v;
      close(Math.sqrt(ss), 1.3918613778, tol * 10, tol, '‖dW0‖');
    });
  }
});

/** Loss of the float64 network at its current parameters. */
function lossAt(net: Network, X: Float64Array, y: Int32Array, M: number, wd = 0): number {
  net.forward(X, M);
  const info = { loss: 0, correct: 0 };
  net.lossAndCorrect(y, M, info);
  let reg = 0;
  if (wd) for (const l of net.layers) for (const w of l.W) reg += 0.5 * wd * w * w;
  return info.loss + reg;
}

function gradCheck(spec: NetworkSpec, M: number, wd = 0) {
  const { net, X, y } = randomNet(spec, M);
  net.forward(X, M);
  net.backward(y, M, wd);
  const analytic = Float64Array.from(net.grads);
  const h = 1e-6;
  let worst = 0;
  for (let i = 0; i < net.params.length; i++) {
    const p = net.params[i]!;
    net.params[i] = p + h;
    const up = lossAt(net, X, y, M, wd);
    net.params[i] = p - h;
    const down = lossAt(net, X, y, M, wd);
    net.params[i] = p;
    const fd = (up - down) / (2 * h);
    // allowed: 1e-6 relative, plus 1e-9 absolute for the rounding noise of a float64 central
    // difference with h = 1e-6 (about 1e-16 / 1e-6 = 1e-10); a wrong gradient misses by orders more
    const err = Math.abs(fd - analytic[i]!) / (1e-9 + 1e-6 * Math.abs(fd));
    worst = Math.max(worst, err);
  }
  return worst;
}

describe('gradients: backprop against float64 central differences', () => {
  for (const kind of HIDDEN_ACTIVATIONS) {
    for (const output of ['softmax', 'sigmoid'] as const) {
      test(`${kind} hidden layers, ${output} output`, () => {
        const sizes = output === 'softmax' ? [5, 7, 6, 4] : [5, 7, 6, 1];
        const worst = gradCheck({ sizes, hidden: [kind, kind], output, leakyReluSlope: 0.05 }, 6);
        assert.ok(worst < 1, `worst error ${worst} x the allowed`);
      });
    }
  }
  test('mixed activations per layer, batch of 1, no hidden layer', () => {
    const a = gradCheck({ sizes: [3, 4, 5, 6, 3], hidden: ['sigmoid', 'relu', 'tanh'], output: 'softmax', leakyReluSlope: 0 }, 1);
    assert.ok(a < 1, `mixed: worst error ${a} x the allowed`);
    const b = gradCheck({ sizes: [4, 3], hidden: [], output: 'softmax', leakyReluSlope: 0 }, 5);
    assert.ok(b < 1, `no hidden layer: worst error ${b} x the allowed`);
  });
  test('L2 weight decay adds weightDecay·W to the weight gradient only', () => {
    assert.ok(gradCheck({ sizes: [4, 5, 3], hidden: ['tanh'], output: 'softmax', leakyReluSlope: 0 }, 4, 0.3) < 1);
  });
  test('δ of a layer sums over the batch to its bias gradient', () => {
    const { net, X, y } = randomNet({ sizes: [4, 6, 5, 3], hidden: ['sigmoid', 'tanh'], output: 'softmax', leakyReluSlope: 0 }, 7);
    net.forward(X, 7);
    net.backward(y, 7);
    for (const l of net.layers) {
      const sum = new Float64Array(l.outSize);
      sumRows(net.deltas[l.index]!, sum, 7, l.outSize);
      l.db.forEach((v, j) => close(sum[j]!, v, 1e-12, 1e-15));
      let ss = 0;
      for (let i = 0; i < 7 * l.outSize; i++) ss += net.deltas[l.index]![i]! ** 2;
      close(net.deltaSq[l.index]!, ss, 1e-12, 1e-18);
    }
  });
});

describe('losses at extreme logits', () => {
  test('softmax cross-entropy with huge logits is exact (log-sum-exp)', () => {
    const net = new Network({ sizes: [1, 3], hidden: [], output: 'softmax', leakyReluSlope: 0 }, 2, 'float64');
    net.layers[0]!.W.set([1000, 2000, -3000]);
    const X = new Float64Array([1, -1]);
    const y = new Int32Array([0, 2]);
    net.forward(X, 2);
    const info = { loss: 0, correct: 0 };
    net.lossAndCorrect(y, 2, info);
    // row 0: logits 1000, 2000, -3000, label 0: loss 1000; row 1: -1000, -2000, 3000, label 2: loss ~0
    close(info.loss, 500, 1e-12);
    assert.equal(info.correct, 1);
    assert.ok(net.acts[0]!.every((p) => Number.isFinite(p)));
    net.backward(y, 2);
    assert.ok(net.grads.every((g) => Number.isFinite(g)));
  });
  test('binary cross-entropy with huge logits is finite and exact', () => {
    const net = new Network({ sizes: [1, 1], hidden: [], output: 'sigmoid', leakyReluSlope: 0 }, 2, 'float32');
    net.layers[0]!.W.set([800]);
    net.forward(new Float32Array([1, -1]), 2);
    const info = { loss: 0, correct: 0 };
    net.lossAndCorrect(new Int32Array([0, 1]), 2, info);
    close(info.loss, 800, 1e-9); // both examples are wrong by a logit of 800
    assert.equal(info.correct, 0);
  });
});

describe('probes', () => {
  test('saturation, per-unit saturation, mean, std and histogram of a hand-made batch', () => {
    const net = new Network({ sizes: [1, 3, 2], hidden: ['sigmoid'], output: 'softmax', leakyReluSlope: 0 }, 2, 'float64');
    const P = new ProbeBuffers(net, 10, true);
    // activations of 2 examples x 3 units
    const a = new Float64Array([0.01, 0.5, 0.97, 0.02, 0.6, 0.3]);
    activationStats('sigmoid', a, 2, 3, P, 0);
    assert.equal(P.saturation[0], 3 / 6);
    assert.deepEqual(Array.from(P.unitSat[0]!), [1, 0, 0.5]);
    const mean = (0.01 + 0.5 + 0.97 + 0.02 + 0.6 + 0.3) / 6;
    close(P.mean[0]!, mean, 1e-12);
    const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / 6);
    close(P.std[0]!, sd, 1e-9);
    // bins of width 0.1 on [0, 1]
    assert.deepEqual(Array.from(P.hist[0]!), [2, 0, 0, 1, 0, 1, 1, 0, 0, 1]);
  });
  test('relu counts exact zeros, tanh |a| > 0.95, values outside the range go to edge bins', () => {
    const net = new Network({ sizes: [1, 4, 2], hidden: ['relu'], output: 'softmax', leakyReluSlope: 0 }, 1, 'float64');
    const P = new ProbeBuffers(net, 4, true);
    activationStats('relu', new Float64Array([0, 0, 1e-30, 9]), 1, 4, P, 0);
    assert.equal(P.saturation[0], 0.5);
    assert.deepEqual(Array.from(P.hist[0]!), [3, 0, 0, 1]); // range [0, 4]: 9 lands in the last bin
    activationStats('tanh', new Float64Array([0.96, -0.951, 0.95, -0.2]), 1, 4, P, 0);
    assert.equal(P.saturation[0], 0.5);
  });
  test('the trainer records ‖dW‖, ‖db‖, ‖δ‖ and the update ratio of the step it takes', () => {
    const cfg = makeConfig({ layers: [6, 5], activation: ['sigmoid', 'relu'], batchSize: 8, lr: 0.3 });
    const data = randomDataset(40, 3, 3);
    const t = new Trainer(cfg, data, 'float64');
    const before = Float64Array.from(t.net.params);
    const rec = t.trainStep()!;
    assert.equal(rec.step, 1);
    for (const l of t.net.layers) {
      const p = rec.layers[l.index]!;
      let gw = 0, gb = 0, dw = 0, w = 0;
      for (let i = 0; i < l.W.length; i++) { gw += l.dW[i]! ** 2; const old = before[l.offset + i]!; w += old * old; dw += (l.W[i]! - old) ** 2; }
      for (const v of l.db) gb += v * v;
      close(p.gradW, Math.sqrt(gw), 1e-12);
      close(p.gradB, Math.sqrt(gb), 1e-12);
      close(p.updateRatio, Math.sqrt(dw / w), 1e-9);
      close(p.updateRatio, (0.3 * Math.sqrt(gw)) / Math.sqrt(w), 1e-9); // plain SGD: ‖ΔW‖ = lr‖dW‖
      close(p.delta, Math.sqrt(t.net.deltaSq[l.index]!), 1e-12);
    }
    assert.equal(rec.layers[2]!.saturation, null);
    assert.equal(rec.layers[0]!.unitSaturation!.length, 6);
  });
});

describe('optimizers', () => {
  const layerOf = (P: Float64Array, G: Float64Array) => [{ index: 0, inSize: 2, outSize: 1, activation: null, W: P.subarray(0, 2), b: P.subarray(2, 3), dW: G.subarray(0, 2), db: G.subarray(2, 3), offset: 0 }];
  const spec = (type: 'sgd' | 'momentum' | 'adam', nesterov = false) => ({ type, momentum: 0.9, nesterov, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  test('one step of each optimizer matches its formula', () => {
    for (const [type, nesterov] of [['sgd', false], ['momentum', false], ['momentum', true], ['adam', false]] as const) {
      const P = new Float64Array([1, -2, 0.5]);
      const G = new Float64Array([0.2, -0.4, 0.1]);
      const opt = new Optimizer(spec(type, nesterov), P, G);
      const layers = layerOf(P, G);
      opt.step(0.1, layers, null);
      opt.step(0.1, layers, null); // same gradient twice
      const g = [0.2, -0.4, 0.1], p0 = [1, -2, 0.5];
      p0.forEach((p, i) => {
        let expected: number;
        if (type === 'sgd') expected = p - 2 * 0.1 * g[i]!;
        else if (type === 'momentum' && !nesterov) expected = p - 0.1 * g[i]! - 0.1 * (1.9 * g[i]!);
        else if (type === 'momentum') expected = p - 0.1 * (g[i]! + 0.9 * g[i]!) - 0.1 * (g[i]! + 0.9 * 1.9 * g[i]!);
        else expected = p - 2 * 0.1 * Math.sign(g[i]!) * (1 / (1 + 1e-8 / Math.abs(g[i]!))); // m̂/√v̂ = sign(g) for a constant g
        close(P[i]!, expected, 1e-6, 1e-9, `${type}${nesterov ? '+nesterov' : ''}[${i}]`);
      });
    }
  });
  for (const type of ['sgd', 'momentum', 'adam'] as const) {
    test(`${type} fits a separable problem`, () => {
      const data = randomDataset(200, 2, 2, 11);
      // make it separable: label = x0 + x1 > 0
      for (let i = 0; i < 200; i++) data.trainY[i] = data.trainX[2 * i]! + data.trainX[2 * i + 1]! > 0 ? 1 : 0;
      const cfg = makeConfig({ layers: [8], activation: ['tanh'], optimizer: spec(type), lr: type === 'adam' ? 0.02 : 0.2, batchSize: 20, epochs: 30 });
      const t = new Trainer(cfg, data);
      const first = t.evaluate(data.trainX, data.trainY);
      t.runSteps(Infinity, {});
      const last = t.evaluate(data.trainX, data.trainY);
      assert.equal(t.status, 'completed');
      assert.ok(last.loss < first.loss / 3, `${type}: loss ${first.loss} -> ${last.loss}`);
      assert.ok(last.accuracy > 0.95, `${type}: accuracy ${last.accuracy}`);
    });
  }
  test('learning-rate schedules', () => {
    assert.equal(learningRate(0.1, { type: 'constant' }, 500, 10, 1000), 0.1);
    close(learningRate(0.1, { type: 'step', every: 2, gamma: 0.5 }, 39, 10, 1000), 0.05, 1e-15); // epoch 3
    close(learningRate(0.1, { type: 'step', every: 2, gamma: 0.5 }, 40, 10, 1000), 0.025, 1e-15); // epoch 4
    close(learningRate(0.1, { type: 'cosine', minLr: 0.01 }, 0, 10, 101), 0.1, 1e-15);
    close(learningRate(0.1, { type: 'cosine', minLr: 0.01 }, 50, 10, 101), 0.055, 1e-12);
    close(learningRate(0.1, { type: 'cosine', minLr: 0.01 }, 100, 10, 101), 0.01, 1e-12);
  });
});

describe('trainer', () => {
  const collect = (t: Trainer) => {
    const out: (StepRecord | EpochRecord)[] = [];
    t.runSteps(Infinity, { step: (r) => out.push(r), epoch: (r) => out.push(r) });
    return out;
  };
  test('the same config and seed give bit-identical records; another seed does not', () => {
    const data = randomDataset(100, 4, 3, 2, 30);
    const cfg = makeConfig({ layers: [7, 5], activation: ['relu', 'sigmoid'], epochs: 3, batchSize: 12 });
    const a = JSON.stringify(collect(new Trainer(cfg, data)));
    const b = JSON.stringify(collect(new Trainer(cfg, data)));
    const c = JSON.stringify(collect(new Trainer({ ...cfg, seed: 2 }, data)));
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
  test('a probe array is a list in JSON, as the number[] of a fresh record is', () => {
    const values = [3, 0.1, -2.5e-7, NaN, 1e21, -0];
    const a = new ProbeArray(values.length);
    a.set(values);
    assert.equal(JSON.stringify({ counts: a }), JSON.stringify({ counts: values }));
    assert.equal(JSON.stringify(new ProbeArray(0)), '[]');
  });
  test('a transient sink gets one record, filled in place, with the numbers of fresh records', () => {
    const data = randomDataset(100, 4, 3, 2, 31);
    for (const unitSaturation of [true, false]) {
      const cfg = makeConfig({ layers: [7, 5], activation: ['relu', 'tanh'], epochs: 2, batchSize: 12, probes: { every: 2, histogramBins: 9, unitSaturation } });
      const fresh = collect(new Trainer(cfg, data)).filter((r) => r.kind === 'step');
      const seen: string[] = [];
      const kept: StepRecord[] = [];
      let first: StepRecord | null = null;
      const t = new Trainer(cfg, data);
      t.runSteps(Infinity, {
        transientSteps: true,
        step: (r) => {
          first ??= r;
          assert.equal(r, first, 'the same object every time');
          // not copies: the probes' own arrays (a list each in JSON)
          assert.equal(r.layers[0]!.histogram!.counts, t.probes.hist[0]);
          if (unitSaturation) assert.equal(r.layers[1]!.unitSaturation, t.probes.unitSat[1]);
          seen.push(JSON.stringify(r));
          kept.push(copyStepRecord(r));
        },
      });
      assert.ok(fresh.length > 5);
      assert.deepEqual(seen, fresh.map((r) => JSON.stringify(r)));
      // kept copies are plain and keep their step's numbers
      assert.deepEqual(kept, fresh);
      assert.ok(kept.every((r) => r.layers.every((l) => !l.histogram || (Array.isArray(l.histogram.counts) && (!l.unitSaturation || Array.isArray(l.unitSaturation))))));
    }
  });
  test('epochs, steps, partial last batch and probe interval', () => {
    const data = randomDataset(50, 3, 2, 4, 10);
    const cfg = makeConfig({ epochs: 3, batchSize: 16, probes: { every: 5, histogramBins: 8, unitSaturation: false } });
    const t = new Trainer(cfg, data);
    const recs = collect(t);
    assert.equal(t.stepsPerEpoch, 4); // 16+16+16+2
    assert.equal(t.totalSteps, 12);
    assert.equal(t.status, 'completed');
    const steps = recs.filter((r): r is StepRecord => r.kind === 'step').map((r) => r.step);
    assert.deepEqual(steps, [1, 5, 10, 12]);
    const epochs = recs.filter((r): r is EpochRecord => r.kind === 'epoch');
    assert.deepEqual(epochs.map((e) => [e.epoch, e.step]), [[1, 4], [2, 8], [3, 12]]);
    assert.ok(epochs.every((e) => e.test !== null && e.test.accuracy >= 0 && e.test.accuracy <= 1));
    const s5 = recs.find((r) => r.kind === 'step' && r.step === 5) as StepRecord;
    assert.equal(s5.layers[0]!.histogram!.counts.length, 8);
    assert.equal(s5.layers[0]!.unitSaturation, undefined);
  });
  test('a diverging run stops at the first non-finite value and says where', () => {
    const data = randomDataset(64, 5, 3, 9);
    const cfg = makeConfig({ layers: [16, 16], activation: ['linear', 'linear'], init: { scheme: 'normal', std: 3, limit: 0, bias: 0 }, lr: 1e4, batchSize: 16, epochs: 50 });
    const t = new Trainer(cfg, data);
    collect(t);
    assert.equal(t.status, 'diverged');
    const d = t.divergence!;
    assert.ok(d.step >= 2 && d.step < 200, `step ${d.step}`);
    assert.match(d.message, new RegExp(`step ${d.step}`));
    assert.match(d.where, /loss|layer/);
    assert.equal(t.step, d.step - 1); // the bad step was not applied
    assert.ok(t.net.params.every((p) => Number.isFinite(p)), 'the kept weights are finite');
  });
  test('stop keeps the run as stopped', () => {
    const t = new Trainer(makeConfig({ epochs: 100 }), randomDataset(64, 3, 3));
    t.runSteps(5, {});
    t.stop();
    assert.equal(t.status, 'stopped');
    assert.equal(t.runSteps(5, {}), 0);
    assert.equal(t.step, 5);
  });
  test('runSteps asks `interrupted` before every step: a stop lands inside a slice', () => {
    const t = new Trainer(makeConfig({ epochs: 100 }), randomDataset(64, 3, 3));
    let asked = 0;
    assert.equal(t.runSteps(1000, {}, () => ++asked > 7), 7);
    assert.equal(t.step, 7);
    assert.equal(asked, 8);
    assert.equal(t.status, 'running');
  });
  test('a sigmoid output on more than 2 classes is refused with the reason', () => {
    assert.throws(() => new Trainer(makeConfig({ output: 'sigmoid' }), randomDataset(20, 2, 3)), /2-class data.*3 classes/);
  });
  test('rng: shuffle is Fisher-Yates on int(), draw for draw, and leaves the generator where the calls would', () => {
    for (const n of [0, 1, 2, 7, 1000]) {
      const fast = new Rng(9), slow = new Rng(9);
      const x = Uint32Array.from({ length: n }, (_, i) => i), y = x.slice();
      fast.shuffle(x);
      for (let i = n - 1; i > 0; i--) { const j = slow.int(i + 1); const t = y[i]!; y[i] = y[j]!; y[j] = t; }
      assert.deepEqual(x, y, `n = ${n}`);
      assert.equal(fast.nextU32(), slow.nextU32(), `state after n = ${n}`);
    }
    const moved = Uint32Array.from({ length: 50 }, (_, i) => i);
    new Rng(3).shuffle(moved);
    assert.ok(moved.some((v, i) => v !== i) && [...moved].sort((a, b) => a - b).every((v, i) => v === i), 'a permutation, not the identity');
  });
  test('rng: deterministic, forks independent, normal has mean 0 and variance 1', () => {
    const a = new Rng(42), b = new Rng(42);
    for (let i = 0; i < 100; i++) assert.equal(a.nextU32(), b.nextU32());
    assert.notEqual(new Rng(42).fork('init').nextU32(), new Rng(42).fork('shuffle').nextU32());
    const r = new Rng(1);
    let s = 0, s2 = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
    assert.ok(Math.abs(s / n) < 0.01, `mean ${s / n}`);
    assert.ok(Math.abs(s2 / n - 1) < 0.01, `variance ${s2 / n}`);
  });
});

describe('initialization', () => {
  const schemes: [string, (fi: number, fo: number) => number][] = [
    ['glorot_uniform', (fi, fo) => 2 / (fi + fo)],
    ['glorot_normal', (fi, fo) => 2 / (fi + fo)],
    ['he_normal', (fi) => 2 / fi],
    ['he_uniform', (fi) => 2 / fi],
  ];
  for (const [scheme, variance] of schemes) {
    test(`${scheme} has the variance of its definition`, () => {
      const net = new Network({ sizes: [300, 200, 10], hidden: ['relu'], output: 'softmax', leakyReluSlope: 0 }, 1, 'float64');
      net.initialize({ scheme: scheme as 'he_normal', std: 1, limit: 1, bias: 0.25 }, new Rng(3));
      const W = net.layers[0]!.W;
      let s2 = 0;
      for (const w of W) s2 += w * w;
      close(s2 / W.length, variance(300, 200), 0.03);
      assert.ok(net.layers[0]!.b.every((b) => b === 0.25));
    });
  }
  test('normal(std) and uniform(limit)', () => {
    const net = new Network({ sizes: [100, 100, 2], hidden: ['tanh'], output: 'softmax', leakyReluSlope: 0 }, 1, 'float64');
    net.initialize({ scheme: 'uniform', std: 0, limit: 0.3, bias: 0 }, new Rng(1));
    assert.ok(net.layers[0]!.W.every((w) => Math.abs(w) <= 0.3));
    let s2 = 0;
    for (const w of net.layers[0]!.W) s2 += w * w;
    close(s2 / 10000, 0.09 / 3, 0.05);
    net.initialize({ scheme: 'normal', std: 2, limit: 0, bias: 0 }, new Rng(1));
    s2 = 0;
    for (const w of net.layers[0]!.W) s2 += w * w;
    close(s2 / 10000, 4, 0.05);
  });
});

