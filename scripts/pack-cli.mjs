// Packs the engine and the `mlp-lens` CLI as an npm package of its own, without the VS Code parts:
//   node scripts/pack-cli.mjs [--out DIR]      (npm run pack:cli; DIR defaults to dist/)
// writes the staging folder DIR/cli-package/ and packs it (npm pack) into DIR/mlp-lens-cli-<version>.tgz.
// The staging folder holds:
//   package.json   generated here: name, the root package.json's version, bin, engines, files; no dependencies
//   cli.js         src/cli/main.ts bundled for production (esbuild: everything inlined, node: built-ins only)
//   webview/       the training panel's bundle (panel.js, panel.css), which `train --report` inlines
//   media/datasets/, media/mlp-config.schema.json, examples/*.mlp.json
//   README.md      packages/cli/README.md with its {{placeholders}} filled in (usage from `cli.js --help`)
//   LICENSE, THIRD_PARTY_NOTICES.md (the repository's, plus the licences of the npm packages bundled)
// cli.js finds the datasets as in the repository (findAssetDir in src/node/io.ts looks for
// media/datasets beside the bundle and in its parent folders), and the panel bundle in webview/
// beside itself (src/node/html-report.ts). Its helper thread for a second core is created from
// source text (src/node/kernel-setup.ts): no worker file to ship. The last line printed is the
// tarball's path.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
if (args.some((a, i) => a !== '--out' && i !== outArg + 1) || (outArg >= 0 && !args[outArg + 1])) {
  console.error('usage: node scripts/pack-cli.mjs [--out DIR]');
  process.exit(2);
}
const out = resolve(outArg >= 0 ? args[outArg + 1] : join(root, 'dist'));
const stage = join(out, 'cli-package');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const NAME = 'mlp-lens-cli';
const NODE_RANGE = '>=20';
const homepage = rootPkg.homepage ?? 'https://github.com/mlp-lens/mlp-lens#readme';

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// 1. the bundles
// legal comments (Chart.js's /*! ... */ licence header) stay, at the end of each bundle
const common = { bundle: true, minify: true, sourcemap: false, logLevel: 'warning', absWorkingDir: root, metafile: true };
const cli = await esbuild.build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: join(stage, 'cli.js'),
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // jsonc-parser's UMD build (its "main") loads modules by computed paths esbuild cannot follow
  mainFields: ['module', 'main'],
  banner: { js: '#!/usr/bin/env node' },
  // nothing external: a VS Code import reaching the CLI fails the build instead of the install
  external: [],
});
const panel = await esbuild.build({
  ...common,
  entryPoints: ['webview/panel/main.ts'],
  outfile: join(stage, 'webview', 'panel.js'),
  platform: 'browser',
  target: ['chrome120'],
  format: 'iife',
});
// the bundle may require Node's built-ins only: anything else would be missing once installed
const code = readFileSync(join(stage, 'cli.js'), 'utf8');
const required = [...new Set([...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]))];
const foreign = required.filter((m) => !m.startsWith('node:'));
if (foreign.length) throw new Error(`cli.js requires modules that are not Node built-ins: ${foreign.join(', ')}`);
const inputs = Object.keys(cli.metafile.inputs);
if (inputs.some((f) => /(^|\/)src\/(extension\.ts|host\/|sideview\/)/.test(f))) throw new Error(`cli.js bundles VS Code parts: ${inputs.filter((f) => /src\/(extension|host|sideview)/.test(f)).join(', ')}`);
chmodSync(join(stage, 'cli.js'), 0o755);

