/**
 * The training panel bundle (dist/webview/panel.js) in headless Chromium under the extension's
 * CSP, fed a recorded message stream of the lecture example (trained by the real worker):
 * pixels change as steps arrive, sigmoid's first-layer gradient band is darker than ReLU's on
 * the shared scale, the legend prints the domain's numbers, hover reads exact values, a reload
 * hydrates from a snapshot, theme changes recolour, divergence is marked, keyboard and table
 * work, the HTML report draws the same, and nothing breaks the CSP.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { HostToPanel, WorkerToHost } from '../../src/shared/protocol';
import { reportHtml } from '../../src/node/html-report';
import { ColumnStore } from '../../src/shared/columns';
import { closeBrowser, diffCount, meanColor, openReport, openWebview, ROOT, SCREEN_DIR, type PixelImage, type WebviewPage } from './harness';
import { DIVERGING, LECTURE, panelStream, recordWorker, type Snapshot } from './panel-stream';

let lecture: { messages: HostToPanel[]; final: Snapshot };
let diverging: { messages: HostToPanel[]; final: Snapshot };

before(async () => {
  const rec = await recordWorker(LECTURE, 'lecture.mlp.json');
  const s = panelStream(rec.msgs, LECTURE, rec.file);
  lecture = { messages: s.messages, final: s.model.snapshot({ gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 }) };
  const d = await recordWorker(DIVERGING, 'diverging.mlp.json');
  const ds = panelStream(d.msgs as WorkerToHost[], DIVERGING, d.file, 1000, 'run-div-1');
  diverging = { messages: ds.messages, final: ds.model.snapshot({ gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 }) };
});
after(closeBrowser);

const APP = (wv: WebviewPage, key: string) => wv.page.evaluate((k) => (document.getElementById('app') as HTMLElement).dataset[k] ?? '', key);
const gradCanvas = (v: number) => `canvas.heatmap.grad[data-variant="${v}"]`;
const satCanvas = (v: number) => `canvas.heatmap.sat[data-variant="${v}"]`;
/** the panel has drawn everything (it draws over a few frames: schedule.ts) */
const frame = (wv: WebviewPage) => wv.settled();

/** Where viridis puts a colour: its green channel grows monotonically from 1 to 231 along the ramp. */
const viridisT = (rgb: [number, number, number]) => (rgb[1] - 1) / 230;

async function feedAll(wv: WebviewPage, messages: HostToPanel[]): Promise<void> {
  for (const m of messages) await wv.post(m);
  await frame(wv);
}

test('the panel asks for a snapshot, then draws more as deltas arrive', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-stream' });
  assert.deepEqual(await wv.posted(), [{ type: 'ready', runId: null }]);
  const [snapshot, ...deltas] = lecture.messages;
  await wv.post(snapshot);
  await frame(wv);
  assert.equal(await APP(wv, 'status'), 'starting');
  // feed about a third of the stream
  const third = Math.max(3, Math.floor(deltas.length / 3));
  for (const m of deltas.slice(0, third)) await wv.post(m);
  await frame(wv);
  const steps1 = Number(await APP(wv, 'steps'));
  assert.ok(steps1 > 0, 'steps arrived');
  assert.equal(await wv.page.locator('canvas.heatmap.grad').count(), 3, 'three variants side by side');
  const early: PixelImage[] = [];
  for (let v = 0; v < 3; v++) early.push(await wv.readCanvas(gradCanvas(v)));
  for (const m of deltas.slice(third)) await wv.post(m);
  await frame(wv);
  const steps2 = Number(await APP(wv, 'steps'));
  assert.equal(steps2, 675, 'all 3 x 225 steps');
  assert.ok(steps2 > steps1);
  for (let v = 0; v < 3; v++) {
    const late = await wv.readCanvas(gradCanvas(v));
    const changed = diffCount(early[v]!, late);
    assert.ok(changed > late.width * late.height * 0.1, `variant ${v}: ${changed} pixels changed`);
  }
  assert.equal(await APP(wv, 'status'), 'completed');
  assert.equal(await APP(wv, 'columns'), '675');
  assert.deepEqual(await wv.problems(), []);
  await wv.screenshot('dark');
  await wv.close();
});

