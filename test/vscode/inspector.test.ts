/**
 * The side view in a real VS Code (code-server 1.139, headless Chromium), used as a user would:
 * 1. no config open: the view's empty state with its New Experiment Config action;
 * 2. open the lecture config: the view shows its architecture and the engine's numbers (the same
 *    numbers this test computes in-process for the same text), warnings also in Problems;
 * 3. change relu to sigmoid in the editor (find/replace, typed): the saturation/gain numbers change;
 * 4. break the JSON: a diagnostic appears, the view keeps the last result marked stale; fix it;
 * 5. the MNIST and digits lecture configs: update latency from the last keystroke to the view on screen.
 * Screenshots: dist/test/screens/inspector-vscode-*.png and sideview.png (MLP_LENS_README_SHOTS=1:
 * also media/screenshots/sideview.png and media/walkthrough/inspector.png).
 * Measured latencies go to dist/test/inspector-latency.json.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { InspectSession, type InspectOutcome } from '../../src/engine/inspect/session';
import { nodeDataIO } from '../../src/node/io';
import { closeBrowser, CodeServer, ROOT, SCREEN_DIR, Workbench } from './harness';

const WS = join(ROOT, 'dist/test/ws-inspector');
const strip = (t: string) => t.replace(/^\s*"\$schema":.*\n/m, '');
const LECTURE = strip(readFileSync(join(ROOT, 'examples/lecture.mlp.json'), 'utf8'));
const MNIST = strip(readFileSync(join(ROOT, 'examples/lecture-mnist.mlp.json'), 'utf8'));
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

let cs: CodeServer;
let wb: Workbench;
const session = new InspectSession((f) => nodeDataIO(dirname(f), join(ROOT, 'media/datasets')));

async function engine(text: string, file: string) {
  const o: InspectOutcome = await session.run(text, file);
  assert.equal(o.kind, 'ok');
  if (o.kind !== 'ok') throw new Error('not ok');
  return o.inspection;
}

before(async () => {
  rmSync(WS, { recursive: true, force: true });
  mkdirSync(WS, { recursive: true });
  writeFileSync(join(WS, 'lecture.mlp.json'), LECTURE);
  writeFileSync(join(WS, 'lecture-mnist.mlp.json'), MNIST);
  writeFileSync(join(WS, 'latency-digits.mlp.json'), LECTURE);
  cs = await CodeServer.start({ name: 'inspector', settings: { 'editor.minimap.enabled': false, 'workbench.sideBar.location': 'left', 'editor.codeLens': true } });
  wb = await Workbench.open(cs, { folder: WS, extensionDevelopmentPath: ROOT, width: 1500, height: 950 });
});

after(async () => {
  await wb?.close();
  await cs?.stop();
  await closeBrowser();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The inspector's frame (found again each time: VS Code may recreate it). */
function inspector(match = "d.getElementById('app')?.dataset.view === 'inspector'"): Promise<Frame> {
  return wb.webview(new Function('d', `return ${match}`) as (d: Document) => boolean, 60_000);
}

async function openFile(name: string): Promise<void> {
  await wb.page.keyboard.press('Escape');
  await wb.page.keyboard.press('Control+P');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await wb.page.keyboard.type(name, { delay: 10 });
  const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible' });
  await wb.page.keyboard.press('Enter');
  await wb.page.locator(`.tab[aria-label*="${name}"]`).first().waitFor({ state: 'visible', timeout: 20_000 });
}

/**
 * Replace the first `find` with `replace` in the active editor with the find/replace widget (typed).
 * Returns the time of the last keystroke as the test saw it (t) and as the browser stamped it (keyAt).
 */
async function replaceInEditor(find: string, replace: string): Promise<{ t: number; keyAt: number }> {
  const p = wb.page;
  await p.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await p.keyboard.press('Control+Home');
  await p.keyboard.press('Control+H');
  const findBox = p.locator('.find-widget .find-part textarea, .find-widget .find-part input').first();
  await findBox.waitFor({ state: 'visible' });
  await p.keyboard.press('Control+A');
  await p.keyboard.type(find, { delay: 5 });
  const replaceBox = p.locator('.find-widget .replace-part textarea, .find-widget .replace-part input').first();
  await replaceBox.click();
  await p.keyboard.press('Control+A');
  await p.keyboard.type(replace, { delay: 5 });
  // the browser's own time of the Enter that makes the edit (ms since the epoch), beside the
  // test's: the webview stamps when it drew the view on the same clock (render.ts)
  await p.evaluate(() => {
    const w = window as unknown as { mlpLensEnterAt?: number; mlpLensKeyHook?: boolean };
    w.mlpLensEnterAt = 0;
    if (w.mlpLensKeyHook) return;
    w.mlpLensKeyHook = true;
    window.addEventListener('keydown', (e) => { if (e.key === 'Enter') w.mlpLensEnterAt = performance.timeOrigin + e.timeStamp; }, true);
  });
  await p.keyboard.press('Enter'); // replace this match
  const t = Date.now();
  const keyAt = await p.evaluate(() => (window as unknown as { mlpLensEnterAt?: number }).mlpLensEnterAt ?? 0);
  await p.keyboard.press('Escape');
  return { t, keyAt };
}

