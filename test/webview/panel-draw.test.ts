/**
 * How the training panel spreads its drawing (webview/panel/schedule.ts, visibility.ts), in
 * headless Chromium fed the lecture example trained by the real worker: while a run trains, what
 * is off-screen waits and is drawn when scrolled into view; a heatmap that waited through several
 * deltas (recolouring only the columns that changed meanwhile, all of them when the history
 * compacted) equals, pixel for pixel, one drawn
 * from scratch from the same data; once the run ends everything is drawn; a PNG export draws
 * whatever waited first. Functional, not timing (`npm run bench:panel` measures frames). The
 * panel under test lets off-screen views wait a minute (window.__mlpOffscreenMs) instead of a
 * second, so nothing is drawn off-screen by the clock during a test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostToPanel } from '../../src/shared/protocol';
import { closeBrowser, diffCount, openWebview, type WebviewPage } from './harness';
import { LECTURE, panelStream, recordWorker } from './panel-stream';

let messages: HostToPanel[];
before(async () => {
  const rec = await recordWorker(LECTURE, 'lecture.mlp.json');
  // 40 columns a variant: the history compacts (every column changes) while views wait
  messages = panelStream(rec.msgs, LECTURE, rec.file, 40).messages;
});
after(closeBrowser);

const SLOW = 'window.__mlpOffscreenMs = 60000;';
const frames = (wv: WebviewPage, n = 3) => wv.page.evaluate((k) => new Promise<void>((r) => { const f = (i: number) => (i ? requestAnimationFrame(() => f(i - 1)) : r()); f(k); }), n);
const pending = async (wv: WebviewPage) => Number(await wv.page.evaluate(() => document.getElementById('app')!.dataset.pending ?? '0'));
/** Deliver messages in one task, as a burst between two frames. */
const burst = (wv: WebviewPage, ms: HostToPanel[]) => wv.page.evaluate((list) => { for (const m of list) window.dispatchEvent(new MessageEvent('message', { data: m })); }, ms);
/** Every distribution drawn once (their bands get their accessible names when drawn). */
const distDrawn = (wv: WebviewPage) => wv.waitFor(() => [...document.querySelectorAll('canvas.dist-bands')].every((c) => c.hasAttribute('aria-label')) && document.querySelectorAll('canvas.dist-bands').length > 0);
const HEATMAPS = ['canvas.heatmap.sat', 'canvas.heatmap.grad', 'canvas.heatmap.units', 'canvas.heatmap.dist', 'canvas.dist-bands'];
/** the live part of the stream (the run still training at its end), and the rest */
const split = () => {
  const live = messages.filter((m) => m.type === 'snapshot' || (m.type === 'delta' && m.live));
  return { live, cut: Math.floor(live.length / 2), rest: messages.slice(messages.indexOf(live.at(-1)!) + 1) };
};

test('off-screen views wait while the run trains and are drawn when scrolled into view, equal to a draw from scratch', async () => {
  const { live, cut, rest } = split();
  assert.ok(live.length > 20 && rest.length > 0, `${live.length} live messages, ${rest.length} after`);
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-draw', height: 700, init: SLOW });
  await burst(wv, live.slice(0, cut));
  await distDrawn(wv);
  // scroll to the bottom: the curves and the heatmaps at the top leave the screen
  await wv.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await frames(wv);
  assert.ok(await wv.page.evaluate(() => document.querySelector('canvas.heatmap.sat')!.getBoundingClientRect().bottom < 0), 'the saturation heatmaps are off-screen');
  const waiting = await wv.readCanvas('canvas.heatmap.sat', 0);
  await burst(wv, live.slice(cut));
  await frames(wv);
  assert.ok(await pending(wv) > 0, 'off-screen views wait');
  assert.equal(diffCount(waiting, await wv.readCanvas('canvas.heatmap.sat', 0)), 0, 'an off-screen heatmap is not drawn while it waits');

  // the same messages at once: every view drawn from scratch
  const fresh = await openWebview('panel', { theme: 'dark', name: 'panel-draw-fresh', height: 700, init: SLOW });
  await burst(fresh, live);
  await distDrawn(fresh);
  await frames(fresh);
  for (const sel of HEATMAPS) {
    const n = await wv.page.locator(sel).count();
    assert.ok(n >= 3, `${sel}: ${n}`);
    for (let i = 0; i < n; i++) {
      // into view: drawn within a few frames (after the other views that came into view with it)
      await wv.page.locator(sel).nth(i).scrollIntoViewIfNeeded();
      const b = await fresh.readCanvas(sel, i);
      let a = await wv.readCanvas(sel, i);
      for (let t = 0; t < 40 && diffCount(a, b) > 0; t++) {
        await frames(wv, 1);
        a = await wv.readCanvas(sel, i);
      }
      assert.ok(a.width > 0 && a.height > 0);
      assert.equal(diffCount(a, b), 0, `${sel} #${i}: after waiting off-screen, equal to a draw from scratch`);
    }
  }
  assert.ok(diffCount(waiting, await wv.readCanvas('canvas.heatmap.sat', 0)) > 0, 'drawn once in view');
  const label = (p: WebviewPage) => p.page.locator('canvas.dist-bands').first().getAttribute('aria-label');
  assert.equal(await label(wv), await label(fresh));
  // the run ends: everything is drawn, on-screen or not
  await burst(wv, rest);
  await wv.settled();
  assert.equal(await pending(wv), 0);
  assert.deepEqual(await wv.problems(), []);
  await fresh.close();
  await wv.close();
});

test('a PNG export draws what waited off-screen first', async () => {
  const { live, cut } = split();
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-draw-export', height: 600, init: SLOW });
  await burst(wv, live.slice(0, cut));
  await distDrawn(wv);
  await frames(wv);
  const bands = wv.page.locator('canvas.dist-bands').last();
  assert.ok(await bands.evaluate((c) => c.getBoundingClientRect().top > window.innerHeight), 'the last distribution is below the screen');
  const stale = await bands.getAttribute('aria-label');
  await burst(wv, live.slice(cut));
  await frames(wv);
  assert.ok(await pending(wv) > 0, 'the views below the screen wait');
  assert.equal(await bands.getAttribute('aria-label'), stale, 'not drawn while it waits');
  await wv.posted(true);
  await wv.page.click('#save-png');
  assert.notEqual(await bands.getAttribute('aria-label'), stale, 'drawn for the picture');
  const sent = await wv.posted<{ type: string; format?: string; data?: string }>();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.type, 'exportImage');
  assert.equal(Buffer.from(sent[0]!.data ?? '', 'base64').subarray(1, 4).toString(), 'PNG');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});
