/**
 * Every kernel path (the TypeScript fallback, WebAssembly SIMD128, WebAssembly relaxed SIMD)
 * against float64 references: the raw products at odd sizes (every tail of the register tile
 * and of the SIMD width), transposes, activations at extreme inputs, whole forward/backward
 * passes against a float64 network with the same weights, the fused probes against the
 * TypeScript probes, each optimizer's step, and bit-identical determinism within a path.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as v8 from 'node:v8';
import { activate, derivativeFromOutput } from '../../src/engine/activations';
import { availableKernelPaths, kernelPathProblem, selectedKernelPath, setKernelPath, type KernelPath } from '../../src/engine/kernel-path';
import { Network, type NetworkSpec } from '../../src/engine/network';
import { Optimizer } from '../../src/engine/optimizers';
import { activationStats, measureLayers, ProbeBuffers } from '../../src/engine/probes';
import { Rng } from '../../src/engine/rng';
import { Trainer, type EpochRecord, type StepRecord } from '../../src/engine/trainer';
import { HIDDEN_ACTIVATIONS, type OptimizerSpec } from '../../src/engine/types';
import { spmmScratchBytes } from '../../src/engine/wasm/abi';
import { Arena } from '../../src/engine/wasm/runtime';
import { enableSecondCore } from '../../src/node/kernel-setup';
import { makeConfig, randomDataset } from '../support/fixtures';

// Node 20 keeps relaxed SIMD behind a flag; set it before the first module is compiled so the
// relaxed path is tested too (newer runtimes have it on).
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const PATHS = availableKernelPaths();
const WASM_PATHS = PATHS.filter((p) => p !== 'typescript-f32');

function close(actual: number, expected: number, rtol: number, atol: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected), `${what}: ${actual} vs expected ${expected}`);
}

test('this runtime offers the WebAssembly paths, best first, and the engine picks the best', () => {
  assert.ok(PATHS.includes('wasm-simd-f32'), `wasm-simd-f32 unavailable: ${kernelPathProblem('wasm-simd-f32')}`);
  assert.ok(PATHS.includes('wasm-relaxed-simd-f32'), `wasm-relaxed-simd-f32 unavailable: ${kernelPathProblem('wasm-relaxed-simd-f32')}`);
  assert.equal(PATHS.at(-1), 'typescript-f32');
  assert.equal(selectedKernelPath(), PATHS[0]);
  const net = new Network({ sizes: [3, 2], hidden: [], output: 'softmax', leakyReluSlope: 0 }, 2);
  assert.equal(net.kernelPath, PATHS[0]);
  assert.equal(new Network({ sizes: [3, 2], hidden: [], output: 'softmax', leakyReluSlope: 0 }, 2, 'float64').kernelPath, 'typescript-f64');
  setKernelPath('typescript-f32');
  assert.equal(new Network({ sizes: [3, 2], hidden: [], output: 'softmax', leakyReluSlope: 0 }, 2).kernelPath, 'typescript-f32');
  setKernelPath(null);
  assert.equal(selectedKernelPath(), PATHS[0]);
});

describe('WebAssembly kernels against a float64 product', () => {
  // sizes hit every edge: rows mod 4, columns mod 2, k mod 4, k < 4, single elements
  const sizes: [number, number, number][] = [
    [1, 1, 1], [7, 13, 5], [4, 2, 4], [5, 3, 7], [9, 6, 11], [3, 17, 2], [16, 8, 33], [1, 7, 13], [13, 1, 7], [2, 9, 3], [6, 5, 1], [64, 10, 257],
  ];
  for (const path of WASM_PATHS) {
    test(`${path}: gemm C = A·Bᵀ at odd sizes`, () => {
      for (const [M, N, K] of sizes) {
        const a = new Arena();
        const pA = a.reserve(M * K * 4), pB = a.reserve(N * K * 4), pC = a.reserve(M * N * 4);
        const { memory, exports } = a.instantiate(path === 'wasm-relaxed-simd-f32');
        const A = new Float32Array(memory.buffer, pA, M * K), B = new Float32Array(memory.buffer, pB, N * K), C = new Float32Array(memory.buffer, pC, M * N);
        const r = new Rng(M * 1000 + N * 10 + K);
        A.forEach((_, i) => (A[i] = r.normal()));
        B.forEach((_, i) => (B[i] = r.normal()));
        C.fill(NaN);
        exports.gemm(pA, K, pB, K, pC, N, M, N, K, 0, 0);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let s = 0, abs = 0;
            for (let k = 0; k < K; k++) { s += A[m * K + k]! * B[n * K + k]!; abs += Math.abs(A[m * K + k]! * B[n * K + k]!); }
            // float32 accumulation: error bounded by about K ulps of the sum of magnitudes
            close(C[m * N + n]!, s, 0, 1e-6 * (K + 4) * abs + 1e-30, `${M}x${N}x${K} C[${m},${n}]`);
          }
        }
      }
    });
    test(`${path}: spmm C = A·B over A's nonzeros at odd sizes, strides and zero patterns`, () => {
      // columns hit spmm's groups: 8 vectors, 4, 1 and a partial vector (N mod 4)
      const spSizes: [number, number, number][] = [...sizes, [3, 32, 9], [5, 47, 6], [2, 50, 17], [4, 16, 8], [3, 100, 40], [3, 37, 600], [2, 30, 512]];
      for (const [M, N, K] of spSizes) {
        for (const zeros of [0, 0.5, 1]) {
          const lda = K + 3, ldb = N + 5, ldc = N + 1;
          const a = new Arena();
          const pA = a.reserve(M * lda * 4), pB = a.reserve(K * ldb * 4), pC = a.reserve(M * ldc * 4), pS = a.reserve(spmmScratchBytes(M, K));
          const { memory, exports } = a.instantiate(path === 'wasm-relaxed-simd-f32');
          const A = new Float32Array(memory.buffer, pA, M * lda), B = new Float32Array(memory.buffer, pB, K * ldb), C = new Float32Array(memory.buffer, pC, M * ldc);
          const r = new Rng(M * 1000 + N * 10 + K);
          A.forEach((_, i) => (A[i] = r.next() < zeros ? 0 : r.normal()));
          B.forEach((_, i) => (B[i] = r.normal()));
          C.fill(NaN);
          exports.spmm(pA, lda, pB, ldb, pC, ldc, M, N, K, 0, 0, pS);
          for (let m = 0; m < M; m++) {
            for (let n = 0; n < ldc; n++) {
              if (n >= N) { assert.ok(Number.isNaN(C[m * ldc + n]!), `${M}x${N}x${K}: C[${m},${n}] past the row was written`); continue; }
              let s = 0, abs = 0;
              for (let k = 0; k < K; k++) { s += A[m * lda + k]! * B[k * ldb + n]!; abs += Math.abs(A[m * lda + k]! * B[k * ldb + n]!); }
              close(C[m * ldc + n]!, s, 0, 1e-6 * (K + 4) * abs + 1e-30, `${M}x${N}x${K} zeros ${zeros} C[${m},${n}]`);
            }
          }
        }
      }
    });
    test(`${path}: transpose at odd sizes`, () => {
      for (const [rows, cols] of [[1, 1], [3, 5], [4, 4], [7, 9], [16, 3], [5, 17]]) {
        const a = new Arena();
        const ld = cols + 3, ldd = rows + 5;
        const src = a.reserve(rows * ld * 4), dst = a.reserve(cols * ldd * 4);
        const { memory, exports } = a.instantiate(path === 'wasm-relaxed-simd-f32');
        const S = new Float32Array(memory.buffer, src, rows * ld), D = new Float32Array(memory.buffer, dst, cols * ldd);
        S.forEach((_, i) => (S[i] = i + 0.5));
        D.fill(-1);
        exports.transpose(src, ld, dst, ldd, rows!, cols!);
        for (let r = 0; r < rows!; r++) for (let c = 0; c < cols!; c++) assert.equal(D[c * ldd + r], S[r * ld + c]);
        for (let c = 0; c < cols!; c++) for (let r = rows!; r < ldd; r++) assert.equal(D[c * ldd + r], -1, 'nothing past the rows is written');
      }
    });
  }
});

/** A float32 network on `path` and a float64 twin with the same (float32-rounded) weights. */
function twins(spec: NetworkSpec, batch: number, path: KernelPath, seed = 4) {
  const f32 = new Network(spec, batch, 'float32', path);
  const f64 = new Network(spec, batch, 'float64');
  const r = new Rng(seed);
  f32.initialize({ scheme: 'glorot_uniform', std: 1, limit: 1, bias: 0 }, r);
  for (let i = 0; i < f32.params.length; i++) f32.params[i]! += 0.05 * r.normal(); // non-zero biases
  f64.params.set(f32.params);
  const X32 = new Float32Array(batch * spec.sizes[0]!).map(() => r.uniform(-2, 2));
  const X64 = Float64Array.from(X32);
  const classes = spec.output === 'sigmoid' ? 2 : spec.sizes.at(-1)!;
  const y = new Int32Array(batch).map(() => r.int(classes));
  return { f32, f64, X32, X64, y };
}