/** Go to a line and press keys at its end (e.g. Backspace). Returns the time of the last keystroke. */
async function atLineEnd(line: number, keys: string[]): Promise<number> {
  const p = wb.page;
  await p.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await p.keyboard.press('Control+G');
  await p.locator('.quick-input-widget .quick-input-box input').waitFor({ state: 'visible' });
  await p.keyboard.type(String(line));
  await p.keyboard.press('Enter');
  await p.keyboard.press('End');
  let t = 0;
  for (const k of keys) {
    await p.keyboard.press(k);
    t = Date.now();
  }
  return t;
}

/** Wait until the view shows another version than `version`, in `state`; returns when that was seen. */
async function nextVersion(version: string | undefined, state: 'fresh' | 'stale', file: string): Promise<{ frame: Frame; at: number; version: string }> {
  const t0 = Date.now();
  for (;;) {
    const frame = await inspector();
    try {
      await frame.waitForFunction(({ version, state, file }) => {
        const a = document.getElementById('app');
        return a?.dataset.file === file && a.dataset.state === state && a.dataset.version !== version;
      }, { version, state, file }, { timeout: 30_000, polling: 'raf' });
      const at = Date.now();
      return { frame, at, version: (await frame.evaluate(() => document.getElementById('app')!.dataset.version!)) };
    } catch (e) {
      if (Date.now() - t0 > 60_000) throw e;
    }
  }
}

/**
 * The extension host runs Node 24 and this test Node 20: the engine may pick another float32
 * kernel path there (relaxed-SIMD fused multiply-add), which rounds differently in the last bits.
 * Within one runtime the view's numbers equal `mlp-lens dump` exactly (test/unit/inspect.test.ts).
 */
function close(actual: number, expected: number | null, what: string): void {
  assert.ok(expected !== null && Math.abs(actual - expected) <= 1e-5 * Math.abs(expected) + 1e-12, `${what}: view ${actual}, engine ${expected}`);
}

const cellValue = (f: Frame, variant: string, metric: string, layer: number) =>
  f.locator(`.cell[data-metric="${metric}"][data-variant="${variant}"][data-layer="${layer}"]`).getAttribute('data-value').then(Number);

async function problemsText(): Promise<string> {
  await wb.page.keyboard.press('Escape');
  await wb.page.keyboard.press('Control+Shift+M');
  const panel = wb.page.locator('.markers-panel');
  await panel.waitFor({ state: 'visible', timeout: 10_000 });
  await sleep(300);
  return panel.innerText();
}

test('no config open: the empty state with New Experiment Config', async () => {
  await wb.runCommand('MLP Lens: Inspect Config');
  const f = await inspector("d.getElementById('app')?.dataset.state === 'empty'");
  assert.match(await f.locator('#empty').innerText(), /No experiment config open/i);
  assert.equal(await f.locator('#new-config').innerText(), 'New Experiment Config');
  await wb.screenshot('inspector-vscode-empty');
});

