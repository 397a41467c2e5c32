/**
 * The Compare bundle (dist/webview/compare.js) in headless Chromium under the extension's CSP,
 * fed the snapshot the host builds for two runs of the lecture from different configs (trained by
 * the CLI; one dated another day): both runs' curves are drawn in their colours, the heatmaps are
 * on one colour scale (sigmoid's first-layer gradient band darker than ReLU's), the legend names
 * what differs, hover and arrow keys move the histograms' cursor, the table reads the numbers,
 * the HTML report draws the same, and nothing breaks the CSP.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { compareReportHtml } from '../../src/node/html-report';
import { compareSnapshot } from '../../src/runs/compare';
import { loadCompareInputs } from '../../src/runs/compare-load';
import { DEFAULT_PANEL_SETTINGS } from '../../src/runs/model';
import type { HostToCompare } from '../../src/shared/protocol';
import { cli, show, tmp } from '../support/cli';
import { closeBrowser, diffCount, meanColor, openWebview, ROOT, SCREEN_DIR, type PixelImage, type WebviewPage } from './harness';
import { THEMES } from './themes';

let snap: HostToCompare;
let dirs: string[];

before(async () => {
  const ws = tmp('mlp-compare-');
  const lecture = fs.readFileSync(path.join(ROOT, 'examples/lecture.mlp.json'), 'utf8');
  fs.writeFileSync(path.join(ws, 'lecture.mlp.json'), lecture);
  // another config: the lecture renamed, trained for fewer epochs
  fs.writeFileSync(path.join(ws, 'lecture-short.mlp.json'), lecture.replace('"name": "lecture"', '"name": "lecture-short"').replace('"epochs": 5', '"epochs": 3'));
  let r = cli(['train', 'lecture.mlp.json', '--out', 'a', '--variant', 'sigmoid+glorot'], ws);
  assert.equal(r.status, 0, show(r));
  r = cli(['train', 'lecture-short.mlp.json', '--out', 'b', '--variant', 'relu+he'], ws);
  assert.equal(r.status, 0, show(r));
  dirs = [path.join(ws, 'a', 'sigmoid_glorot'), path.join(ws, 'b', 'relu_he')];
  // the second run was made another day
  const sfile = path.join(dirs[1]!, 'summary.json');
  const s = JSON.parse(fs.readFileSync(sfile, 'utf8'));
  s.startedAt = '2026-03-02T10:15:00.000Z';
  fs.writeFileSync(sfile, JSON.stringify(s));
  snap = compareSnapshot('cmp-test', await loadCompareInputs(dirs.map((dir) => ({ dir })), 1000, 'cmp-test'), DEFAULT_PANEL_SETTINGS);
});
after(closeBrowser);

const APP = (wv: WebviewPage, key: string) => wv.page.evaluate((k) => (document.getElementById('app') as HTMLElement).dataset[k] ?? '', key);
const frame = (wv: WebviewPage) => wv.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const viridisT = (rgb: [number, number, number]) => (rgb[1] - 1) / 230;
const hex = (h: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];

/** Pixels within 40 of a colour (anti-aliased line pixels included). */
function near(img: PixelImage, rgb: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (Math.abs(img.data[i]! - rgb[0]) + Math.abs(img.data[i + 1]! - rgb[1]) + Math.abs(img.data[i + 2]! - rgb[2]) < 40) n++;
  }
  return n;
}

async function checkDrawn(wv: WebviewPage, theme: 'dark' | 'light'): Promise<void> {
  await wv.waitFor(() => document.getElementById('app')?.dataset.runs === '2' && document.querySelectorAll('canvas.heatmap.grad').length === 2);
  await frame(wv);
  // both runs' curves, each in its own chart colour
  const loss = await wv.readCanvas('#loss-chart');
  const blue = near(loss, hex(THEMES[theme]['charts-blue']!)), red = near(loss, hex(THEMES[theme]['charts-red']!));
  assert.ok(blue > 100 && red > 100, `loss curves drawn in both colours: blue ${blue}, red ${red} pixels`);
  const acc = await wv.readCanvas('#accuracy-chart');
  assert.ok(near(acc, hex(THEMES[theme]['charts-blue']!)) > 100 && near(acc, hex(THEMES[theme]['charts-red']!)) > 100, 'accuracy curves of both');
  // one gradient scale: sigmoid's first hidden layer far darker than ReLU's (rows: h1 h2 h3 out)
  const sig = await wv.readCanvas('canvas.heatmap.grad[data-run="0"]');
  const relu = await wv.readCanvas('canvas.heatmap.grad[data-run="1"]');
  const tSig = viridisT(meanColor(sig, 0.3, 0.03, 0.5, 0.2)), tRelu = viridisT(meanColor(relu, 0.3, 0.03, 0.5, 0.2));
  assert.ok(tRelu - tSig > 0.3, `hidden 1 on the one scale: sigmoid ${tSig.toFixed(2)}, relu ${tRelu.toFixed(2)}`);
  const min = Number(await APP(wv, 'gradMin')), max = Number(await APP(wv, 'gradMax'));
  assert.ok(min > 0 && max > min * 10, `${min}..${max}`);
  const ticks = await wv.page.locator('#legend-gradient .legend-tick').allTextContents();
  assert.equal(Number(ticks[0]), min);
  assert.equal(Number(ticks.at(-1)), max);
  assert.match(await wv.page.locator('#legend-gradient .legend-caption').innerText(), /one domain for every run/);
  // the shorter run (3 epochs of 5) covers 3/5 of the shared step axis
  const reluSat = await wv.readCanvas('canvas.heatmap.sat[data-run="1"]');
  const bg = hex(THEMES[theme]['editor-background']!);
  const right = meanColor(reluSat, 0.8, 0.1, 0.98, 0.9);
  assert.ok(Math.abs(right[0] - bg[0]) + Math.abs(right[1] - bg[1]) + Math.abs(right[2] - bg[2]) < 6, `the right of the short run is blank: ${right}`);
}

