/**
 * Distributions over time in the training panel: a run trained by the real worker (one record per
 * column), its heatmap cells (bin × step) read out with the keyboard against the histograms in the
 * run's records on disk, and its percentile bands' numbers against the same histograms; the
 * weights' and gradients' percentile bands against the records' percentile probes; themes
 * recolour; the HTML report draws them. Screenshots of each.
 * MLP_LENS_README_SHOTS=1 also writes media/screenshots/panel-distributions.png.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { BAND_PERCENTILES, percentileOfHistogram } from '../../src/engine/percentiles';
import type { StepRecord } from '../../src/engine/trainer';
import { reportHtml } from '../../src/node/html-report';
import { readCheckedRecords } from '../../src/runs/read';
import type { HostToPanel } from '../../src/shared/protocol';
import { closeBrowser, diffCount, openReport, openWebview, ROOT, SCREEN_DIR } from './harness';
import { panelStream, recordWorker, type Snapshot } from './panel-stream';

const CONFIG = JSON.stringify({
  name: 'distributions',
  dataset: { type: 'digits', testFraction: 0.2, seed: 0 },
  layers: [32, 32], optimizer: 'sgd', lr: 0.2, batchSize: 32, epochs: 2, seed: 0,
  probes: { every: 1, histogramBins: 10 },
  variants: [
    { name: 'tanh', activation: 'tanh', init: 'glorot_uniform' },
    { name: 'sigmoid', activation: 'sigmoid', init: { scheme: 'normal', std: 1 } },
  ],
}, null, 2);
let stream: { messages: HostToPanel[]; final: Snapshot };
/** variant 1's step records from its run folder */
let steps: StepRecord[] = [];

before(async () => {
  const rec = await recordWorker(CONFIG, 'distributions.mlp.json');
  const s = panelStream(rec.msgs, CONFIG, rec.file, 1000, 'run-dist-1');
  stream = { messages: s.messages, final: s.model.snapshot({ gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 }) };
  const started = rec.msgs.find((m) => m.type === 'started') as Extract<typeof rec.msgs[number], { type: 'started' }>;
  await readCheckedRecords(started.runDirs[1]!, (st) => steps.push(...st));
});
after(closeBrowser);

test('the histogram cells and percentile bands match the run\'s records', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-distributions' });
  for (const m of stream.messages) await wv.post(m);
  await wv.waitFor(() => document.querySelectorAll('.dist-block').length === 2);
  const n = steps.length;
  assert.equal(n, 90, 'every step recorded');
  assert.equal(await wv.page.locator('#variants').getAttribute('data-count'), '2');
  for (const layer of [0, 1]) {
    const sel = `canvas.dist[data-variant="1"][data-layer="${layer}"]`;
    const counts = (s: StepRecord) => s.layers[layer]!.histogram!.counts as number[];
    const share = (s: StepRecord, bin: number) => counts(s)[bin]! / counts(s).reduce((a, b) => a + b, 0);
    // focus: the last column's top bin; then down the bins, then the first column
    await wv.page.focus(sel);
    const read = async () => (await wv.page.locator('#live').textContent()) ?? '';
    for (let row = 0; row < 10; row++) {
      if (row) await wv.page.keyboard.press('ArrowDown');
      const text = await read();
      const bin = 9 - row, want = share(steps[n - 1]!, bin);
      assert.match(text, new RegExp(`^sigmoid · hidden ${layer + 1}, activations in .* step ${n} \\(epoch 2\\), share = `), text);
      const got = Number(/share = ([\d.]+)%/.exec(text)![1]) / 100;
      assert.ok(Math.abs(got - want) < 1e-4, `layer ${layer} bin ${bin} at step ${n}: ${got} vs ${want}`);
    }
    await wv.page.keyboard.press('Home');
    const first = Number(/share = ([\d.]+)%/.exec(await read())![1]) / 100;
    assert.ok(Math.abs(first - share(steps[0]!, 0)) < 1e-4, `layer ${layer}: step 1's bottom bin`);
    // the bands' numbers at the last column: percentiles of the last record's histogram
    const label = (await wv.page.locator(`canvas.dist-bands[data-variant="1"][data-layer="${layer}"]`).getAttribute('aria-label')) ?? '';
    const median = percentileOfHistogram(counts(steps[n - 1]!), 0, 1, 50);
    assert.ok(label.includes(`the median is ${median.toPrecision(3)}`), `${label} (median ${median})`);
    const p16 = percentileOfHistogram(counts(steps[n - 1]!), 0, 1, BAND_PERCENTILES[2]!);
    assert.ok(label.includes(`16th to 84th percentile ${p16.toPrecision(3)} to`), label);
  }
  // the weights' and gradients' percentile bands: every weight layer, the last record's numbers
  for (let k = 0; k < 3; k++) {
    for (const [kind, field] of [['w', 'weightPercentiles'], ['g', 'gradPercentiles']] as const) {
      const label = (await wv.page.locator(`canvas.param-bands[data-variant="1"][data-layer="${k}"][data-kind="${kind}"]`).getAttribute('aria-label')) ?? '';
      const p = steps[n - 1]!.layers[k]![field]!;
      assert.ok(label.includes(`the median is ${p[2]!.toPrecision(3)}, 16th to 84th percentile ${p[1]!.toPrecision(3)} to ${p[3]!.toPrecision(3)}, range ${p[0]!.toPrecision(3)} to ${p[4]!.toPrecision(3)}`), `${kind} layer ${k}: ${label}`);
    }
  }
  await wv.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const block = wv.page.locator('.dist-block').nth(1);
  await block.screenshot({ path: path.join(SCREEN_DIR, 'panel-distributions-block-dark.png') });
  await wv.page.evaluate(() => window.scrollTo(0, 0));
  const box = (await wv.page.locator('#variants').boundingBox())!;
  const first = (await wv.page.locator('.dist-block').first().boundingBox())!;
  const clip = { x: box.x, y: first.y - 4, width: box.width, height: first.height + 8 };
  await wv.page.screenshot({ path: path.join(SCREEN_DIR, 'panel-distributions-dark.png'), fullPage: true, clip });
  if (process.env.MLP_LENS_README_SHOTS === '1') await wv.page.screenshot({ path: path.join(ROOT, 'media/screenshots/panel-distributions.png'), fullPage: true, clip });
  const dark = await wv.readCanvas('canvas.dist-bands', 0);
  await wv.setTheme('light');
  await wv.waitFor(() => true);
  assert.ok(diffCount(dark, await wv.readCanvas('canvas.dist-bands', 0)) > dark.width * dark.height * 0.5, 'recoloured for light');
  await wv.page.locator('.dist-block').nth(1).screenshot({ path: path.join(SCREEN_DIR, 'panel-distributions-block-light.png') });
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('the HTML report draws the distributions', async () => {
  const file = path.join(ROOT, 'dist/test/report-distributions.html');
  fs.writeFileSync(file, reportHtml(stream.final, path.join(ROOT, 'dist/webview')));
  const { page, ctx, errors } = await openReport(file);
  await page.waitForFunction(() => document.querySelectorAll('canvas.dist').length === 4 && document.querySelectorAll('canvas.dist-bands[aria-label]').length === 4);
  assert.deepEqual(errors, []);
  await ctx.close();
});
