// Builds one bundle per target into dist/ with esbuild. Type-checking is separate (npm run typecheck).
//   src/extension.ts -> dist/extension.js, src/cli/main.ts -> dist/cli.js,
//   src/node/worker.ts -> dist/worker.js, src/node/inspect-worker.ts -> dist/inspect-worker.js,
//   scripts/bench.ts, bench-cli.ts, bench-inspect.ts, bench-pool.ts, bench-regions.ts,
//   bench-percentiles.ts -> dist/bench*.js,
//   scripts/bench-panel.ts -> dist/test/bench/panel.js
//   webview/<name>/main.ts -> dist/webview/<name>.js (browser, IIFE)
//   test/<suite>/*.test.ts -> dist/test/<suite>/*.test.js (node test runner suites)
//   test/vscode/index.ts -> dist/test/vscode/index.js (mocha inside the extension host)
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const watch = process.argv.includes('--watch');
const prod = process.argv.includes('--production');
const has = (p) => existsSync(join(root, p));
const dirs = (p) => (has(p) ? readdirSync(join(root, p)).filter((d) => statSync(join(root, p, d)).isDirectory()) : []);
const files = (p, suffix) => (has(p) ? readdirSync(join(root, p)).filter((f) => f.endsWith(suffix)) : []);

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: prod ? false : 'linked',
  minify: prod,
  logLevel: 'warning',
  absWorkingDir: root,
  // jsonc-parser's UMD build (its "main") loads modules by computed paths esbuild cannot follow
  mainFields: ['module', 'main'],
  external: ['vscode'],
};

const browser = {
  ...node,
  platform: 'browser',
  target: ['chrome120'],
  format: 'iife',
  external: [],
};

// The kernel modules' bytes, generated now by src/engine/wasm/runtime.ts itself, for the bundles
// to compile without generating them at start-up (src/engine/wasm/prebuilt.ts). Not in --watch:
// an edited kernel would keep the bytes of the start.
if (!watch) {
  const gen = await esbuild.build({ ...node, sourcemap: false, minify: false, entryPoints: ['src/engine/wasm/runtime.ts'], write: false });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', gen.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
  const bytes = {};
  for (const shared of [false, true]) bytes[`true/${shared}`] = Buffer.from(mod.exports.generateKernelBytes(true, shared)).toString('base64');
  node.define = { MLP_LENS_KERNEL_BYTES: JSON.stringify(bytes) };
}

const builds = [];
for (const [entry, outfile, extra] of [
  ['src/cli/main.ts', 'dist/cli.js', { banner: { js: '#!/usr/bin/env node' } }],
  ['src/node/worker.ts', 'dist/worker.js', {}],
  ['src/extension.ts', 'dist/extension.js', {}],
  ['scripts/bench.ts', 'dist/bench.js', {}],
  ['scripts/bench-cli.ts', 'dist/bench-cli.js', {}],
  ['src/node/inspect-worker.ts', 'dist/inspect-worker.js', {}],
  ['scripts/bench-inspect.ts', 'dist/bench-inspect.js', {}],
  ['scripts/bench-pool.ts', 'dist/bench-pool.js', {}],
  ['scripts/bench-regions.ts', 'dist/bench-regions.js', {}],
  ['scripts/bench-percentiles.ts', 'dist/bench-percentiles.js', {}],
  // beside the webview tests: the harness finds the repository from its own folder
  ['scripts/bench-panel.ts', 'dist/test/bench/panel.js', { external: ['vscode', 'playwright-core'] }],
  // mocha and playwright-core load their own files at run time: keep them external for tests
  ['test/vscode/index.ts', 'dist/test/vscode/index.js', { external: ['vscode', 'mocha'] }],
]) {
  if (has(entry)) builds.push({ ...node, entryPoints: [entry], outfile, ...extra });
}
for (const name of dirs('webview')) {
  if (has(`webview/${name}/main.ts`)) builds.push({ ...browser, entryPoints: [`webview/${name}/main.ts`], outfile: `dist/webview/${name}.js` });
}
for (const suite of dirs('test')) {
  const tests = files(`test/${suite}`, '.test.ts');
  if (!tests.length) continue;
  rmSync(join(root, `dist/test/${suite}`), { recursive: true, force: true });
  builds.push({ ...node, entryPoints: tests.map((f) => `test/${suite}/${f}`), outdir: `dist/test/${suite}`, sourcemap: 'inline', external: ['vscode', 'playwright-core', 'mocha'] });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching...');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
