/**
 * One Problems entry per config problem: which of a refused Train's issues the host reports
 * itself, given who else reports on the config (src/host/problems-owner.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/engine/config';
import { issuesToReport, schemaBound } from '../../src/host/problems-owner';

// a schema problem (lr must be > 0) and a semantic one (variant names must be unique: a rule
// beyond the schema); in a second text, a syntax error
const text = `{
  "dataset": { "type": "iris" },
  "layers": [8],
  "variants": [{ "name": "a", "lr": -0.1 }, { "name": "a" }]
}
`;

test('issues are split by kind among the reporters', () => {
  const all = validateConfig(text, 'x.mlp.json');
  const kinds = all.map((i) => i.kind).sort();
  assert.ok(kinds.includes('schema') && kinds.includes('semantic'), `the text has both kinds: ${JSON.stringify(all)}`);
  const schemaOnes = all.filter((i) => i.kind === 'schema'), semanticOnes = all.filter((i) => i.kind === 'semantic');
  assert.deepEqual(issuesToReport(all, { jsonService: false, inspector: false }), all, 'a config no one else reports on: all ours');
  assert.deepEqual(issuesToReport(all, { jsonService: true, inspector: false }), semanticOnes);
  assert.deepEqual(issuesToReport(all, { jsonService: false, inspector: true }), schemaOnes);
  assert.deepEqual(issuesToReport(all, { jsonService: true, inspector: true }), []);
  const broken = validateConfig('{ "layers": [8] "lr": 1 }', 'x.mlp.json');
  assert.equal(broken[0]?.kind, 'syntax');
  assert.deepEqual(issuesToReport(broken, { jsonService: true, inspector: false }), [], 'the JSON service reports syntax errors');
  assert.deepEqual(issuesToReport(broken, { jsonService: false, inspector: true }), broken);
});

test('the schema is bound to *.mlp.json, as jsonValidation says', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.jsonValidation.map((v: { fileMatch: string }) => v.fileMatch), ['*.mlp.json']);
  assert.equal(schemaBound('/w/exp.mlp.json'), true);
  assert.equal(schemaBound('/w/EXP.MLP.JSON'), true);
  assert.equal(schemaBound('/w/exp.json'), false);
  assert.equal(schemaBound('/w/exp.mlp.json.bak'), false);
});
