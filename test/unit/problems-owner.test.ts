/**
 * One Problems entry per config problem: which of a refused Train's issues the host reports
 * itself, given who else reports on the config (src/host/problems-owner.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/engine/config';
import { CONFIG_FILE_GLOB, issuesToReport, schemaBound } from '../../src/host/problems-owner';

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

/**
 * A jsonValidation fileMatch glob as VS Code's JSON language service matches it against a document
 * URI: case-sensitively (vscode-json-languageservice's FilePatternAssociation puts a globstar
 * segment before the pattern and calls createRegex with extended and globstar on, no flags), for
 * the globs we use: `*`, `**`, `[...]` and literals.
 */
function jsonServiceMatches(fileMatch: string, uri: string): boolean {
  let re = '';
  const glob = `**/${fileMatch.replace(/^\//, '')}`;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') { re += '((?:[^/]*(?:/|$))*)'; i += glob[i + 2] === '/' ? 2 : 1; }
      else re += '([^/]*)';
    } else if (c === '[' || c === ']') re += c;
    else re += c.replace(/[.+^$()=!|{},/?\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(uri);
}

test('the schema is bound to *.mlp.json in any case, as jsonValidation says', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.jsonValidation.map((v: { fileMatch: string }) => v.fileMatch), [CONFIG_FILE_GLOB]);
  const names = ['exp.mlp.json', 'EXP.MLP.JSON', 'X.MLP.JSON', 'Lecture.Mlp.Json', 'a.b.mlp.json', '.mlp.json',
    'exp.json', 'mlp.json', 'exp.mlp.json.bak', 'exp.mlpjson', 'exp-mlp.json', 'exp.mlp.jsonc'];
  for (const name of names) {
    const bound = jsonServiceMatches(CONFIG_FILE_GLOB, `file:///w/dir/${name}`);
    assert.equal(schemaBound(`/w/dir/${name}`), bound, `${name}: schemaBound says ${!bound}, the JSON service ${bound}`);
    assert.equal(schemaBound(name), bound, name);
  }
  assert.equal(schemaBound('/w/X.MLP.JSON'), true);
  assert.equal(schemaBound('/w/exp.mlp.json'), true);
  assert.equal(schemaBound('/w/exp.json'), false);
  assert.equal(schemaBound('/w/exp.mlp.json.bak'), false);
  // the plain pattern would miss upper case: that is why the glob spells the case out
  assert.equal(jsonServiceMatches('*.mlp.json', 'file:///w/X.MLP.JSON'), false);
  assert.equal(jsonServiceMatches('*.mlp.json', 'file:///w/x.mlp.json'), true);
});

test('the editor-title and explorer menus show Train and Stop on configs in any case', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  const menus = [...pkg.contributes.menus['editor/title'], ...pkg.contributes.menus['explorer/context']] as { command: string; when: string }[];
  const configMenus = menus.filter((m) => m.when.includes('resourceFilename =~'));
  assert.equal(configMenus.length, 3);
  for (const m of configMenus) {
    const [, body, flags] = /resourceFilename =~ \/(.+?)\/([a-z]*)/.exec(m.when)!;
    const re = new RegExp(body!, flags);
    for (const name of ['exp.mlp.json', 'X.MLP.JSON', 'exp.json', 'exp.mlp.json.bak']) {
      assert.equal(re.test(name), schemaBound(name), `${m.command} (${m.when}) on ${name}`);
    }
  }
  // VS Code matches the languages contribution's filenamePatterns on the lower-cased name
  assert.deepEqual(pkg.contributes.languages, [{ id: 'jsonc', filenamePatterns: ['*.mlp.json'] }]);
});
