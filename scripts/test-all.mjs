// npm test: every suite, on a fresh machine of this project's kind (Debian, root in CI).
//   1. type-check and build
//   2. unit        node --test dist/test/unit/
//   2b. python     the PyTorch bridge (python/): python3 -m unittest discover python/tests, then
//                  node --test dist/test/pytorch/ (torch against the engine and the run readers).
//                  Needs a python3 with torch (Debian: python3-torch): without one, a failure
//                  with the reason when CI=true, else a skip that says why
//   3. webview     the webview bundles in headless Chromium (Debian's chromium; apt-get installs
//                  it when missing and we are root, else a one-line reason and a failure)
//   4. vscode      a real VS Code: Node 24 + code-server installed into .cache/ when missing
//                  (test/vscode/setup.sh), the extension packed into dist/mlp-lens.vsix, then the
//                  UI tests (command palette, webview) and the in-host mocha tests. No test is
//                  run again: a red test is a real failure. Timing goals that depend on the
//                  machine's load are reported by npm run bench:vscode, not asserted here
// Every suite runs even if an earlier one failed; the last line is "N passed, N failed".
// MLP_LENS_SUITES=unit,webview runs only those suites (python: the PyTorch bridge).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const only = process.env.MLP_LENS_SUITES?.split(',').map((s) => s.trim()).filter(Boolean);
const want = (s) => !only || only.includes(s);
const results = [];
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(0)} s`;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

/** Run a node:test suite, streaming its output; count passes and failures from its summary. */
function nodeTest(name, dir) {
  return new Promise((resolve) => {
    const start = Date.now();
    const files = join(root, dir);
    if (!existsSync(files)) {
      results.push({ name, passed: 0, failed: 1, ms: 0, note: `${dir} is missing` });
      return resolve();
    }
    console.log(`\n=== ${name}: node --test ${dir}`);
    // not --test-force-exit: on Node 20 it ended a unit file before its later tests ran (15 of
    // engine.test's tests missing, nothing failed); test/vscode/harness.ts bounds its teardown
    const p = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', files], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // the runner's summary lines ("ℹ pass 33"), the last of each, read line by line as they
    // stream: the failures it lists after them can be far longer than any fixed tail
    const counts = {};
    const partial = { stdout: '', stderr: '' };
    const scan = (line) => {
      const m = /^ℹ (tests|pass|fail|cancelled) (\d+)/.exec(line);
      if (m) counts[m[1]] = Number(m[2]);
    };
    const eat = (buf, out, key) => {
      out.write(buf);
      const lines = (partial[key] + buf).split('\n');
      partial[key] = lines.pop();
      lines.forEach(scan);
    };
    p.stdout.setEncoding('utf8'); // characters whole across chunks ("ℹ" is three bytes)
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (b) => eat(b, process.stdout, 'stdout'));
    p.stderr.on('data', (b) => eat(b, process.stderr, 'stderr'));
    p.on('close', (code) => {
      scan(partial.stdout);
      scan(partial.stderr);
      const num = (k) => counts[k] ?? 0;
      let passed = num('pass'), failed = num('fail') + num('cancelled');
      if (code !== 0 && failed === 0) failed = 1; // the runner itself failed
      results.push({ name, passed, failed, ms: Date.now() - start });
      resolve();
    });
  });
}

function fail(name, note) {
  console.error(`npm test: ${note}`);
  results.push({ name, passed: 0, failed: 1, ms: 0, note });
}

const isRoot = process.getuid?.() === 0;

/** The python3 that imports torch (Debian's /usr/bin/python3 first), or null and why not. */
function torchPython() {
  const tried = [];
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
    tried.push(`${py}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return { python: null, reason: `no python3 with torch (${tried.join('; ')}); install it with: apt-get install python3-torch` };
}

