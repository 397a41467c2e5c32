/**
 * Train MLP in a real VS Code as a user does it, with the extension installed from the packed
 * VSIX (dist/mlp-lens.vsix, `npm run package`; built here when missing):
 * 1. open examples' lecture.mlp.json, run "MLP Lens: Train MLP" from the command palette, wait
 *    for the panel, read its live state from inside the webview; every variant's heatmap fills
 *    in (the time from the command is measured cold, first webview of a fresh browser profile,
 *    and warm, and reported by npm run bench:vscode); sigmoid's first-layer gradient band is
 *    darker than ReLU's on the shared scale;
 * 2. a long run: the step counter grows, Stop in the panel, the run record on disk says
 *    "stopped", paused and stepped on the way (one step per variant per Step); screenshots in
 *    the light theme during training;
 * 3. an invalid config: an error naming the field, one Problems entry for it, no panel;
 * 4. Reload Window: the panel comes back with its run (WebviewPanelSerializer);
 * 5. a config with seeds: every run in one panel, one card per variant (its median seed), the
 *    table of final accuracies; screenshots in the light and dark themes.
 * Screenshots: dist/test/screens/vscode-*.png (the README's media/screenshots/panel.png is one of them).
 * Measured numbers: dist/test/ui-timings.json.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { closeBrowser, CodeServer, ROOT, Workbench, ensureVsix, VSIX } from './harness';
import { makeWorkspace } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cs: CodeServer;
let wb: Workbench;
let ws: string;
const timings: Record<string, unknown> = {};

before(async () => {
  ensureVsix();
  ws = makeWorkspace('ws-ui');
  cs = await CodeServer.start({ name: 'ui', vsix: VSIX, settings: { 'editor.minimap.enabled': false, 'workbench.colorTheme': 'Dark 2026' } });
  const installed = readdirSync(join(cs.dir, 'extensions'));
  assert.ok(installed.some((d) => d.startsWith('mlp-lens.mlp-lens-')), `installed from the VSIX: ${installed.join(', ')}`);
  wb = await Workbench.open(cs, { folder: ws, width: 1600, height: 1000 });
});

after(async () => {
  writeFileSync(join(ROOT, 'dist/test/ui-timings.json'), JSON.stringify(timings, null, 2));
  await wb?.close();
  await cs?.stop();
  await closeBrowser();
});

const app = (f: Frame) => f.evaluate(() => ({ ...(document.getElementById('app') as HTMLElement).dataset }));

/**
 * The way from the host's new panel to its first heatmap, from the stamps the panel writes (wallMs):
 * the panel created -> the webview's script starts, -> the host has its ready, the host builds and
 * posts the snapshot, the post -> the webview has it, decoding it, -> the first heatmap drawn.
 */
/**
 * created -> the webview's page starts, -> its script runs; and the script's fetch when it was
 * fetched (a page with the bundle inlined fetches nothing)
 */
function loadSplit(raw: string | undefined, created: number, loaded: number): Record<string, number> {
  const [doc, fetchStart, fetchEnd] = (raw ?? '').split(',').map(Number) as [number, number, number];
  if (!(doc > 0)) return {};
  const ms = (x: number) => Math.round(x * 10) / 10;
  return { createdToDocument: ms(doc - created), documentToScriptRun: ms(loaded - doc), ...(fetchStart > 0 && fetchEnd > 0 ? { scriptFetch: ms(fetchEnd - fetchStart) } : {}) };
}

function snapshotPath(d: Record<string, string | undefined>, t0: number): Record<string, number> | null {
  const t = (d.snapshotTimes ?? '').split(',').map(Number);
  if (t.length !== 5 || !t.every((x) => x > 0) || !d.loadedAt || !d.firstHeatAt) return null;
  const [created, ready, posted, received, decoded] = t as [number, number, number, number, number];
  const ms = (x: number) => Math.round(x * 10) / 10;
  return {
    commandToCreated: ms(created - t0), createdToLoad: ms(Number(d.loadedAt) - created),
    ...loadSplit(d.loadSplit, created, Number(d.loadedAt)), loadToHostReady: ms(ready - Number(d.loadedAt)), hostBuild: ms(posted - ready), postToWebview: ms(received - posted),
    decode: ms(decoded - received), toFirstHeatmap: ms(Number(d.firstHeatAt) - decoded), snapshotColumns: Number(d.snapshotColumns),
  };
}

/** Every webview frame showing the training panel now (an old, hidden panel may still be there). */
const panelFrames = () => wb.webviews((d) => d.getElementById('app')?.getAttribute('data-view') === 'panel');

/**
 * The panel showing a run other than `notRunId`, once it has columns from every variant and its
 * heatmaps are drawn (`data-first-heat-at`: the first heatmap with columns, stamped as it was
 * drawn). Every panel frame is looked at, not only the first. A frame may be replaced while it is
 * read (a webview restored after Reload Window can navigate once more): a destroyed context means
 * look again.
 */
