/**
 * The Runs view and Compare in a real VS Code (code-server, the extension from the packed VSIX):
 * a workspace with a run made by the CLI (the diverging example) and a run folder whose summary
 * says it was made another day; Train MLP trains the lecture; the Runs view lists all three
 * configs' runs with their statuses; Compare on the old run and today's CLI training opens the
 * Compare panel showing the runs of both days; Open on a digits run shows its final weights as
 * pictures, the next page read from its model.bin. Screenshots: dist/test/screens/vscode-runs-*.png.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { closeBrowser, CodeServer, ROOT, SCREEN_DIR, Workbench, ensureVsix, VSIX } from './harness';
import { makeWorkspace } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cs: CodeServer;
let wb: Workbench;
let ws: string;

before(async () => {
  ensureVsix();
  ws = makeWorkspace('ws-runs');
  // a run made by the CLI (its default folder, .mlp-lens/runs): one variant diverges (exit 1)
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'train', 'diverging.mlp.json'], { cwd: ws, encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  const runs = join(ws, '.mlp-lens/runs');
  const tame = readdirSync(runs).find((d) => d.endsWith('-diverging-tame'))!;
  // the same run, as if made on another day: its folder and its summary say 2 March
  const old = join(runs, '2026-03-02T10-15-00-diverging-tame');
  cpSync(join(runs, tame), old, { recursive: true });
  const s = JSON.parse(readFileSync(join(old, 'summary.json'), 'utf8'));
  s.startedAt = '2026-03-02T10:15:00.000Z';
  s.finishedAt = '2026-03-02T10:15:02.000Z';
  writeFileSync(join(old, 'summary.json'), JSON.stringify(s));
  // a digits run made by the CLI: its weights as pictures when opened
  writeFileSync(join(ws, 'pictures.mlp.json'), JSON.stringify({ name: 'pictures', dataset: { type: 'digits', testFraction: 0.2, seed: 0 }, layers: [96], activation: 'relu', init: 'he_normal', lr: 0.1, batchSize: 32, epochs: 2, seed: 1 }));
  const p = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'train', 'pictures.mlp.json'], { cwd: ws, encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  cs = await CodeServer.start({ name: 'runs', vsix: VSIX, settings: { 'editor.minimap.enabled': false, 'workbench.colorTheme': 'Dark 2026' } });
  wb = await Workbench.open(cs, { folder: ws, width: 1600, height: 1000 });
});

after(async () => {
  await wb?.close();
  await cs?.stop();
  await closeBrowser();
});

const tree = () => wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^\s*Runs/ }) }).locator('.monaco-list-row');

async function rowTexts(): Promise<string[]> {
  return (await tree().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

async function waitForRows(pred: (rows: string[]) => boolean, what: string, ms = 60_000): Promise<string[]> {
  const t0 = Date.now();
  let rows: string[] = [];
  while (Date.now() - t0 < ms) {
    rows = await rowTexts();
    if (pred(rows)) return rows;
    await sleep(300);
  }
  await wb.screenshot('vscode-runs-failure');
  throw new Error(`${what}: rows ${JSON.stringify(rows)}`);
}

test('the Runs view lists the CLI\'s run, the old run and the run Train MLP makes, live', async () => {
  await wb.runCommand('Focus on Runs View');
  const first = await waitForRows((r) => r.some((t) => t.startsWith('diverging')), 'the CLI run listed');
  assert.ok(first.some((t) => /^tame.*2026-03-02/.test(t)), `the old run with its date: ${first.join(' | ')}`);
  assert.ok(first.some((t) => /2 variants · diverged/.test(t)), `today's CLI training with its status: ${first.join(' | ')}`);
  // Train MLP: the lecture appears while it trains and ends completed
  await wb.openFile('lecture.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  await wb.webview((d) => d.getElementById('app')?.getAttribute('data-view') === 'panel');
  await wb.runCommand('Focus on Runs View');
  const rows = await waitForRows((r) => r.some((t) => t.startsWith('lecture')) && r.some((t) => /3 variants · best acc/.test(t)) && !r.some((t) => /running/.test(t)), 'the lecture listed, completed', 90_000);
  assert.ok(rows.findIndex((t) => t.startsWith('lecture')) < rows.findIndex((t) => t.startsWith('diverging')), `newest first: ${rows.join(' | ')}`);
  await wb.page.locator('.part.sidebar').screenshot({ path: join(SCREEN_DIR, 'vscode-runs-view.png') });
  await wb.screenshot('vscode-runs-window');
});

test('Compare on runs of two days opens the Compare panel with both', async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Focus on Runs View');
  const old = tree().filter({ hasText: '2026-03-02' }).first();
  const today = tree().filter({ hasText: '2 variants' }).first();
  await old.click();
  await today.click({ modifiers: ['Control'] });
  await today.click({ button: 'right' });
  const item = wb.page.locator('.monaco-menu .action-item', { hasText: /^\s*Compare\s*$/ }).first();
  await item.waitFor({ state: 'visible', timeout: 10_000 });
  await wb.screenshot('vscode-runs-menu');
  await item.click();
  const f = await wb.webview((d) => d.getElementById('app')?.getAttribute('data-view') === 'compare' && d.getElementById('app')?.getAttribute('data-runs') === '3', 60_000);
  await f.waitForFunction(() => document.querySelectorAll('canvas.heatmap.grad').length === 3 && (document.getElementById('loss-chart') as HTMLCanvasElement).width > 0);
  const labels = await f.locator('#run-list .run-label').allInnerTexts();
  assert.equal(labels.length, 3, labels.join(' | '));
  assert.ok(labels.some((l) => l.includes('2026-03-02 10:15')), `the old run: ${labels.join(' | ')}`);
  const day = new Date().toISOString().slice(0, 10);
  assert.ok(labels.filter((l) => l.includes(day)).length === 2, `today's two: ${labels.join(' | ')}`);
  assert.match(await f.locator('#differs').innerText(), /variant, date/);
  await sleep(500);
  await wb.page.locator('.part.editor').screenshot({ path: join(SCREEN_DIR, 'vscode-runs-compare.png') });
  await wb.screenshot('vscode-runs-compare-window');
});

test('Open on a digits run shows its weights as pictures; Next reads the next page from model.bin', async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Focus on Runs View');
  // the config's row, then its one run's (a single-variant run is listed by its variant, "base")
  const config = tree().filter({ hasText: /pictures/ }).first();
  await config.waitFor({ state: 'visible', timeout: 30_000 });
  if (await config.getAttribute('aria-expanded') === 'false') {
    await config.click();
    await wb.page.keyboard.press('ArrowRight');
  }
  await waitForRows((rows) => rows.some((t) => /^base\s*acc/.test(t)), 'the digits run listed', 30_000);
  const row = tree().filter({ hasText: /base\s*acc/ }).first();
  const isPanel = (d: Document) => d.getElementById('app')?.getAttribute('data-view') === 'panel';
  // Open from the row's context menu (once more if no panel came: a menu can close as the view refreshes)
  for (let attempt = 0; attempt < 3 && !(await wb.webviews(isPanel)).length; attempt++) {
    await row.click();
    await row.click({ button: 'right' });
    const item = wb.page.locator('.monaco-menu .action-item', { hasText: /^\s*Open\s*$/ }).first();
    try {
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await item.click();
    } catch (e) {
      // the menu did not come, or closed before the click (the view refreshed under it)
      await wb.page.keyboard.press('Escape');
      if (attempt === 2) {
        await wb.screenshot('vscode-runs-open-menu-failure');
        throw new Error(`the run's context menu showed no Open in 3 tries: ${(e as Error).message}`);
      }
      continue;
    }
    try {
      await wb.webview(isPanel, 30_000);
    } catch {
      // no panel yet: try again
    }
  }
  // the panel's frame is looked up afresh for each step: VS Code may re-create a webview's frame
  // while it settles (a frame held across that is detached)
  const page1 = (d: Document) => d.getElementById('app')?.getAttribute('data-view') === 'panel' && /^units 0–63 of 96 at step \d+, 8×8 each/.test(d.querySelector('.weights-block .region-caption')?.textContent ?? '');
  const page2 = (d: Document) => d.getElementById('app')?.getAttribute('data-view') === 'panel' && /^units 64–95 of 96/.test(d.querySelector('.weights-block .region-caption')?.textContent ?? '') && (d.querySelector('.weights-block .weights-bar button:nth-child(2)') as HTMLButtonElement | null)?.disabled === true;
  const fail = async (e: unknown): Promise<never> => {
    await wb.screenshot('vscode-runs-weights-failure');
    const panels = await wb.webviews(isPanel);
    const text = panels.length ? (await panels[0]!.locator('body').innerText().catch(() => '(detached)')).slice(0, 600) : '(no panel)';
    throw new Error(`${(e as Error).message}; ${panels.length} panel(s): ${text}`);
  };
  const f1 = await wb.webview(page1, 60_000).catch(fail);
  await f1.locator('.weights-block').first().screenshot({ path: join(SCREEN_DIR, 'vscode-runs-weights-page1.png') }).catch(() => undefined);
  // Next (again on a fresh frame if the first was detached before the click landed)
  for (let attempt = 0; attempt < 3 && !(await wb.webviews(page2)).length; attempt++) {
    const f = await wb.webview(isPanel, 30_000).catch(fail);
    await f.locator('.weights-block').first().getByRole('button', { name: 'Next ›' }).click({ timeout: 10_000 }).catch(() => undefined);
    await wb.webview(page2, 20_000).catch(() => undefined);
  }
  const f2 = await wb.webview(page2, 10_000).catch(fail);
  const block = f2.locator('.weights-block').first();
  await block.screenshot({ path: join(SCREEN_DIR, 'vscode-runs-weights-page2.png') }).catch(() => undefined);
});