test('sigmoid\'s first-layer gradient band is visibly darker than ReLU\'s on the same colour scale, and the legend shows the numbers', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-lecture' });
  await feedAll(wv, lecture.messages);
  const sig = await wv.readCanvas(gradCanvas(0));
  const relu = await wv.readCanvas(gradCanvas(1));
  // row 0 of 4 (hidden 1), second half of training
  const tSig = viridisT(meanColor(sig, 0.5, 0.02, 0.98, 0.23));
  const tRelu = viridisT(meanColor(relu, 0.5, 0.02, 0.98, 0.23));
  assert.ok(tRelu - tSig > 0.3, `hidden 1 on the shared scale: sigmoid ${tSig.toFixed(2)}, relu ${tRelu.toFixed(2)}`);
  // in the sigmoid net the band darkens from the output down: each layer passes at most 1/4
  const tSigOut = viridisT(meanColor(sig, 0.5, 0.77, 0.98, 0.98));
  assert.ok(tSigOut - tSig > 0.3, `sigmoid output ${tSigOut.toFixed(2)} vs hidden 1 ${tSig.toFixed(2)}`);
  // one domain for all variants, shown with its numbers
  const min = Number(await APP(wv, 'gradMin')), max = Number(await APP(wv, 'gradMax'));
  assert.ok(min > 0 && max > min);
  const ticks = await wv.page.locator('#legend-gradient .legend-tick').allTextContents();
  const decades = Math.round(Math.log10(max / min));
  assert.equal(ticks.length, decades + 1, `ticks ${ticks.join(' ')} for ${min}..${max}`);
  assert.equal(Number(ticks[0]), min);
  assert.equal(Number(ticks.at(-1)), max);
  assert.match(await wv.page.locator('#legend-gradient .legend-caption').innerText(), /‖δ‖ \(log, all variants, last 100 columns\)/);
  assert.deepEqual(await wv.page.locator('#legend-saturation .legend-tick').allTextContents(), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  // the fixed domain of the settings instead
  await wv.page.selectOption('#scale-mode', 'fixed');
  await frame(wv);
  assert.deepEqual(await wv.page.locator('#legend-gradient .legend-tick').allTextContents(), ['1e-5', '1e-4', '1e-3', '0.01', '0.1', '1', '10']);
  assert.equal((await wv.state<{ ui: { scale: string } }>())?.ui.scale, 'fixed', 'UI choices are kept in the webview state');
  await wv.page.selectOption('#scale-mode', 'window');
  // ‖dW‖ on a toggle
  await wv.page.check('#grad-gradW');
  await frame(wv);
  assert.match(await wv.page.locator('#legend-gradient .legend-caption').innerText(), /‖dW‖/);
  const dW = await wv.readCanvas(gradCanvas(1));
  assert.ok(diffCount(dW, relu) > 0, '‖dW‖ draws other numbers');
  await wv.page.check('#grad-delta');
  await wv.screenshot('lecture-dark');
  await wv.page.locator('#variants').screenshot({ path: path.join(SCREEN_DIR, 'panel-lecture-variants.png') });
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('the settings choose the gradient domain until the panel\'s own choice overrides them', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-settings' });
  await wv.post({ ...lecture.final, settings: { gradientScale: 'fixed', gradientDomain: [1e-4, 1], colorWindow: 100 } });
  await frame(wv);
  assert.deepEqual(await wv.page.locator('#legend-gradient .legend-tick').allTextContents(), ['1e-4', '1e-3', '0.01', '0.1', '1']);
  assert.equal(await wv.page.locator('#scale-mode').inputValue(), 'fixed');
  // mlpLens.gradientScale changed in the settings: the host sends them
  await wv.post({ type: 'settings', settings: { gradientScale: 'window', gradientDomain: [1e-4, 1], colorWindow: 20 } });
  await frame(wv);
  assert.match(await wv.page.locator('#legend-gradient .legend-caption').innerText(), /last 20 columns/);
  await wv.page.selectOption('#scale-mode', 'fixed');
  await wv.post({ type: 'settings', settings: { gradientScale: 'window', gradientDomain: [1e-3, 10], colorWindow: 20 } });
  await frame(wv);
  assert.deepEqual(await wv.page.locator('#legend-gradient .legend-tick').allTextContents(), ['1e-3', '0.01', '0.1', '1', '10'], 'the panel\'s choice (fixed) with the new domain');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('hovering a cell shows variant, layer, steps and the exact value; the cursor step is shared', async () => {
  const wv = await openWebview('panel', { theme: 'light', name: 'panel-hover' });
  await feedAll(wv, lecture.messages);
  const chart = await wv.readCanvas('#loss-chart');
  const box = (await wv.page.locator(gradCanvas(1)).boundingBox())!;
  // hidden 2 (row 1 of 4), 40% along
  await wv.page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.375);
  await frame(wv);
  const cursorAt40 = await wv.readCanvas('#loss-chart');
  assert.ok(diffCount(chart, cursorAt40) > 50, 'the cursor\'s step is a line on the curves');
  const text = await wv.page.locator('.tooltip').innerText();
  const m = /relu\+he · hidden 2\nstep (\d+) \(epoch (\d)\)\n‖δ‖ = (\S+)/.exec(text);
  assert.ok(m, text);
  // the exact value from the same columns the host sent
  const final = lecture.final;
  const store = new ColumnStore(final.run.variants[1]!.capacity);
  store.setLayers(final.run.variants[1]!.layers!);
  store.apply(final.columns[1]!);
  const col = store.columnOfStep(Number(m[1]));
  assert.equal(m[3], store.layers[1]!.q.delta[col]!.toExponential(4));
  assert.match(await wv.page.locator('#step-counter').innerText(), new RegExp(`cursor: step ${m[1]}`));
  // unit heatmap of hidden 1: unit and value
  const ub = (await wv.page.locator('canvas.heatmap.units[data-variant="1"]').boundingBox())!;
  await wv.page.mouse.move(ub.x + ub.width * 0.5, ub.y + 2);
  assert.match(await wv.page.locator('.tooltip').innerText(), /relu\+he · hidden 1, unit 0\nstep \d+ \(epoch \d\)\nunit saturation = [\d.]+/);
  await frame(wv);
  assert.ok(diffCount(cursorAt40, await wv.readCanvas('#loss-chart')) > 50, 'the line follows the cursor');
  await wv.page.mouse.move(1, 1);
  await frame(wv);
  // the chart is only drawn again (the data did not change): exactly as before the cursor came
  assert.equal(diffCount(chart, await wv.readCanvas('#loss-chart')), 0, 'no line once the cursor left');
  await wv.close();
});

test('a reload (panel hidden and shown, or moved) hydrates from a snapshot and draws the same', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-reload' });
  await feedAll(wv, lecture.messages);
  await wv.page.selectOption('#unit-layer', '2');
  await frame(wv);
  const before = await wv.readCanvas(gradCanvas(0));
  const unitsBefore = await wv.readCanvas('canvas.heatmap.units[data-variant="0"]');
  const state = await wv.state<{ runId: string; runDirs: string[]; ui: { unitLayer: number } }>();
  assert.equal(state?.runId, 'run-test-1');
  assert.equal(state?.runDirs.length, 3, 'run folders, for a restore after a window reload');
  assert.equal(state?.ui.unitLayer, 2);
  await wv.reload();
  // the reloaded page asks for the run it showed; the host answers with a snapshot
  assert.deepEqual(await wv.posted(true), [{ type: 'ready', runId: 'run-test-1' }]);
  assert.equal(await wv.page.locator('canvas.heatmap').count(), 0, 'nothing drawn before the snapshot');
  await wv.post(lecture.final);
  await frame(wv);
  assert.equal(await wv.page.locator('#unit-layer').inputValue(), '2', 'UI state restored');
  assert.equal(diffCount(before, await wv.readCanvas(gradCanvas(0))), 0, 'same pixels after hydration');
  assert.equal(diffCount(unitsBefore, await wv.readCanvas('canvas.heatmap.units[data-variant="0"]')), 0);
  // a delta that does not line up makes the panel ask for a snapshot again
  await wv.post({ type: 'delta', runId: 'run-test-1', status: 'completed', message: null, live: false, variants: [{ index: 0, meta: lecture.final.run.variants[0]!, columns: { ...lecture.final.columns[0]!, from: 9999 }, epochs: [] }] });
  assert.deepEqual(await wv.posted(true), [{ type: 'resync', runId: 'run-test-1' }]);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('a theme change recolours heatmaps, legends and charts (light, dark, high contrast)', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-theme' });
  await feedAll(wv, lecture.messages);
  const dark = await wv.readCanvas(satCanvas(1));
  const darkChart = await wv.readCanvas('#loss-chart');
  await wv.setTheme('light');
  const light = await wv.readCanvas(satCanvas(1));
  assert.ok(diffCount(dark, light) > light.width * light.height * 0.5, 'saturation ramp runs from the new background');
  assert.ok(diffCount(darkChart, await wv.readCanvas('#loss-chart')) > 1000, 'chart colours re-read');
  // sigmoid+glorot never saturates: its heatmap is the "zero" end of the ramp, close to the light background
  const zero = meanColor(await wv.readCanvas(satCanvas(0)), 0.1, 0.1, 0.9, 0.9);
  assert.ok(zero.every((c) => c > 200), `zero saturation on light: ${zero}`);
  await wv.screenshot('light');
  await wv.setTheme('high-contrast');
  await wv.screenshot('hc');
  const hcBg = meanColor(await wv.readCanvas(satCanvas(0)), 0.1, 0.1, 0.9, 0.9);
  assert.ok(hcBg.every((c) => c < 60), `zero saturation on high contrast: ${hcBg}`);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('a divergence keeps the run and is marked at its step and layer', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-diverged' });
  await feedAll(wv, diverging.messages);
  const wild = diverging.final.run.variants[1]!;
  assert.equal(wild.status, 'diverged');
  const d = wild.divergence!;
  // the exact step and layer depend on float rounding in the kernel path: early, in a layer
  assert.ok(d.step > 3 && d.step < 45 && d.layer !== null, JSON.stringify(d));
  assert.equal(await APP(wv, 'status'), 'diverged');
  assert.ok((await wv.page.locator('#message').innerText()).includes(`wild: ${d.message}`));
  assert.equal(await wv.page.locator('article.variant[data-variant="wild"] .variant-problem').innerText(), `diverged at step ${d.step}: non-finite ${d.where}`);
  // the error colour (#f85149) outlines the last column of the gradient heatmap, in the divergence's row
  const img = await wv.readCanvas(gradCanvas(1));
  let red = 0;
  for (let i = 0; i < img.data.length; i += 4) if (Math.abs(img.data[i]! - 248) < 8 && Math.abs(img.data[i + 1]! - 81) < 8 && Math.abs(img.data[i + 2]! - 73) < 8) red++;
  assert.ok(red > 20, `${red} marker pixels`);
  const tame = await wv.readCanvas(gradCanvas(0));
  let redTame = 0;
  for (let i = 0; i < tame.data.length; i += 4) if (Math.abs(tame.data[i]! - 248) < 8 && Math.abs(tame.data[i + 1]! - 81) < 8 && Math.abs(tame.data[i + 2]! - 73) < 8) redTame++;
  assert.equal(redTame, 0, 'no marker on the variant that did not diverge');
  // hover on the last column names the divergence
  const box = (await wv.page.locator(gradCanvas(1)).boundingBox())!;
  // the run has ended: the heatmaps span the steps of its longest variant
  const fill = wild.step / Math.max(...diverging.final.run.variants.map((v) => v.step));
  await wv.page.mouse.move(box.x + box.width * fill - 1, box.y + box.height * ((d.layer! + 0.5) / 3));
  assert.ok((await wv.page.locator('.tooltip').innerText()).includes(`diverged at step ${d.step}: ${d.where}`));
  await wv.page.mouse.move(1, 1);
  await wv.screenshot('dark');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('a run that ended early spans the steps it did: curves and heatmaps use the whole width', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-stopped' });
  const [snapshot, ...deltas] = lecture.messages as [Snapshot, ...Extract<HostToPanel, { type: 'delta' }>[]];
  // the stream up to where a variant is part way through its plan
  const cut = deltas.findIndex((d) => d.variants.some((v) => v.meta.status === 'running' && v.meta.step > 1 && v.meta.step < v.meta.totalSteps / 2));
  assert.ok(cut > 0, 'a delta with a variant part way');
  await wv.post(snapshot);
  for (const m of deltas.slice(0, cut + 1)) await wv.post(m);
  await frame(wv);
  const live = deltas[cut]!;
  // the variant furthest on: once the run has ended, the heatmaps of all variants span its steps
  const vi = live.variants.reduce((a, v) => (v.meta.step > a.meta.step ? v : a)).index;
  const planned = Math.max(...lecture.final.run.variants.map((v) => v.totalSteps));
  assert.equal(Number(await APP(wv, 'stepSpan')), planned, 'while it trains, the axis spans the plan');
  // the last pixel column of a heatmap: not drawn while the run trains (it fills from the left)
  const edge = (img: PixelImage) => {
    const col: number[] = [];
    for (let y = 0; y < img.height; y++) col.push(...img.data.subarray(4 * (y * img.width + img.width - 1), 4 * (y * img.width + img.width) - 1));
    return col;
  };
  const before = await wv.readCanvas(gradCanvas(vi));
  // then the user stops it: the host's last delta says so, with no new columns
  const metas = snapshot.run.variants.map((_, i) => live.variants.find((v) => v.index === i)?.meta ?? snapshot.run.variants[i]!);
  const stopped = metas.map((m) => ({ ...m, status: m.status === 'running' ? 'stopped' as const : m.status }));
  await wv.post({ ...live, status: 'stopped', live: false, message: 'stopped by the user', variants: stopped.map((meta, index) => ({ index, meta, columns: null, epochs: [] })) });
  await frame(wv);
  assert.equal(await APP(wv, 'status'), 'stopped');
  const done = Math.max(...stopped.map((m) => m.step));
  assert.ok(done < planned, `${done} of ${planned} steps`);
  assert.equal(Number(await APP(wv, 'stepSpan')), done, 'once it has ended, the axis spans the steps done');
  const after = await wv.readCanvas(gradCanvas(vi));
  const b = edge(before), a = edge(after);
  assert.ok(new Set(b).size <= 3, 'before: the right edge is background');
  assert.ok(a.some((x, i) => x !== b[i]), 'after: the last column reaches the right edge');
  await wv.screenshot('dark');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('keyboard: heatmaps take focus with a visible ring, arrows read cells aloud; the table gives the numbers', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-a11y', reducedMotion: true });
  await feedAll(wv, lecture.messages);
  // the table alternative (opened with the keyboard), then the heatmap
  await wv.page.focus('#numbers summary');
  await wv.page.keyboard.press('Enter');
  await wv.page.focus(gradCanvas(0));
  await wv.page.keyboard.press('Home');
  await wv.page.keyboard.press('ArrowDown');
  const spoken = await wv.page.locator('#live').innerText();
  assert.match(spoken, /^sigmoid\+glorot · hidden 2, step 1 \(epoch 1\), ‖δ‖ = \S+$/);
  const outline = await wv.page.evaluate((sel) => getComputedStyle(document.querySelector(sel)!).outlineStyle, gradCanvas(0));
  assert.equal(outline, 'solid', 'visible focus');
  // the step under the cursor drives the histograms and the table
  await frame(wv);
  const rows = await wv.page.locator('#numbers tbody tr').count();
  assert.equal(rows, 3 * 4, 'variants x layers');
  assert.match(await wv.page.locator('#numbers caption').innerText(), /At step 1 /);
  const first = await wv.page.locator('#numbers tbody tr').first().locator('td').allInnerTexts();
  assert.deepEqual(first.slice(0, 3), ['hidden 1', 'sigmoid', '1']);
  assert.match(await wv.page.locator('canvas.hist[data-variant="0"]').getAttribute('aria-label') ?? '', /Activation histograms of sigmoid\+glorot at step 1 .*hidden 1: most activations in/);
  // Tab reaches every heatmap
  const focusables = await wv.page.evaluate(() => [...document.querySelectorAll('canvas.heatmap')].every((c) => (c as HTMLElement).tabIndex === 0));
  assert.ok(focusables);
  assert.equal(await wv.page.evaluate(() => matchMedia('(prefers-reduced-motion: reduce)').matches), true);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('buttons post stop/export/openConfig for the run, and only while they make sense', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-buttons' });
  const [snapshot, ...deltas] = lecture.messages;
  await wv.post(snapshot);
  await wv.post(deltas[2]);
  await frame(wv);
  assert.equal(await wv.page.locator('#stop').isVisible(), true, 'Stop while live');
  await wv.page.click('#stop');
  await wv.page.click('#export');
  await wv.page.click('#open-config');
  assert.deepEqual((await wv.posted()).slice(1), [{ type: 'stop', runId: 'run-test-1' }, { type: 'export', runId: 'run-test-1' }, { type: 'openConfig', runId: 'run-test-1' }]);
  for (const m of deltas.slice(3)) await wv.post(m);
  await frame(wv);
  assert.equal(await wv.page.locator('#stop').isVisible(), false, 'no Stop once finished');
  await wv.close();
});

test('the HTML report is the same panel: embedded run, no host, same pixels', async () => {
  const file = path.join(ROOT, 'dist/test/report-lecture.html');
  fs.writeFileSync(file, reportHtml(lecture.final, path.join(ROOT, 'dist/webview')));
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-vs-report' });
  await wv.post(lecture.final);
  await frame(wv);
  const panelPixels = await wv.readCanvas(gradCanvas(0));
  await wv.close();
  const { page, ctx, errors } = await openReport(file);
  await page.waitForFunction(() => Number((document.getElementById('app') as HTMLElement).dataset.columns) === 675);
  const hidden = await page.evaluate(() => ['#stop', '#export', '#open-config'].map((s) => (document.querySelector(s) as HTMLElement).hidden));
  assert.deepEqual(hidden, [true, true, true], 'no host: no Stop, Export or Open config');
  const report = await page.evaluate((sel) => {
    const c = document.querySelector(sel) as HTMLCanvasElement;
    return { w: c.width, h: c.height, d: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
  }, gradCanvas(0));
  assert.equal(report.w, panelPixels.width);
  assert.equal(diffCount(panelPixels, { width: report.w, height: report.h, data: new Uint8Array(report.d) }), 0, 'identical heatmap');
  assert.deepEqual(errors, []);
  await page.screenshot({ path: path.join(SCREEN_DIR, 'report-dark.png'), fullPage: true });
  await ctx.close();
});