/** python3 -m unittest discover python/tests, counted from its "Ran N tests" and "FAILED (...)" lines. */
function pythonUnittest(python) {
  console.log(`\n=== python: ${python} -m unittest discover -s python/tests`);
  const start = Date.now();
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' };
  const r = spawnSync(python, ['-m', 'unittest', 'discover', '-s', join(root, 'python', 'tests'), '-v'], { cwd: root, encoding: 'utf8', env });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  const out = `${r.stdout}\n${r.stderr}`;
  const ran = Number(/^Ran (\d+) tests?/m.exec(out)?.[1] ?? 0);
  const bad = /^FAILED \((.*)\)/m.exec(out)?.[1] ?? '';
  let failed = [...bad.matchAll(/(?:failures|errors)=(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
  const skipped = Number(/skipped=(\d+)/.exec(out)?.[1] ?? 0);
  if (r.status !== 0 && failed === 0) failed = 1;
  results.push({ name: 'python', passed: Math.max(0, ran - failed - skipped), failed, ms: Date.now() - start });
}

/** Debian's chromium: present, or installed with apt-get when we are root. */
function ensureChromium() {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(path)) return true;
  if (!isRoot) {
    fail('chromium', `Debian's chromium is missing (${path}); install it with: sudo apt-get install chromium`);
    return false;
  }
  console.log('\n=== installing Debian chromium (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (sh('apt-get', ['update', '-qq'], { env }) !== 0 || sh('apt-get', ['install', '-y', '-qq', 'chromium'], { env, stdio: ['ignore', 'ignore', 'inherit'] }) !== 0 || !existsSync(path)) {
    fail('chromium', 'apt-get could not install chromium');
    return false;
  }
  return true;
}

// 1. type-check and build
console.log('=== type-check and build');
if (sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.']) !== 0) fail('typecheck', 'tsc --noEmit failed');
if (sh(process.execPath, [join(root, 'scripts/build.mjs')]) !== 0) {
  fail('build', 'the build failed');
} else {
  // 2. unit
  if (want('unit')) await nodeTest('unit', 'dist/test/unit');
  // 2b. python: the PyTorch bridge
  if (want('python')) {
    const torch = torchPython();
    if (torch.python) {
      console.log(`\n=== python: torch ${torch.version} (${torch.python})`);
      pythonUnittest(torch.python);
      await nodeTest('pytorch', 'dist/test/pytorch');
    } else if (process.env.CI === 'true') {
      fail('python', torch.reason);
    } else {
      console.log(`\n=== python: skipped: ${torch.reason}`);
      results.push({ name: 'python', passed: 0, failed: 0, ms: 0, note: `skipped: ${torch.reason}` });
    }
  }
  // 3. webview
  const needBrowser = want('webview') || want('vscode');
  const browser = needBrowser ? ensureChromium() : false;
  if (want('webview') && browser) await nodeTest('webview', 'dist/test/webview');
  // 4. vscode
  if (want('vscode') && browser) {
    console.log('\n=== real VS Code: Node 24 + code-server in .cache/ (about 4 minutes the first time)');
    const setup = Date.now();
    if (sh('bash', [join(root, 'test/vscode/setup.sh')]) !== 0) fail('code-server', 'installing Node 24 and code-server failed (test/vscode/setup.sh)');
    else {
      console.log(`code-server ready (${secs(Date.now() - setup)})`);
      console.log('\n=== packing the extension: vsce package --no-dependencies');
      // vsce runs vscode:prepublish (a production build), so rebuild the test bundles after it
      const packed = sh(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--out', join(root, 'dist/mlp-lens.vsix')]) === 0;
      sh(process.execPath, [join(root, 'scripts/build.mjs')]);
      if (!packed) fail('vsix', 'vsce package failed');
      else {
        await nodeTest('vscode', 'dist/test/vscode');
      }
    }
  }
}

console.log('\n=== summary');
let passed = 0, failed = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  console.log(`${r.name.padEnd(12)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${secs(r.ms).padStart(6)}${r.note ? `  (${r.note})` : ''}`);
}
console.log(`total time ${secs(Date.now() - t0)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