let version = '';
test('open the lecture config: architecture and the engine\'s numbers; warnings in Problems', async () => {
  await openFile('lecture.mlp.json');
  const { frame: f, version: v } = await nextVersion(undefined, 'fresh', 'lecture.mlp.json');
  version = v;
  const net = await f.locator('#network').innerText();
  assert.match(net, /64 → 64 → 64 → 64 → 10/);
  assert.match(net, /13,130 parameters/);
  assert.match(await f.locator('#dataset').innerText(), /digits · 1,438 train \/ 359 test · 10 classes/);
  const ins = await engine(LECTURE, join(WS, 'lecture.mlp.json'));
  for (const [i, v2] of ins.variants.entries()) {
    for (let k = 0; k < 3; k++) {
      close(await cellValue(f, v2.variant, 'saturation', k), v2.layers![k]!.saturation, `${i} sat ${k}`);
      close(await cellValue(f, v2.variant, 'gain', k), v2.layers![k]!.gain!.measured, `${i} gain ${k}`);
      close(await cellValue(f, v2.variant, 'delta', k), v2.layers![k]!.delta, `${i} delta ${k}`);
    }
  }
  const codes = await f.locator('.warn-item').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.variant}:${(e as HTMLElement).dataset.code}`));
  assert.deepEqual(codes, ['sigmoid+glorot:vanishing-signal', 'sigmoid+normal(1):saturated-init']);
  // the CodeLens above the config and above each variant
  await wb.page.locator('.codelens-decoration', { hasText: 'Train' }).first().waitFor({ timeout: 20_000 });
  await wb.page.locator('.codelens-decoration', { hasText: 'sigmoid+normal(1): max saturation' }).first().waitFor({ timeout: 20_000 });
  await wb.screenshot('inspector-vscode-lecture');
  // a small picture of the side bar; with MLP_LENS_README_SHOTS=1 also the README's and the
  // walkthrough's (tracked files: a plain test run leaves the tree as it found it)
  const side = await wb.page.locator('.part.sidebar').boundingBox();
  if (side) {
    const clip = { x: side.x, y: side.y, width: side.width, height: Math.min(side.height, 900) };
    await wb.page.screenshot({ path: join(SCREEN_DIR, 'sideview.png'), clip });
    if (process.env.MLP_LENS_README_SHOTS === '1') {
      mkdirSync(join(ROOT, 'media/screenshots'), { recursive: true });
      await wb.page.screenshot({ path: join(ROOT, 'media/screenshots/sideview.png'), clip });
      // the walkthrough's picture (media/screenshots is not packaged)
      await wb.page.screenshot({ path: join(ROOT, 'media/walkthrough/inspector.png'), clip });
    }
  }
  const problems = await problemsText();
  assert.match(problems, /sigmoid\+normal\(1\): \d+% of layer-2 units are saturated at init/);
  assert.match(problems, /sigmoid\+glorot: layer 1 receives 1\/19\.4 of the gradient of layer 3/);
  await wb.page.keyboard.press('Control+Shift+M'); // close the panel again
});

test('change relu to sigmoid: the saturation and gain numbers change to the engine\'s', async () => {
  const before = await inspector();
  const sat0 = await cellValue(before, 'relu+he', 'saturation', 1);
  const gain0 = await cellValue(before, 'relu+he', 'gain', 0);
  await replaceInEditor('"activation": "relu"', '"activation": "sigmoid"');
  const { frame: f, version: v } = await nextVersion(version, 'fresh', 'lecture.mlp.json');
  version = v;
  const ins = await engine(LECTURE.replace('"activation": "relu"', '"activation": "sigmoid"'), join(WS, 'lecture.mlp.json'));
  const relu = ins.variants[1]!;
  const sat1 = await cellValue(f, 'relu+he', 'saturation', 1);
  const gain1 = await cellValue(f, 'relu+he', 'gain', 0);
  close(sat1, relu.layers![1]!.saturation, 'saturation');
  close(gain1, relu.layers![0]!.gain!.measured, 'gain');
  assert.notEqual(sat1, sat0);
  assert.notEqual(gain1, gain0);
  assert.ok(gain1 < 0.36, `sigmoid with He init passes at most sqrt(2·1/16) ≈ 0.35 per layer: ${gain1}`);
  await wb.screenshot('inspector-vscode-sigmoid');
});

test('break the JSON: a diagnostic appears, the view keeps the last result marked stale; fix it', async () => {
  const f0 = await inspector();
  const sat = await f0.locator('#t-saturation').innerText();
  await atLineEnd(lineOf(LECTURE, '"lr": 0.1,'), ['Backspace']);
  const { frame: f } = await nextVersion(version, 'stale', 'lecture.mlp.json');
  assert.match(await f.locator('#stale-banner').innerText(), /has an error: showing the last valid result/);
  assert.match(await f.locator('#problems').innerText(), /expected ','/);
  assert.equal(await f.locator('#result.stale').count(), 1);
  assert.equal(await f.locator('#t-saturation').innerText(), sat, 'the last result stays');
  await wb.page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 20_000 });
  const problems = await problemsText();
  assert.match(problems, /[Ee]xpected comma|expected ','/);
  await wb.screenshot('inspector-vscode-stale');
  await wb.page.keyboard.press('Control+Shift+M');
  await atLineEnd(lineOf(LECTURE, '"lr": 0.1,'), [',']);
  const again = await nextVersion(undefined, 'fresh', 'lecture.mlp.json');
  version = again.version;
  assert.equal(await again.frame.locator('#stale-banner').count(), 0);
});

/** Nearest-rank percentile `p` (0-100) of `xs`. */
const percentile = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!; };

/**
 * Keystroke -> view on screen for `file`: 3 warm-up edits, then `n` edits of `lr` and `n` of
 * `batchSize` in turn, each a value not used before; every edit must show (fresh, the right file).
 * The goals (npm run bench:vscode) are checked on these numbers, not here.
 */
async function keystrokeLatency(file: string, network: RegExp, n: number) {
  await openFile(file);
  let { version: v } = await nextVersion(undefined, 'fresh', file);
  const f0 = await inspector();
  assert.match(await f0.locator('#network').innerText(), network);
  /**
   * renderMs: in the webview, building the view's DOM, waiting for the frame, drawing its heatmaps.
   * ms: keystroke -> view as the test sees it (Playwright's key press returned -> its polling saw
   * the view; CDP round trips included). screenMs: the browser's keydown -> the webview's frame
   * that draws the view, both stamped in the browser; path: that split at the extension host's
   * edit event and post and the webview's receipt: [key -> host, host, host -> webview, webview].
   * busyLag: the same way from the host to the webview for the small "busy" notice posted when
   * the inspection starts.
   */
  const samples: { edit: string; ms: number; hostMs: number; renderMs: number[]; screenMs: number | null; path: number[] | null; busyLag: number }[] = [];
  const edits: [string, string, string][] = [];
  for (let i = 0; i < 3; i++) edits.push(['warm-up', `"batchSize": ${32 + i}`, `"batchSize": ${33 + i}`]);
  let bs = 35;
  for (let i = 0; i < n; i++) {
    edits.push(['lr', `"lr": ${i === 0 ? '0.1' : (0.1 + i * 0.01).toFixed(2)}`, `"lr": ${(0.1 + (i + 1) * 0.01).toFixed(2)}`]);
    edits.push(['batchSize', `"batchSize": ${bs}`, `"batchSize": ${bs + 1}`]);
    bs++;
  }
  for (const [kind, from, to] of edits) {
    const { t, keyAt } = await replaceInEditor(from, to);
    const r = await nextVersion(v, 'fresh', file);
    v = r.version;
    // the stamps are written in the frame that draws the view, after data-version: wait for them
    await r.frame.waitForFunction((ver) => document.getElementById('app')!.dataset.drawnVersion === ver, String(v), { timeout: 10_000 });
    const status = await r.frame.locator('#status').innerText();
    const hostMs = Number(/(\d+) ms/.exec(status)?.[1] ?? NaN);
    const renderMs = ((await r.frame.evaluate(() => document.getElementById('app')!.dataset.renderMs)) ?? '').split(' ').map(Number);
    // [host saw the edit, host posted, webview received, webview drew]: ms since the epoch
    const times = ((await r.frame.evaluate(() => document.getElementById('app')!.dataset.times)) ?? '').split(' ').map(Number);
    const busyLag = Number(await r.frame.evaluate(() => document.getElementById('app')!.dataset.busyLag ?? 'NaN'));
    const stamped = keyAt > 0 && times.length === 4 && times.every((x) => Number.isFinite(x) && x > 0);
    const round = (x: number) => Math.round(x * 10) / 10;
    const screenMs = stamped ? round(times[3]! - keyAt) : null;
    const path = stamped ? [times[0]! - keyAt, times[1]! - times[0]!, times[2]! - times[1]!, times[3]! - times[2]!].map(round) : null;
    if (kind !== 'warm-up') samples.push({ edit: kind, ms: r.at - t, hostMs, renderMs, screenMs, path, busyLag });
  }
  const by = (k: string) => samples.filter((x) => x.edit === k).map((x) => x.ms);
  const all = samples.map((x) => x.ms);
  assert.equal(samples.length, 2 * n);
  // functional: every edit updates the view
  assert.ok(Math.max(...all) <= 30_000, `an update took ${Math.max(...all)} ms: ${JSON.stringify(samples)}`);
  // every edit is stamped in the browser and the webview (a missing stamp is a broken probe)
  const screen = samples.map((x) => x.screenMs);
  assert.ok(screen.every((x) => x !== null && x > 0 && x <= 30_000), `browser stamps missing or out of order: ${JSON.stringify(samples)}`);
  const screenAll = screen as number[];
  return {
    config: file, loadAverage: os.loadavg(), samples,
    medianMs: { lr: percentile(by('lr'), 50), batchSize: percentile(by('batchSize'), 50) },
    p90Ms: percentile(all, 90), maxMs: Math.max(...all),
    screen: { p90Ms: percentile(screenAll, 90), medianMs: percentile(screenAll, 50), maxMs: Math.max(...screenAll) },
  };
}

/**
 * The whole path is timed on screen: keystroke in the browser, code-server, the extension host,
 * the worker, back, the webview's render, seen by polling the webview each frame. The same 2-core
 * machine runs the browser, code-server and, in CI, other suites, so these tests assert only that
 * every edit is shown within a functional bound of 30 s, and record the numbers in
 * dist/test/inspector-latency.json, which npm run bench:vscode reports against the goals (p90
 * at most 150 ms on the MNIST lecture config, 60 ms on the digits one).
 */
const latency: Record<string, unknown> = {};
test('MNIST lecture config (784-256-256-256-10): time from the last keystroke to the updated view', async () => {
  const r = await keystrokeLatency('lecture-mnist.mlp.json', /784 → 256 → 256 → 256 → 10/, 10);
  latency.mnist = r;
  writeFileSync(join(ROOT, 'dist/test/inspector-latency.json'), JSON.stringify(latency, null, 2));
  await wb.screenshot('inspector-vscode-mnist');
  console.log(`MNIST keystroke -> view on screen: p90 ${r.screen.p90Ms} ms stamped in the browser, ${r.p90Ms} ms seen by the test; median ${r.medianMs.lr} ms (lr edits), ${r.medianMs.batchSize} ms (batchSize edits: every network recomputed); max ${r.maxMs} ms`);
});

test('digits lecture config (64-64-64-64-10): time from the last keystroke to the updated view', async () => {
  const r = await keystrokeLatency('latency-digits.mlp.json', /64 → 64 → 64 → 64 → 10/, 10);
  latency.digits = r;
  writeFileSync(join(ROOT, 'dist/test/inspector-latency.json'), JSON.stringify(latency, null, 2));
  console.log(`digits keystroke -> view on screen: p90 ${r.screen.p90Ms} ms stamped in the browser, ${r.p90Ms} ms seen by the test; median ${r.medianMs.lr} ms (lr edits), ${r.medianMs.batchSize} ms (batchSize edits); max ${r.maxMs} ms`);
});

test('New Experiment Config from the view: dataset and preset picked, a commented config, inspected', async () => {
  await wb.runCommand('MLP Lens: New Experiment Config');
  await wb.pick('spiral');
  await wb.pick('One ReLU network');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  // the quick pick and the input box that follows it share one widget: wait for the box's value
  let value = '';
  for (const t0 = Date.now(); Date.now() - t0 < 15_000 && value === ''; await sleep(100)) value = await input.inputValue();
  assert.equal(value, 'spiral-relu.mlp.json');
  await wb.page.keyboard.press('Enter');
  await wb.page.locator('.tab[aria-label*="spiral-relu.mlp.json"]').first().waitFor({ state: 'visible', timeout: 20_000 });
  const { frame: f } = await nextVersion(undefined, 'fresh', 'spiral-relu.mlp.json');
  assert.equal(await f.locator('#scatter').count(), 1, 'a scatter of the 2-D data');
  assert.match(await f.locator('#warnings').innerText(), /No warnings/i);
  const text = readFileSync(join(WS, 'spiral-relu.mlp.json'), 'utf8');
  assert.match(text, /^\/\/ An MLP Lens experiment/);
  assert.match(text, /"type": "spiral"/);
  await wb.screenshot('inspector-vscode-new-config');
});

test('the walkthrough: open it from the Welcome page', async () => {
  await wb.runCommand('Welcome: Open Walkthrough...');
  await wb.pick('Get started with MLP Lens');
  const page = wb.page.locator('.gettingStartedContainer');
  await page.waitFor({ state: 'visible', timeout: 20_000 });
  const body = await page.innerText();
  for (const step of ['Open the lecture example', 'Inspect it before training', 'Train it', 'Switch sigmoid to ReLU']) assert.ok(body.includes(step), `${step} in:\n${body}`);
  await wb.page.locator('.getting-started-step', { hasText: 'Inspect it before training' }).first().click();
  await sleep(1500);
  await wb.screenshot('inspector-vscode-walkthrough');
});
