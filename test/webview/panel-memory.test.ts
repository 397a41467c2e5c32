/**
 * The training panel's retained data stays bounded however long a run is: it holds at most the
 * history capacity of columns per variant (the host compacts, the panel follows), and a new run
 * replaces the old one's data. Functional, not timing: counts of what the panel holds (its
 * `data-columns`), fed the lecture example trained by the real worker with a small capacity.
 * (`npm run bench:panel` measures frame times and the JS heap.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostToPanel } from '../../src/shared/protocol';
import { closeBrowser, openWebview, type WebviewPage } from './harness';
import { LECTURE, panelStream, recordWorker } from './panel-stream';

let recorded: Awaited<ReturnType<typeof recordWorker>>;
before(async () => {
  recorded = await recordWorker(LECTURE, 'lecture.mlp.json');
});
after(closeBrowser);

const APP = (wv: WebviewPage, key: string) => wv.page.evaluate((k) => (document.getElementById('app') as HTMLElement).dataset[k] ?? '', key);
const frame = (wv: WebviewPage) => wv.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

test('the panel holds at most its history capacity of columns per variant, and a new run replaces the old one', async () => {
  const capacity = 40;
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-memory' });
  let most = 0;
  for (let run = 1; run <= 3; run++) {
    const { messages } = panelStream(recorded.msgs, LECTURE, recorded.file, capacity, `run-memory-${run}`);
    assert.ok(messages.length > 10, 'a stream of deltas');
    for (const [i, m] of (messages as HostToPanel[]).entries()) {
      await wv.post(m);
      if (i % 10 === 0) {
        await frame(wv);
        most = Math.max(most, Number(await APP(wv, 'columns')));
      }
    }
    await frame(wv);
    // every step counted (3 variants x 225), no more than the capacity of columns held
    assert.equal(await APP(wv, 'steps'), '675', `run ${run}: all steps arrived`);
    const held = Number(await APP(wv, 'columns'));
    assert.ok(held > 0 && held <= 3 * capacity, `run ${run}: ${held} columns held, capacity ${capacity} a variant`);
    most = Math.max(most, held);
    console.log(`  run ${run}: ${held} columns held at the end (${messages.length} messages, capacity ${capacity} a variant)`);
  }
  assert.ok(most <= 3 * capacity, `at most ${most} columns held at any point seen`);
  assert.equal(await wv.page.locator('canvas.heatmap.grad').count(), 3, 'the last run\'s three variants, not nine');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});
