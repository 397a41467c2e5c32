/**
 * The Experiment bundle (dist/webview/experiment.js) in headless Chromium under the extension's
 * CSP, fed the view the host reads (src/runs/experiment-view.ts) from a small sweep the CLI
 * trained (sigmoid and ReLU x 1 and 3 hidden layers x 2 seeds: 8 runs): every run is a row, the
 * headers sort (click and keyboard), the heatmap draws the mean test accuracy of each
 * variant x depth cell in a different colour, hover shows the cell's numbers and its runs' curves,
 * a click, Enter on a cell or Enter on a row asks for a run by its index, and a live view shows
 * progress and Stop. Screenshots in the dark and light themes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { ExperimentReader } from '../../src/runs/experiment-view';
import type { ExperimentView, HostToExperiment } from '../../src/shared/protocol';
import { cli, show, tmp } from '../support/cli';
import { closeBrowser, meanColor, openWebview, type WebviewPage } from './harness';

export const SMALL_SWEEP = {
  name: 'small-sweep',
  dataset: { type: 'digits', testFraction: 0.2, seed: 0 },
  layers: [16],
  optimizer: 'sgd',
  lr: 0.1,
  batchSize: 32,
  epochs: 2,
  seeds: 2,
  variants: [
    { name: 'sigmoid', activation: 'sigmoid', init: 'glorot_uniform' },
    { name: 'relu', activation: 'relu', init: 'he_normal' },
  ],
  sweep: { layers: [[16], [16, 16, 16]] },
};

let view: ExperimentView;
before(async () => {
  const ws = tmp('mlp-experiment-');
  fs.writeFileSync(path.join(ws, 'sweep.mlp.json'), JSON.stringify(SMALL_SWEEP, null, 2));
  const r = cli(['train', 'sweep.mlp.json', '--out', 'exp', '--jobs', '2'], ws);
  assert.equal(r.status, 0, show(r));
  view = await new ExperimentReader(path.join(ws, 'exp')).read(false);
});
after(closeBrowser);

const msg = (v: ExperimentView): HostToExperiment => ({ type: 'experimentView', view: v });
const frame = (wv: WebviewPage) => wv.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const cellsOf = (wv: WebviewPage) => wv.page.locator('#runs-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));

test('the view read from the folder: every run, axes, numbers and curves', () => {
  assert.equal(view.rows.length, 8);
  assert.deepEqual(view.axes.map((a) => [a.name, a.values]), [['variant', ['sigmoid', 'relu']], ['layers', ['16', '16x16x16']], ['seed', ['0', '1']]]);
  for (const r of view.rows) {
    assert.equal(r.status, 'completed', r.name);
    assert.ok(r.testAccuracy !== null && r.testAccuracy > 0 && r.testAccuracy <= 1, `${r.name}: ${r.testAccuracy}`);
    assert.equal(r.curve.accuracy.length, 2, `${r.name}: one point per epoch`);
    assert.equal(r.curve.accuracy[1], r.testAccuracy, 'the curve ends at the final test accuracy');
    assert.ok(r.saturation !== null && r.saturation >= 0 && r.saturation <= 1);
  }
  assert.equal(view.rows.filter((r) => r.deltaRatio !== null).length, 4, 'three hidden layers: a ratio; one: none');
});

test('table, sorting, heatmap, hover curves and opening runs', async () => {
  const wv = await openWebview('experiment', { theme: 'dark', name: 'experiment' });
  assert.deepEqual(await wv.posted(), [{ type: 'ready' }]);
  await wv.post(msg(view));
  await wv.waitFor(() => document.querySelectorAll('#runs-table tbody tr').length === 8);
  assert.match(await wv.page.locator('#progress').innerText(), /^8\/8 done$/);
  assert.ok(await wv.page.locator('#stop').isHidden(), 'no Stop when not live');
  // sort by test accuracy: best first, then (again) worst first
  const header = wv.page.locator('#runs-table th button[data-key="testAccuracy"]');
  await header.click();
  const acc = view.rows.map((r) => r.testAccuracy!);
  const col = (await wv.page.locator('#runs-table thead th').allTextContents()).findIndex((t) => t.startsWith('test accuracy'));
  let shown = (await cellsOf(wv)).map((c) => Number(c[col]));
  assert.deepEqual(shown, [...acc].sort((a, b) => b - a).map((x) => Number(x.toFixed(3))));
  assert.equal(await wv.page.locator('#runs-table th[aria-sort="descending"]').count(), 1);
  await header.press('Enter'); // keyboard: the other direction
  shown = (await cellsOf(wv)).map((c) => Number(c[col]));
  assert.deepEqual(shown, [...acc].sort((a, b) => a - b).map((x) => Number(x.toFixed(3))));
  // a live update rebuilds the table: the keyboard focus stays on the header
  await wv.post(msg(view));
  assert.equal(await wv.page.evaluate(() => (document.activeElement as HTMLElement).dataset.key), 'testAccuracy');
  // the heatmap: x variant, y layers; the best cell bright, the worst dark (viridis)
  assert.equal(await wv.page.locator('#axis-x').inputValue(), 'variant');
  assert.equal(await wv.page.locator('#axis-y').inputValue(), 'layers');
  await frame(wv);
  const img = await wv.readCanvas('#heatmap');
  const mean = (v: string, l: string) => {
    const rs = view.rows.filter((r) => r.variant === v && r.sweep.layers === l);
    return rs.reduce((a, r) => a + r.testAccuracy!, 0) / rs.length;
  };
  const cells = [['sigmoid', '16'], ['relu', '16'], ['sigmoid', '16x16x16'], ['relu', '16x16x16']].map(([v, l]) => mean(v!, l!));
  const colors = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([i, j]) => meanColor(img, i! * 0.5 + 0.05, j! * 0.5 + 0.05, i! * 0.5 + 0.15, j! * 0.5 + 0.15));
  const bright = (c: [number, number, number]) => c[0] + c[1] + c[2];
  const best = cells.indexOf(Math.max(...cells)), worst = cells.indexOf(Math.min(...cells));
  assert.ok(bright(colors[best]!) > bright(colors[worst]!) + 150, `best cell ${colors[best]} brighter than worst ${colors[worst]} (means ${cells.map((x) => x.toFixed(3))})`);
  assert.match(await wv.page.locator('#heatmap').getAttribute('aria-label') ?? '', /variant sigmoid, layers 16: 0\.\d+/);
  // hover a cell: its numbers and the small curves of its two seeds
  const box = (await wv.page.locator('#heatmap').boundingBox())!;
  await wv.page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.25);
  await wv.waitFor(() => !(document.getElementById('cell-tip') as HTMLElement).hidden);
  const tip = await wv.page.locator('#cell-tip').innerText();
  assert.match(tip, /variant relu, layers 16/);
  assert.match(tip, /mean of 2 of 2 runs/);
  const curves = await wv.readCanvas('#cell-curves');
  let ink = 0;
  for (let i = 3; i < curves.data.length; i += 4) if (curves.data[i]! > 0) ink++;
  assert.ok(ink > 200, `curves drawn in the tooltip: ${ink} pixels`);
  await wv.screenshot('hover');
  // a click opens the cell's median run: a relu layers=16 run, by index
  await wv.page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.25);
  const opened = (await wv.posted<{ type: string; index: number }>()).at(-1)!;
  assert.equal(opened.type, 'openRun');
  assert.match(view.rows[opened.index]!.name, /^relu layers=16 seed=\d$/);
  // keyboard: focus the heatmap, move down to sigmoid x 16x16x16, Enter
  await wv.page.mouse.move(0, 0);
  await wv.page.focus('#heatmap');
  await wv.page.keyboard.press('ArrowDown');
  await wv.page.keyboard.press('Enter');
  const viaKey = (await wv.posted<{ type: string; index: number }>()).at(-1)!;
  assert.match(view.rows[viaKey.index]!.name, /^sigmoid layers=16x16x16 seed=\d$/);
  // a row: Enter opens it
  const firstRow = wv.page.locator('#runs-table tbody tr').first();
  await firstRow.focus();
  await firstRow.press('Enter');
  const idx = Number(await firstRow.getAttribute('data-index'));
  assert.deepEqual((await wv.posted()).at(-1), { type: 'openRun', index: idx });
  // another metric and axes: loss over layers only
  await wv.page.selectOption('#metric', 'trainLoss');
  await wv.page.selectOption('#axis-x', 'layers');
  await wv.page.selectOption('#axis-y', '');
  assert.match(await wv.page.locator('#heatmap').getAttribute('aria-label') ?? '', /^train loss over layers;/);
  // the saved state: the view's choices, and the folder a restored panel finds its experiment by
  assert.deepEqual((await wv.state<{ metric: string; x: string; y: string | null }>()), { sortKey: 'testAccuracy', sortDescending: false, metric: 'trainLoss', x: 'layers', y: null, folder: view.folder });
  await wv.screenshot('dark');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('live: progress, the running runs and Stop; light theme', async () => {
  const wv = await openWebview('experiment', { theme: 'light', name: 'experiment-live' });
  const rows = view.rows.map((r, i) => (i < 3 ? r : i < 5 ? { ...r, status: 'running', testAccuracy: null, testLoss: null, trainAccuracy: null, trainLoss: null } : { ...r, status: 'pending', testAccuracy: null, testLoss: null, trainAccuracy: null, trainLoss: null, curve: { accuracy: [], loss: [] } }));
  await wv.post(msg({ ...view, rows, live: true }));
  await wv.waitFor(() => document.querySelectorAll('#runs-table tbody tr').length === 8);
  assert.equal(await wv.page.locator('#progress').innerText(), '3/8 done · 2 running');
  assert.match(await wv.page.locator('#running').innerText(), /running: relu layers=16 seed=0, relu layers=16 seed=1|running: .+, .+/);
  await wv.page.locator('#stop').click();
  assert.deepEqual((await wv.posted()).at(-1), { type: 'stop' });
  assert.ok(await wv.page.locator('#stop').isDisabled());
  await wv.screenshot('light');
  // the host says it stopped
  await wv.post(msg({ ...view, rows, live: false, message: 'stopped: 3 of 8 runs completed' }));
  await wv.waitFor(() => (document.getElementById('stop') as HTMLElement).hidden);
  assert.equal(await wv.page.locator('#message').innerText(), 'stopped: 3 of 8 runs completed');
  // hostile or broken messages are ignored
  await wv.post({ type: 'experimentView', view: { rows: 'x' } });
  await wv.post({ type: 'nonsense' });
  assert.equal(await wv.page.locator('#runs-table tbody tr').count(), 8);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});
