import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Network } from '../../src/engine/network';
import { Rng } from '../../src/engine/rng';
import { INLINE_MAX_PARAMETERS, readModel, writeModel, type ModelSource } from '../../src/runs/model-file';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-model-'));

/** A model of these sizes whose parameters are the given floats (no network behind it). */
function fake(sizes: number[], params: Float32Array): ModelSource {
  const layers: { W: Float32Array; b: Float32Array }[] = [];
  let off = 0;
  for (let k = 0; k + 1 < sizes.length; k++) {
    const nw = sizes[k]! * sizes[k + 1]!;
    layers.push({ W: params.subarray(off, off + nw), b: params.subarray(off + nw, off + nw + sizes[k + 1]!) });
    off += nw + sizes[k + 1]!;
  }
  assert.equal(off, params.length);
  return { sizes, hidden: sizes.slice(2).map(() => 'relu'), output: 'softmax', slope: 0.01, params, layers };
}

test('a 28M-parameter model writes and reads back bit-exactly, with a small model.json', () => {
  const sizes = [784, 4096, 4096, 2048, 10]; // 28,407,818 parameters: as JSON, longer than a string may be
  let total = 0;
  for (let k = 0; k + 1 < sizes.length; k++) total += sizes[k + 1]! * (sizes[k]! + 1);
  const params = new Float32Array(total);
  const bits = new Uint32Array(params.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < bits.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bits[i] = x >>> 0; } // every bit pattern, NaNs included
  const dir = tmp();
  const t0 = performance.now();
  writeModel(dir, fake(sizes, params));
  const writeMs = performance.now() - t0;
  assert.ok(fs.statSync(path.join(dir, 'model.json')).size < 1000);
  assert.equal(fs.statSync(path.join(dir, 'model.bin')).size, 4 * total);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.bin', 'model.json'], 'no temporary file left');
  const back = readModel(dir);
  assert.equal(back.header.parameters, total);
  assert.deepEqual(back.header.layer_sizes, sizes);
  assert.equal(back.header.weights, undefined);
  const got = new Uint32Array(back.weights[0]!.buffer);
  assert.equal(got.length, bits.length);
  let same = true;
  for (let i = 0; i < bits.length; i++) if (got[i] !== bits[i]) { same = false; break; }
  assert.ok(same, 'model.bin holds the parameters bit for bit');
  assert.equal(back.biases[3]!.length, 10);
  fs.rmSync(dir, { recursive: true });
  console.log(`# wrote ${(4 * total / 1e6).toFixed(0)} MB in ${writeMs.toFixed(0)} ms`);
});

test('a small network: model.json lists the weights as before, equal to model.bin; float64 networks are rounded to float32', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const net = new Network({ sizes: [5, 7, 3], hidden: ['tanh'], output: 'softmax', leakyReluSlope: 0.01 }, 4, dtype, undefined, { threads: 1 });
    net.initialize({ scheme: 'normal', std: 1, limit: 0.05, bias: 0.1 }, new Rng(3));
    const dir = tmp();
    writeModel(dir, net);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'mlp-lens-model/v1');
    assert.deepEqual(json.activations, ['tanh', 'softmax']);
    assert.equal(json.weightsFile, 'model.bin');
    const back = readModel(dir);
    for (let k = 0; k < 2; k++) {
      assert.deepEqual(Array.from(back.weights[k]!), Array.from(net.layers[k]!.W, Math.fround));
      assert.deepEqual(Array.from(back.biases[k]!), Array.from(net.layers[k]!.b, Math.fround));
      if (dtype === 'float32') assert.deepEqual(json.weights[k], Array.from(back.weights[k]!));
    }
    net.dispose();
    fs.rmSync(dir, { recursive: true });
  }
  assert.ok(INLINE_MAX_PARAMETERS >= 1_000_000);
});

test('a truncated model.bin is reported, not read as zeros', () => {
  const dir = tmp();
  writeModel(dir, fake([2, 3, 2], new Float32Array(17).fill(1.5)));
  fs.truncateSync(path.join(dir, 'model.bin'), 40);
  assert.throws(() => readModel(dir), /model\.bin: 40 bytes, but layer_sizes \[2,3,2\] make 68/);
  fs.rmSync(dir, { recursive: true });
});