/** Max |a - b| over the first n entries relative to the largest |b| (a scale-aware error). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, n = b.length): number {
  let worst = 0, scale = 1e-30;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

describe('spmm or the GEMM: ReLU layers with and without zeros', () => {
  for (const path of WASM_PATHS) {
    test(`${path}: a ReLU input with no zeros goes back to the GEMM, tries spmm again 50 passes later; both agree with float64`, () => {
      // widths of at least 28 so the products qualify for spmm; positive weights and inputs
      // keep every ReLU unit on (no zeros); then half the inputs negative turn units off
      const spec: NetworkSpec = { sizes: [8, 40, 40, 30], hidden: ['relu', 'relu'], output: 'softmax', leakyReluSlope: 0 };
      const B = 9;
      const { f32, f64, X32, X64 } = twins(spec, B, path, 12);
      for (let i = 0; i < f32.params.length; i++) f64.params[i] = f32.params[i] = Math.abs(f32.params[i]!);
      for (let i = 0; i < X32.length; i++) X64[i] = X32[i] = Math.abs(X32[i]!);
      const counts = () => f32.productCounts!;
      f32.forward(X32, B); // layer 1 and 2 take a ReLU input: spmm, and see no zeros
      assert.deepEqual(counts(), { gemm: 1, spmm: 2 });
      for (let pass = 2; pass <= 50; pass++) f32.forward(X32, B);
      assert.deepEqual(counts(), { gemm: 1 + 49 * 3, spmm: 2 }, 'passes 2-50 on the GEMM');
      f64.forward(X64, B);
      assert.ok(relErr(f32.acts[2]!, f64.acts[2]!, B * 30) < 1e-5, 'GEMM forward against float64');
      f32.forward(X32, B);
      assert.deepEqual(counts(), { gemm: 1 + 49 * 3 + 1, spmm: 4 }, 'pass 51 tries spmm again');
      // half of layer 1's units off (its weights half negative): once the retry comes round, layer
      // 2's forward stays on spmm; layer 3's input (layer 2, positive weights) still has no zeros
      for (let i = 0; i < f32.layers[0]!.W.length; i += 2) f64.layers[0]!.W[i] = f32.layers[0]!.W[i] = -f32.layers[0]!.W[i]!;
      for (let pass = 52; pass <= 101; pass++) f32.forward(X32, B);
      const before = counts();
      f32.forward(X32, B);
      f32.forward(X32, B);
      f64.forward(X64, B);
      let zeros = 0;
      for (let i = 0; i < B * 40; i++) if (f32.acts[0]![i] === 0) zeros++;
      assert.ok(zeros > 0.3 * B * 40 && zeros < 0.7 * B * 40, `hidden layer 1 has ${zeros} zeros of ${B * 40}`);
      assert.deepEqual(counts(), { gemm: before.gemm + 4, spmm: before.spmm + 2 }, 'layer 2 on spmm, layers 1 and 3 on the GEMM');
      assert.ok(relErr(f32.acts[2]!, f64.acts[2]!, B * 30) < 1e-5, 'spmm forward against float64');
    });
  }
});

describe('every path: forward and backward against float64', () => {
  const shapes: { name: string; spec: NetworkSpec; batch: number }[] = [
    { name: '1x1 layer, batch 1', spec: { sizes: [1, 1], hidden: [], output: 'sigmoid', leakyReluSlope: 0 }, batch: 1 },
    { name: '7-13 softmax, batch 5', spec: { sizes: [7, 13], hidden: [], output: 'softmax', leakyReluSlope: 0 }, batch: 5 },
    { name: '2-8-8-8-2 sigmoid, batch 16 (W1)', spec: { sizes: [2, 8, 8, 8, 2], hidden: ['sigmoid', 'sigmoid', 'sigmoid'], output: 'softmax', leakyReluSlope: 0 }, batch: 16 },
    { name: '13-7-5-3 tanh/relu odd sizes, batch 11', spec: { sizes: [13, 7, 5, 3], hidden: ['tanh', 'relu'], output: 'softmax', leakyReluSlope: 0 }, batch: 11 },
    { name: '5-9-6-1 leaky/linear, sigmoid output, batch 7', spec: { sizes: [5, 9, 6, 1], hidden: ['leaky_relu', 'linear'], output: 'sigmoid', leakyReluSlope: 0.07 }, batch: 7 },
    { name: '64-33-17-10 relu, batch 30', spec: { sizes: [64, 33, 17, 10], hidden: ['relu', 'relu'], output: 'softmax', leakyReluSlope: 0 }, batch: 30 },
  ];
  for (const path of PATHS) {
    for (const { name, spec, batch } of shapes) {
      test(`${path}: ${name}`, () => {
        const { f32, f64, X32, X64, y } = twins(spec, batch, path);
        for (const M of [batch, Math.max(1, batch - 3)]) { // full and partial batch
          f32.forward(X32, M);
          f64.forward(X64, M);
          const L = f32.layers.length;
          for (let k = 0; k < L; k++) {
            const n = M * f32.layers[k]!.outSize;
            assert.ok(relErr(f32.acts[k]!, f64.acts[k]!, n) < 1e-5, `${path} acts[${k}] off by ${relErr(f32.acts[k]!, f64.acts[k]!, n)}`);
            close(f32.actSum[k]!, f64.actSum[k]!, 1e-4, 1e-4, `actSum[${k}]`);
          }
          const i32 = { loss: 0, correct: 0 }, i64 = { loss: 0, correct: 0 };
          f32.lossAndCorrect(y, M, i32);
          f64.lossAndCorrect(y, M, i64);
          close(i32.loss, i64.loss, 1e-5, 1e-6, 'loss');
          for (const wd of [0, 0.01]) {
            f32.backward(y, M, wd);
            f64.backward(y, M, wd);
            for (let k = 0; k < L; k++) {
              const l32 = f32.layers[k]!, l64 = f64.layers[k]!;
              assert.ok(relErr(l32.dW, l64.dW) < 2e-5, `${path} M=${M} wd=${wd} dW[${k}] off by ${relErr(l32.dW, l64.dW)}`);
              assert.ok(relErr(l32.db, l64.db) < 2e-5, `${path} db[${k}] off by ${relErr(l32.db, l64.db)}`);
              const n = M * l32.outSize;
              assert.ok(relErr(f32.deltas[k]!, f64.deltas[k]!, n) < 2e-5, `${path} deltas[${k}] off by ${relErr(f32.deltas[k]!, f64.deltas[k]!, n)}`);
              close(f32.deltaSq[k]!, f64.deltaSq[k]!, 1e-4, 1e-30, `deltaSq[${k}]`);
            }
          }
        }
      });
    }
  }
});

describe('every path: activations at extreme inputs', () => {
  const zs = [-1e4, -200, -88, -87.5, -30, -9.5, -3, -0.7, -0.625, -0.3, -1e-3, -1e-8, 0, 1e-8, 1e-3, 0.3, 0.624, 0.626, 1.1, 4, 17, 30, 88, 200, 1e4];
  for (const path of PATHS) {
    for (const kind of HIDDEN_ACTIVATIONS) {
      test(`${path}: ${kind} and its derivative`, () => {
        // one hidden unit per z: input 1 -> W = z, bias 0; output layer 1 unit
        const B = zs.length;
        const net = new Network({ sizes: [1, 1, 2], hidden: [kind], output: 'softmax', leakyReluSlope: 0.03 }, B, 'float32', path);
        net.params.fill(0);
        net.layers[0]!.W[0] = 1;
        net.layers[1]!.W.set([1, -1]);
        const X = Float32Array.from(zs);
        net.forward(X, B);
        for (let i = 0; i < B; i++) {
          const z = Math.fround(zs[i]!);
          const want = activate(kind, z, 0.03);
          close(net.acts[0]![i]!, want, 4e-7, 1e-38, `${kind}(${z})`);
        }
        net.backward(new Int32Array(B), B);
        // δ_0 = (δ_1 · W_1) ⊙ f'(a_0): check the factor f'(a) against the scalar derivative
        for (let i = 0; i < B; i++) {
          const g = net.deltas[1]![2 * i]! * 1 + net.deltas[1]![2 * i + 1]! * -1;
          const want = g * derivativeFromOutput(kind, net.acts[0]![i]!, 0.03);
          // f'(a) is computed in float32 from a (1 - a² near saturation loses digits): one float32
          // rounding of a quantity of size 1, times |g|
          close(net.deltas[0]![i]!, want, 1e-6, 2.5e-7 * Math.abs(g), `${kind}'(${zs[i]})`);
        }
      });
    }
  }
  for (const path of WASM_PATHS) {
    test(`${path}: NaN and infinite pre-activations reach the divergence check`, () => {
      for (const kind of HIDDEN_ACTIVATIONS) {
        const net = new Network({ sizes: [1, 3, 2], hidden: [kind], output: 'softmax', leakyReluSlope: 0.01 }, 1, 'float32', path);
        net.params.fill(0);
        net.layers[0]!.W.set([1, 1, 1]);
        net.forward(new Float32Array([NaN]), 1);
        assert.ok(Number.isNaN(net.actSum[0]!), `${kind}: a NaN input shows in Σa`);
        if (kind === 'relu' || kind === 'leaky_relu' || kind === 'linear') {
          net.forward(new Float32Array([Infinity]), 1);
          assert.ok(!Number.isFinite(net.actSum[0]!), `${kind}: an infinite input shows in Σa`);
        }
      }
    });
  }
});

describe('every path: fused probes equal the TypeScript probes', () => {
  for (const path of WASM_PATHS) {
    test(`${path}: histogram bins at their edges (float32 on both sides)`, () => {
      // a = z = x for a linear (and a positive relu) unit with W = 1, b = 0: values on each bin
      // edge and one float32 step either side, where float32 and float64 binning would differ
      const bits = new Float32Array(1), ints = new Int32Array(bits.buffer);
      const step = (x: number, d: number) => { bits[0] = x; ints[0]! += x > 0 ? d : x < 0 ? -d : 0; return bits[0]!; };
      for (const kind of ['linear', 'relu'] as const) {
        // up to 32 bins counted in registers (16 and more: both halves of the counters), 33 and
        // 100 per lane in memory
        for (const bins of [7, 17, 20, 32, 33, 100]) {
          const [lo, hi] = kind === 'linear' ? [-4, 4] : [0, 4];
          const xs: number[] = [];
          for (let i = 0; i <= bins; i++) {
            const e = Math.fround(lo + (i * (hi - lo)) / bins);
            xs.push(e, step(e, 1), step(e, -1));
          }
          // far outside the range, and not finite: the edge bins (NaN: the first, as TypeScript)
          if (kind === 'linear') xs.push(Math.fround(1e30), Math.fround(-1e30), Infinity, -Infinity, NaN);
          const net = new Network({ sizes: [1, 1, 2], hidden: [kind], output: 'softmax', leakyReluSlope: 0 }, xs.length, 'float32', path);
          net.layers[0]!.W[0] = 1;
          net.layers[0]!.b[0] = 0;
          const fused = new ProbeBuffers(net, bins, true), plain = new ProbeBuffers(net, bins, true);
          net.forward(Float32Array.from(xs), xs.length, fused);
          assert.deepEqual(Array.from(net.acts[0]!.subarray(0, xs.length)), xs.map((x) => (kind === 'relu' ? Math.max(x, 0) : x)));
          activationStats(kind, net.acts[0]!, xs.length, 1, plain, 0);
          assert.deepEqual(Array.from(fused.hist[0]!), Array.from(plain.hist[0]!), `${kind}, ${bins} bins`);
          assert.equal(fused.hist[0]!.reduce((a, b) => a + b, 0), xs.length);
        }
      }
    });
    test(`${path}: sigmoid and tanh at the top of their range count in the last bin`, () => {
      // float32 sigmoid(40) and tanh(20) are exactly 1, which is bin `bins` before the clamp the
      // TypeScript probe makes (the registers' table folds it); NaN goes to the first bin
      const zs = [40, 100, 20, 0, -20, -100, 3, -3, NaN];
      for (const kind of ['sigmoid', 'tanh'] as const) {
        for (const bins of [5, 20, 32, 40]) {
          const net = new Network({ sizes: [1, 1, 2], hidden: [kind], output: 'softmax', leakyReluSlope: 0 }, zs.length, 'float32', path);
          net.layers[0]!.W[0] = 1;
          net.layers[0]!.b[0] = 0;
          const fused = new ProbeBuffers(net, bins, true), plain = new ProbeBuffers(net, bins, true);
          net.forward(Float32Array.from(zs), zs.length, fused);
          assert.equal(net.acts[0]![0], 1, `${kind}: the top of the range is reached`);
          activationStats(kind, net.acts[0]!, zs.length, 1, plain, 0);
          assert.deepEqual(Array.from(fused.hist[0]!), Array.from(plain.hist[0]!), `${kind}, ${bins} bins`);
          assert.ok(fused.hist[0]![bins - 1]! >= 3, `${kind}, ${bins} bins: the top values in the last bin`);
          assert.equal(fused.hist[0]!.reduce((a, b) => a + b, 0), zs.length);
        }
      }
    });
    for (const kind of HIDDEN_ACTIVATIONS) {
      test(`${path}: ${kind}`, () => {
        const spec: NetworkSpec = { sizes: [6, 11, 7, 3], hidden: [kind, kind], output: 'softmax', leakyReluSlope: 0.02 };
        const B = 13;
        const { f32: net, X32, y } = twins(spec, B, path, 9);
        // a wide input range so every histogram bin and both saturation sides are hit
        for (let i = 0; i < X32.length; i++) X32[i]! *= 3;
        const fused = new ProbeBuffers(net, 17, true);
        const plain = new ProbeBuffers(net, 17, true);
        net.forward(X32, B, fused);
        net.lossAndCorrect(y, B, { loss: 0, correct: 0 });
        net.backward(y, B, 0, fused);
        assert.ok(fused.fusedForward && fused.fusedBackward);
        measureLayers(net, B, fused);
        measureLayers(net, B, plain); // the TypeScript measurements of the same buffers
        for (let k = 0; k < net.layers.length; k++) {
          if (net.layers[k]!.activation) {
            assert.equal(fused.saturation[k], plain.saturation[k], `saturation[${k}]`);
            assert.deepEqual(Array.from(fused.unitSat[k]!), Array.from(plain.unitSat[k]!), `unitSat[${k}]`);
            assert.deepEqual(Array.from(fused.hist[k]!), Array.from(plain.hist[k]!), `hist[${k}]`);
          }
          // sums run in float32 within blocks of 256 elements, float64 across blocks
          close(fused.mean[k]!, plain.mean[k]!, 1e-5, 1e-7, `mean[${k}]`);
          close(fused.std[k]!, plain.std[k]!, 1e-5, 1e-9, `std[${k}]`);
          close(fused.gradW[k]!, plain.gradW[k]!, 1e-5, 1e-30, `gradW[${k}]`);
          close(fused.gradB[k]!, plain.gradB[k]!, 1e-9, 1e-30, `gradB[${k}]`);
          close(fused.delta[k]!, plain.delta[k]!, 1e-12, 1e-30, `delta[${k}]`);
        }
      });
    }
    test(`${path}: probes of a tall product (one epilogue over 4001 rows: Σa² to float64 every 128 rows)`, () => {
      // sigmoid outputs near 0.5 with a spread of about 0.01: std² = E[a²] - mean² cancels all but
      // about 1e-3 of E[a²], so E[a²]'s relative error shows up a thousandfold in std. Summed in
      // float32 over all 4001 rows it would be off by about 1e-3; in blocks, by about 1e-6
      const spec: NetworkSpec = { sizes: [3, 1, 2], hidden: ['sigmoid'], output: 'softmax', leakyReluSlope: 0 };
      const B = 4001;
      const { f32: net, X32 } = twins(spec, B, path, 6);
      for (let i = 0; i < X32.length; i++) X32[i]! *= 0.05;
      const fused = new ProbeBuffers(net, 20, true), plain = new ProbeBuffers(net, 20, true);
      net.forward(X32, B, fused);
      measureLayers(net, B, plain);
      assert.ok(plain.std[0]! > 0.002 && plain.std[0]! < 0.05, `std ${plain.std[0]}`);
      assert.equal(fused.saturation[0], plain.saturation[0]);
      assert.deepEqual(Array.from(fused.unitSat[0]!), Array.from(plain.unitSat[0]!));
      assert.deepEqual(Array.from(fused.hist[0]!), Array.from(plain.hist[0]!));
      close(fused.mean[0]!, plain.mean[0]!, 1e-6, 1e-9, 'mean');
      close(fused.std[0]!, plain.std[0]!, 5e-5, 1e-9, 'std');
    });
    test(`${path}: shared probe buffers are the kernels' outputs, and stay right next to other buffers`, () => {
      const spec: NetworkSpec = { sizes: [6, 11, 7, 3], hidden: ['sigmoid', 'relu'], output: 'softmax', leakyReluSlope: 0 };
      const B = 13;
      const { f32: net, X32 } = twins(spec, B, path, 5);
      for (let i = 0; i < X32.length; i++) X32[i]! *= 3;
      const shared = new ProbeBuffers(net, 17, true, true);
      // the views are the network's memory (no copy per step), for hidden layers only
      const memory = (net as unknown as { wasm: { memory: WebAssembly.Memory } }).wasm.memory.buffer;
      assert.equal(shared.hist[0]!.buffer, memory);
      assert.equal(shared.unitSat[1]!.buffer, memory);
      assert.notEqual(shared.hist[2]!.buffer, memory);
      assert.equal(shared.saturation.buffer, memory);
      assert.equal(shared.std.buffer, memory);
      const check = (label: string) => {
        const plain = new ProbeBuffers(net, 17, true);
        measureLayers(net, B, plain);
        for (const k of [0, 1]) {
          assert.equal(shared.saturation[k], plain.saturation[k], `${label}: saturation[${k}]`);
          close(shared.mean[k]!, plain.mean[k]!, 1e-5, 1e-7, `${label}: mean[${k}]`);
          close(shared.std[k]!, plain.std[k]!, 1e-5, 1e-9, `${label}: std[${k}]`);
          assert.deepEqual(Array.from(shared.unitSat[k]!), Array.from(plain.unitSat[k]!), `${label}: unitSat[${k}]`);
          assert.deepEqual(Array.from(shared.hist[k]!), Array.from(plain.hist[k]!), `${label}: hist[${k}]`);
          assert.equal(shared.hist[k]!.reduce((a, b) => a + b, 0), B * spec.sizes[k + 1]!, `${label}: counts`);
        }
      };
      net.forward(X32, B, shared);
      check('shared');
      // buffers of other bins on the same network: the network takes new views for them, and the
      // shared buffers get copies from then on
      const other = new ProbeBuffers(net, 9, true);
      net.forward(X32, B, other);
      assert.equal(other.hist[0]!.reduce((a, b) => a + b, 0), B * 11);
      for (let i = 0; i < X32.length; i++) X32[i]! *= -0.5;
      net.forward(X32, B, shared);
      check('after buffers of 9 bins');
    });
  }
});

describe('every path: optimizer steps against float64', () => {
  const specs: OptimizerSpec[] = [
    { type: 'sgd', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    { type: 'momentum', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    { type: 'momentum', momentum: 0.8, nesterov: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    { type: 'adam', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
  ];
  for (const path of PATHS) {
    for (const spec of specs) {
      test(`${path}: ${spec.type}${spec.nesterov ? ' (Nesterov)' : ''}, with the update norms`, () => {
        const nspec: NetworkSpec = { sizes: [5, 7, 3], hidden: ['tanh'], output: 'softmax', leakyReluSlope: 0 };
        const { f32, f64, X32, X64, y } = twins(nspec, 6, path);
        const o32 = new Optimizer(spec, f32.params, f32.grads), o64 = new Optimizer(spec, f64.params, f64.grads);
        const norms = () => ({ update: new Float64Array(2), weight: new Float64Array(2), grad: new Float64Array(2) });
        const n32 = norms(), n64 = norms();
        for (let step = 0; step < 3; step++) {
          f32.forward(X32, 6); f64.forward(X64, 6);
          f32.backward(y, 6); f64.backward(y, 6);
          o32.step(0.05, f32.layers, n32);
          o64.step(0.05, f64.layers, n64);
          assert.ok(relErr(f32.params, f64.params) < 1e-5, `${spec.type} step ${step}: params off by ${relErr(f32.params, f64.params)}`);
          for (let k = 0; k < 2; k++) {
            close(n32.update[k]!, n64.update[k]!, 1e-4, 1e-30, `‖ΔW‖²[${k}]`);
            close(n32.weight[k]!, n64.weight[k]!, 1e-5, 1e-30, `‖W‖²[${k}]`);
            close(n32.grad[k]!, n64.grad[k]!, 1e-4, 1e-30, `‖dW‖²[${k}]`);
            assert.ok(n32.grad[k]! > 0, `‖dW‖²[${k}] measured`);
          }
        }
      });
    }
  }
});

describe('every path: training', () => {
  const collect = (t: Trainer) => {
    const out: (StepRecord | EpochRecord)[] = [];
    t.runSteps(Infinity, { step: (r) => out.push(r), epoch: (r) => out.push(r) });
    return JSON.stringify(out);
  };
  for (const path of PATHS) {
    test(`${path}: the same seed gives bit-identical records, also after the runtime optimizes the code`, () => {
      const data = randomDataset(300, 9, 4, 5, 40);
      const cfg = makeConfig({ layers: [17, 10, 6], activation: ['relu', 'tanh', 'sigmoid'], epochs: 12, batchSize: 13, optimizer: { type: 'adam', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-3 }, lr: 0.01 });
      // the first run starts in the baseline compiler and is tiered up while it runs; the later
      // runs use the optimized code: every run must agree bit for bit
      const runs = [0, 1, 2].map(() => collect(new Trainer(cfg, data, 'float32', path)));
      assert.equal(runs[1], runs[0]);
      assert.equal(runs[2], runs[0]);
      assert.notEqual(collect(new Trainer({ ...cfg, seed: 99 }, data, 'float32', path)), runs[0]);
    });
    test(`${path}: a transient sink's record, filled in place, has the numbers of fresh records bit for bit`, () => {
      // on the WebAssembly paths the record is filled straight from the kernels' measurements
      // (measureIntoRecord), not through measureLayers and snapshotProbesInto as fresh records are
      const data = randomDataset(120, 5, 3, 12, 30);
      for (const [optimizer, unitSaturation] of [['sgd', true], ['momentum', false], ['adam', true]] as const) {
        const cfg = makeConfig({ layers: [9, 6], activation: ['sigmoid', 'relu'], epochs: 2, batchSize: 10,
          optimizer: { type: optimizer, momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-3 },
          probes: { every: 1, histogramBins: 7, unitSaturation } });
        const fresh: string[] = [];
        new Trainer(cfg, data, 'float32', path).runSteps(Infinity, { step: (r) => fresh.push(JSON.stringify(r)) });
        const seen: string[] = [];
        let first: StepRecord | null = null;
        new Trainer(cfg, data, 'float32', path).runSteps(Infinity, {
          transientSteps: true,
          step: (r) => {
            first ??= r;
            assert.equal(r, first, 'the same object every time');
            seen.push(JSON.stringify(r));
          },
        });
        assert.equal(fresh.length, 24);
        assert.deepEqual(seen, fresh, `${optimizer}, unit saturation ${unitSaturation}`);
        assert.ok(seen.some((r) => /"updateRatio":[1-9]/.test(r) || /"updateRatio":0\.\d*[1-9]/.test(r)), 'update ratios measured');
      }
    });
    test(`${path}: learns a separable problem and its probes track the TypeScript path's`, () => {
      const data = randomDataset(400, 4, 2, 11, 100);
      for (let i = 0; i < 400; i++) data.trainY[i] = data.trainX[4 * i]! + data.trainX[4 * i + 1]! > 0 ? 1 : 0;
      for (let i = 0; i < 100; i++) data.testY[i] = data.testX[4 * i]! + data.testX[4 * i + 1]! > 0 ? 1 : 0;
      const cfg = makeConfig({ layers: [16, 16], activation: ['relu', 'relu'], epochs: 15, batchSize: 20, lr: 0.1, probes: { every: 5, histogramBins: 10, unitSaturation: true } });
      const t = new Trainer(cfg, data, 'float32', path);
      const recs: StepRecord[] = [];
      t.runSteps(Infinity, { step: (r) => recs.push(r) });
      assert.equal(t.status, 'completed');
      assert.ok(t.lastEpoch!.test!.accuracy > 0.9, `test accuracy ${t.lastEpoch!.test!.accuracy}`);
      // the first record (probes at initialization) equals the TypeScript path's to float32 precision
      const ts = new Trainer(cfg, data, 'float32', 'typescript-f32');
      const first = ts.trainStep()!;
      for (let k = 0; k < first.layers.length; k++) {
        const a = recs[0]!.layers[k]!, b = first.layers[k]!;
        for (const key of ['mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const) close(a[key], b[key], 1e-4, 1e-9, `layer ${k} ${key}`);
        if (a.saturation !== null) close(a.saturation, b.saturation!, 0, 1 / 200, `layer ${k} saturation`);
      }
    });
    test(`${path}: divergence stops at the first non-finite value without applying the step`, () => {
      const data = randomDataset(64, 5, 3, 9);
      const cfg = makeConfig({ layers: [16, 16], activation: ['linear', 'linear'], init: { scheme: 'normal', std: 3, limit: 0, bias: 0 }, lr: 1e4, batchSize: 16, epochs: 50 });
      const t = new Trainer(cfg, data, 'float32', path);
      t.runSteps(Infinity, {});
      assert.equal(t.status, 'diverged');
      assert.equal(t.step, t.divergence!.step - 1);
      assert.ok(t.net.params.every((p) => Number.isFinite(p)));
    });
  }
  test('gradient checks keep the float64 TypeScript kernels whatever the selected path', () => {
    const t = new Trainer(makeConfig(), randomDataset(40, 3, 3), 'float64');
    assert.equal(t.net.kernelPath, 'typescript-f64');
    assert.ok(t.net.params instanceof Float64Array);
  });
});


describe('a second thread', () => {
  const twoCores = enableSecondCore({});
  const data = randomDataset(260, 37, 5, 8, 30);
  const cfg = makeConfig({
    layers: [40, 32, 9], activation: ['relu', 'relu', 'tanh'], epochs: 3, batchSize: 27, lr: 0.02,
    optimizer: { type: 'adam', momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-3 },
    probes: { every: 3, histogramBins: 12, unitSaturation: true },
  });
  const collect = (t: Trainer) => {
    const out: (StepRecord | EpochRecord)[] = [];
    t.runSteps(Infinity, { step: (r) => out.push(r), epoch: (r) => out.push(r) });
    return out;
  };
  for (const path of WASM_PATHS) {
    // every optimizer: the helper thread gets each one's arguments through the control block
    for (const optimizer of [cfg.optimizer, { ...cfg.optimizer, type: 'momentum' as const, momentum: 0.8, nesterov: true }, { ...cfg.optimizer, type: 'sgd' as const }]) {
      test(`${path}, ${optimizer.type}: a split network trains bit-identically on one thread and on two`, { skip: !twoCores && 'one core' }, () => {
        const c = { ...cfg, optimizer };
        const one = new Trainer(c, data, 'float32', path, { split: true, threads: 1 });
        const two = new Trainer(c, data, 'float32', path, { split: true, threads: 2 });
        try {
          assert.equal(one.net.threads, 1);
          assert.equal(two.net.threads, 2);
          assert.equal(JSON.stringify(collect(two)), JSON.stringify(collect(one)));
          assert.ok(one.net.params.every((v, i) => Object.is(v, two.net.params[i])), 'the weights are bit-identical');
        } finally {
          two.dispose();
        }
      });
    }
    test(`${path}: split and unsplit agree to float32 precision`, () => {
      const a = collect(new Trainer(cfg, data, 'float32', path, { split: true, threads: 1 }));
      const b = collect(new Trainer(cfg, data, 'float32', path, { split: false }));
      const first = (rs: (StepRecord | EpochRecord)[]) => rs.find((r): r is StepRecord => r.kind === 'step')!;
      const fa = first(a), fb = first(b);
      close(fa.loss, fb.loss, 1e-6, 1e-7, 'loss at step 1');
      for (let k = 0; k < fa.layers.length; k++) {
        for (const key of ['mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const) close(fa.layers[k]![key], fb.layers[k]![key], 1e-5, 1e-9, `layer ${k} ${key}`);
        assert.deepEqual(fa.layers[k]!.histogram, fb.layers[k]!.histogram);
        assert.deepEqual(fa.layers[k]!.unitSaturation, fb.layers[k]!.unitSaturation);
      }
    });
  }
});
