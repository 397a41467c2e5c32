/**
 * The panel's seed view and its exports in headless Chromium: a seeds config (2 variants x 3
 * seeds) trained by the real worker and streamed as the extension streams it. One card per
 * variant with its median seed's heatmaps (or a chosen seed's), mean curves in a band (min–max
 * or quartiles), the final-accuracy table's numbers against the runs' summaries; one seed
 * looks as a plain run; PNG, SVG and CSV exports post what the host's validator accepts.
 * MLP_LENS_README_SHOTS=1 also writes media/screenshots/panel-seeds.png for docs/panel.md.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parsePanelMessage } from '../../src/host/validate-message';
import type { HostToPanel, PanelToHost } from '../../src/shared/protocol';
import { meanStd, medianIndex } from '../../src/shared/seed-stats';
import { closeBrowser, diffCount, openWebview, ROOT, SCREEN_DIR, type WebviewPage } from './harness';
import { panelStream, recordWorker, SEEDS, type Snapshot } from './panel-stream';

let seeds: { messages: HostToPanel[]; final: Snapshot };
let single: { messages: HostToPanel[] };

before(async () => {
  const rec = await recordWorker(SEEDS, 'seeds.mlp.json', true);
  const s = panelStream(rec.msgs, SEEDS, rec.file, 1000, 'run-seeds-1', true);
  seeds = { messages: s.messages, final: s.model.snapshot({ gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 }) };
  const one = SEEDS.replace('"seeds":[0,1,2]', '"seeds":[4]');
  assert.notEqual(one, SEEDS);
  const r1 = await recordWorker(one, 'one.mlp.json', true);
  single = { messages: panelStream(r1.msgs, one, r1.file, 1000, 'run-one-1', true).messages };
});
after(closeBrowser);

/** the panel has drawn everything (it draws over a few frames: schedule.ts) */
const frame = (wv: WebviewPage) => wv.settled();
async function feed(wv: WebviewPage, messages: HostToPanel[]): Promise<void> {
  for (const m of messages) await wv.post(m);
  await frame(wv);
}

/** Each group's final test accuracies, computed here from the streamed summaries. */
function expected(): { name: string; tests: number[]; seeds: number[]; median: number }[] {
  return seeds.final.run.groups!.map((g) => {
    const tests = g.members.map((m) => seeds.final.run.variants[m]!.summary!.test!.accuracy);
    return { name: g.name, tests, seeds: g.seeds, median: g.seeds[medianIndex(tests)]! };
  });
}

test('seed view: one card per variant with its median seed, mean ± std and every seed in the table', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-seeds' });
  await feed(wv, seeds.messages);
  const app = await wv.page.evaluate(() => ({ ...(document.getElementById('app') as HTMLElement).dataset }));
  assert.equal(app.status, 'completed');
  assert.equal(app.seedView, '2', 'two variants over seeds');
  assert.equal(await wv.page.locator('article.variant').count(), 2, 'one card per variant, not per run');
  assert.equal(await wv.page.locator('canvas.heatmap.grad').count(), 2);
  assert.equal(await wv.page.locator('#band-mode').isVisible(), true);
  for (const e of expected()) {
    const card = wv.page.locator(`article.variant[data-group="${e.name}"]`);
    assert.equal(await card.getAttribute('data-seed'), String(e.median), `${e.name}: the median seed's heatmaps (tests ${e.tests.join(', ')})`);
    assert.match((await card.locator('select.seed-select option').first().textContent()) ?? '', new RegExp(`median \\(seed ${e.median}\\)`));
    const row = wv.page.locator(`#seed-table tr[data-group="${e.name}"]`);
    const m = meanStd(e.tests);
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], '3/3');
    assert.equal(cells[1], `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`, `${e.name}: mean ± std`);
    assert.ok(m.std > 0, 'the seeds differ');
    for (const [k, s] of e.seeds.entries()) assert.equal(await row.locator(`td[data-seed="${s}"]`).textContent(), e.tests[k]!.toFixed(3));
    assert.equal(await row.locator('td.shown').getAttribute('data-seed'), String(e.median), 'the shown seed in bold');
  }
  assert.deepEqual(await wv.problems(), []);
  await wv.screenshot('dark');
  if (process.env.MLP_LENS_README_SHOTS === '1') {
    // docs/panel.md: the header down to the cards' histograms (the decision regions have their own picture)
    await wv.page.evaluate(() => window.scrollTo(0, 0));
    const hist = await wv.page.locator('article.variant .hist-block').first().boundingBox();
    const width = await wv.page.evaluate(() => document.documentElement.clientWidth);
    fs.mkdirSync(path.join(ROOT, 'media/screenshots'), { recursive: true });
    await wv.page.screenshot({ path: path.join(ROOT, 'media/screenshots/panel-seeds.png'), fullPage: true, clip: { x: 0, y: 0, width, height: hist!.y + hist!.height + 12 } });
  }
  await wv.setTheme('light');
  await frame(wv);
  await wv.screenshot('light');
  await wv.close();
});

