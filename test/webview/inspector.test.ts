/**
 * The inspector side view (dist/webview/inspector.js) in headless Chromium, fed with real
 * inspections computed here by the engine: the empty state and its actions, the lecture
 * config's architecture, dataset, warnings and per-layer numbers (every number shown is the
 * engine's), colours from the shared scales, warning click -> reveal, the stale state keeping
 * the last result, a changed config changing the numbers, the per-unit heatmap's hover, runs,
 * state across reloads, three themes without CSP problems. Screenshots go to dist/test/screens/.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { locatePath } from '../../src/engine/inspect/paths';
import { InspectSession, type InspectOutcome } from '../../src/engine/inspect/session';
import { findAssetDir, nodeDataIO } from '../../src/node/io';
import type { HostToInspector, InspectorView } from '../../src/shared/protocol';
import { closeBrowser, meanColor, openWebview, ROOT } from './harness';

after(closeBrowser);

const lectureFile = path.join(ROOT, 'examples/lecture.mlp.json');
const lecture = fs.readFileSync(lectureFile, 'utf8');
const session = new InspectSession((f) => nodeDataIO(path.dirname(f), findAssetDir()));

/** The view message the host would send for this text. */
async function viewFor(text: string, file = lectureFile, state: 'fresh' | 'stale' = 'fresh'): Promise<InspectorView> {
  const o: InspectOutcome = await session.run(text, file);
  assert.equal(o.kind, 'ok');
  if (o.kind !== 'ok') throw new Error('not ok');
  const ins = o.inspection;
  const locations: Record<string, [number, number]> = {};
  for (const w of [...ins.warnings, ...ins.variants.flatMap((v) => v.warnings)]) {
    const r = locatePath(text, w.path);
    locations[w.path] = [r.line, r.column];
  }
  return { file, fileName: path.basename(file), version: 1, state, inspection: ins, problems: [], locations, timings: o.timings, latencyMs: 120, editedAt: null, postedAt: 0 };
}

let fresh: InspectorView;
before(async () => {
  fresh = await viewFor(lecture);
});

const msg = (view: InspectorView): HostToInspector => ({ type: 'view', view });

