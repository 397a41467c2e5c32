/**
 * `mlp-lens export torch`'s command line and files, without torch: bad arguments refused with one
 * line, an experiment refused, and the data files readable as .npy (header and values).
 * (test/pytorch/export.test.ts runs the script with torch.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { npyBytes, pyLiteral } from '../../src/cli/export-torch';
import { cli, ROOT, show, tmp } from '../support/cli';

test('export torch: bad command lines exit 2 with one line', () => {
  const dir = tmp('mlp-lens-export-args-');
  const lecture = join(ROOT, 'examples', 'lecture.mlp.json');
  const cases: [string[], RegExp][] = [
    [['export', 'torch', lecture], /'export torch' needs --out DIR/],
    [['export', 'torch', '--out', 'x'], /'export torch' needs a config file/],
    [['export', 'torch', lecture, lecture, '--out', 'x'], /takes one config file, got 2/],
    [['export', 'torch', lecture, '--out', 'x', '--csv', 'y.csv'], /writes a script: --out DIR, not --csv/],
    [['export', 'runs', '--out', 'x'], /--out is for 'export torch <config>'/],
    [['export', 'torch', join(dir, 'missing.mlp.json'), '--out', 'x'], /missing\.mlp\.json/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args, dir);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const exp = join(dir, 'exp.mlp.json');
  writeFileSync(exp, JSON.stringify({ name: 'exp', dataset: { type: 'iris' }, layers: [8], seeds: [0, 1] }));
  const r = cli(['export', 'torch', exp, '--out', join(dir, 'o')], dir);
  assert.equal(r.status, 2, show(r));
  assert.match(r.stderr, /exp\.mlp\.json: is an experiment/);
});

test('export torch writes train.py and the split as .npy files numpy and the script read', () => {
  const dir = tmp('mlp-lens-export-files-');
  const r = cli(['export', 'torch', join(ROOT, 'examples', 'spiral.mlp.json'), '--out', join(dir, 'out'), '--variant', 'tanh'], dir);
  assert.equal(r.status, 0, show(r));
  const x = readFileSync(join(dir, 'out', 'data', 'train_x.npy'));
  assert.equal(x.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const n = x.readUInt16LE(8);
  assert.equal((10 + n) % 64, 0, 'the data is 64-byte aligned');
  const header = x.subarray(10, 10 + n).toString('latin1');
  const m = /'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), 2\), }/.exec(header);
  assert.ok(m, header);
  assert.equal(x.length - 10 - n, Number(m[1]) * 2 * 4);
  const script = readFileSync(join(dir, 'out', 'train.py'), 'utf8');
  assert.match(script, /"variant": "tanh"/);
  assert.doesNotMatch(script, /"variant": "relu/, 'only the variant asked for');
  assert.deepEqual([...npyBytes(new BigInt64Array([1n, 2n]), [2]).subarray(-16)], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(pyLiteral({ a: [1, true, null], b: 'x"y' }), '{\n    "a": [1, True, None],\n    "b": "x\\"y",\n}');
});
