/**
 * The python3 that imports torch, for the PyTorch bridge's tests (python/, test/pytorch/):
 * Debian's /usr/bin/python3 first, then python3 on PATH. Without one, a test is a failure with a
 * one-line reason when CI=true, and a skip that prints the reason otherwise.
 */
import { spawnSync } from 'node:child_process';

export interface TorchPython { python: string | null; version: string; reason: string }

let found: TorchPython | null = null;

export function torchPython(): TorchPython {
  if (found) return found;
  const tried: string[] = [];
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return (found = { python: py, version: r.stdout.trim(), reason: '' });
    tried.push(`${py}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return (found = { python: null, version: '', reason: `no python3 with torch (tried ${tried.join('; ')}); install Debian's python3-torch (apt-get install python3-torch)` });
}

/** For node:test's `skip` option: false when torch is there (or in CI, where its absence fails the test). */
export function skipWithoutTorch(): string | false {
  const t = torchPython();
  if (t.python || process.env.CI === 'true') return false;
  console.log(`skipped: ${t.reason}`);
  return t.reason;
}

/** The interpreter, or a failure naming why there is none. */
export function requireTorch(): string {
  const t = torchPython();
  if (!t.python) throw new Error(t.reason);
  return t.python;
}

/** The environment for a python child: one thread each for OpenMP and OpenBLAS (a shared machine). */
export function pythonEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' };
}