test('two runs of different configs and days: curves, one colour scale, a legend naming what differs', async () => {
  const wv = await openWebview('compare', { theme: 'dark', name: 'compare' });
  assert.deepEqual(await wv.posted(), [{ type: 'ready' }]);
  await wv.post(snap);
  await checkDrawn(wv, 'dark');
  assert.deepEqual(snap.differs, ['config', 'variant', 'date']);
  const labels = await wv.page.locator('#run-list .run-label').allTextContents();
  assert.equal(labels.length, 2);
  assert.match(labels[0]!, /^lecture · sigmoid\+glorot · \d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.equal(labels[1], 'lecture-short · relu+he · 2026-03-02 10:15');
  assert.match(await wv.page.locator('#differs').innerText(), /config, variant, date/);
  // the curves' legend names the runs by the same labels
  assert.match(await wv.page.locator('#run-list').innerText(), /seed 0/);
  // Open asks the host for run 1 by its index, never by a path
  await wv.page.locator('#run-list .open-run').nth(1).click();
  assert.deepEqual((await wv.posted()).at(-1), { type: 'openRun', index: 1 });
  await wv.screenshot('dark');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('hover and arrow keys move the cursor: the overlaid histograms and the table follow it', async () => {
  const wv = await openWebview('compare', { theme: 'dark', name: 'compare-cursor' });
  await wv.post(snap);
  await checkDrawn(wv, 'dark');
  assert.equal(await APP(wv, 'cursor'), '');
  const atEnd = await wv.readCanvas('#hist');
  const colsEnd = await wv.page.locator('#hist').getAttribute('data-cols');
  // hover early in run 0's gradient heatmap
  const box = (await wv.page.locator('canvas.heatmap.grad[data-run="0"]').boundingBox())!;
  await wv.page.mouse.move(box.x + box.width * 0.05, box.y + box.height * 0.5);
  await frame(wv);
  const step = Number(await APP(wv, 'cursor'));
  assert.ok(step > 0 && step < 30, `cursor at step ${step}`);
  const early = await wv.readCanvas('#hist');
  assert.ok(diffCount(atEnd, early) > 200, 'the histograms changed with the cursor');
  assert.notEqual(await wv.page.locator('#hist').getAttribute('data-cols'), colsEnd);
  // keyboard: the histograms take the focus; Home goes to the first step, Right moves on
  await wv.page.mouse.move(0, 0);
  await wv.page.focus('#hist');
  await wv.page.keyboard.press('Home');
  await frame(wv);
  const first = Number(await APP(wv, 'cursor'));
  await wv.page.keyboard.press('ArrowRight');
  await frame(wv);
  assert.ok(Number(await APP(wv, 'cursor')) > first, 'Right moves the cursor on');
  assert.match(await wv.page.locator('#live').innerText(), /cursor at step \d+/);
  assert.match(await wv.page.locator('#hist').getAttribute('aria-label') ?? '', /hidden 1: lecture · sigmoid\+glorot.*: most in/);
  // the table names both runs at the cursor step
  await wv.page.locator('#numbers summary').click();
  await frame(wv);
  const rows = await wv.page.locator('#numbers tbody tr').count();
  assert.equal(rows, 8, 'two runs x four layers');
  assert.match(await wv.page.locator('#numbers caption').innerText(), /At step \d+/);
  await wv.screenshot('keyboard');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('light theme and the HTML report (mlp-lens report) draw the same, without a host', async () => {
  const wv = await openWebview('compare', { theme: 'light', name: 'compare' });
  await wv.post(snap);
  await checkDrawn(wv, 'light');
  await wv.screenshot('light');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
  const html = compareReportHtml(snap, path.dirname(path.dirname(dirs[0]!)), path.join(ROOT, 'dist/webview'));
  assert.ok(!html.includes(path.dirname(dirs[0]!)), 'no folder of this machine in the report');
  const boot = JSON.parse(/<script type="application\/json" id="mlp-bootstrap">(.*?)<\/script>/s.exec(html)![1]!) as HostToCompare;
  const report = await openWebview('compare', { theme: 'dark', name: 'compare-report', bootstrap: boot });
  await checkDrawn(report, 'dark');
  assert.equal(await report.page.locator('#run-list .open-run').count(), 0, 'no Open buttons without a host');
  assert.deepEqual(await report.problems(), []);
  fs.mkdirSync(SCREEN_DIR, { recursive: true });
  await report.close();
});
