/**
 * The CLI as its own npm package (scripts/pack-cli.mjs, `npm run pack:cli`): packed into a temp
 * folder, installed from the tarball with `npm install -g --prefix <tmp>` (offline: the package
 * has no dependencies), then its `mlp-lens` bin run from a folder outside the repository on a copy
 * of the lecture example, whose digits come from the datasets shipped in the package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ROOT, show, tmp } from '../support/cli';

const WIN = process.platform === 'win32';

/** npm: the one running us (npm test), else the one on PATH. */
function npm(args: string[], opts: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'>): SpawnSyncReturns<string> {
  const execPath = process.env.npm_execpath;
  const o: SpawnSyncOptionsWithStringEncoding = { timeout: 60_000, ...opts, encoding: 'utf8' };
  return execPath && /npm-cli\.[cm]?js$/.test(execPath)
    ? spawnSync(process.execPath, [execPath, ...args], o)
    : spawnSync('npm', args, { ...o, shell: WIN });
}

/** Every file under `dir`, relative, with forward slashes. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

test('the packed CLI installs from its tarball and trains outside the repository', { timeout: 120_000 }, () => {
  const t0 = Date.now();
  const work = tmp('mlp-lens-clipkg-');
  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  // pack
  const out = join(work, 'out');
  const pack = spawnSync(process.execPath, [join(ROOT, 'scripts', 'pack-cli.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(pack.status, 0, show(pack));
  const tarball = pack.stdout.trim().split('\n').pop()!;
  assert.equal(tarball, join(out, `mlp-lens-cli-${rootPkg.version}.tgz`), show(pack));
  assert.ok(existsSync(tarball), tarball);

  // install, offline, into a prefix of its own (and a cache of its own: nothing of the user's npm is touched)
  const prefix = join(work, 'prefix');
  const env = { ...process.env, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_loglevel: 'warn' };
  const install = npm(['install', '-g', '--prefix', prefix, tarball, '--offline', '--no-audit', '--no-fund'], { cwd: work, env });
  assert.equal(install.status, 0, show(install));
  const pkgDir = WIN ? join(prefix, 'node_modules', 'mlp-lens-cli') : join(prefix, 'lib', 'node_modules', 'mlp-lens-cli');
  const bin = WIN ? join(prefix, 'mlp-lens.cmd') : join(prefix, 'bin', 'mlp-lens');
  assert.ok(existsSync(bin), `${bin} is missing after the install:\n${show(install)}`);

  // what was installed: the bundle, the panel for --report, the data; no VS Code parts, no source maps
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'mlp-lens-cli');
  assert.equal(pkg.version, rootPkg.version);
  assert.deepEqual(pkg.bin, { 'mlp-lens': 'cli.js' });
  assert.equal(pkg.engines.node, '>=20');
  assert.equal(pkg.license, 'MIT');
  assert.equal(pkg.dependencies, undefined);
  const files = tree(pkgDir);
  for (const f of ['cli.js', 'package.json', 'README.md', 'LICENSE', 'THIRD_PARTY_NOTICES.md', 'webview/panel.js', 'webview/panel.css',
    'media/mlp-config.schema.json', 'examples/lecture.mlp.json', ...readdirSync(join(ROOT, 'media', 'datasets')).map((d) => `media/datasets/${d}`)]) {
    assert.ok(files.includes(f), `${f} is not in the package: ${files.join(', ')}`);
  }
  assert.deepEqual(files.filter((f) => /\.map$|extension\.js|worker\.js|^src\/|^test\//.test(f)), []);
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  assert.doesNotMatch(readme, /\{\{\w+\}\}/, 'every placeholder of packages/cli/README.md is filled');
  assert.match(readme, /mlp-lens train <config\.mlp\.json>/);

  // run it from a folder outside the repository
  const run = join(work, 'run');
  mkdirSync(run);
  assert.ok(relative(ROOT, run).startsWith('..'), `the run folder ${run} is inside the repository`);
  const mlpLens = (args: string[]) => spawnSync(bin, args, { cwd: run, encoding: 'utf8', timeout: 60_000, shell: WIN });

  const help = mlpLens(['--help']);
  assert.equal(help.status, 0, show(help));
  assert.match(help.stdout, /usage:\n {2}mlp-lens train <config\.mlp\.json>/);
  const bad = mlpLens(['frobnicate']);
  assert.equal(bad.status, 2, show(bad));
  assert.match(bad.stderr, /unknown command 'frobnicate'/);

  // the lecture example: builtin digits, found in the package's media/datasets
  const lecture = JSON.parse(readFileSync(join(ROOT, 'examples', 'lecture.mlp.json'), 'utf8'));
  assert.equal(lecture.dataset.type, 'digits', 'the lecture example trains on the shipped digits');
  copyFileSync(join(ROOT, 'examples', 'lecture.mlp.json'), join(run, 'lecture.mlp.json'));
  const train = mlpLens(['train', 'lecture.mlp.json', '--epochs', '1', '--out', 'runs', '--report', 'report.html']);
  assert.equal(train.status, 0, show(train));
  const variants: string[] = lecture.variants.map((v: { name: string }) => v.name);
  assert.equal(variants.length, 3);
  for (const v of variants) assert.ok(train.stdout.includes(`== ${v}:`), `the output names variant ${v}:\n${show(train)}`);
  const records = readdirSync(join(run, 'runs')).sort();
  assert.equal(records.length, variants.length, `one run record per variant: ${records.join(', ')}`);
  const summaries = records.map((d) => JSON.parse(readFileSync(join(run, 'runs', d, 'summary.json'), 'utf8')));
  assert.deepEqual(summaries.map((s) => s.variant).sort(), [...variants].sort());
  for (const s of summaries) {
    assert.equal(s.status, 'completed', JSON.stringify(s));
    assert.equal(s.epochs, 1);
    assert.equal(s.configFile, join(run, 'lecture.mlp.json'));
  }
  for (const d of records) assert.ok(train.stdout.includes(`run record: ${join('runs', d)}`), `the output names run record ${d}`);
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  assert.match(html, /^<!DOCTYPE html>/i);
  assert.ok(html.length > 100_000, `the report inlines the panel bundle (${html.length} chars)`);
  console.log(`# cli-package: pack + install + help + train in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