test('empty state: explains, and its buttons ask the host for a new config or the example', async () => {
  const wv = await openWebview('inspector', { theme: 'dark', width: 360, height: 500, name: 'inspector-empty' });
  await wv.post({ type: 'empty' });
  await wv.waitFor(() => document.getElementById('app')?.dataset.state === 'empty');
  assert.match(await wv.page.locator('#empty').innerText(), /No experiment config open/i);
  await wv.page.click('#new-config');
  await wv.page.click('#open-example');
  assert.deepEqual((await wv.posted()).map((m) => m.type), ['ready', 'newConfig', 'openExample']);
  await wv.screenshot('dark');
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('the lecture config: architecture, dataset, warnings and every number from the engine', async () => {
  const wv = await openWebview('inspector', { theme: 'dark', width: 380, height: 1400, name: 'inspector-lecture' });
  await wv.post(msg(fresh));
  await wv.waitFor(() => document.getElementById('app')?.dataset.state === 'fresh');
  const p = wv.page;
  assert.equal(await p.locator('.file-name').innerText(), 'lecture.mlp.json');
  assert.match(await p.locator('#status').innerText(), /up to date · 120 ms after the last edit/);
  const net = await p.locator('#network').innerText();
  assert.match(net, /64 → 64 → 64 → 64 → 10/);
  assert.match(net, /13,130 parameters/);
  const ds = await p.locator('#dataset').innerText();
  assert.match(ds, /digits · 1,438 train \/ 359 test · 10 classes · 64 features \(8×8\)/);
  assert.equal(await p.locator('.sample-img').count(), 10);
  // warnings: exactly the two the engine finds, in the engine's words
  const codes = await p.locator('.warn-item').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.variant}:${(e as HTMLElement).dataset.code}`));
  assert.deepEqual(codes, ['sigmoid+glorot:vanishing-signal', 'sigmoid+normal(1):saturated-init']);
  const texts = await p.locator('.warn-item').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  assert.match(texts[0]!, /layer 1 receives 1\/19\.4 of the gradient of layer 3.*try relu with he_normal/s);
  assert.match(texts[1]!, /% of layer-2 units are saturated at init.*use glorot_uniform/s);
  // every per-layer number shown is the engine's
  const cells = await p.locator('.cell[data-metric]').evaluateAll((els) => els.map((e) => {
    const d = (e as HTMLElement).dataset;
    return { variant: d.variant!, layer: Number(d.layer), metric: d.metric!, value: Number(d.value), text: e.textContent };
  }));
  const ins = fresh.inspection!;
  assert.equal(cells.filter((c) => c.metric === 'saturation').length, 9);
  assert.equal(cells.filter((c) => c.metric === 'delta').length, 12);
  assert.equal(cells.filter((c) => c.metric === 'gain').length, 9);
  for (const c of cells) {
    const v = ins.variants.find((x) => x.variant === c.variant)!;
    const l = v.layers![c.layer === 3 ? v.layers!.length - 1 : c.layer]!;
    const want = c.metric === 'saturation' ? l.saturation : c.metric === 'delta' ? l.delta : c.metric === 'gain' ? l.gain!.measured : l.mean;
    assert.equal(c.value, want, `${c.variant} ${c.metric} layer ${c.layer}`);
  }
  const sat = (variant: string, layer: number) => cells.find((c) => c.metric === 'saturation' && c.variant === variant && c.layer === layer)!;
  assert.equal(sat('sigmoid+normal(1)', 1).text, `${Math.round(ins.variants[2]!.layers![1]!.saturation! * 100)}%`);
  const gain = cells.find((c) => c.metric === 'gain' && c.variant === 'sigmoid+glorot' && c.layer === 0)!;
  assert.match(gain.text!, /^1\/4\.\d ?theory 1\/4\.\d$/, 'measured and theory, both about 1/4');
  // colours: a saturated cell's swatch is orange-ish, an unsaturated one is the background
  const swatchRgb = (variant: string, layer: number) => p.locator(`.cell[data-metric="saturation"][data-variant="${variant}"][data-layer="${layer}"] .swatch`)
    .evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(await swatchRgb('sigmoid+normal(1)', 1), await swatchRgb('sigmoid+glorot', 1));
  // per-unit heatmaps, one per variant; saturated units are drawn brighter than unsaturated ones
  assert.equal(await p.locator('.unit-map canvas').count(), 3);
  const glorotMap = await wv.readCanvas('.unit-map canvas', 0);
  const normalMap = await wv.readCanvas('.unit-map canvas', 2);
  const lum = (c: number[]) => c[0]! + c[1]! + c[2]!;
  assert.ok(lum(meanColor(normalMap, 0, 0, 1, 1)) > lum(meanColor(glorotMap, 0, 0, 1, 1)) + 30, 'normal(1) map is more saturated');
  // legend numbers are text
  const ticks = await p.locator('.legend-tick').allTextContents();
  assert.ok(ticks.includes('0') && ticks.includes('1'), ticks.join());
  assert.deepEqual(await wv.problems(), []);
  await wv.screenshot('dark');
  await wv.close();
});

test('click a warning: the host is asked to reveal its config field; Train posts train', async () => {
  const wv = await openWebview('inspector', { theme: 'light', width: 380, height: 900 });
  await wv.post(msg(fresh));
  await wv.waitFor(() => document.querySelectorAll('.warn-item').length === 2);
  await wv.page.locator('.warn-item[data-code="saturated-init"] summary').click();
  assert.match(await wv.page.locator('.warn-item[data-code="saturated-init"] .warn-body').innerText(), /Why: their gradient is ~0.*Fix: use glorot_uniform/s);
  await wv.page.locator('.warn-item[data-code="saturated-init"] button.goto').click();
  await wv.page.click('#train');
  const sent = await wv.posted<{ type: string; line?: number; column?: number; file?: string }>();
  const reveal = sent.find((m) => m.type === 'reveal')!;
  const at = locatePath(lecture, '$.variants[2].init');
  assert.deepEqual([reveal.line, reveal.column], [at.line, at.column]);
  assert.equal(reveal.file, lectureFile);
  assert.deepEqual(sent.find((m) => m.type === 'train'), { type: 'train', file: lectureFile });
  await wv.close();
});

test('stale: broken JSON keeps the last result, marked stale, with the error; then relu -> sigmoid changes the numbers', async () => {
  const wv = await openWebview('inspector', { theme: 'dark', width: 380, height: 1200, name: 'inspector-stale' });
  await wv.post(msg(fresh));
  await wv.waitFor(() => document.getElementById('app')?.dataset.state === 'fresh');
  const before = await wv.page.locator('#t-saturation').innerText();
  await wv.post({ type: 'busy', file: lectureFile, busy: true });
  await wv.waitFor(() => /inspecting/.test(document.getElementById('status')!.textContent!));
  const stale: InspectorView = { ...fresh, state: 'stale', problems: [{ severity: 'error', message: "expected ','", path: '', line: 9, column: 3 }] };
  await wv.post(msg(stale));
  await wv.waitFor(() => document.getElementById('app')?.dataset.state === 'stale');
  assert.match(await wv.page.locator('#stale-banner').innerText(), /has an error: showing the last valid result/);
  assert.match(await wv.page.locator('#problems').innerText(), /line 9: expected ','/);
  assert.equal(await wv.page.locator('#result.stale').count(), 1);
  assert.equal(await wv.page.locator('#t-saturation').innerText(), before, 'the last numbers stay');
  assert.equal(await wv.page.locator('#status').innerText(), 'stale');
  await wv.screenshot('dark');
  // click the error: reveal line 9
  await wv.page.locator('.problem button').click();
  assert.deepEqual((await wv.posted<{ type: string; line?: number }>()).filter((m) => m.type === 'reveal').map((m) => m.line), [9]);
  // the fixed text, with relu -> sigmoid in the relu+he variant
  const changed = await viewFor(lecture.replace('"name": "relu+he", "activation": "relu"', '"name": "relu+he", "activation": "sigmoid"'));
  await wv.post(msg(changed));
  await wv.waitFor(() => document.getElementById('app')?.dataset.state === 'fresh');
  const relu = async (metric: string, layer: number) => Number(await wv.page.locator(`.cell[data-metric="${metric}"][data-variant="relu+he"][data-layer="${layer}"]`).getAttribute('data-value'));
  const v = changed.inspection!.variants[1]!;
  assert.equal(await relu('saturation', 1), v.layers![1]!.saturation);
  assert.equal(await relu('gain', 0), v.layers![0]!.gain!.measured);
  assert.notEqual(await relu('saturation', 1), fresh.inspection!.variants[1]!.layers![1]!.saturation);
  assert.notEqual(await wv.page.locator('#t-saturation').innerText(), before);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('hover a unit: the tooltip names the variant, layer, unit and its saturation', async () => {
  const wv = await openWebview('inspector', { theme: 'dark', width: 380, height: 1400 });
  await wv.post(msg(fresh));
  await wv.waitFor(() => document.querySelectorAll('.unit-map canvas').length === 3);
  const c = wv.page.locator('.unit-map canvas').nth(2);
  await c.scrollIntoViewIfNeeded();
  const box = (await c.boundingBox())!;
  await wv.page.mouse.move(box.x + box.width * (5.5 / 64), box.y + box.height * (1.5 / 3));
  const text = await wv.page.locator('.tooltip').innerText();
  const want = fresh.inspection!.variants[2]!.layers![1]!.unitSaturation![5]!;
  assert.match(text, /sigmoid\+normal\(1\) · layer 2, unit 6/);
  assert.match(text, new RegExp(`saturated on ${Math.round(want * 100)}% of the batch`));
  await wv.close();
});

test('last run: its accuracy and status, unreadable run folders counted; Open in panel posts its run folders', async () => {
  const wv = await openWebview('inspector', { theme: 'dark', width: 380, height: 1400 });
  await wv.post(msg(fresh));
  await wv.post({
    type: 'runs', file: lectureFile, training: false, skippedCount: 7, skipped: ['/r/x: summary.json is a device; a regular file is required', '/r/y: summary.json is a symbolic link to /etc/passwd, outside /r'], runs: [
      { variant: 'sigmoid+glorot', runDir: '/r/a', status: 'completed', epochs: 5, epochsPlanned: 5, trainAccuracy: 0.1, testAccuracy: 0.103, finishedAt: '2026-11-27T21:00:00.000Z' },
      { variant: 'relu+he', runDir: '/r/b', status: 'completed', epochs: 5, epochsPlanned: 5, trainAccuracy: 0.93, testAccuracy: 0.911, finishedAt: '2026-11-27T21:00:01.000Z' },
    ],
  });
  await wv.waitFor(() => document.querySelectorAll('.runs tr[data-variant]').length === 2);
  assert.match(await wv.page.locator('.runs tr[data-variant="relu+he"]').innerText(), /relu\+he\s+completed\s+91%\s+5\/5/);
  // run folders that could not be read are reported, with the first reasons on opening the note
  assert.match(await wv.page.locator('#skipped-runs summary').innerText(), /^7 run folders could not be read and were skipped$/);
  await wv.page.click('#skipped-runs summary');
  const reasons = await wv.page.locator('#skipped-runs li').allInnerTexts();
  assert.deepEqual(reasons, ['/r/x: summary.json is a device; a regular file is required', '/r/y: summary.json is a symbolic link to /etc/passwd, outside /r', 'and 5 more (MLP Lens output channel)']);
  await wv.page.click('#open-run');
  assert.deepEqual((await wv.posted<{ type: string; runDirs?: string[] }>()).find((m) => m.type === 'openRun')!.runDirs, ['/r/a', '/r/b']);
  // the state survives a reload (VS Code reloads a hidden webview); saving is debounced
  for (let i = 0; i < 50 && !((await wv.state<{ last: { type: string }[] }>())?.last ?? []).some((m) => m.type === 'runs'); i++) await wv.page.waitForTimeout(50);
  await wv.reload();
  await wv.waitFor(() => document.querySelectorAll('.runs tr[data-variant]').length === 2 && document.querySelectorAll('.warn-item').length === 2);
  await wv.close();
});

test('a 2-D dataset shows a scatter; table data shows feature statistics', async () => {
  const wv = await openWebview('inspector', { theme: 'light', width: 380, height: 1000, name: 'inspector-spiral' });
  const spiral = path.join(ROOT, 'examples/spiral.mlp.json');
  await wv.post(msg(await viewFor(fs.readFileSync(spiral, 'utf8'), spiral)));
  await wv.waitFor(() => !!document.getElementById('scatter'));
  await wv.page.waitForTimeout(100);
  const img = await wv.readCanvas('#scatter');
  const c = meanColor(img, 0, 0, 1, 1);
  assert.ok(c[0] + c[1] + c[2] < 3 * 250, 'points drawn on the white background');
  await wv.screenshot('light');
  const iris = JSON.stringify({ dataset: { type: 'iris' }, layers: [8] });
  await wv.post(msg(await viewFor(iris, path.join(ROOT, 'iris.mlp.json'))));
  await wv.waitFor(() => !!document.querySelector('table.features'));
  assert.match(await wv.page.locator('table.features').innerText(), /petal length/);
  assert.deepEqual(await wv.problems(), []);
  await wv.close();
});

test('themes: light, dark and high contrast draw without CSP problems', async () => {
  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    const wv = await openWebview('inspector', { theme, width: 360, height: 1300, name: 'inspector-theme' });
    await wv.post(msg(fresh));
    await wv.waitFor(() => document.querySelectorAll('.unit-map canvas').length === 3);
    await wv.page.waitForTimeout(100);
    await wv.screenshot(theme);
    assert.deepEqual(await wv.problems(), [], theme);
    await wv.close();
  }
});
