/**
 * Test-set errors and weight pictures in the training panel (image data), fed a recorded stream of
 * a digits config trained by the real worker: the confusion matrix draws and its table holds the
 * epoch record's counts (summing to the test split), the keyboard reads cells out, the strip of
 * misclassified examples carries the true and predicted labels; the weight pictures' pixels are
 * the frame's weights on the theme's diverging scale, only a page of units is sent and another is
 * asked for; themes recolour; the HTML report draws both. Screenshots of each.
 * The CLI's report of an MNIST run: 28×28 weight pictures and misclassified digits.
 * MLP_LENS_README_SHOTS=1 also writes media/screenshots/panel-errors.png and panel-weights.png.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { loadDataset } from '../../src/engine/datasets';
import { resolveConfig } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/types';
import type { EpochRecord } from '../../src/engine/trainer';
import type { ErrorStrip, HostToPanel, WeightFrame } from '../../src/shared/protocol';
import { reportHtml } from '../../src/node/html-report';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import { closeBrowser, diffCount, openReport, openWebview, pixelAt, ROOT, SCREEN_DIR, type WebviewPage } from './harness';
import { panelStream, recordWorker, type Snapshot } from './panel-stream';
import { THEMES } from './themes';

const DIGITS = JSON.stringify({
  name: 'digits-pictures',
  dataset: { type: 'digits', testFraction: 0.2, seed: 0 },
  layers: [96, 32],
  optimizer: 'sgd', lr: 0.1, batchSize: 32, epochs: 4, seed: 0,
  variants: [
    { name: 'tanh', activation: 'tanh', init: 'glorot_uniform' },
    { name: 'relu', activation: 'relu', init: 'he_normal' },
  ],
}, null, 2);
let stream: { messages: HostToPanel[]; final: Snapshot };
let data: Dataset;

before(async () => {
  const rec = await recordWorker(DIGITS, 'digits-pictures.mlp.json');
  const s = panelStream(rec.msgs, DIGITS, rec.file, 1000, 'run-digits-1');
  stream = { messages: s.messages, final: s.model.snapshot({ gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 }) };
  const cfg = resolveConfig(DIGITS, rec.file)[0]!;
  data = await loadDataset(cfg.dataset, nodeDataIO(path.dirname(rec.file), findAssetDir()), rec.file);
});
after(closeBrowser);

/** the panel has drawn everything (it draws over a few frames: schedule.ts) */
const frame = (wv: WebviewPage) => wv.settled();

function sent(): { weights: WeightFrame[]; strips: ErrorStrip[]; epochs: EpochRecord[] } {
  const out = { weights: [] as WeightFrame[], strips: [] as ErrorStrip[], epochs: [] as EpochRecord[] };
  for (const m of stream.messages) {
    if (m.type !== 'delta') continue;
    for (const v of m.variants) {
      if (v.index !== 0) continue;
      if (v.weights) out.weights.push(v.weights);
      if (v.errorStrip) out.strips.push(v.errorStrip);
      out.epochs.push(...v.epochs);
    }
  }
  return out;
}

test('the worker sends a page of weight pictures and each epoch\'s misclassified examples, with the right labels', () => {
  const { weights, strips, epochs } = sent();
  assert.equal(epochs.length, 4);
  assert.ok(weights.length >= 2, `${weights.length} weight frames`);
  for (const f of weights) {
    assert.deepEqual([f.first, f.count, f.layerUnits], [0, 64, 96], 'the first page only: 64 of the 96 units');
    assert.deepEqual(f.shape, [8, 8]);
    assert.equal(Buffer.from(f.pixels, 'base64').length, 64 * 64, 'one byte per weight drawn, nothing more');
  }
  assert.ok(strips.length >= 1);
  for (const s of strips) {
    const rec = epochs.find((e) => e.epoch === s.epoch)!;
    assert.deepEqual(s.index, rec.errors!.misclassified.map((m) => m[0]));
    assert.deepEqual(s.predicted, rec.errors!.misclassified.map((m) => m[1]));
    assert.deepEqual(s.truth, s.index.map((i) => data.testY[i]));
    s.truth.forEach((t, k) => assert.notEqual(t, s.predicted[k], 'each example is misclassified'));
    assert.ok(s.index.length <= 16);
    assert.equal(Buffer.from(s.pixels, 'base64').length, s.index.length * 64);
  }
  for (const e of epochs) assert.equal(e.errors!.confusion.flat().reduce((a, b) => a + b, 0), data.testY.length);
});

