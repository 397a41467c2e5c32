/**
 * Sweeps in a real VS Code as a user meets them (code-server, the extension from the packed
 * VSIX): "MLP Lens: Train MLP" on a config with a sweep opens the Experiment panel, which fills in
 * live and ends with every run's row ("8/8 done"); an experiment the CLI trained as two shards into
 * one folder is listed in the Runs view, and its Open shows every run of both shards in the
 * Experiment panel. A long sweep trained from the palette shows its runs in the status bar, and
 * "MLP Lens: Stop Training" from the palette stops it (runs in flight "stopped", the others
 * pending, experiment.json written); its panel closed while it trains comes back from a click on
 * the status bar item, and its Stop stops it. Trained again (it resumes) and then Reload Window: the
 * Experiment panel comes back (its serializer) showing the folder as it now is, the runs the
 * reload cut off "interrupted" (or "stopped", when the extension's shutdown stopped them in time)
 * and the hint that Train MLP resumes them.
 * Screenshots: dist/test/screens/vscode-experiment-*.png.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { closeBrowser, CodeServer, ROOT, SCREEN_DIR, Workbench, ensureVsix, VSIX } from './harness';
import { makeWorkspace } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cs: CodeServer;
let wb: Workbench;
let ws: string;

before(async () => {
  ensureVsix();
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

/** The summaries of an experiment folder's runs that have one. */
function statuses(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(folder, d.name, 'summary.json')))
    .map((d) => (JSON.parse(readFileSync(join(folder, d.name, 'summary.json'), 'utf8')) as { status: string }).status);
}

/** The one experiment folder of sweep-long. */
function longFolder(): string | null {
  const runs = join(ws, '.mlp-lens/runs');
  const found = existsSync(runs) ? readdirSync(runs).filter((d) => d.endsWith('-sweep-long')) : [];
  assert.ok(found.length <= 1, found.join(', '));
  return found.length ? join(runs, found[0]!) : null;
}

async function until<T>(what: string, get: () => Promise<T> | T, ok: (v: T) => boolean, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) {
      await wb.screenshot('vscode-experiment-failure');
      throw new Error(`${what} within ${ms} ms (last: ${JSON.stringify(v)})`);
    }
    await sleep(300);
  }
}