async function panelWithData(notRunId: string | null, timeoutMs = 60_000): Promise<Frame> {
  const t0 = Date.now();
  let seen: unknown[] = [];
  for (;;) {
    const frames = await panelFrames();
    seen = [];
    for (const f of frames) {
      const a = await app(f).catch(() => null);
      let drawn: number[] | string = [];
      if (a && a.runId !== notRunId && Number(a.columns) > 0 && a.firstHeatAt) {
        drawn = await f.evaluate(() => [...document.querySelectorAll('canvas.heatmap.grad')].map((c) => (c as HTMLCanvasElement).width)).catch((e: Error) => e.message);
        if (typeof drawn !== 'string' && drawn.length >= 2 && drawn.every((w) => w > 0)) return f;
      }
      const shown = await f.evaluate(() => `${document.visibilityState} ${innerWidth}x${innerHeight}`).catch((e: Error) => e.message);
      seen.push({ ...a, heatmapWidths: drawn, shown });
    }
    if (Date.now() - t0 > timeoutMs) {
      await wb.screenshot(frames.length ? 'vscode-failure-no-data' : 'vscode-failure-no-panel');
      throw new Error(`no panel with data within ${timeoutMs} ms (panels: ${JSON.stringify(seen)})`);
    }
    await sleep(frames.length ? 100 : 250);
  }
}

/** Mean viridis position (green channel) of a heatmap's first row, right half, read inside the webview. */
function firstRowT(f: Frame, variant: number): Promise<number> {
  return f.evaluate((v) => {
    const c = document.querySelector(`canvas.heatmap.grad[data-variant="${v}"]`) as HTMLCanvasElement;
    const rows = 4;
    const d = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), 1, Math.floor(c.width / 2) - 2, Math.floor(c.height / rows) - 2).data;
    let g = 0;
    for (let i = 1; i < d.length; i += 4) g += d[i]!;
    return (g / (d.length / 4) - 1) / 230;
  }, variant);
}