test('seed view: choosing a seed shows its heatmaps; the band switches between min–max and quartiles', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-seeds-choice' });
  await feed(wv, seeds.messages);
  const e = expected()[0]!;
  const card = `article.variant[data-group="${e.name}"]`;
  const before = await wv.readCanvas(`${card} canvas.heatmap.grad`);
  const other = e.seeds.find((s) => s !== e.median)!;
  await wv.page.selectOption(`${card} select.seed-select`, String(other));
  await frame(wv);
  assert.equal(await wv.page.locator(card).getAttribute('data-seed'), String(other));
  const after = await wv.readCanvas(`${card} canvas.heatmap.grad`);
  assert.ok(diffCount(before, after) > 100, 'another seed, other heatmaps');
  const saved = await wv.state<{ ui: { seedChoice?: Record<string, number> } }>();
  assert.equal(saved?.ui.seedChoice?.[e.name], other, 'the choice is kept in the webview state');
  // back to the median
  await wv.page.selectOption(`${card} select.seed-select`, '');
  await frame(wv);
  assert.equal(await wv.page.locator(card).getAttribute('data-seed'), String(e.median));

  const chart = await wv.readCanvas('#accuracy-chart');
  await wv.page.selectOption('#band-mode', 'quartiles');
  await frame(wv);
  const quart = await wv.readCanvas('#accuracy-chart');
  assert.ok(diffCount(chart, quart) > 50, 'the quartile band is narrower than min–max');
  assert.match((await wv.page.locator('.note').first().textContent()) ?? '', /quartile/);
  await wv.page.selectOption('#band-mode', 'minmax');
  await frame(wv);
  assert.ok(diffCount(chart, await wv.readCanvas('#accuracy-chart')) < 20, 'min–max again draws as before');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('one seed: the panel looks as for a plain run (no seed view, no table, no band control)', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-one-seed' });
  await feed(wv, single.messages);
  assert.equal(await wv.page.evaluate(() => (document.getElementById('app') as HTMLElement).dataset.seedView), '');
  assert.equal(await wv.page.locator('article.variant').count(), 2, 'one card per run, as today');
  assert.equal(await wv.page.locator('select.seed-select').count(), 0);
  assert.equal(await wv.page.locator('#seeds').isVisible(), false);
  assert.equal(await wv.page.locator('#band-mode').isVisible(), false);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('export: PNG, SVG (vector curves, embedded heatmaps) and a CSV request, each accepted by the host\'s validator', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-seeds-export' });
  await feed(wv, seeds.messages);
  await wv.posted(true);
  for (const f of ['png', 'svg', 'csv']) await wv.page.click(`#save-${f}`);
  const posted = await wv.posted<PanelToHost>();
  assert.deepEqual(posted.map((m) => m.type), ['exportImage', 'exportImage', 'exportCsv']);
  for (const m of posted) {
    const r = parsePanelMessage(m);
    assert.ok(r.ok, `the host refuses ${m.type}: ${r.ok ? '' : r.reason}`);
  }
  const [png, svg] = posted as Extract<PanelToHost, { type: 'exportImage' }>[];
  assert.equal(png!.format, 'png');
  const bytes = Buffer.from(png!.data, 'base64');
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  const w = bytes.readUInt32BE(16), h = bytes.readUInt32BE(20);
  const page = await wv.page.evaluate(() => ({ w: document.getElementById('app')!.getBoundingClientRect().width, h: document.getElementById('app')!.getBoundingClientRect().height }));
  assert.ok(w >= page.w * 2 && h >= page.h * 2, `PNG ${w}x${h} at twice the panel's ${page.w}x${page.h}`);
  fs.mkdirSync(SCREEN_DIR, { recursive: true });
  fs.writeFileSync(path.join(SCREEN_DIR, 'panel-seeds-export.png'), bytes);
  assert.equal(svg!.format, 'svg');
  const doc = svg!.data;
  fs.writeFileSync(path.join(SCREEN_DIR, 'panel-seeds-export.svg'), doc);
  const images = doc.match(/<image [^>]*href="data:image\/png;base64,/g) ?? [];
  const canvases = await wv.page.evaluate(() => [...document.querySelectorAll('#app canvas')].filter((c) => c.id !== 'loss-chart' && c.id !== 'accuracy-chart' && (c as HTMLCanvasElement).getBoundingClientRect().width > 0).length);
  assert.equal(images.length, canvases, 'every canvas but the two charts embedded as a PNG');
  assert.equal((doc.match(/<clipPath /g) ?? []).length, 2, 'the two charts drawn as vectors');
  // per group per chart: a band (a closed filled path), a mean line and a dashed test line
  assert.ok((doc.match(/Z" fill="rgba\(/g) ?? []).length >= 4, 'the bands as filled paths');
  assert.ok((doc.match(/stroke-dasharray="5 4"/g) ?? []).length >= 4, 'the test means dashed');
  for (const e of expected()) assert.ok(doc.includes(`>${e.name}</text>`) || doc.includes(`>${e.name} `), `${e.name} named in the SVG`);
  assert.ok(doc.includes('Final accuracy over 3 seeds'), 'the table is in the picture');
  assert.ok(!doc.includes('>PNG<') && !doc.includes('>Stop<'), 'no buttons');
  // names are any text: one that looks like markup, a link or a handler still exports, as text
  const hostile = 'x" onload="alert(1)" <a href=javascript:alert(2)> url(https://e.test/a) @import';
  const snap = structuredClone(seeds.final);
  snap.run.id = 'run-hostile-1';
  snap.run.title = hostile;
  snap.run.groups![0]!.name = hostile;
  await wv.post(snap);
  await frame(wv);
  await wv.posted(true);
  await wv.page.click('#save-svg');
  const [m] = await wv.posted<PanelToHost>();
  const r = parsePanelMessage(m);
  assert.ok(r.ok, `refused: ${r.ok ? '' : r.reason}`);
  const text = (m as Extract<PanelToHost, { type: 'exportImage' }>).data;
  assert.ok(text.includes('x&quot; onload&#61;&quot;alert&#40;1)&quot; &lt;a href&#61;javascript&#58;alert&#40;2)&gt;'), 'the name as escaped text');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});
