/**
 * The weight initialization's fast paths give the values of the plain ones bit for bit: the bulk
 * draws (Rng.fillNormal, fillUniform) against a draw per weight, the kept draws (DrawCache) against
 * fresh ones, and the init-time theory's paired integrals against gaussianExpectation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DrawCache } from '../../src/engine/draws';
import { gaussianExpectation, gaussianMoments } from '../../src/engine/inspect/math';
import { Network } from '../../src/engine/network';
import { Rng } from '../../src/engine/rng';
import { sigmoid } from '../../src/engine/activations';
import type { InitSpec } from '../../src/engine/types';

const SCHEMES: InitSpec[] = [
  { scheme: 'normal', std: 0.7, limit: 0.05, bias: 0.1 },
  { scheme: 'uniform', std: 1, limit: 0.3, bias: 0 },
  { scheme: 'glorot_uniform', std: 1, limit: 0.05, bias: 0 },
  { scheme: 'glorot_normal', std: 1, limit: 0.05, bias: -0.2 },
  { scheme: 'he_normal', std: 1, limit: 0.05, bias: 0 },
  { scheme: 'he_uniform', std: 1, limit: 0.05, bias: 0.01 },
];

/** The initialization as it was written before the bulk draws: one call per weight. */
function reference(net: Network, init: InitSpec, rng: Rng): void {
  for (const layer of net.layers) {
    const fanIn = layer.inSize, fanOut = layer.outSize, W = layer.W;
    switch (init.scheme) {
      case 'normal': for (let i = 0; i < W.length; i++) W[i] = init.std * rng.normal(); break;
      case 'uniform': for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-init.limit, init.limit); break;
      case 'glorot_uniform': { const l = Math.sqrt(6 / (fanIn + fanOut)); for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-l, l); break; }
      case 'glorot_normal': { const s = Math.sqrt(2 / (fanIn + fanOut)); for (let i = 0; i < W.length; i++) W[i] = s * rng.normal(); break; }
      case 'he_normal': { const s = Math.sqrt(2 / fanIn); for (let i = 0; i < W.length; i++) W[i] = s * rng.normal(); break; }
      case 'he_uniform': { const l = Math.sqrt(6 / fanIn); for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-l, l); break; }
    }
    layer.b.fill(init.bias);
  }
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
};

const net = (sizes: number[], dtype: 'float32' | 'float64') =>
  new Network({ sizes, hidden: sizes.slice(1, -1).map(() => 'relu' as const), output: 'softmax', leakyReluSlope: 0.01 }, 2, dtype, undefined, { threads: 1 });

describe('weight initialization', () => {
  test('bulk draws equal a draw per value, the generator state (spare included) after too', () => {
    for (const n of [0, 1, 2, 3, 7, 64, 1001]) {
      for (const start of [0, 1]) {
        const a = new Rng(42 + n), b = new Rng(42 + n);
        for (let i = 0; i < start; i++) { a.normal(); b.normal(); } // start with a spare kept
        const want = new Float64Array(n), got = new Float64Array(n);
        for (let i = 0; i < n; i++) want[i] = 0.3 * a.normal();
        b.fillNormal(got, 0.3);
        same(got, want, `fillNormal(${n})`);
        assert.equal(b.normal(), a.normal());
        assert.equal(b.nextU32(), a.nextU32());
        for (let i = 0; i < n; i++) want[i] = a.uniform(-0.4, 0.25);
        b.fillUniform(got, -0.4, 0.25);
        same(got, want, `fillUniform(${n})`);
        assert.equal(b.nextU32(), a.nextU32());
      }
    }
  });

  test('every scheme: the weights of a draw per weight, with and without kept draws, in float32 and float64', () => {
    const draws = new DrawCache(2);
    for (const init of SCHEMES) for (const dtype of ['float32', 'float64'] as const) {
      // odd layer sizes: a normal's spare carries from one layer into the next
      for (const sizes of [[5, 7, 3, 3], [784, 33, 17, 10], [5, 7, 3]]) {
        const want = net(sizes, dtype), bulk = net(sizes, dtype), kept = net(sizes, dtype);
        reference(want, init, new Rng(7).fork('init'));
        bulk.initialize(init, new Rng(7).fork('init'));
        kept.initialize(init, new Rng(7).fork('init'), draws);
        same(bulk.params, want.params, `${init.scheme} ${dtype} ${sizes.join('-')}`);
        same(kept.params, want.params, `${init.scheme} ${dtype} ${sizes.join('-')} with kept draws`);
      }
    }
  });

  test('kept draws are used only for a fresh generator', () => {
    const init = SCHEMES[0]!;
    const used = new Rng(3);
    used.normal();
    assert.equal(used.isFresh(), false);
    assert.equal(new Rng(3).isFresh(), true);
    const want = net([4, 6, 2], 'float32'), got = net([4, 6, 2], 'float32');
    const r1 = new Rng(3), r2 = new Rng(3);
    r1.normal(); r2.normal();
    reference(want, init, r1);
    got.initialize(init, r2, new DrawCache());
    same(got.params, want.params, 'a used generator');
  });

  test('the paired integrals of sigmoid and tanh equal gaussianExpectation bit for bit', () => {
    for (const [mu, sigma] of [[0, 1], [0.1, 0.05], [-0.3, 3.7], [0, 28], [0.5, 0]]) {
      const s = gaussianMoments('sigmoid', mu!, sigma!), t = gaussianMoments('tanh', mu!, sigma!);
      assert.equal(s.a2, gaussianExpectation((z) => sigmoid(z) ** 2, mu!, sigma!));
      assert.equal(s.fp2, gaussianExpectation((z) => { const a = sigmoid(z); return (a * (1 - a)) ** 2; }, mu!, sigma!));
      assert.equal(t.a2, gaussianExpectation((z) => Math.tanh(z) ** 2, mu!, sigma!));
      assert.equal(t.fp2, gaussianExpectation((z) => (1 - Math.tanh(z) ** 2) ** 2, mu!, sigma!));
    }
  });
});