test('Train MLP from the command palette: every variant updates; sigmoid\'s first-layer gradient band is darker than ReLU\'s', async () => {
  await wb.openFile('lecture.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const cold0 = Date.now();
  const f = await panelWithData(null);
  const a = await app(f);
  timings.coldFirstHeatmapMs = Number(a.firstHeatAt) - cold0;
  timings.coldWebviewLoadedMs = Number(a.loadedAt) - cold0;
  // the live state, read from inside the webview
  await f.waitForFunction(() => (document.getElementById('app') as HTMLElement).dataset.status === 'completed', undefined, { timeout: 60_000 });
  const done = await app(f);
  assert.equal(done.steps, '675');
  assert.equal(await f.locator('canvas.heatmap.grad').count(), 3);
  const tSig = await firstRowT(f, 0), tRelu = await firstRowT(f, 1);
  timings.firstLayerBand = { sigmoid: tSig, relu: tRelu };
  assert.ok(tRelu - tSig > 0.3, `hidden 1 gradient on the shared scale: sigmoid ${tSig.toFixed(2)}, relu ${tRelu.toFixed(2)}`);
  const ticks = await f.locator('#legend-gradient .legend-tick').allTextContents();
  assert.ok(ticks.length >= 2, `legend numbers: ${ticks.join(' ')}`);
  assert.match(await wb.statusBar(), /lecture: completed/);
  await wb.screenshot('vscode-lecture-dark');

  // warm: the browser's webview machinery is up, as in a VS Code that has shown a webview before
  await wb.openFile('lecture.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const warm0 = Date.now();
  const g = await panelWithData(done.runId!);
  const b = await app(g);
  timings.warmFirstHeatmapMs = Number(b.firstHeatAt) - warm0;
  timings.warmWebviewLoadedMs = Number(b.loadedAt) - warm0;
  timings.warmSnapshot = snapshotPath(await app(g), warm0);
  console.log(`command -> first heatmap: cold ${timings.coldFirstHeatmapMs} ms, warm ${timings.warmFirstHeatmapMs} ms (${JSON.stringify(timings.warmSnapshot)})`);
  // functional: the heatmap comes; its latency goal is reported by npm run bench:vscode
  assert.ok((timings.warmFirstHeatmapMs as number) < 30_000, `warm: ${timings.warmFirstHeatmapMs} ms`);
  // every variant's heatmap is drawn, not just the first
  const cols = await g.evaluate(() => [...document.querySelectorAll('canvas.heatmap.grad')].length);
  assert.equal(cols, 3);
  // two panels of the same config: their tabs are told apart by their runs' start times
  const labels = await wb.page.locator('.tabs-container .tab', { hasText: 'MLP Lens: lecture' }).allInnerTexts();
  assert.equal(labels.length, 2, labels.join(' | '));
  assert.ok(labels.every((l) => /MLP Lens: lecture \(\d\d:\d\d:\d\d\)/.test(l)) && labels[0] !== labels[1], labels.join(' | '));

  // the README screenshot: the panel alone, maximized, in the dark theme
  await g.waitForFunction(() => (document.getElementById('app') as HTMLElement).dataset.status === 'completed', undefined, { timeout: 60_000 });
  await wb.page.locator('.tabs-container .tab', { hasText: 'MLP Lens: lecture' }).last().click();
  await wb.runCommand('View: Toggle Maximize Editor Group');
  await sleep(1500);
  await wb.page.locator('.part.editor').screenshot({ path: join(ROOT, 'dist/test/screens/vscode-panel-dark.png') });
  await wb.runCommand('View: Toggle Maximize Editor Group');
});

test('a long run: the step counter grows, Stop in the panel keeps the run as "stopped" on disk (light theme)', async () => {
  await wb.runCommand('Preferences: Toggle between Light/Dark Themes');
  await wb.page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs'), undefined, { timeout: 20_000 });
  await wb.runCommand('View: Close All Editors');
  await wb.openFile('long.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const f = await panelWithData(null);
  const s1 = Number((await app(f)).steps);
  await sleep(1500);
  const s2 = Number((await app(f)).steps);
  assert.ok(s2 > s1, `the step counter grows: ${s1} -> ${s2}`);
  assert.equal((await app(f)).status, 'running');
  assert.match(await wb.statusBar(), /epoch \d+\/4000 · loss \d/);
  await wb.screenshot('vscode-training-light');
  // Pause: the counter settles where the run is held; each Step adds one step per variant
  await f.click('#pause');
  await f.waitForFunction(() => (document.getElementById('app') as HTMLElement).dataset.paused === 'true', undefined, { timeout: 20_000 });
  let held = Number((await app(f)).steps);
  for (let still = 0; still < 3; ) {
    await sleep(400);
    const now = Number((await app(f)).steps);
    still = now === held ? still + 1 : 0;
    held = now;
  }
  assert.equal(await f.textContent('#pause'), 'Resume');
  await f.click('#step');
  await f.waitForFunction((want) => Number((document.getElementById('app') as HTMLElement).dataset.steps) >= want, held + 3, { timeout: 20_000 });
  await sleep(500);
  assert.equal(Number((await app(f)).steps), held + 3, 'one Step: one more step for each of the 3 variants');
  await wb.screenshot('vscode-paused-light');
  await f.click('#pause'); // Resume
  await f.waitForFunction((after) => Number((document.getElementById('app') as HTMLElement).dataset.steps) > after + 30, held + 3, { timeout: 20_000 });
  await f.click('#stop');
  await f.waitForFunction(() => (document.getElementById('app') as HTMLElement).dataset.status === 'stopped', undefined, { timeout: 30_000 });
  const runs = join(ws, '.mlp-lens/runs');
  const dirs = readdirSync(runs).filter((d) => d.includes('-long-'));
  assert.equal(dirs.length, 3);
  for (const d of dirs) {
    const s = JSON.parse(readFileSync(join(runs, d, 'summary.json'), 'utf8'));
    assert.equal(s.status, 'stopped', d);
    assert.ok(s.steps > 0 && s.steps < s.stepsPlanned);
  }
  assert.match(await wb.statusBar(), /long: stopped/);
  assert.equal(await f.isVisible('#continue'), true, 'a stopped run offers Continue');
  await wb.screenshot('vscode-stopped-light');
});

test('an invalid config opens nothing: an error naming the field and one Problems entry for it', async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.openFile('bad.mlp.json');
  const tabs = await wb.page.locator('.tab').count();
  await wb.runCommand('MLP Lens: Train MLP');
  const note = await wb.waitForNotification(/cannot train bad\.mlp\.json/);
  assert.match(note, /\$\.lr: must be > 0 \(got -0\.1\) \(line 7\)/);
  await sleep(1000);
  assert.equal(await wb.page.locator('.tab').count(), tabs, 'no panel opened');
  await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const problems = wb.page.locator('.markers-panel .monaco-tl-row');
  await problems.first().waitFor({ state: 'visible', timeout: 10_000 });
  // one entry for the field: VS Code's JSON service checks the open config against our schema
  // (Train leaves that problem to it rather than saying it twice)
  let texts: string[] = [];
  for (let i = 0; i < 20 && !texts.some((t) => /Ln 7\b/.test(t)); i++, await sleep(250)) texts = await problems.allInnerTexts();
  assert.equal(texts.filter((t) => /Ln 7\b/.test(t)).length, 1, texts.join(' | '));
  await wb.screenshot('vscode-invalid-light');
});

test('Reload Window: the panel comes back with its run (serializer), hydrated from the run on disk', async () => {
  await wb.runCommand('View: Close All Editors');
  const dialog = await wb.dismissDialog();
  if (dialog) console.log(`closing the editors asked: ${dialog}`);
  await wb.openFile('lecture.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const f = await panelWithData(null);
  await f.waitForFunction(() => (document.getElementById('app') as HTMLElement).dataset.status === 'completed', undefined, { timeout: 60_000 });
  const before = await app(f);
  await wb.runCommand('Developer: Reload Window');
  await wb.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  // the restored panel's state, read from a frame that stays (up to three looks: see panelWithData)
  let again: Record<string, string | undefined> | null = null;
  for (let look = 0; look < 3 && !again; look++) again = await app(await panelWithData('none-before-reload', 90_000)).catch(() => null);
  assert.ok(again, 'the restored panel could be read');
  assert.equal(again.columns, before.columns, 'the same columns');
  assert.equal(again.steps, before.steps);
  assert.equal(again.status, 'completed');
  await wb.screenshot('vscode-restored-light');
});

test('a config with seeds: one panel, one card per variant with its median seed, the accuracy table (light and dark)', async () => {
  await wb.runCommand('View: Close All Editors');
  await wb.openFile('seeds.mlp.json');
  await wb.runCommand('MLP Lens: Train MLP');
  const f = await panelWithData(null);
  await f.waitForFunction(() => (document.getElementById('app') as HTMLElement).dataset.status === 'completed', undefined, { timeout: 120_000 });
  const a = await app(f);
  assert.equal(a.seedView, '2', 'the seed view');
  assert.equal(a.steps, String(6 * 6 * 15), 'six runs of 90 steps');
  assert.deepEqual(await f.locator('article.variant').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.group)), ['tanh', 'relu']);
  assert.equal(await f.locator('#seed-table tbody tr').count(), 2);
  assert.match((await f.locator('#seed-table tbody tr').first().textContent()) ?? '', /3\/3\s*0\.\d{3} ± 0\.\d{3}/);
  // the panel alone, maximized, in both themes
  const kind = () => wb.page.evaluate(() => (document.querySelector('.monaco-workbench')?.classList.contains('vs-dark') ? 'dark' : 'light'));
  await wb.page.locator('.tabs-container .tab', { hasText: 'MLP Lens: seeds' }).last().click();
  await wb.runCommand('View: Toggle Maximize Editor Group');
  await sleep(1500);
  const first = await kind();
  await wb.page.locator('.part.editor').screenshot({ path: join(ROOT, `dist/test/screens/vscode-seeds-${first}.png`) });
  await wb.runCommand('Preferences: Toggle between Light/Dark Themes');
  await wb.page.waitForFunction((k) => (document.querySelector('.monaco-workbench')?.classList.contains('vs-dark') ? 'dark' : 'light') !== k, first, { timeout: 20_000 });
  await sleep(1500);
  await wb.page.locator('.part.editor').screenshot({ path: join(ROOT, `dist/test/screens/vscode-seeds-${await kind()}.png`) });
  await wb.runCommand('View: Toggle Maximize Editor Group');
  const runs = join(ws, '.mlp-lens/runs');
  const exp = readdirSync(runs).filter((d) => d.endsWith('-seeds'));
  assert.equal(exp.length, 1, exp.join(', '));
  assert.deepEqual(readdirSync(join(runs, exp[0]!)).filter((d) => !d.startsWith('.')).sort(), ['experiment.json', 'relu_seed_0', 'relu_seed_1', 'relu_seed_2', 'tanh_seed_0', 'tanh_seed_1', 'tanh_seed_2']);
});

const WARM_REPS = Number(process.env.MLP_LENS_WARM_REPS ?? 0);
test('warm Train, repeated: the first heatmap\'s path, run after run (MLP_LENS_WARM_REPS)', {
  skip: WARM_REPS > 0 ? false : 'set MLP_LENS_WARM_REPS=N to time N more warm Trains of the lecture config (npm run bench:vscode reports them)',
}, async () => {
  let prev: string | null = null;
  const runs: unknown[] = [];
  for (let i = 0; i < WARM_REPS; i++) {
    await wb.runCommand('View: Close All Editors');
    await wb.openFile('lecture.mlp.json');
    await wb.runCommand('MLP Lens: Train MLP');
    const t0 = Date.now();
    const g = await panelWithData(prev);
    const d = await app(g);
    prev = d.runId!;
    runs.push({ firstHeatmapMs: Number(d.firstHeatAt) - t0, ...snapshotPath(d, t0) });
  }
  timings.warmRuns = runs;
  assert.equal(runs.length, WARM_REPS);
});