// 2. data, schema, examples, licences
const copy = (from, to = from) => {
  mkdirSync(join(stage, to, '..'), { recursive: true });
  copyFileSync(join(root, from), join(stage, to));
};
for (const f of readdirSync(join(root, 'media', 'datasets'))) {
  if (statSync(join(root, 'media', 'datasets', f)).isFile()) copy(join('media', 'datasets', f));
}
if (!existsSync(join(stage, 'media', 'datasets', 'digits.csv.gz'))) throw new Error('media/datasets/digits.csv.gz is missing');
copy(join('media', 'mlp-config.schema.json'));
for (const f of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.mlp.json'))) copy(join('examples', f));
copy('LICENSE');
// the repository's notices (the datasets), then the licence of every npm package bundled into
// cli.js or panel.js (jsonc-parser, Chart.js and its helpers), found from esbuild's metafiles
const bundled = new Map();
for (const f of [...inputs, ...Object.keys(panel.metafile.inputs)]) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
  if (m) bundled.set(m[1], join(root, f.slice(0, m.index + m[0].length)));
}
let notices = readFileSync(join(root, 'THIRD_PARTY_NOTICES.md'), 'utf8').trimEnd();
notices += '\n\n---\n\n# npm packages bundled into cli.js and webview/panel.js\n';
for (const [name, dir] of [...bundled].sort(([a], [b]) => a.localeCompare(b))) {
  const { version: v, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
  if (!file) throw new Error(`${name}: no licence file in ${dir}`);
  notices += `\n## ${name} ${v} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
}
writeFileSync(join(stage, 'THIRD_PARTY_NOTICES.md'), notices);

// 3. package.json
const version = rootPkg.version;
const tarball = `${NAME}-${version}.tgz`;
const pkg = {
  name: NAME,
  version,
  description: 'The MLP Lens command line: train small multi-layer perceptrons from a JSON config and see saturation and gradient flow, layer by layer. No VS Code needed.',
  keywords: ['neural network', 'mlp', 'gradient', 'vanishing gradient', 'cli'],
  license: rootPkg.license,
  homepage,
  bugs: rootPkg.bugs,
  repository: rootPkg.repository,
  type: 'commonjs',
  bin: { 'mlp-lens': 'cli.js' },
  files: ['cli.js', 'webview/', 'media/', 'examples/', 'THIRD_PARTY_NOTICES.md'],
  engines: { node: NODE_RANGE },
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

// 4. README.md from the template, its usage from the bundle itself
const help = spawnSync(process.execPath, [join(stage, 'cli.js'), '--help'], { encoding: 'utf8' });
if (help.status !== 0 || !help.stdout.includes('usage:')) throw new Error(`cli.js --help failed (exit ${help.status}): ${help.stderr}`);
const fill = { name: NAME, version, node: NODE_RANGE, homepage, tarball, usage: help.stdout.trimEnd() };
const readme = readFileSync(join(root, 'packages', 'cli', 'README.md'), 'utf8').replace(/\{\{(\w+)\}\}/g, (m, k) => {
  if (!(k in fill)) throw new Error(`packages/cli/README.md: unknown placeholder ${m}`);
  return fill[k];
});
writeFileSync(join(stage, 'README.md'), readme);

// 5. npm pack (no lifecycle scripts: the staging package has none, and npm is told so)
const npmCli = process.env.npm_execpath && /npm-cli\.[cm]?js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : null;
const packArgs = ['pack', '--pack-destination', out, '--ignore-scripts', '--json'];
const packed = npmCli
  ? spawnSync(npmCli[0], [npmCli[1], ...packArgs], { cwd: stage, encoding: 'utf8' })
  : spawnSync('npm', packArgs, { cwd: stage, encoding: 'utf8', shell: process.platform === 'win32' });
if (packed.status !== 0) throw new Error(`npm pack failed (exit ${packed.status}): ${packed.stderr || packed.error?.message}`);
const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0];
const file = join(out, info.filename);
if (basename(file) !== tarball || !existsSync(file)) throw new Error(`npm pack wrote ${info.filename}, expected ${tarball}`);
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log(`${NAME}@${version}: ${info.entryCount} files, ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked (staged in ${relative(process.cwd(), stage) || '.'})`);
console.log(file);
