/** Running the built CLI (dist/cli.js) from tests, in throw-away folders. */
import { after } from 'node:test';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// test bundles live in dist/test/<suite>/: the repository root is three levels up
export const ROOT = resolve(__dirname, '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

const TMP_DIRS: string[] = [];

/** A fresh temp folder; all are removed after the tests unless MLP_LENS_KEEP_TMP=1 (to inspect failures). */
export function tmp(prefix = 'mlp-lens-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  TMP_DIRS.push(dir);
  return dir;
}

after(() => {
  if (process.env.MLP_LENS_KEEP_TMP === '1') return;
  for (const dir of TMP_DIRS) rmSync(dir, { recursive: true, force: true });
});

export function cli(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
}

/** Everything a failed CLI call said, for assertion messages. */
export function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}${r.error ? `\n--- error\n${r.error.message}` : ''}`;
}
