/**
 * The decision regions in the training panel (2-feature data), fed a recorded stream of the spiral
 * example (trained by the real worker): the plane and the unit pictures draw and change as frames
 * arrive, the pixels follow the frame's classes, only frames the panel draws are sent, the table
 * and keyboard work, themes recolour, the HTML report draws them too; screenshots of each.
 * MLP_LENS_README_SHOTS=1 also writes media/screenshots/panel-regions.png for docs/panel.md.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { HostToPanel, RegionFrame } from '../../src/shared/protocol';
import { reportHtml } from '../../src/node/html-report';
import { closeBrowser, diffCount, openReport, openWebview, ROOT, SCREEN_DIR, type WebviewPage } from './harness';
import { panelStream, recordWorker, type Snapshot } from './panel-stream';

const SPIRAL = fs.readFileSync(path.join(ROOT, 'examples/spiral.mlp.json'), 'utf8').replace(/"epochs": \d+/, '"epochs": 40');
let stream: { messages: HostToPanel[]; final: Snapshot; frames: number };

before(async () => {
  const rec = await recordWorker(SPIRAL, 'spiral.mlp.json');
  const s = panelStream(rec.msgs, SPIRAL, rec.file, 1000, 'run-spiral-1');
  stream = { messages: s.messages, final: s.model.snapshot({ gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 }), frames: rec.msgs.filter((m) => m.type === 'regions').length };
});
after(closeBrowser);

/** the panel has drawn everything (it draws over a few frames: schedule.ts) */
const frame = (wv: WebviewPage) => wv.settled();
const plane = (v: number) => `canvas.region-plane[data-variant="${v}"]`;
const thumbs = (v: number) => `canvas.region-thumbs[data-variant="${v}"]`;

function framesIn(ms: HostToPanel[]): RegionFrame[] {
  const out: RegionFrame[] = [];
  for (const m of ms) if (m.type === 'delta') for (const v of m.variants) if (v.regions) out.push(v.regions);
  return out;
}

test('the worker sends region frames a few times a second, at most, each of 128x128 cells', () => {
  const frames = framesIn(stream.messages);
  assert.equal(frames.length, stream.frames, 'every frame reaches the panel once');
  assert.ok(frames.length >= 2, `${frames.length} frames`);
  for (const f of frames) {
    assert.equal(f.size, 128);
    assert.equal(f.layer, 0);
    assert.equal(f.units, 32);
    assert.equal(f.side, 32);
    // only what is drawn: the grid's two bytes a cell and the pictures' one byte a pixel
    assert.equal(Buffer.from(f.grid, 'base64').length, 128 * 128 * 2);
    assert.equal(Buffer.from(f.thumbs, 'base64').length, 32 * 32 * 32);
  }
  const planes = stream.messages.filter((m) => m.type === 'delta' && m.plane);
  assert.equal(planes.length, 1, 'the plane and its points are sent once');
});

