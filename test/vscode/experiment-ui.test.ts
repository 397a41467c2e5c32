/**
 * Sweeps in a real VS Code as a user meets them (code-server, the extension from the packed
 * VSIX): "MLP Lens: Train MLP" on a config with a sweep opens the Experiment panel, which fills in
 * live and ends with every run's row ("8/8 done"); an experiment the CLI trained as two shards into
 * one folder is listed in the Runs view, and its Open shows every run of both shards in the
 * Experiment panel. Screenshots: dist/test/screens/vscode-experiment-*.png.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { closeBrowser, CodeServer, ROOT, SCREEN_DIR, Workbench } from './harness';
import { makeWorkspace } from './fixtures';

const VSIX = join(ROOT, 'dist/mlp-lens.vsix');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cs: CodeServer;
let wb: Workbench;
let ws: string;

before(async () => {
  if (!existsSync(VSIX) || statSync(VSIX).mtimeMs < statSync(join(ROOT, 'dist/extension.js')).mtimeMs - 60_000) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--out', VSIX], { cwd: ROOT, stdio: 'pipe' });
  }
  ws = makeWorkspace('ws-experiment-ui');
  // two shards of the sweep, in two processes at once, into one folder the Runs view lists
  const shard = (i: number) => new Promise<number | null>((resolve) => {
    spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'train', 'sweep.mlp.json', '--out', '.mlp-lens/runs/sharded', '--shard', `${i}/2`, '--jobs', '1'], { cwd: ws, stdio: 'ignore' }).on('exit', resolve);
  });
  assert.deepEqual(await Promise.all([shard(1), shard(2)]), [0, 0]);
  cs = await CodeServer.start({ name: 'experiment-ui', vsix: VSIX, settings: { 'editor.minimap.enabled': false, 'workbench.colorTheme': 'Dark 2026' } });
  wb = await Workbench.open(cs, { folder: ws, width: 1600, height: 1000 });
});

after(async () => {
  await wb?.close();
  await cs?.stop();
  await closeBrowser();
});

/** The Experiment panel whose progress reads `progress`, once it has that many rows. */
async function experimentFrame(progress: RegExp, rows: number, ms = 120_000): Promise<Frame> {
  const t0 = Date.now();
  for (;;) {
    const frames = await wb.webviews((d) => d.getElementById('app')?.getAttribute('data-view') === 'experiment');
    for (const f of frames) {
      try {
        const state = await f.evaluate(() => ({ progress: document.getElementById('progress')?.textContent ?? '', rows: document.querySelectorAll('#runs-table tbody tr').length }));
        if (progress.test(state.progress) && state.rows === rows) return f;
      } catch {
        // a frame replaced while read: look again
      }
    }
    if (Date.now() - t0 > ms) {
      await wb.screenshot('vscode-experiment-failure');
      throw new Error(`no Experiment panel with ${rows} rows and progress ${progress}`);
    }
    await sleep(300);
  }
}

test('Train MLP on a sweep opens the Experiment panel: every run, live, then done', async () => {
  await wb.openFile('sweep.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const f = await experimentFrame(/^8\/8 done/, 8);
  const names = await f.locator('#runs-table tbody tr td:first-child').allInnerTexts();
  assert.equal(new Set(names).size, 8, names.join(' | '));
  assert.ok(names.includes('relu layers=16x16x16 seed=1'), names.join(' | '));
  await f.locator('#heatmap').waitFor({ state: 'visible' });
  assert.match(await f.locator('#heatmap').getAttribute('aria-label') ?? '', /^test accuracy over variant and layers/);
  await sleep(300);
  await wb.page.locator('.part.editor').screenshot({ path: join(SCREEN_DIR, 'vscode-experiment-panel.png') });
});

test('the Runs view opens the two shards\' folder as one experiment with every run', async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Focus on Runs View');
  const tree = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^\s*Runs/ }) }).locator('.monaco-list-row');
  const row = tree.filter({ hasText: 'sharded' }).or(tree.filter({ hasText: /experiment · 8\/8 completed/ })).first();
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  // the experiment trained by the CLI: its row says 8/8; two experiments of "sweep" may be listed
  const rows = tree.filter({ hasText: /experiment · 8\/8 completed/ });
  assert.ok(await rows.count() >= 1);
  // its inline Open (the row's first action button)
  const target = rows.last();
  await target.click();
  await target.hover();
  const open = target.locator('.action-label[aria-label="Open"]');
  await open.waitFor({ state: 'visible', timeout: 10_000 });
  await wb.screenshot('vscode-experiment-runs-view');
  await open.click();
  const f = await experimentFrame(/^8\/8 done/, 8);
  const statuses = await f.locator('#runs-table tbody tr td[class*="status-"]').allInnerTexts();
  assert.deepEqual(statuses, Array(8).fill('completed'));
  await sleep(300);
  await wb.page.locator('.part.editor').screenshot({ path: join(SCREEN_DIR, 'vscode-experiment-shards.png') });
  await wb.screenshot('vscode-experiment-window');
});
