/**
 * The source tree's rules, read from the files themselves (not the bundles):
 * - which runtime each folder's code runs in, and so what it may import:
 *     src/engine/, src/shared/   pure: no vscode, no node:* (nor bare Node built-ins); the engine
 *                                imports only the engine (and JSON data from media/), shared code
 *                                the engine and itself (other folders' types only);
 *     src/node/, src/runs/, src/cli/   Node: no vscode;
 *     webview/                   the browser: no vscode, no node:*; values only from webview/,
 *                                src/shared/ and src/engine/ (host code as types only);
 * - at most two loose files in src/ (the entry points);
 * - no import cycle anywhere in src/ and webview/, `import type` included;
 * - no source file over 600 lines.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'src', 'engine'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above ' + __dirname);
    dir = up;
  }
  return dir;
}
const root = repoRoot();

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Import { spec: string; typeOnly: boolean; line: number }

/** Every import, export-from, require() and import() of a file, with whether it is types only. */
export function importsOf(text: string): Import[] {
  const out: Import[] = [];
  // comments out (keeping line breaks), so an example in a comment is not an import
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1');
  const lineAt = (i: number) => code.slice(0, i).split('\n').length;
  const stmt = /\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m; (m = stmt.exec(code)); ) {
    if (m[4] !== undefined) {
      const names = m[3];
      // `import { type A, type B }` is types only too
      const allTypes = /^\{[^}]*\}$/.test(names.trim()) && names.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type'));
      out.push({ spec: m[4], typeOnly: Boolean(m[2]) || allTypes, line: lineAt(m.index) });
    } else out.push({ spec: m[5] ?? m[6], typeOnly: false, line: lineAt(m.index) });
  }
  return out;
}

const nodeBuiltins = new Set(builtinModules);
const isNode = (spec: string) => spec.startsWith('node:') || nodeBuiltins.has(spec.split('/')[0]);

/** The repository file a relative import names, or null for a package. */
function target(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(root, dirname(from), spec);
  for (const c of [base + '.ts', join(base, 'index.ts'), base]) if (existsSync(c) && statSync(c).isFile()) return relative(root, c);
  throw new Error(`${from}: import '${spec}' names no file`);
}

const files = [...sourceFiles('src'), ...sourceFiles('webview')];
const graph = new Map(files.map((f) => [f, importsOf(readFileSync(join(root, f), 'utf8')).map((i) => ({ ...i, file: target(f, i.spec) }))]));
/** data the bundler inlines (the JSON schema) */
const isData = (f: string) => under(f, 'media') && f.endsWith('.json');
const under = (f: string, ...dirs: string[]) => dirs.some((d) => f.startsWith(d + '/'));

/** Every import that breaks its folder's runtime rule, as "file:line imports spec". */
export function boundaryViolations(g: typeof graph): string[] {
  const bad: string[] = [];
  for (const [f, imports] of g) {
    for (const i of imports) {
      const say = () => bad.push(`${f}:${i.line} imports '${i.spec}'`);
      if (under(f, 'src/engine', 'src/shared')) {
        if (i.spec === 'vscode' || isNode(i.spec)) say();
        else if (!i.file || isData(i.file)) continue;
        else if (under(f, 'src/engine') && !under(i.file, 'src/engine')) say();
        else if (!i.typeOnly && !under(i.file, 'src/engine', 'src/shared')) say();
      } else if (under(f, 'src/node', 'src/runs', 'src/cli')) {
        if (i.spec === 'vscode' || (i.file && under(i.file, 'src/host', 'src/sideview'))) say();
      } else if (under(f, 'webview')) {
        if (i.spec === 'vscode' || isNode(i.spec)) say();
        else if (i.file && !i.typeOnly && !under(i.file, 'webview', 'src/shared', 'src/engine')) say();
      }
    }
  }
  return bad;
}

/** The import cycles among repository files (type imports included), each as a path a -> ... -> a. */
export function cycles(g: Map<string, { file: string | null }[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const { file } of g.get(f) ?? []) {
      if (!file || !g.has(file)) continue;
      if (state.get(file) === 'open') found.push([...stack.slice(stack.indexOf(file)), file].join(' -> '));
      else if (!state.has(file)) visit(file);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

test('the import scanner sees value and type imports, and not imports in comments', () => {
  const imps = importsOf([
    "import * as fs from 'node:fs';",
    "import type { A } from './a';",
    "import { type B, type C } from './b';",
    "import { d, type E } from './d';",
    "export { f } from './f';",
    "// import x from 'vscode';",
    "/* import y from 'vscode'; */",
    "const w = require('worker_threads');",
  ].join('\n'));
  assert.deepEqual(imps.map((i) => [i.spec, i.typeOnly, i.line]), [
    ['node:fs', false, 1], ['./a', true, 2], ['./b', true, 3], ['./d', false, 4], ['./f', false, 5], ['worker_threads', false, 8],
  ]);
});

test('each folder imports only what its runtime has', () => {
  assert.deepEqual(boundaryViolations(graph), []);
});

test('the boundary check fails when an engine file imports node:fs or a webview imports host code', () => {
  const engineFile = 'src/engine/rng.ts';
  const webviewFile = files.find((f) => f.startsWith('webview/'))!;
  const g = new Map(graph);
  g.set(engineFile, [...graph.get(engineFile)!, { spec: 'node:fs', typeOnly: false, line: 1, file: null }]);
  g.set(webviewFile, [...graph.get(webviewFile)!, { spec: '../../src/host/panel', typeOnly: false, line: 1, file: 'src/host/panel.ts' }]);
  g.set('src/shared/protocol.ts', [...graph.get('src/shared/protocol.ts')!, { spec: 'vscode', typeOnly: true, line: 1, file: null }]);
  assert.deepEqual(boundaryViolations(g).sort(), [
    `${engineFile}:1 imports 'node:fs'`,
    `${webviewFile}:1 imports '../../src/host/panel'`,
    "src/shared/protocol.ts:1 imports 'vscode'",
  ].sort());
});

test('no import cycles in src/ and webview/', () => {
  assert.deepEqual(cycles(graph), []);
  // and the check sees one
  assert.deepEqual(cycles(new Map([['a', [{ file: 'b' }]], ['b', [{ file: 'a' }]]])), ['a -> b -> a']);
});

test('src/ has at most two loose files', () => {
  const loose = readdirSync(join(root, 'src')).filter((n) => statSync(join(root, 'src', n)).isFile());
  assert.ok(loose.length <= 2, `loose files in src/: ${loose.join(', ')}`);
});

test('no source file over 600 lines', () => {
  const long = files.map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 600);
  assert.deepEqual(long, []);
});
