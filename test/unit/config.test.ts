import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import schema from '../../media/mlp-config.schema.json';
import {
  formatIssue,
  parseConfigText,
  resolveConfig,
  SCHEMA_KEYWORDS,
  validateConfig,
  withOverrides,
  type ConfigIssue,
} from '../../src/engine/config';
import { InputError } from '../../src/engine/types';

const root = join(__dirname, '../../..'); // dist/test/unit -> repo
const file = 'exp.mlp.json';

/** A config text, one top-level property per line; fields are raw JSON text, undefined removes one. */
function cfg(fields: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = { dataset: '{ "type": "digits" }', layers: '[64, 64]', ...fields };
  const lines = Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => `  "${k}": ${v}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** 1-based line and column of the (skip+1)-th occurrence of needle. */
function pos(text: string, needle: string, skip = 0): { line: number; column: number } {
  let i = -1;
  for (let k = 0; k <= skip; k++) {
    i = text.indexOf(needle, i + 1);
    assert.ok(i >= 0, `${needle} not in ${text}`);
  }
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

const dump = (issues: ConfigIssue[]) => issues.map((i) => formatIssue(file, i)).join('\n');

/** The one issue at `path`, pointing at `needle`, with a message matching `message`. */
function expectIssue(text: string, path: string, needle: string, message: string | RegExp, skip = 0): ConfigIssue {
  const all = validateConfig(text, file);
  const found = all.filter((i) => i.path === path);
  assert.equal(found.length, 1, `want one issue at ${path}, got:\n${dump(all)}`);
  const [issue] = found;
  assert.deepEqual({ line: issue.line, column: issue.column }, pos(text, needle, skip), `position of ${formatIssue(file, issue)}`);
  if (typeof message === 'string') assert.equal(issue.message, message);
  else assert.match(issue.message, message);
  return issue;
}

const errors = (text: string) => validateConfig(text, file).filter((i) => i.severity === 'error');

describe('parsing', () => {
  test('JSONC: comments and trailing commas are fine', () => {
    const text = '// lecture\n{\n  /* data */ "dataset": { "type": "iris", },\n  "layers": [8,], // one layer\n}\n';
    assert.deepEqual(validateConfig(text, file), []);
    assert.deepEqual(parseConfigText(text, file), { dataset: { type: 'iris' }, layers: [8] });
  });

  test('a syntax error throws an InputError with file, line, column and what was expected', () => {
    const text = '{\n  "dataset": { "type": "digits" }\n  "layers": [64]\n}\n';
    assert.throws(
      () => parseConfigText(text, 'a.mlp.json'),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.format(), 'a.mlp.json:3:3: expected \',\' but found "layers"');
        assert.deepEqual([e.file, e.line, e.column], ['a.mlp.json', 3, 3]);
        return true;
      },
    );
    const [issue, ...rest] = validateConfig(text, file);
    assert.equal(rest.length, 0);
    assert.deepEqual(issue, {
      path: '', message: 'expected \',\' but found "layers"', line: 3, column: 3, endLine: 3, endColumn: 11, severity: 'error', kind: 'syntax',
    });
    assert.throws(() => resolveConfig(text, file), /^InputError: expected ','/);
  });

  test('more syntax errors', () => {
    const cases: [string, number, number, string | RegExp][] = [
      ['{\n  "dataset": { "type": "digits" },\n  "layers": [64]\n', 4, 1, "expected ',' or '}' but found the end of the file"],
      ['{\n  "layers": [64 64]\n}', 2, 17, "expected ',' but found 64"],
      ['{\n  dataset: {}\n}', 2, 3, 'unexpected dataset: property names and strings need double quotes'],
      ["{\n  \"name\": 'x'\n}", 2, 11, /^unexpected 'x': property names and strings need double quotes/],
      ['{\n  "name" "x"\n}', 2, 10, "expected ':' after the property name but found \"x\""],
      ['{\n  "name": "x\n}', 2, 11, /^unterminated string/],
      ['', 1, 1, 'expected a value but found the end of the file'],
      ['{} {}', 1, 4, /^expected the end of the file/],
      ['{\n  "lr": \n}', 3, 1, 'expected a value but found }'],
      ['{ /* open', 1, 3, /^unterminated comment/],
    ];
    for (const [text, line, column, message] of cases) {
      const [first] = validateConfig(text, file);
      assert.ok(first, text);
      assert.deepEqual([first.line, first.column, first.kind], [line, column, 'syntax'], `${text}: ${first.message}`);
      if (typeof message === 'string') assert.equal(first.message, message);
      else assert.match(first.message, message);
    }
  });

  test('syntax errors alone are reported (no schema noise from a half-parsed tree)', () => {
    const issues = validateConfig('{ "layerz": [1 2] }', file);
    assert.ok(issues.length > 0 && issues.every((i) => i.kind === 'syntax'), dump(issues));
  });
});

describe('resolving', () => {
  test('a minimal config gets every default', () => {
    const [c, ...rest] = resolveConfig(cfg(), 'some/dir/my-exp.mlp.json');
    assert.equal(rest.length, 0);
    assert.deepEqual(c, {
      name: 'my-exp',
      variant: 'base',
      dataset: { type: 'digits', testFraction: 0.2, standardize: false, seed: 0 },
      layers: [64, 64],
      activation: ['relu', 'relu'],
      leakyReluSlope: 0.01,
      output: 'softmax',
      init: { scheme: 'glorot_uniform', std: 1, limit: 0.05, bias: 0 },
      optimizer: { type: 'sgd', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
      lr: 0.1,
      schedule: { type: 'constant' },
      batchSize: 32,
      epochs: 10,
      seed: 0,
      probes: { every: 1, histogramBins: 20, unitSaturation: true },
    });
    assert.equal(resolveConfig(cfg(), 'C:\\x\\win.mlp.json')[0].name, 'win');
    assert.equal(resolveConfig(cfg({ name: '"named"' }), file)[0].name, 'named');
  });

  test('dataset defaults depend on the type', () => {
    const ds = (d: string) => resolveConfig(cfg({ dataset: d }), file)[0].dataset;
    assert.deepEqual(ds('{ "type": "mnist" }'), { type: 'mnist', testFraction: 0.2, standardize: false, seed: 0 });
    assert.deepEqual(ds('{ "type": "iris" }'), { type: 'iris', testFraction: 0.2, standardize: true, seed: 0 });
    assert.deepEqual(ds('{ "type": "wine", "standardize": false, "seed": 7 }'), { type: 'wine', testFraction: 0.2, standardize: false, seed: 7 });
    assert.deepEqual(ds('{ "type": "spiral" }'), { type: 'spiral', samples: 600, classes: 3, noise: 0.1, seed: 0, testFraction: 0.2 });
    for (const type of ['moons', 'circles', 'xor', 'blobs']) {
      assert.deepEqual(ds(`{ "type": "${type}" }`), { type, samples: 600, classes: 2, noise: 0.1, seed: 0, testFraction: 0.2 });
    }
    assert.deepEqual(ds('{ "type": "blobs", "classes": 5, "samples": 100, "noise": 0.5, "testFraction": 0.5 }'), {
      type: 'blobs', samples: 100, classes: 5, noise: 0.5, seed: 0, testFraction: 0.5,
    });
    assert.deepEqual(ds('{ "type": "csv", "path": "data/x.csv", "label": "species" }'), {
      type: 'csv', path: 'data/x.csv', label: 'species', standardize: true, testFraction: 0.2, seed: 0,
    });
  });

  test('string forms are normalized to the object forms', () => {
    const one = (fields: Record<string, string>) => resolveConfig(cfg(fields), file)[0];
    assert.deepEqual(one({ init: '"normal"' }).init, { scheme: 'normal', std: 1, limit: 0.05, bias: 0 });
    assert.deepEqual(one({ init: '{ "scheme": "uniform", "limit": 0.1, "bias": 0.5 }' }).init, { scheme: 'uniform', std: 1, limit: 0.1, bias: 0.5 });
    assert.deepEqual(one({ init: '{ "scheme": "he_normal" }' }).init, { scheme: 'he_normal', std: 1, limit: 0.05, bias: 0 });
    const adam = one({ optimizer: '"adam"' });
    assert.equal(adam.lr, 0.001, 'adam defaults to lr 0.001');
    assert.equal(adam.optimizer.type, 'adam');
    assert.equal(one({ optimizer: '"adam"', lr: '0.01' }).lr, 0.01);
    assert.equal(one({ optimizer: '"momentum"' }).lr, 0.1);
    assert.deepEqual(one({ optimizer: '{ "type": "momentum", "nesterov": true, "weightDecay": 0.0001 }' }).optimizer, {
      type: 'momentum', momentum: 0.9, nesterov: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.0001,
    });
    assert.deepEqual(one({ optimizer: '{ "type": "adam", "beta2": 0.99 }' }).optimizer, {
      type: 'adam', momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0,
    });
    assert.deepEqual(one({ schedule: '"cosine"' }).schedule, { type: 'cosine', minLr: 0 });
    assert.deepEqual(one({ schedule: '{ "type": "cosine", "minLr": 0.001 }' }).schedule, { type: 'cosine', minLr: 0.001 });
    assert.deepEqual(one({ schedule: '{ "type": "step" }', epochs: '30' }).schedule, { type: 'step', every: 10, gamma: 0.5 });
    assert.deepEqual(one({ schedule: '{ "type": "constant" }' }).schedule, { type: 'constant' });
    assert.deepEqual(one({ activation: '["sigmoid", "tanh"]' }).activation, ['sigmoid', 'tanh']);
    assert.deepEqual(one({ layers: '[]' }).activation, []);
    assert.deepEqual(one({ probes: '{ "every": 5 }' }).probes, { every: 5, histogramBins: 20, unitSaturation: true });
  });

  test('variants replace base fields wholesale and share dataset and seed', () => {
    const text = cfg({
      seed: '3',
      lr: '0.05',
      probes: '{ "every": 2, "histogramBins": 50 }',
      optimizer: '{ "type": "momentum", "momentum": 0.5 }',
      variants: `[
    { "name": "plain" },
    { "name": "probed", "probes": { "every": 5 }, "activation": ["tanh", "sigmoid"] },
    { "name": "adam", "optimizer": "adam", "description": "inherits lr 0.05" }
  ]`,
    });
    const [plain, probed, adam, ...rest] = resolveConfig(text, file);
    assert.equal(rest.length, 0);
    assert.deepEqual([plain.variant, probed.variant, adam.variant], ['plain', 'probed', 'adam']);
    assert.deepEqual(plain.probes, { every: 2, histogramBins: 50, unitSaturation: true });
    assert.deepEqual(probed.probes, { every: 5, histogramBins: 20, unitSaturation: true }, 'no deep merge');
    assert.deepEqual(probed.activation, ['tanh', 'sigmoid']);
    assert.equal(plain.optimizer.momentum, 0.5);
    assert.equal(adam.optimizer.type, 'adam');
    assert.equal(adam.optimizer.momentum, 0.9, 'the base optimizer object is replaced, not merged');
    assert.equal(adam.lr, 0.05, 'an lr set in the base config is inherited');
    for (const c of [plain, probed, adam]) {
      assert.equal(c.seed, 3);
      assert.deepEqual(c.dataset, plain.dataset);
      assert.equal(c.name, 'exp');
    }
    assert.notEqual(plain.layers, probed.layers, 'configs do not share arrays');
    // without lr in the base, an adam variant gets adam's default
    const [, a] = resolveConfig(cfg({ variants: '[{ "name": "sgd" }, { "name": "adam", "optimizer": { "type": "adam" } }]' }), file);
    assert.equal(a.lr, 0.001);
  });

  test('resolveConfig throws one InputError: the first error and how many more', () => {
    const text = cfg({ lr: '-1', epochs: '0', batchSize: '0' });
    assert.throws(
      () => resolveConfig(text, file),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.format(), 'exp.mlp.json:4:9: $.lr: must be > 0 (got -1) (and 2 more problems)');
        return true;
      },
    );
    assert.throws(() => resolveConfig(cfg({ lr: '-1' }), file), (e: unknown) => e instanceof InputError && !/more problem/.test(e.message));
    // warnings do not stop training
    assert.equal(resolveConfig(cfg({ leakyReluSlope: '0.1' }), file).length, 1);
  });

  test('formatIssue', () => {
    const [error] = validateConfig(cfg({ lr: '-1' }), file);
    assert.equal(formatIssue(file, error), 'exp.mlp.json:4:9: $.lr: must be > 0 (got -1)');
    const [warning] = validateConfig(cfg({ leakyReluSlope: '0.1' }), file);
    assert.equal(formatIssue('x', warning), 'x:4:21: $.leakyReluSlope: has no effect: no hidden layer uses leaky_relu');
    assert.equal(warning.severity, 'warning');
    const [syntax] = validateConfig('{\n  "lr" 1\n}', file);
    assert.equal(formatIssue(file, syntax), "exp.mlp.json:2:8: expected ':' after the property name but found 1");
  });

  test('withOverrides: pick a variant, replace seed and epochs', () => {
    const cfgs = resolveConfig(cfg({ variants: '[{ "name": "relu+he" }, { "name": "tanh" }]' }), file);
    const picked = withOverrides(cfgs, { variant: 'tanh', seed: 9, epochs: 2 });
    assert.deepEqual(picked.map((c) => [c.variant, c.seed, c.epochs, c.dataset.seed]), [['tanh', 9, 2, 0]]);
    assert.equal(cfgs[1].seed, 0, 'inputs are not modified');
    assert.deepEqual(withOverrides(cfgs, {}), cfgs);
    assert.deepEqual(withOverrides(cfgs, { epochs: 1 }).map((c) => c.epochs), [1, 1]);
    assert.throws(() => withOverrides(cfgs, { variant: 'relu+HE' }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.message, 'unknown variant "relu+HE" (did you mean "relu+he"?); the config has: relu+he, tanh');
      return true;
    });
    assert.throws(() => withOverrides(cfgs, { variant: 'sigmoid' }), /unknown variant "sigmoid"; the config has: relu\+he, tanh/);
    assert.throws(() => withOverrides(cfgs, { epochs: 0 }), /^InputError: --epochs must be >= 1 \(got 0\)/);
    assert.throws(() => withOverrides(cfgs, { seed: 1.5 }), /--seed must be an integer \(got 1.5\)/);
  });
});

describe('schema errors point at the offending value', () => {
  test('an explicit position', () => {
    const [issue] = validateConfig(cfg({ lr: '-1' }), file);
    assert.deepEqual(issue, {
      path: '$.lr', message: 'must be > 0 (got -1)', line: 4, column: 9, endLine: 4, endColumn: 11, severity: 'error', kind: 'schema',
    });
  });

  test('unknown property: at the key, with the allowed names and the closest one', () => {
    let text = cfg({ lerning_rate: '0.1' });
    const issue = expectIssue(text, '$.lerning_rate', '"lerning_rate"', /^unknown property "lerning_rate" \(did you mean "lr"\?\); allowed: \$schema, name, description, dataset, layers, activation, /);
    assert.deepEqual([issue.endLine, issue.endColumn], [4, 17]);
    expectIssue(cfg({ batch_size: '8' }), '$.batch_size', '"batch_size"', /^unknown property "batch_size" \(did you mean "batchSize"\?\)/);
    expectIssue(cfg({ foo: '1' }), '$.foo', '"foo"', /^unknown property "foo"; allowed: /);
    text = cfg({ optimizer: '{ "type": "adam", "betta1": 0.8 }' });
    expectIssue(text, '$.optimizer.betta1', '"betta1"', 'unknown property "betta1" (did you mean "beta1"?); allowed: type, beta1, beta2, epsilon, weightDecay');
    text = cfg({ probes: '{ "every": 2, "bins": 10 }' });
    expectIssue(text, '$.probes.bins', '"bins"', 'unknown property "bins"; allowed: every, histogramBins, unitSaturation');
  });

  test('wrong type', () => {
    expectIssue(cfg({ batchSize: '"32"' }), '$.batchSize', '"32"', 'must be an integer (got "32")');
    expectIssue(cfg({ layers: '64' }), '$.layers', '64', 'must be an array (got 64)');
    expectIssue(cfg({ probes: 'true' }), '$.probes', 'true', 'must be an object (got true)');
    expectIssue(cfg({ name: '5' }), '$.name', '5', 'must be a string (got 5)');
    expectIssue(cfg({ lr: '"0.1"' }), '$.lr', '"0.1"', 'must be a number (got "0.1")');
    expectIssue(cfg({ optimizer: '{ "type": "momentum", "nesterov": "yes" }' }), '$.optimizer.nesterov', '"yes"', 'must be true or false (got "yes")');
    expectIssue('[1, 2]', '$', '[', 'must be an object (got an array)');
  });

  test('enum miss, with a suggestion when close', () => {
    expectIssue(cfg({ activation: '"sigmod"' }), '$.activation', '"sigmod"', 'must be one of sigmoid, tanh, relu, leaky_relu, linear (got "sigmod"); did you mean "sigmoid"?');
    expectIssue(cfg({ activation: '["relu", "tanhh"]' }), '$.activation[1]', '"tanhh"', /^must be one of sigmoid, .* \(got "tanhh"\); did you mean "tanh"\?$/);
    expectIssue(cfg({ activation: '5' }), '$.activation', '5', 'must be one of sigmoid, tanh, relu, leaky_relu, linear, or an array of those (got 5)');
    expectIssue(cfg({ output: '"softmx"' }), '$.output', '"softmx"', 'must be one of softmax, sigmoid (got "softmx"); did you mean "softmax"?');
    expectIssue(cfg({ init: '"xavier"' }), '$.init', '"xavier"', 'must be one of normal, uniform, glorot_uniform, glorot_normal, he_normal, he_uniform (got "xavier")');
  });

  test('out-of-range numbers and arrays', () => {
    expectIssue(cfg({ layers: '[64, 5000]' }), '$.layers[1]', '5000', 'must be >= 1 and <= 4096 (got 5000)');
    expectIssue(cfg({ layers: '[64, 0]' }), '$.layers[1]', '0', 'must be >= 1 and <= 4096 (got 0)');
    expectIssue(cfg({ layers: JSON.stringify(Array(17).fill(8)) }), '$.layers', '[8', 'must have at most 16 items (got 17)');
    expectIssue(cfg({ dataset: '{ "type": "digits", "testFraction": 1 }' }), '$.dataset.testFraction', '1 }', 'must be > 0 and < 1 (got 1)');
    expectIssue(cfg({ probes: '{ "histogramBins": 200 }' }), '$.probes.histogramBins', '200', 'must be >= 4 and <= 100 (got 200)');
    expectIssue(cfg({ leakyReluSlope: '1' }), '$.leakyReluSlope', '1\n', 'must be >= 0 and < 1 (got 1)');
    expectIssue(cfg({ epochs: '0' }), '$.epochs', '0', 'must be >= 1 (got 0)');
    expectIssue(cfg({ seed: '-1' }), '$.seed', '-1', 'must be >= 0 and <= 4294967295 (got -1)');
  });

  test('non-integers', () => {
    expectIssue(cfg({ epochs: '2.5' }), '$.epochs', '2.5', 'must be an integer (got 2.5)');
    expectIssue(cfg({ layers: '[64, 1.5]' }), '$.layers[1]', '1.5', 'must be an integer (got 1.5)');
    expectIssue(cfg({ seed: '0.5' }), '$.seed', '0.5', 'must be an integer (got 0.5)');
    expectIssue(cfg({ probes: '{ "every": 1.5 }' }), '$.probes.every', '1.5', 'must be an integer (got 1.5)');
  });

  test('missing required: at the object (its key, or its brace)', () => {
    const noData = cfg({ dataset: undefined });
    const issue = expectIssue(noData, '$', '{', 'missing required property "dataset"');
    assert.deepEqual([issue.line, issue.column, issue.endLine, issue.endColumn], [1, 1, 1, 2]);
    expectIssue(cfg({ layers: undefined }), '$', '{', 'missing required property "layers"');
    const csv = cfg({ dataset: '{ "type": "csv", "label": "y" }' });
    expectIssue(csv, '$.dataset', '"dataset"', 'missing required property "path"');
  });

  test('all problems are reported, in document order', () => {
    const text = cfg({ activation: '"sigmod"', lr: '0', epochs: '1.5', extra: 'null' });
    assert.deepEqual(validateConfig(text, file).map((i) => [i.line, i.path]), [
      [4, '$.activation'], [5, '$.lr'], [6, '$.epochs'], [7, '$.extra'],
    ]);
  });
});

describe('variants', () => {
  const withVariants = (variants: string, fields: Record<string, string> = {}) => cfg({ ...fields, variants: `[\n${variants}\n  ]` });

  test('dataset and seed cannot be overridden', () => {
    const text = withVariants('    { "name": "a", "dataset": { "type": "iris" }, "seed": 3 }');
    expectIssue(text, '$.variants[0].dataset', '"dataset"', /^a variant cannot override dataset: all variants train on the same data/, 1);
    expectIssue(text, '$.variants[0].seed', '"seed"', /^a variant cannot override seed: all variants share the seed/);
  });

  test('every variant needs a non-empty name', () => {
    const text = withVariants('    { "name": "a" },\n    { "activation": "relu" },\n    { "name": "" }');
    const issue = expectIssue(text, '$.variants[1]', '{ "activation"', 'missing required property "name"');
    assert.deepEqual([issue.endLine, issue.endColumn], [issue.line, issue.column + 1]);
    expectIssue(text, '$.variants[2].name', '""', 'must not be empty');
  });

  test('names are unique', () => {
    const text = withVariants('    { "name": "a" },\n    { "name": "b" },\n    { "name": "a", "lr": 0.5 }');
    const issue = expectIssue(text, '$.variants[2].name', '"a"', 'duplicate variant name "a" (variants[0] has it too); names must be unique', 1);
    assert.equal(issue.kind, 'semantic');
  });

  test('unknown fields and bad values inside a variant', () => {
    const text = withVariants('    { "name": "a", "activations": "tanh" },\n    { "name": "b", "optimizer": "rmsprop" }');
    expectIssue(text, '$.variants[0].activations', '"activations"', /^unknown property "activations" \(did you mean "activation"\?\); allowed: name, description, layers, activation, /);
    assert.doesNotMatch(only(text, '$.variants[0].activations').message, /dataset|seed|\$schema/);
    expectIssue(text, '$.variants[1].optimizer', '"rmsprop"', 'must be one of sgd, momentum, adam (got "rmsprop")');
    expectIssue(cfg({ variants: '{ "name": "a" }' }), '$.variants', '{ "name"', 'must be an array (got an object)');
  });

  test('activation arrays need one entry per hidden layer, checked per resolved variant', () => {
    // the base config, without variants
    expectIssue(cfg({ activation: '["relu", "tanh", "relu"]' }), '$.activation', '["relu"',
      'activation lists 3 functions but layers has 2 hidden layers; give one per layer, or one name for all');
    // a variant changing layers breaks the inherited activation array: point at the variant's layers
    let text = withVariants('    { "name": "ok" },\n    { "name": "deep", "layers": [8, 8, 8] }', { activation: '["relu", "tanh"]' });
    const issue = expectIssue(text, '$.variants[1].layers', '[8, 8, 8]', /^variant "deep": activation lists 2 functions but layers has 3 hidden layers/);
    assert.equal(issue.kind, 'semantic');
    // a variant's own activation array
    text = withVariants('    { "name": "v", "activation": ["tanh"] }');
    expectIssue(text, '$.variants[0].activation', '["tanh"]', /^variant "v": activation lists 1 functions but layers has 2 hidden layers/);
    // a broken base shared by several variants: one issue naming them
    text = withVariants('    { "name": "x" },\n    { "name": "y", "lr": 0.5 },\n    { "name": "z", "activation": "relu" }', { activation: '["relu"]' });
    expectIssue(text, '$.activation', '["relu"]', /^variants "x", "y": activation lists 1 functions but layers has 2 hidden layers/);
    // a broken base that every variant fixes is fine: the base itself is not trained
    text = withVariants('    { "name": "x", "layers": [4] }', { activation: '["relu"]', layers: '[4, 4]' });
    assert.deepEqual(errors(text), []);
  });
});

describe('dataset blocks', () => {
  const ds = (d: string) => cfg({ dataset: d });
  test('shape and type', () => {
    expectIssue(ds('"digits"'), '$.dataset', '"digits"', 'must be an object { "type": "digits", ... } (got "digits")');
    expectIssue(ds('5'), '$.dataset', '5', /^must be an object \{ "type": "digits" \| "mnist" \| .*"csv", \.\.\. \} \(got 5\)$/);
    expectIssue(ds('{ "samples": 100 }'), '$.dataset', '"dataset"', 'missing required property "type" (one of digits, mnist, iris, wine, spiral, moons, circles, xor, blobs, csv)');
    expectIssue(ds('{ "type": "spirals" }'), '$.dataset.type', '"spirals"', /^must be one of digits, .* \(got "spirals"\); did you mean "spiral"\?$/);
  });
  test('each type allows only its own fields, in range', () => {
    expectIssue(ds('{ "type": "digits", "samples": 100 }'), '$.dataset.samples', '"samples"', 'unknown property "samples"; allowed: type, testFraction, standardize, seed');
    expectIssue(ds('{ "type": "mnist", "testFraction": 0 }'), '$.dataset.testFraction', '0 }', 'must be > 0 and < 1 (got 0)');
    expectIssue(ds('{ "type": "iris", "standardize": "yes" }'), '$.dataset.standardize', '"yes"', 'must be true or false (got "yes")');
    expectIssue(ds('{ "type": "wine", "seed": -1 }'), '$.dataset.seed', '-1', 'must be >= 0 and <= 4294967295 (got -1)');
    expectIssue(ds('{ "type": "spiral", "classes": 1 }'), '$.dataset.classes', '1 }', 'must be >= 2 and <= 10 (got 1)');
    expectIssue(ds('{ "type": "moons", "noise": -0.1 }'), '$.dataset.noise', '-0.1', 'must be >= 0 (got -0.1)');
    expectIssue(ds('{ "type": "blobs", "samples": 5 }'), '$.dataset.samples', '5 }', 'must be >= 10 and <= 100000 (got 5)');
    expectIssue(ds('{ "type": "xor", "label": "y" }'), '$.dataset.label', '"label"', 'unknown property "label"; allowed: type, samples, classes, noise, seed, testFraction');
    expectIssue(ds('{ "type": "circles", "standardize": true }'), '$.dataset.standardize', '"standardize"', /^unknown property "standardize"; allowed: type, samples, classes/);
    const csv = ds('{ "type": "csv", "path": "", "label": "y", "samples": 3 }');
    expectIssue(csv, '$.dataset.path', '""', 'must not be empty');
    expectIssue(csv, '$.dataset.samples', '"samples"', 'unknown property "samples"; allowed: type, path, label, standardize, testFraction, seed');
    assert.deepEqual(
      errors(ds('{ "type": "csv" }')).map((i) => i.message),
      ['missing required property "path"', 'missing required property "label"'],
    );
  });
});

describe('init, optimizer and schedule objects', () => {
  test('init', () => {
    expectIssue(cfg({ init: '{ "scheme": "normal", "std": 0 }' }), '$.init.std', '0 }', 'must be > 0 (got 0)');
    expectIssue(cfg({ init: '{ "scheme": "he_normal", "std": 2 }' }), '$.init.std', '"std"', 'unknown property "std"; allowed: scheme, bias');
    expectIssue(cfg({ init: '{ "scheme": "uniform", "std": 2 }' }), '$.init.std', '"std"', /^unknown property "std"; allowed: scheme, limit, bias$/);
    expectIssue(cfg({ init: '{ "std": 1 }' }), '$.init', '"init"', /^missing required property "scheme" \(one of normal, uniform, glorot_uniform, /);
    expectIssue(cfg({ init: '{ "scheme": "xavier" }' }), '$.init.scheme', '"xavier"', /^must be one of normal, uniform, glorot_uniform, glorot_normal, he_normal, he_uniform \(got "xavier"\)/);
    expectIssue(cfg({ init: '{ "scheme": "normal", "bias": "0" }' }), '$.init.bias', '"0"', 'must be a number (got "0")');
    expectIssue(cfg({ init: 'null' }), '$.init', 'null', /^must be one of normal, .*, or an object \{ "scheme": "normal" \| "uniform" \| "glorot_uniform" \| .* \} \(got null\)$/);
  });
  test('optimizer', () => {
    expectIssue(cfg({ optimizer: '{ "type": "adam", "beta2": 1 }' }), '$.optimizer.beta2', '1 }', 'must be >= 0 and < 1 (got 1)');
    expectIssue(cfg({ optimizer: '{ "type": "adam", "epsilon": 0 }' }), '$.optimizer.epsilon', '0 }', 'must be > 0 (got 0)');
    expectIssue(cfg({ optimizer: '{ "type": "sgd", "momentum": 0.9 }' }), '$.optimizer.momentum', '"momentum"', 'unknown property "momentum"; allowed: type, weightDecay');
    expectIssue(cfg({ optimizer: '{ "type": "momentum", "weightDecay": -1 }' }), '$.optimizer.weightDecay', '-1', 'must be >= 0 (got -1)');
    expectIssue(cfg({ optimizer: '{ "type": "nadam" }' }), '$.optimizer.type', '"nadam"', 'must be one of sgd, momentum, adam (got "nadam"); did you mean "adam"?');
    expectIssue(cfg({ optimizer: '{ "momentum": 0.9 }' }), '$.optimizer', '"optimizer"', 'missing required property "type" (one of sgd, momentum, adam)');
    expectIssue(cfg({ optimizer: 'true' }), '$.optimizer', 'true', 'must be one of sgd, momentum, adam, or an object { "type": "sgd" | "momentum" | "adam", ... } (got true)');
  });
  test('schedule', () => {
    expectIssue(cfg({ schedule: '"step"' }), '$.schedule', '"step"', 'must be one of constant, cosine, or an object { "type": "step", ... } (got "step")');
    expectIssue(cfg({ schedule: '{ "type": "step", "every": 0 }' }), '$.schedule.every', '0 }', 'must be >= 1 (got 0)');
    expectIssue(cfg({ schedule: '{ "type": "step", "gamma": 1.5 }' }), '$.schedule.gamma', '1.5', 'must be > 0 and <= 1 (got 1.5)');
    expectIssue(cfg({ schedule: '{ "type": "cosine", "minLr": -1 }' }), '$.schedule.minLr', '-1', 'must be >= 0 (got -1)');
    expectIssue(cfg({ schedule: '{ "type": "cosine", "every": 3 }' }), '$.schedule.every', '"every"', 'unknown property "every"; allowed: type, minLr');
    expectIssue(cfg({ schedule: '{ "every": 3 }' }), '$.schedule', '"schedule"', 'missing required property "type" (one of constant, step, cosine)');
  });
});

describe('semantic checks', () => {
  test('output "sigmoid" needs 2 classes where the dataset says how many', () => {
    expectIssue(cfg({ dataset: '{ "type": "iris" }', output: '"sigmoid"' }), '$.output', '"sigmoid"',
      'output "sigmoid" is a single unit for 2 classes, but dataset "iris" has 3 classes; use "softmax"');
    expectIssue(cfg({ dataset: '{ "type": "spiral" }', output: '"sigmoid"' }), '$.output', '"sigmoid"', /dataset "spiral" has 3 classes/);
    assert.deepEqual(errors(cfg({ dataset: '{ "type": "moons" }', output: '"sigmoid"' })), []);
    assert.deepEqual(errors(cfg({ dataset: '{ "type": "csv", "path": "a.csv", "label": "y" }', output: '"sigmoid"' })), [], 'csv: the trainer checks');
    const text = cfg({ dataset: '{ "type": "moons", "classes": 3 }', variants: '[{ "name": "s", "output": "sigmoid" }, { "name": "ok" }]' });
    expectIssue(text, '$.variants[0].output', '"sigmoid"', /^variant "s": output "sigmoid" is a single unit for 2 classes, but dataset "moons" has 3/);
  });

  test('warnings: settings that have no effect', () => {
    let issue = expectIssue(cfg({ leakyReluSlope: '0.2' }), '$.leakyReluSlope', '0.2', 'has no effect: no hidden layer uses leaky_relu');
    assert.deepEqual([issue.severity, issue.kind], ['warning', 'semantic']);
    assert.deepEqual(validateConfig(cfg({ leakyReluSlope: '0.2', activation: '["relu", "leaky_relu"]' }), file), []);
    const text = cfg({ leakyReluSlope: '0.2', variants: '[{ "name": "a", "activation": "tanh", "leakyReluSlope": 0.3 }, { "name": "b", "activation": "leaky_relu", "leakyReluSlope": 0.1 }]' });
    expectIssue(text, '$.leakyReluSlope', '0.2', 'has no effect: no variant that inherits it uses leaky_relu');
    expectIssue(text, '$.variants[0].leakyReluSlope', '0.3', 'variant "a": has no effect: no hidden layer uses leaky_relu');

    issue = expectIssue(cfg({ schedule: '{ "type": "step", "every": 20 }', epochs: '5' }), '$.schedule.every', '20',
      'the learning rate never decays: it steps every 20 epochs but training runs 5');
    assert.equal(issue.severity, 'warning');
    expectIssue(cfg({ schedule: '{ "type": "step" }' }), '$.schedule', '{ "type": "step" }', /never decays: it steps every 10 epochs but training runs 10/);
    expectIssue(cfg({ schedule: '{ "type": "cosine", "minLr": 0.5 }' }), '$.schedule.minLr', '0.5', 'minLr 0.5 is not below lr 0.1: the learning rate never decreases');

    const dup = '{\n  "dataset": { "type": "iris" },\n  "layers": [4],\n  "lr": -1,\n  "lr": 0.5\n}';
    issue = expectIssue(dup, '$.lr', '"lr"', 'duplicate property "lr": only the last one counts');
    assert.equal(issue.severity, 'warning');
    assert.deepEqual(errors(dup), [], 'the last value counts');
  });
});

describe('examples', () => {
  const dir = join(root, 'examples');
  const examples = readdirSync(dir).filter((f) => f.endsWith('.mlp.json'));

  test('every example is valid, without warnings, and points at the schema', () => {
    assert.ok(examples.length >= 3);
    for (const f of examples) {
      const text = readFileSync(join(dir, f), 'utf8');
      assert.deepEqual(validateConfig(text, f).map((i) => formatIssue(f, i)), [], f);
      assert.equal(JSON.parse(text).$schema, '../media/mlp-config.schema.json', f);
    }
  });

  test('the lecture experiments', () => {
    for (const [f, dataset, units] of [['lecture.mlp.json', 'digits', 64], ['lecture-mnist.mlp.json', 'mnist', 256]] as const) {
      const cfgs = resolveConfig(readFileSync(join(dir, f), 'utf8'), f);
      assert.deepEqual(cfgs.map((c) => c.variant), ['sigmoid+glorot', 'relu+he', 'sigmoid+normal(1)']);
      for (const c of cfgs) {
        assert.equal(c.dataset.type, dataset);
        assert.deepEqual(c.layers, [units, units, units]);
        assert.deepEqual([c.optimizer.type, c.lr, c.batchSize, c.epochs, c.seed], ['sgd', 0.1, 32, 5, 0]);
      }
      assert.deepEqual(cfgs.map((c) => [c.activation[0], c.init.scheme]), [['sigmoid', 'glorot_uniform'], ['relu', 'he_normal'], ['sigmoid', 'normal']]);
      assert.equal(cfgs[2].init.std, 1);
    }
    const spiral = resolveConfig(readFileSync(join(dir, 'spiral.mlp.json'), 'utf8'), 'spiral.mlp.json');
    assert.deepEqual(spiral.map((c) => [c.variant, c.activation, c.optimizer.type]), [['tanh', ['tanh', 'tanh'], 'adam'], ['relu', ['relu', 'relu'], 'adam']]);
    assert.deepEqual(spiral[0].dataset, { type: 'spiral', samples: 900, classes: 3, noise: 0.1, seed: 0, testFraction: 0.2 });
  });
});

// ---------------------------------------------------------------------------------------------
// The schema file, and agreement between it (via ajv) and the validator

type SchemaObj = Record<string, unknown>;
const SCHEMA = schema as unknown as SchemaObj;
const definitions = SCHEMA.definitions as Record<string, SchemaObj>;
const deref = (s: SchemaObj): SchemaObj => (typeof s.$ref === 'string' ? deref(definitions[s.$ref.replace('#/definitions/', '')]) : s);
const ANNOTATIONS = ['$schema', 'title', 'description', 'markdownDescription', 'default', 'examples', 'enumDescriptions', 'defaultSnippets', 'doNotSuggest'];

/** Every subschema with the path to it. */
function subschemas(s: SchemaObj, path = '#', out: [string, SchemaObj][] = []): [string, SchemaObj][] {
  out.push([path, s]);
  for (const key of ['properties', 'definitions'] as const) {
    for (const [k, v] of Object.entries((s[key] ?? {}) as Record<string, SchemaObj>)) subschemas(v, `${path}/${key}/${k}`, out);
  }
  for (const key of ['items', 'not', 'additionalProperties'] as const) if (typeof s[key] === 'object') subschemas(s[key] as SchemaObj, `${path}/${key}`, out);
  for (const key of ['oneOf', 'anyOf'] as const) ((s[key] ?? []) as SchemaObj[]).forEach((v, i) => subschemas(v, `${path}/${key}/${i}`, out));
  return out;
}

describe('schema', () => {
  test('every property has a title and a description (for editor hovers)', () => {
    let count = 0;
    for (const [path, s] of subschemas(SCHEMA)) {
      for (const [name, p] of Object.entries((s.properties ?? {}) as Record<string, SchemaObj>)) {
        const target = deref(p);
        assert.equal(typeof target.description, 'string', `${path}/properties/${name} has no description`);
        assert.equal(typeof target.title, 'string', `${path}/properties/${name} has no title`);
        count++;
      }
    }
    assert.ok(count > 50, `${count} properties`);
  });

  test('objects are closed and the validator implements every keyword the schema uses', () => {
    for (const [path, s] of subschemas(SCHEMA)) {
      for (const key of Object.keys(s)) assert.ok(SCHEMA_KEYWORDS.includes(key) || ANNOTATIONS.includes(key), `${path}: keyword ${key}`);
      if (s.type === 'object') assert.equal(s.additionalProperties, false, `${path} allows extra properties`);
    }
  });
});

const ajv = new Ajv({ strict: false, allErrors: true });
const ajvValidate = ajv.compile(SCHEMA);
const oursValid = (value: unknown) => !validateConfig(JSON.stringify(value, null, 2), file).some((i) => i.kind === 'schema');
const base = { dataset: { type: 'digits' }, layers: [64, 64] };

/** [label, config, schema-valid?] */
const CORPUS: [string, object, boolean][] = [
  ['minimal', base, true],
  ['everything', {
    $schema: '../media/mlp-config.schema.json', name: 'all', description: 'every field',
    dataset: { type: 'iris', testFraction: 0.3, standardize: false, seed: 4 }, layers: [16, 8],
    activation: ['leaky_relu', 'tanh'], leakyReluSlope: 0.05, output: 'softmax',
    init: { scheme: 'uniform', limit: 0.1, bias: 0.01 }, optimizer: { type: 'adam', beta1: 0.8, beta2: 0.99, epsilon: 1e-7, weightDecay: 1e-4 },
    lr: 0.003, schedule: { type: 'step', every: 2, gamma: 0.9 }, batchSize: 16, epochs: 3, seed: 11,
    probes: { every: 2, histogramBins: 30, unitSaturation: false },
    variants: [{
      name: 'v', description: 'd', layers: [4], activation: 'sigmoid', leakyReluSlope: 0.2, output: 'softmax', init: 'he_uniform',
      optimizer: { type: 'momentum', momentum: 0.8, nesterov: true, weightDecay: 0 }, lr: 0.2, schedule: 'cosine',
      batchSize: 8, epochs: 2, probes: { histogramBins: 4 },
    }],
  }, true],
  ['mnist', { ...base, dataset: { type: 'mnist', standardize: true } }, true],
  ['wine', { ...base, dataset: { type: 'wine' } }, true],
  ['spiral', { ...base, dataset: { type: 'spiral', samples: 300, classes: 4, noise: 0.2, seed: 1, testFraction: 0.25 } }, true],
  ['moons', { ...base, dataset: { type: 'moons', samples: 100 } }, true],
  ['circles', { ...base, dataset: { type: 'circles', noise: 0 } }, true],
  ['xor', { ...base, dataset: { type: 'xor', classes: 2 } }, true],
  ['blobs', { ...base, dataset: { type: 'blobs', classes: 10 } }, true],
  ['csv', { ...base, dataset: { type: 'csv', path: 'x.csv', label: 'y', standardize: false, testFraction: 0.1, seed: 2 } }, true],
  ['no hidden layers', { ...base, layers: [] }, true],
  ['init normal', { ...base, init: { scheme: 'normal', std: 0.5 } }, true],
  ['init scaled', { ...base, init: { scheme: 'glorot_normal', bias: 0.1 } }, true],
  ['optimizer sgd object', { ...base, optimizer: { type: 'sgd', weightDecay: 0.01 } }, true],
  ['schedule constant object', { ...base, schedule: { type: 'constant' } }, true],
  ['schedule cosine object', { ...base, schedule: { type: 'cosine', minLr: 0.001 } }, true],
  ['output sigmoid', { ...base, dataset: { type: 'moons' }, output: 'sigmoid' }, true],
  ['empty variants', { ...base, variants: [] }, true],
  ['experiment', { ...base, seeds: 3, seedData: true, variants: [{ name: 'v' }], sweep: {
    layers: [[64], [8, 8]], activation: ['relu', ['tanh', 'relu']], leakyReluSlope: [0.1], output: ['softmax'], init: ['he_normal', { scheme: 'normal', std: 1 }],
    optimizer: ['sgd', { type: 'adam' }], lr: [0.1, 1], schedule: ['cosine'], batchSize: [8], epochs: [2], probes: [{ every: 2 }],
  } }, true],
  ['seeds list', { ...base, seeds: [0, 5] }, true],
  ['seeds zero', { ...base, seeds: 0 }, false],
  ['seeds fraction', { ...base, seeds: 1.5 }, false],
  ['seeds empty list', { ...base, seeds: [] }, false],
  ['seeds negative item', { ...base, seeds: [-1] }, false],
  ['seedData string', { ...base, seedData: 'yes' }, false],
  ['sweep not an object', { ...base, sweep: [0.1] }, false],
  ['sweep unknown field', { ...base, sweep: { learningRate: [0.1] } }, false],
  ['sweep not a list', { ...base, sweep: { lr: 0.1 } }, false],
  ['sweep empty list', { ...base, sweep: { lr: [] } }, false],
  ['sweep bad value', { ...base, sweep: { lr: [0.1, 0] } }, false],
  ['sweep dataset', { ...base, sweep: { dataset: [{ type: 'iris' }] } }, false],
  ['sweep seed', { ...base, sweep: { seed: [1] } }, false],
  ['sweep name', { ...base, sweep: { name: ['x'] } }, false],
  ['not an object', [base], false],
  ['missing dataset', { layers: [1] }, false],
  ['missing layers', { dataset: { type: 'iris' } }, false],
  ['unknown top-level', { ...base, lerning_rate: 0.1 }, false],
  ['empty name', { ...base, name: '' }, false],
  ['description number', { ...base, description: 1 }, false],
  ['$schema number', { ...base, $schema: 1 }, false],
  ['dataset string', { ...base, dataset: 'digits' }, false],
  ['dataset no type', { ...base, dataset: {} }, false],
  ['dataset unknown type', { ...base, dataset: { type: 'cifar' } }, false],
  ['digits with samples', { ...base, dataset: { type: 'digits', samples: 10 } }, false],
  ['iris standardize string', { ...base, dataset: { type: 'iris', standardize: 'no' } }, false],
  ['spiral 11 classes', { ...base, dataset: { type: 'spiral', classes: 11 } }, false],
  ['moons noise negative', { ...base, dataset: { type: 'moons', noise: -1 } }, false],
  ['csv without label', { ...base, dataset: { type: 'csv', path: 'x.csv' } }, false],
  ['csv with classes', { ...base, dataset: { type: 'csv', path: 'x.csv', label: 'y', classes: 2 } }, false],
  ['testFraction 0', { ...base, dataset: { type: 'wine', testFraction: 0 } }, false],
  ['data seed float', { ...base, dataset: { type: 'xor', seed: 1.5 } }, false],
  ['layer 0', { ...base, layers: [0] }, false],
  ['layer too big', { ...base, layers: [4097] }, false],
  ['17 layers', { ...base, layers: Array(17).fill(1) }, false],
  ['activation typo', { ...base, activation: 'Relu' }, false],
  ['activation array typo', { ...base, activation: ['relu', 'elu'] }, false],
  ['activation number', { ...base, activation: 1 }, false],
  ['leaky slope 1', { ...base, leakyReluSlope: 1 }, false],
  ['output typo', { ...base, output: 'linear' }, false],
  ['init typo', { ...base, init: 'he' }, false],
  ['init std with glorot', { ...base, init: { scheme: 'glorot_uniform', std: 1 } }, false],
  ['init limit 0', { ...base, init: { scheme: 'uniform', limit: 0 } }, false],
  ['init no scheme', { ...base, init: { bias: 0 } }, false],
  ['optimizer typo', { ...base, optimizer: 'adamw' }, false],
  ['momentum 1', { ...base, optimizer: { type: 'momentum', momentum: 1 } }, false],
  ['adam with momentum', { ...base, optimizer: { type: 'adam', momentum: 0.9 } }, false],
  ['weight decay negative', { ...base, optimizer: { type: 'sgd', weightDecay: -0.1 } }, false],
  ['nesterov string', { ...base, optimizer: { type: 'momentum', nesterov: 'true' } }, false],
  ['lr 0', { ...base, lr: 0 }, false],
  ['schedule step string', { ...base, schedule: 'step' }, false],
  ['step every 0', { ...base, schedule: { type: 'step', every: 0 } }, false],
  ['step gamma 0', { ...base, schedule: { type: 'step', gamma: 0 } }, false],
  ['cosine minLr negative', { ...base, schedule: { type: 'cosine', minLr: -0.1 } }, false],
  ['batchSize 0', { ...base, batchSize: 0 }, false],
  ['epochs float', { ...base, epochs: 1.5 }, false],
  ['seed too big', { ...base, seed: 2 ** 32 }, false],
  ['probes unknown', { ...base, probes: { bins: 3 } }, false],
  ['histogramBins 3', { ...base, probes: { histogramBins: 3 } }, false],
  ['unitSaturation number', { ...base, probes: { unitSaturation: 1 } }, false],
  ['variants object', { ...base, variants: {} }, false],
  ['variant without name', { ...base, variants: [{ lr: 0.1 }] }, false],
  ['variant dataset', { ...base, variants: [{ name: 'a', dataset: { type: 'iris' } }] }, false],
  ['variant seed', { ...base, variants: [{ name: 'a', seed: 1 }] }, false],
  ['variant unknown', { ...base, variants: [{ name: 'a', variants: [] }] }, false],
  ['variant bad layers', { ...base, variants: [{ name: 'a', layers: [-1] }] }, false],
];

/** Valid for the schema, but rejected by a semantic rule. */
const SEMANTIC_ONLY: [string, object][] = [
  ['duplicate variant names', { ...base, variants: [{ name: 'a' }, { name: 'a' }] }],
  ['activation array too short', { ...base, activation: ['relu'] }],
  ['variant layers vs inherited activation', { ...base, activation: ['relu', 'relu'], variants: [{ name: 'a', layers: [3] }] }],
  ['sigmoid output for 10 classes', { ...base, output: 'sigmoid' }],
];

describe('the schema (via ajv) and the validator agree', () => {
  test('on a corpus covering every property', () => {
    assert.ok(CORPUS.length >= 30);
    for (const [label, value, valid] of CORPUS) {
      assert.equal(ajvValidate(value), valid, `ajv on ${label}: ${JSON.stringify(ajvValidate.errors)}`);
      assert.equal(oursValid(value), valid, `validator on ${label}: ${dump(validateConfig(JSON.stringify(value, null, 2), file))}`);
    }
    // every property name in the schema occurs in some corpus config
    const used = new Set<string>();
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (used.add(k), collect(x));
    };
    CORPUS.forEach(([, v]) => collect(v));
    for (const [, s] of subschemas(SCHEMA)) for (const name of Object.keys((s.properties ?? {}) as object)) assert.ok(used.has(name), `corpus never uses ${name}`);
  });

  test('semantic rules are beyond the schema', () => {
    for (const [label, value] of SEMANTIC_ONLY) {
      assert.equal(ajvValidate(value), true, label);
      const issues = validateConfig(JSON.stringify(value, null, 2), file);
      assert.ok(issues.some((i) => i.kind === 'semantic' && i.severity === 'error'), label);
      assert.ok(!issues.some((i) => i.kind === 'schema'), label);
    }
  });

  test('on every property set to each of many values', () => {
    const values: unknown[] = [
      0, -1, 0.5, 1, 2, 17, 1e9, '', 'relu', 'adam', 'normal', 'step', 'cosine', 'digits', true, null, [], [8], ['relu', 'tanh'], {},
      { type: 'adam' }, { type: 'momentum', momentum: 0.5 }, { scheme: 'normal', std: 2 }, { type: 'step', every: 2 }, { type: 'csv', path: 'a', label: 'b' }, { every: 2 },
    ];
    const propsOf = (name: string) => Object.keys((deref(definitions[name]).properties ?? {}) as object);
    const datasetForms = ['digits', 'iris', 'spiral', 'moons', 'csv'].map((type) => (type === 'csv' ? { type, path: 'a.csv', label: 'y' } : { type }));
    /** [object to mutate, where it sits in the config, its field names] */
    const contexts: [Record<string, unknown>, (o: Record<string, unknown>) => object, string[]][] = [
      [{ ...base }, (o) => o, [...Object.keys(SCHEMA.properties as object), 'bogus']],
      [{ name: 'v' }, (o) => ({ ...base, variants: [o] }), [...propsOf('variant'), 'bogus']],
      ...datasetForms.map((d): (typeof contexts)[number] => [d, (o) => ({ ...base, dataset: o }), ['type', 'testFraction', 'standardize', 'seed', 'samples', 'classes', 'noise', 'path', 'label']]),
      ...['sgd', 'momentum', 'adam'].map((type): (typeof contexts)[number] => [{ type }, (o) => ({ ...base, optimizer: o }), ['type', 'momentum', 'nesterov', 'beta1', 'beta2', 'epsilon', 'weightDecay']]),
      ...['normal', 'uniform', 'he_normal'].map((scheme): (typeof contexts)[number] => [{ scheme }, (o) => ({ ...base, init: o }), ['scheme', 'std', 'limit', 'bias']]),
      ...['constant', 'step', 'cosine'].map((type): (typeof contexts)[number] => [{ type }, (o) => ({ ...base, schedule: o }), ['type', 'every', 'gamma', 'minLr']]),
      [{}, (o) => ({ ...base, probes: o }), propsOf('probes')],
    ];
    let count = 0;
    let valid = 0;
    for (const [obj, place, fields] of contexts) {
      for (const field of fields) {
        for (const v of values) {
          const config = place({ ...obj, [field]: v });
          const expected = ajvValidate(config);
          assert.equal(oursValid(config), expected, `${JSON.stringify(config)}: ajv says ${expected ? 'valid' : JSON.stringify(ajvValidate.errors)}`);
          count++;
          if (expected) valid++;
        }
      }
    }
    assert.ok(count > 2000 && valid > 200, `${count} configs, ${valid} valid`);
  });
});

function only(text: string, path: string): ConfigIssue {
  const found = validateConfig(text, file).filter((i) => i.path === path);
  assert.equal(found.length, 1);
  return found[0];
}
