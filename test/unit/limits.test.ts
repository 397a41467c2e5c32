import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, validateConfig } from '../../src/engine/config';
import { MAX_DEPTH } from '../../src/engine/config-scan';
import { fitProblem, networkBytes } from '../../src/engine/limits';
import { Network } from '../../src/engine/network';
import { InputError } from '../../src/engine/types';

const file = 'big.mlp.json';
const errors = (text: string) => validateConfig(text, file).filter((i) => i.severity === 'error');

test('a 3,000,000-item layers array is refused at once, naming $.layers and its length', () => {
  const text = `{ "dataset": { "type": "digits" }, "layers": [${'8,'.repeat(2_999_999)}8] }`;
  const t0 = performance.now();
  const issues = errors(text);
  const ms = performance.now() - t0;
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.path, '$.layers');
  assert.equal(issues[0]!.message, 'must have at most 16 items (got 3000000)');
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  assert.throws(() => resolveConfig(text, file), (e: unknown) => e instanceof InputError && /\$\.layers: must have at most 16 items/.test(e.message));
});

test('arrays past their maxItems and long unknown arrays are refused by the scan; 17 layers as before', () => {
  assert.deepEqual(errors(`{ "dataset": { "type": "digits" }, "layers": [${'8,'.repeat(16)}8] }`).map((i) => [i.path, i.message]), [['$.layers', 'must have at most 16 items (got 17)']]);
  const variants = Array.from({ length: 65 }, (_, i) => `{ "name": "v${i}" }`).join(',');
  assert.deepEqual(errors(`{ "dataset": { "type": "digits" }, "layers": [], "variants": [${variants}] }`).map((i) => i.path), ['$.variants']);
  const act = errors(`{ "dataset": { "type": "digits" }, "layers": [8], "variants": [{ "name": "a", "activation": [${'"relu",'.repeat(20)}"relu"] }] }`);
  assert.deepEqual(act.map((i) => [i.path, i.message]), [['$.variants[0].activation', 'must have at most 16 items (got 21)']]);
  const unknown = errors(`{ "dataset": { "type": "digits" }, "layers": [], "junk": [${'0,'.repeat(5000)}0] }`);
  assert.deepEqual(unknown.map((i) => [i.path, i.message]), [['$.junk', 'must have at most 1000 items (got 5001)']]);
  // commas and brackets inside strings and comments do not count
  assert.deepEqual(errors(`{ "dataset": { "type": "digits" }, // [[[ ,,,,
    "layers": [8, /* ,,,, ] */ 8], "description": "[[[[,,,,,]]]" }`), []);
});

test('nesting 100,000 deep is refused with its path, without overflowing the stack', () => {
  for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
    const text = `{ "dataset": { "type": "digits" }, "layers": [], "description": ${open.repeat(100_000)}1${close.repeat(100_000)} }`;
    const t0 = performance.now();
    const issues = errors(text);
    assert.ok(performance.now() - t0 < 500);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, new RegExp(`nesting deeper than ${MAX_DEPTH} levels`));
    assert.ok(issues[0]!.path.startsWith(open === '[' ? '$.description[0][0]' : '$.description.a.a'), issues[0]!.path);
    assert.throws(() => resolveConfig(text, file), InputError);
  }
  // unclosed, too
  assert.match(errors('['.repeat(100_000))[0]!.message, /nesting deeper/);
  // 63 levels inside the config are fine as far as depth goes (the schema then refuses the value)
  const ok = `{ "dataset": { "type": "digits" }, "layers": [], "description": ${'['.repeat(62)}${']'.repeat(62)} }`;
  assert.doesNotMatch(errors(ok).map((i) => i.message).join('\n'), /nesting/);
});

test('a config whose network cannot fit is refused with the numbers, at $.layers or the variant', () => {
  const text = JSON.stringify({ dataset: { type: 'mnist' }, layers: Array(16).fill(4096), optimizer: 'adam', batchSize: 32 });
  const issues = errors(text);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.path, '$.layers');
  assert.match(issues[0]!.message, /^the network needs 4\.\d GB \(16 hidden layers of 4096 units on 784 inputs with adam, batch 32\); the limit is 2 GiB of WebAssembly memory.*: at most [\d,]+ parameters fit \(it has 254,976,010\): use fewer or narrower layers$/);
  assert.throws(() => resolveConfig(text, file), (e: unknown) => e instanceof InputError && /\$\.layers: the network needs/.test(e.message) && e.line === 1);
  // a variant: pointed at its own layers
  const v = JSON.stringify({ dataset: { type: 'digits' }, layers: [8], variants: [{ name: 'small' }, { name: 'huge', layers: Array(16).fill(4096), optimizer: 'adam' }] });
  const vi = errors(v);
  assert.deepEqual(vi.map((i) => i.path), ['$.variants[1].layers']);
  assert.match(vi[0]!.message, /^variant "huge": the network needs/);
  // the same layers with SGD hold no optimizer state, and fit
  const sgd = JSON.stringify({ dataset: { type: 'mnist' }, layers: Array(16).fill(4096), optimizer: 'sgd', batchSize: 32 });
  assert.deepEqual(errors(sgd), []);
  // a CSV's columns are unknown to the config check: counted as one
  const csv = JSON.stringify({ dataset: { type: 'csv', path: 'x.csv', label: 'y' }, layers: Array(16).fill(4096), optimizer: 'adam' });
  assert.match(errors(csv)[0]!.message, /batch up to 32, before the CSV's columns are counted/);
});

test('the network refuses what does not fit before allocating it (both paths), and plans only its optimizer state', () => {
  const spec = { sizes: [784, 4096, 4096, 4096, 10], hidden: ['relu', 'relu', 'relu'] as const, output: 'softmax' as const, leakyReluSlope: 0.01 };
  const s = { ...spec, hidden: [...spec.hidden] };
  for (const kernel of ['wasm-simd-f32', 'typescript-f32'] as const) {
    assert.throws(() => new Network(s, 32, 'float32', kernel, { threads: 1, memoryBudget: 300e6 }), (e: unknown) => e instanceof InputError && /^\$\.layers: the network needs [56]\d\d MB .*the memory budget of 300 MB a network may use: at most/.test(e.message));
  }
  assert.throws(() => new Network(s, 32, 'float64', undefined, { memoryBudget: 300e6 }), /needs 1\.\d GB/);
  const q = { sizes: s.sizes, batch: 32, dtype: 'float32' as const, kernel: 'wasm-simd-f32' as const, parts: 1 };
  const adam = networkBytes({ ...q, optimizer: 'adam' }), sgd = networkBytes({ ...q, optimizer: 'sgd' });
  const P = 784 * 4096 + 4096 + 2 * 4097 * 4096 + 4097 * 10;
  assert.ok(Math.abs(adam - sgd - 8 * P) < 65536 * 2, `adam ${adam} sgd ${sgd}`);
  assert.equal(fitProblem({ ...q, optimizer: 'adam' }), null);
  // too big a batch alone
  assert.match(fitProblem({ ...q, sizes: [784, 64, 10], batch: 10_000_000, optimizer: 'sgd' })!, /alone take 76\.\d GB: use a smaller batchSize or narrower layers$/);
  // an SGD network holds no state: an optimizer that needs some is refused plainly
  const net = new Network(s, 8, 'float32', 'wasm-simd-f32', { threads: 1, optimizer: 'sgd' });
  assert.equal(net.parameterCount, P);
  net.dispose();
});