test('the plane and unit pictures draw, change as training goes, and follow the frame', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-regions' });
  const [snapshot, ...deltas] = stream.messages;
  await wv.post(snapshot);
  const firstWith = deltas.findIndex((m) => m.type === 'delta' && m.variants.some((v) => v.regions && v.index === 1));
  for (const m of deltas.slice(0, firstWith + 1)) await wv.post(m);
  await frame(wv);
  assert.equal(await wv.page.locator('canvas.region-plane').count(), 2, 'one plane per variant');
  const early = await wv.readCanvas(plane(1));
  const earlyThumbs = await wv.readCanvas(thumbs(1));
  for (const m of deltas.slice(firstWith + 1)) await wv.post(m);
  await frame(wv);
  const late = await wv.readCanvas(plane(1));
  assert.ok(diffCount(early, late) > late.width * late.height * 0.05, 'the regions changed');
  assert.ok(diffCount(earlyThumbs, await wv.readCanvas(thumbs(1))) > 100, 'the unit pictures changed');
  // a cell's colour: the class's series colour over the background, by its confidence
  const last = framesIn(stream.messages).filter((f) => f.step === Math.max(...framesIn(stream.messages).map((g) => g.step))).pop()!;
  const grid = Buffer.from(last.grid, 'base64');
  const classesSeen = new Set<number>();
  for (let c = 0; c < 128 * 128; c++) classesSeen.add(grid[2 * c]!);
  assert.equal(classesSeen.size, 3, 'three classes over the plane');
  assert.equal(await wv.page.locator(plane(1)).getAttribute('aria-label').then((s) => /Decision regions of relu at step \d+/.test(s ?? '')), true);
  // the table alternative: per class its share of the plane, per unit its saturated share
  await wv.page.locator('.region-numbers summary').nth(1).click();
  await frame(wv);
  const rows = await wv.page.locator('.region-numbers').nth(1).locator('tr').count();
  assert.equal(rows, 1 + 3 + 1 + 32, 'a row per class and per unit, with their headers');
  const shares = await wv.page.locator('.region-numbers').nth(1).locator('table').first().locator('td.num').allTextContents();
  const total = shares.filter((_, i) => i % 2 === 0).reduce((a, t) => a + Number.parseFloat(t), 0);
  assert.ok(Math.abs(total - 100) < 0.5, `shares add up: ${total}`);
  // keyboard: the unit pictures take focus and arrows read a unit out
  await wv.page.focus(thumbs(1));
  await wv.page.keyboard.press('ArrowRight');
  assert.match(await wv.page.locator('#live').textContent() ?? '', /^unit 1: saturated over \d+% of the plane/);
  await wv.screenshot('dark');
  // the page scrolled to the top, so the sticky header covers nothing of the block
  await wv.page.locator('.region-numbers summary').nth(1).click(); // the table closed again
  await wv.page.evaluate(() => window.scrollTo(0, 0));
  const box = await wv.page.locator('#variants').boundingBox();
  const block = await wv.page.locator('article.variant .regions').first().boundingBox();
  const clip = { x: box!.x, y: block!.y - 4, width: box!.width, height: block!.height + 8 };
  await wv.page.screenshot({ path: path.join(SCREEN_DIR, 'panel-regions-dark.png'), fullPage: true, clip });
  if (process.env.MLP_LENS_README_SHOTS === '1') {
    fs.mkdirSync(path.join(ROOT, 'media/screenshots'), { recursive: true });
    await wv.page.screenshot({ path: path.join(ROOT, 'media/screenshots/panel-regions.png'), fullPage: true, clip });
  }
  await wv.page.locator('#variants').screenshot({ path: path.join(SCREEN_DIR, 'panel-regions-variants-dark.png') });
  const dark = await wv.readCanvas(plane(0));
  await wv.setTheme('light');
  await frame(wv);
  assert.ok(diffCount(dark, await wv.readCanvas(plane(0))) > dark.width * dark.height * 0.5, 'recoloured for light');
  await wv.page.locator('#variants').screenshot({ path: path.join(SCREEN_DIR, 'panel-regions-variants-light.png') });
  await wv.setTheme('high-contrast');
  await frame(wv);
  await wv.page.locator('#variants').screenshot({ path: path.join(SCREEN_DIR, 'panel-regions-variants-hc.png') });
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('a chosen unit layer is asked of the worker; the report carries every layer', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-regions-layer' });
  const [snapshot, ...deltas] = stream.messages;
  await wv.post(snapshot);
  for (const m of deltas.slice(0, Math.floor(deltas.length / 2))) await wv.post(m);
  await frame(wv);
  await wv.page.selectOption('#unit-layer', '1');
  await frame(wv);
  const asked = (await wv.posted<{ type: string; layer?: number }>()).filter((m) => m.type === 'regionLayer');
  assert.deepEqual(asked, [{ type: 'regionLayer', runId: 'run-spiral-1', layer: 1 }]);
  await wv.close();
  // the report: the CLI's frames, one per hidden layer
  const final = { ...stream.final, regions: stream.final.regions!.map((fs0) => fs0.length ? [fs0[0]!, { ...fs0[0]!, layer: 1 }] : fs0) };
  const file = path.join(ROOT, 'dist/test/report-spiral.html');
  fs.writeFileSync(file, reportHtml(final, path.join(ROOT, 'dist/webview')));
  const { page, ctx, errors } = await openReport(file);
  await page.waitForFunction(() => document.querySelectorAll('canvas.region-plane').length === 2 && !!document.querySelector('.regions[data-step]'));
  assert.deepEqual(errors, []);
  await page.screenshot({ path: path.join(SCREEN_DIR, 'report-spiral-dark.png'), fullPage: true });
  await ctx.close();
});
