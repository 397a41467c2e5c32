/**
 * The panel's Pause, Step, Resume and Continue buttons (dist/webview/panel.js in headless
 * Chromium, fed the lecture's recorded stream): a live run offers Pause; paused, the badge says
 * so, the button reads Resume (pressed) and Step appears; each button posts its message with
 * the run's id; a stopped or completed run offers Continue. Screenshot: panel-paused-dark.png
 * (MLP_LENS_README_SHOTS=1 also writes media/screenshots/panel-paused.png for docs/panel.md).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { HostToPanel } from '../../src/shared/protocol';
import { closeBrowser, openWebview, ROOT, type WebviewPage } from './harness';
import { LECTURE, panelStream, recordWorker } from './panel-stream';

let messages: HostToPanel[];
before(async () => {
  const rec = await recordWorker(LECTURE, 'lecture.mlp.json');
  messages = panelStream(rec.msgs, LECTURE, rec.file).messages;
});
after(closeBrowser);

const frame = (wv: WebviewPage) => wv.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const shown = (wv: WebviewPage, id: string) => wv.page.evaluate((i) => !(document.getElementById(i) as HTMLElement).hidden, id);

test('Pause, Step, Resume while live; Continue once the run has ended', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-paused' });
  const [snapshot, ...deltas] = messages;
  assert.ok(snapshot?.type === 'snapshot');
  const runId = snapshot.run.id;
  await wv.post(snapshot);
  const half = deltas.slice(0, Math.floor(deltas.length / 2)).filter((d) => d.type === 'delta' && d.live);
  for (const m of half) await wv.post(m);
  await frame(wv);
  assert.equal(await shown(wv, 'pause'), true, 'a live run offers Pause');
  assert.equal(await shown(wv, 'step'), false, 'Step only while paused');
  assert.equal(await shown(wv, 'continue'), false, 'no Continue while live');
  await wv.posted(true);
  await wv.page.click('#pause');
  assert.deepEqual(await wv.posted(true), [{ type: 'pause', runId }]);
  // the host says it is paused
  const last = half.at(-1)!;
  assert.ok(last.type === 'delta');
  await wv.post({ ...last, variants: [], paused: true });
  await frame(wv);
  assert.equal(await wv.page.textContent('#status'), 'paused');
  assert.equal(await wv.page.textContent('#pause'), 'Resume');
  assert.equal(await wv.page.getAttribute('#pause', 'aria-pressed'), 'true');
  assert.equal(await shown(wv, 'step'), true, 'paused: Step is offered');
  await wv.screenshot('dark');
  if (process.env.MLP_LENS_README_SHOTS === '1') {
    // the header and the curves, for docs/panel.md
    fs.mkdirSync(path.join(ROOT, 'media/screenshots'), { recursive: true });
    const box = await wv.page.locator('div.note').first().boundingBox();
    await wv.page.screenshot({ path: path.join(ROOT, 'media/screenshots/panel-paused.png'), clip: { x: 0, y: 0, width: 1200, height: Math.ceil(box!.y + box!.height + 8) } });
  }
  await wv.page.focus('#step');
  await wv.page.keyboard.press('Enter'); // keyboard works as the mouse does
  await wv.page.click('#step');
  assert.deepEqual(await wv.posted(true), [{ type: 'step', runId }, { type: 'step', runId }]);
  await wv.page.click('#pause');
  assert.deepEqual(await wv.posted(true), [{ type: 'resume', runId }]);
  await wv.post({ ...last, variants: [], paused: false });
  await frame(wv);
  assert.equal(await wv.page.textContent('#pause'), 'Pause');
  assert.equal(await shown(wv, 'step'), false);
  // the rest of the stream: the run completes
  for (const m of deltas.slice(Math.floor(deltas.length / 2))) await wv.post(m);
  await frame(wv);
  assert.equal(await shown(wv, 'pause'), false, 'an ended run offers no Pause');
  assert.equal(await shown(wv, 'continue'), true, 'a completed run offers Continue');
  await wv.page.click('#continue');
  assert.deepEqual(await wv.posted(true), [{ type: 'continueRun', runId }]);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});