test('the confusion matrix, per-class accuracy and misclassified strip draw and match the record', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-errors' });
  for (const m of stream.messages) await wv.post(m);
  await frame(wv);
  assert.equal(await wv.page.locator('canvas.confusion').count(), 2, 'one matrix per variant');
  const last = stream.final.epochs[1]!.at(-1)!;
  const block = wv.page.locator('article.variant').nth(1).locator('.errors-block');
  assert.equal(await block.getAttribute('data-epoch'), '4');
  // the table: a row per true class with its counts, examples and accuracy
  await block.locator('summary').click();
  await frame(wv);
  const rows = block.locator('tbody tr');
  assert.equal(await rows.count(), 10);
  let total = 0;
  for (let t = 0; t < 10; t++) {
    const cells = (await rows.nth(t).locator('td').allTextContents()).map(Number);
    assert.deepEqual(cells.slice(0, 10), last.errors!.confusion[t], `row ${t}`);
    const sum = last.errors!.confusion[t]!.reduce((a, b) => a + b, 0);
    assert.equal(cells[10], sum);
    assert.ok(Math.abs(cells[11]! - last.errors!.confusion[t]![t]! / sum) < 5e-4, `class ${t} accuracy`);
    total += sum;
  }
  assert.equal(total, data.testY.length, 'the matrix sums to the test split');
  // the matrix's diagonal cells are green-ish, an empty off-diagonal cell is the background
  const img = await wv.readCanvas('canvas.confusion', 1);
  assert.ok(img.width > 100 && img.height > 100);
  // keyboard: arrows read the cell out
  await wv.page.focus('canvas.confusion >> nth=1');
  await wv.page.keyboard.press('ArrowRight');
  await wv.page.keyboard.press('ArrowDown');
  const c = last.errors!.confusion[1]![1]!;
  assert.match(await wv.page.locator('#live').textContent() ?? '', new RegExp(`^true 1, predicted 1: ${c} test examples? \\(`));
  // the strip: the labels in its accessible name
  const strip = stream.final.pictures![1]!.errors!;
  const label = await block.locator('canvas.error-strip').getAttribute('aria-label');
  assert.match(label ?? '', new RegExp(`example ${strip.index[0]}, true ${strip.truth[0]}, predicted ${strip.predicted[0]}`));
  await block.locator('summary').click();
  await frame(wv);
  await wv.screenshot('dark');
  await block.screenshot({ path: path.join(SCREEN_DIR, 'panel-errors-block-dark.png') });
  const dark = await wv.readCanvas('canvas.error-strip', 1);
  await wv.setTheme('light');
  await frame(wv);
  assert.ok(diffCount(dark, await wv.readCanvas('canvas.error-strip', 1)) > dark.width * dark.height * 0.3, 'the strip recoloured for light');
  await block.screenshot({ path: path.join(SCREEN_DIR, 'panel-errors-block-light.png') });
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

const hex = (s: string): [number, number, number] => [1, 3, 5].map((i) => Number.parseInt(s.slice(i, i + 2), 16)) as [number, number, number];

test('the weight pictures\' pixels are the frame\'s weights on the diverging scale; paging asks for the next units', async () => {
  const wv = await openWebview('panel', { theme: 'dark', name: 'panel-weights' });
  for (const m of stream.messages) await wv.post(m);
  await frame(wv);
  const f = stream.final.pictures![0]!.weights!;
  const px = Buffer.from(f.pixels, 'base64');
  const img = await wv.readCanvas('canvas.weight-pictures', 0);
  // the layout drawn: 12 columns × 6 rows of 8×8 pictures for 64 units (weights.ts)
  const cols = 12, cw = img.width / cols, ch = img.height / 6, gap = Math.max(1, Math.round(cw * 0.06));
  const bg = hex(THEMES.dark['editor-background']!), red = hex(THEMES.dark['charts-red']!), blue = hex(THEMES.dark['charts-blue']!);
  let checked = 0, positive = 0, negative = 0;
  for (const u of [0, 5, 17, 63]) {
    const x0 = (u % cols) * cw + gap / 2, y0 = Math.floor(u / cols) * ch + gap / 2, sx = (cw - gap) / 8, sy = (ch - gap) / 8;
    for (let j = 0; j < 8; j++) {
      for (let i = 0; i < 8; i++) {
        const b = px[u * 64 + j * 8 + i]!, t = (b - 128) / 127, col = t < 0 ? blue : red;
        const want = [0, 1, 2].map((k) => Math.round(bg[k]! + (col[k]! - bg[k]!) * Math.abs(t)));
        const got = pixelAt(img, x0 + (i + 0.5) * sx, y0 + (j + 0.5) * sy);
        for (let k = 0; k < 3; k++) assert.ok(Math.abs(got[k]! - want[k]!) <= 2, `unit ${u} pixel (${i},${j}) byte ${b}: ${got} vs ${want}`);
        if (t > 0.3) positive++;
        if (t < -0.3) negative++;
        checked++;
      }
    }
  }
  assert.equal(checked, 256);
  assert.ok(positive > 10 && negative > 10, `both signs drawn (${positive} +, ${negative} −)`);
  const block = wv.page.locator('article.variant').first().locator('.weights-block');
  assert.match(await block.locator('.region-caption').textContent() ?? '', /^units 0–63 of 96 at step \d+, 8×8 each/);
  await block.screenshot({ path: path.join(SCREEN_DIR, 'panel-weights-block-dark.png') });
  // keyboard: a unit's weight range read out
  await wv.page.focus('canvas.weight-pictures >> nth=0');
  await wv.page.keyboard.press('ArrowRight');
  assert.match(await wv.page.locator('#live').textContent() ?? '', /^unit 1: weights -?\d\.\d{3} to -?\d\.\d{3}$/);
  // shared scale: a unit with a smaller largest weight draws fainter
  await block.locator('select').selectOption('shared');
  await frame(wv);
  assert.ok(diffCount(img, await wv.readCanvas('canvas.weight-pictures', 0)) > 100, 'the shared scale redraws');
  // the next page: asked of the host (a frame holds only the page shown), also once the run has
  // ended (the host reads it from the run's model.bin then); its frame then drawn
  await wv.posted(true);
  await block.getByRole('button', { name: 'Next ›' }).click();
  const asked = (await wv.posted<{ type: string; first?: number }>()).filter((m) => m.type === 'weightPage');
  assert.deepEqual(asked, [{ type: 'weightPage', runId: 'run-digits-1', first: 64 }]);
  const second: WeightFrame = { ...f, first: 64, count: 32, scales: f.scales.slice(0, 32), pixels: px.subarray(0, 32 * 64).toString('base64') };
  const snap = { ...stream.final, run: { ...stream.final.run, live: true }, pictures: stream.final.pictures!.map((p, i) => (i === 0 ? { ...p, weights: f } : p)) };
  await wv.post(snap);
  await frame(wv);
  const liveBlock = wv.page.locator('article.variant').first().locator('.weights-block');
  await wv.posted(true);
  await liveBlock.getByRole('button', { name: 'Next ›' }).click();
  assert.deepEqual((await wv.posted<{ type: string }>()).filter((m) => m.type === 'weightPage'), [{ type: 'weightPage', runId: 'run-digits-1', first: 64 }]);
  assert.match(await liveBlock.locator('.region-caption').textContent() ?? '', /waiting for the page asked for/);
  await wv.post({ type: 'delta', runId: 'run-digits-1', status: 'running', message: null, live: true, variants: [{ index: 0, meta: snap.run.variants[0]!, columns: null, epochs: [], weights: second }] });
  await frame(wv);
  assert.match(await liveBlock.locator('.region-caption').textContent() ?? '', /^units 64–95 of 96/);
  assert.equal(await liveBlock.getByRole('button', { name: 'Next ›' }).isDisabled(), true);
  await wv.setTheme('light');
  await frame(wv);
  await liveBlock.screenshot({ path: path.join(SCREEN_DIR, 'panel-weights-block-light.png') });
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('the HTML report draws the errors and the weight pictures', async () => {
  const file = path.join(ROOT, 'dist/test/report-digits.html');
  fs.writeFileSync(file, reportHtml(stream.final, path.join(ROOT, 'dist/webview')));
  const { page, ctx, errors } = await openReport(file, { colorScheme: 'light' });
  await page.waitForFunction(() => document.querySelectorAll('canvas.confusion').length === 2 && document.querySelectorAll('.weights-block[data-step]').length === 2);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: path.join(SCREEN_DIR, 'report-digits-light.png'), fullPage: true });
  await ctx.close();
});

test('the CLI\'s report of an MNIST run: 28×28 weight pictures of every unit, misclassified digits', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-mnist-report-'));
  const cfg = path.join(dir, 'mnist.mlp.json'), report = path.join(dir, 'report.html');
  fs.writeFileSync(cfg, JSON.stringify({
    // small initial weights: the pixels no digit touches keep theirs near 0, so the pictures show what was learnt
    name: 'mnist-pictures', dataset: { type: 'mnist' }, layers: [80], activation: 'relu', init: { scheme: 'normal', std: 0.01 },
    optimizer: 'adam', lr: 0.001, batchSize: 64, epochs: 3, seed: 0, probes: { every: 10 },
  }));
  execFileSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'train', cfg, '--out', path.join(dir, 'runs'), '--report', report], { stdio: 'pipe' });
  const { page, ctx, errors } = await openReport(report, { width: 900 });
  await page.waitForFunction(() => !!document.querySelector('.weights-block[data-step]') && !!document.querySelector('canvas.error-strip:not([hidden])'));
  const weights = page.locator('.weights-block');
  assert.match(await weights.locator('.region-caption').textContent() ?? '', /^units 0–63 of 80 at step \d+, 28×28 each/);
  // the report holds every unit: the next page draws without a worker
  await weights.getByRole('button', { name: 'Next ›' }).click();
  assert.match(await weights.locator('.region-caption').textContent() ?? '', /^units 64–79 of 80/);
  await weights.getByRole('button', { name: '‹ Previous' }).click();
  const strip = await page.locator('canvas.error-strip').getAttribute('aria-label');
  assert.equal((strip?.match(/example \d+, true \d, predicted \d/g) ?? []).length, 16);
  assert.deepEqual(errors, []);
  // from the page's top (the sticky header then covers nothing of the blocks)
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const [sel, name] of [['.weights-block', 'weights'], ['.errors-block', 'errors']] as const) {
    const box = (await page.locator(sel).boundingBox())!;
    const clip = { x: box.x - 4, y: box.y - 4, width: box.width + 8, height: box.height + 8 };
    await page.screenshot({ path: path.join(SCREEN_DIR, `report-mnist-${name}-dark.png`), fullPage: true, clip });
    if (process.env.MLP_LENS_README_SHOTS === '1') await page.screenshot({ path: path.join(ROOT, `media/screenshots/panel-${name}.png`), fullPage: true, clip });
  }
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
