// npm run test:electron: the in-host mocha suites (test/vscode/index.ts) in a desktop VS Code via
// @vscode/test-electron, for machines that have VS Code. It never downloads one: it uses
// $VSCODE_EXECUTABLE, or `code` on PATH, or a usual install location; without any it prints one
// line and exits 0 (here, `npm test` runs the same suites in code-server instead).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

function findVsCode() {
  const env = process.env.VSCODE_EXECUTABLE;
  if (env) return existsSync(env) ? env : null;
  const known = [
    '/usr/share/code/code', '/usr/share/code-insiders/code-insiders', '/opt/visual-studio-code/code', '/snap/code/current/usr/share/code/code',
    '/Applications/Visual Studio Code.app/Contents/MacOS/Electron',
    join(process.env.LOCALAPPDATA ?? '', 'Programs/Microsoft VS Code/Code.exe'),
  ];
  for (const k of known) if (k && existsSync(k)) return k;
  // `code` on PATH is a launcher script: follow it to the install and its Electron binary
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['code'], { encoding: 'utf8' });
  const launcher = which.status === 0 ? which.stdout.split('\n')[0].trim() : '';
  if (launcher) {
    const real = realpathSync(launcher);
    for (const cand of [join(real, '../../code'), join(real, '../../../code'), join(real, '../../Code.exe')]) if (existsSync(cand)) return cand;
  }
  return null;
}

const exe = findVsCode();
if (!exe) {
  console.log('test:electron: no VS Code on this machine (set VSCODE_EXECUTABLE to its binary); skipped — npm test runs these suites in code-server');
  process.exit(0);
}
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
const { runTests } = await import('@vscode/test-electron');
const ws = join(root, 'dist/test/ws-electron');
// the same fixtures the code-server run uses
const esbuild = await import('esbuild');
const fixturesJs = join(root, 'dist/test/vscode/fixtures-electron.cjs');
await esbuild.build({ entryPoints: [join(root, 'test/vscode/fixtures.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: fixturesJs, logLevel: 'warning' });
const { createRequire } = await import('node:module');
createRequire(import.meta.url)(fixturesJs).makeWorkspace('ws-electron');
try {
  await runTests({
    vscodeExecutablePath: exe,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'dist/test/vscode/index.js'),
    launchArgs: [ws, '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-extensions'],
    extensionTestsEnv: { MLP_LENS_TEST_OUT: join(root, 'dist/test/electron-results.json') },
  });
  console.log('test:electron: in-host tests passed');
} catch (e) {
  console.error(`test:electron: ${e.message ?? e}`);
  process.exit(1);
}
