// Builds one bundle per target into dist/ with esbuild. Type-checking is separate (npm run typecheck).
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const watch = process.argv.includes('--watch');
const prod = process.argv.includes('--production');

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
};

/** [entry, outfile, extra options] for every Node target that exists. */
const targets = [
  ['src/cli.ts', 'dist/cli.js', { banner: { js: '#!/usr/bin/env node' } }],
  ['src/worker.ts', 'dist/worker.js', {}],
  ['scripts/bench.ts', 'dist/bench.js', {}],
].filter(([entry]) => existsSync(join(root, entry)));

const testDir = join(root, 'test/unit');
const tests = existsSync(testDir) ? readdirSync(testDir).filter((f) => f.endsWith('.test.ts')) : [];

rmSync(join(root, 'dist/test'), { recursive: true, force: true });
const builds = [
  ...targets.map(([entry, outfile, extra]) => ({ ...node, entryPoints: [entry], outfile, ...extra })),
  ...(tests.length
    ? [{ ...node, entryPoints: tests.map((f) => `test/unit/${f}`), outdir: 'dist/test/unit', sourcemap: 'inline' }]
    : []),
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching...');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