/** Train MLP on sweep-long.mlp.json (a fresh window of editors) until its panel shows and a run trains: its folder. */
async function trainLongSweep(): Promise<string> {
  await wb.runCommand('View: Close All Editors');
  await wb.openFile('sweep-long.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const folder = (await until('the experiment folder', () => longFolder(), (f) => f !== null))!;
  await experimentFrame(/^\d\/6 done/, 6);
  await until('a run trains', () => statuses(folder), (st) => st.includes('running'));
  return folder;
}

test('a long sweep shows its runs in the status bar; Stop Training from the palette stops it', async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.openFile('sweep-long.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const bar = await until('the status bar shows the experiment', () => wb.statusBar(), (t) => /MLP Lens: \d\/6 runs/.test(t));
  assert.match(bar, /MLP Lens: [0-5]\/6 runs/);
  const folder = await until('a run trains', () => { const f = longFolder(); return f && statuses(f).includes('running') ? f : null; }, (f) => f !== null);
  await wb.page.locator('.statusbar').screenshot({ path: join(SCREEN_DIR, 'vscode-experiment-statusbar.png') });
  await wb.runCommand('MLP Lens: Stop Training');
  const f = await experimentFrame(/^\d\/6 done/, 6);
  await until('the panel says it stopped', () => f.locator('#message').innerText(), (m) => /^stopped: \d of 6 runs completed; Train MLP on sweep-long\.mlp\.json resumes it$/.test(m));
  const onDisk = statuses(folder!);
  assert.ok(onDisk.includes('stopped') && !onDisk.includes('running'), onDisk.join(','));
  const rec = JSON.parse(readFileSync(join(folder!, 'experiment.json'), 'utf8')) as { runs: { status: string }[] };
  const recorded = rec.runs.map((r) => r.status);
  assert.ok(recorded.includes('stopped') && recorded.includes('pending') && !recorded.includes('running'), recorded.join(','));
  // the status bar no longer shows a training experiment
  await until('the status bar lets the experiment go', () => wb.statusBar(), (t) => !/MLP Lens: \d\/6 runs/.test(t), 30_000);
  assert.ok(await f.locator('#stop').isHidden(), 'no Stop once it stopped');
});

test('a click on the status bar item shows the training experiment\'s panel again; its Stop stops it', async () => {
  const folder = await trainLongSweep();
  const item = wb.page.locator('.statusbar-item', { hasText: /MLP Lens: \d\/6 runs/ });
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  // the panel closed while it trains: the status bar's item brings it back, live (with Stop)
  await wb.runCommand('View: Close All Editors');
  await until('the panel closed', () => wb.page.locator('.tabs-container .tab', { hasText: 'MLP Lens: sweep-long' }).count(), (n) => n === 0, 30_000);
  await item.click();
  const f = await experimentFrame(/^\d\/6 done/, 6);
  assert.equal(await wb.page.locator('.tabs-container .tab', { hasText: 'MLP Lens: sweep-long' }).count(), 1, 'titled by the experiment');
  await f.locator('#stop').waitFor({ state: 'visible', timeout: 30_000 });
  await f.locator('#stop').click();
  await until('the panel says it stopped', () => f.locator('#message').innerText(), (m) => /^stopped: \d of 6 runs completed/.test(m));
  assert.ok(!statuses(folder).includes('running'), statuses(folder).join(','));
  await until('the status bar lets the experiment go', () => wb.statusBar(), (t) => !/MLP Lens: \d\/6 runs/.test(t), 30_000);
});

test('Reload Window: the Experiment panel comes back with its folder as it is, its unfinished runs and how to resume them', async () => {
  // resumed in its folder; reload while its runs train
  const folder = await trainLongSweep();
  await wb.runCommand('Developer: Reload Window');
  await wb.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await sleep(2000);
  // the restored panel: six rows, the runs cut off "interrupted", the hint to resume
  let f: Frame | null = null;
  let texts: { message: string; statuses: string[] } | null = null;
  await until('the restored panel shows the interrupted runs', async () => {
    try {
      f = await experimentFrame(/^\d\/6 done/, 6, 90_000);
      texts = await f.evaluate(() => ({
        message: document.getElementById('message')?.textContent ?? '',
        statuses: [...document.querySelectorAll('#runs-table tbody tr td[class*="status-"]')].map((td) => td.textContent ?? ''),
      }));
      return texts;
    } catch {
      return null; // a frame replaced while read: look again
    }
  }, (t) => !!t && t.statuses.length === 6 && !t.statuses.includes('running') && /resumes the experiment/.test(t.message), 180_000);
  assert.ok(f && texts);
  const t = texts as { message: string; statuses: string[] };
  assert.equal(t.statuses.length, 6);
  // the runs the reload cut off: "interrupted" (the extension host ended before they did) or
  // "stopped" (its shutdown stopped the pool in time); none is shown running
  assert.ok(t.statuses.some((x) => x === 'interrupted' || x === 'stopped'), t.statuses.join(','));
  console.log(`restored after the reload: ${t.statuses.join(', ')}; ${t.message}`);
  assert.match(t.message, /^\d of 6 runs not finished: .*\. Train MLP on sweep-long\.mlp\.json resumes the experiment \(completed runs are kept\)\.$/);
  assert.ok(await (f as Frame).locator('#stop').isHidden(), 'no Stop: nothing trains it now');
  const tab = wb.page.locator('.tabs-container .tab', { hasText: 'MLP Lens: sweep-long' });
  assert.equal(await tab.count(), 1, 'one tab, titled by the experiment');
  // on disk: every run not completed is one Train MLP resumes
  assert.ok(statuses(folder).filter((x) => x !== 'completed').length >= 1);
  await sleep(500);
  await wb.page.locator('.part.editor').screenshot({ path: join(SCREEN_DIR, 'vscode-experiment-restored.png') });
});
