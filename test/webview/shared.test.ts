/**
 * webview/shared in Chromium (through the testbed bundle): the heatmap draws one cell per data
 * value scaled up, colours follow the shared scale, the legend prints its numbers, hover and
 * keyboard find the right cell, theme changes recolour, state survives a reload, CSP holds.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeBrowser, meanColor, openWebview, pixelAt } from './harness';

after(closeBrowser);

const grid = { type: 'heatmap', cols: 4, rows: 2, values: [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, NaN, 0.5], domain: { kind: 'log', min: 1e-4, max: 10 }, ramp: 'viridis' };

test('heatmap: one cell per value, log colours, legend numbers, no CSP problems', async () => {
  const wv = await openWebview('testbed', { theme: 'dark', width: 400, height: 400 });
  assert.deepEqual(await wv.posted(), [{ type: 'ready' }]);
  await wv.post(grid);
  const img = await wv.readCanvas('#hm');
  // cell (0,0) is the bottom of viridis (dark purple), (1,1) = 10 is the top (yellow)
  const c00 = meanColor(img, 0.05, 0.1, 0.2, 0.4);
  const c11 = meanColor(img, 0.3, 0.6, 0.45, 0.9);
  assert.ok(Math.abs(c00[0] - 68) < 3 && Math.abs(c00[2] - 84) < 3, `low end ${c00}`);
  assert.ok(c11[0] > 240 && c11[1] > 220 && c11[2] < 60, `high end ${c11}`);
  // NaN shows the background (#1f1f1f)
  const nan = meanColor(img, 0.55, 0.6, 0.7, 0.9);
  assert.ok(nan.every((v) => Math.abs(v - 31) < 3), `missing ${nan}`);
  const ticks = await wv.page.locator('.legend-tick').allTextContents();
  assert.deepEqual(ticks, ['1e-4', '1e-3', '0.01', '0.1', '1', '10']);
  assert.deepEqual(await wv.problems(), []);
  await wv.screenshot('dark');
  await wv.close();
});

test('the panel page as the extension makes it (bundle inlined) and by URL (its fallback): it runs, asks for its run, no CSP problems', async () => {
  for (const byUrl of [false, true]) {
    const wv = await openWebview('panel', { byUrl });
    assert.equal(await wv.page.locator('script[src]').count(), byUrl ? 1 : 0, `byUrl ${byUrl}`);
    assert.equal(await wv.page.locator('link[rel="stylesheet"][href*="panel.css"]').count(), byUrl ? 1 : 0);
    assert.deepEqual((await wv.posted()).map((m) => (m as { type: string }).type), ['ready']);
    assert.equal(await wv.page.locator('#empty').isVisible(), true, 'its styles applied: the empty state shows');
    assert.deepEqual(await wv.problems(), []);
    await wv.close();
  }
});

test('hover and keyboard hit the right cell; theme change recolours; state survives reload', async () => {
  const wv = await openWebview('testbed', { theme: 'light', width: 400, height: 400 });
  await wv.post({ ...grid, ramp: 'theme', domain: { kind: 'linear', min: 0, max: 10 } });
  const box = (await wv.page.locator('#hm').boundingBox())!;
  await wv.page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.25);
  assert.match(await wv.page.locator('.tooltip').innerText(), /col 3, row 0\s+value 0\.1/);
  await wv.page.focus('#hm');
  await wv.page.keyboard.press('ArrowDown');
  await wv.page.keyboard.press('Home');
  const cells = (await wv.posted<{ type: string; col?: number; row?: number }>()).filter((m) => m.type === 'cell');
  assert.deepEqual(cells.at(-1), { type: 'cell', col: 0, row: 1 });
  const light = await wv.readCanvas('#hm');
  // the "theme" ramp runs from the editor background: a 0..10 value of 1e-4 is white on Light Modern
  assert.deepEqual(pixelAt(light, 2, 2).slice(0, 3), [255, 255, 255]);
  await wv.setTheme('dark');
  const dark = await wv.readCanvas('#hm');
  assert.deepEqual(pixelAt(dark, 2, 2).slice(0, 3), [31, 31, 31]);
  await wv.reload();
  const again = await wv.readCanvas('#hm');
  assert.ok(again.width > 0 && pixelAt(again, 2, 2)[3] === 255, 'drawn from saved state after reload');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});
