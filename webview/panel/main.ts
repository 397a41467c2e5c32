/**
 * The training panel webview: loss/accuracy curves and, per variant side by side, heatmaps over
 * training time of saturation (layer x step), back-propagated gradient ‖δ‖ or ‖dW‖ (layer x
 * step, log colour scale shared by all variants), per-unit saturation of a chosen layer, the
 * activation histograms at the step under the cursor, and a table of the same numbers.
 *
 * Gets a snapshot (on load, reload, or from the HTML report's embedded JSON), then deltas.
 */
import '../shared/base.css';
import './panel.css';
import type { HostToPanel, PanelState, PanelToHost, PanelUiState } from '../../src/shared/protocol';
import type { LayerQuantity } from '../../src/shared/columns';
import { ColorScale, domainOf, formatNumber, Ramp, type ScaleDomain } from '../shared/colorscale';
import { attachCellInteraction, Heatmap, type Cell } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import { saturationScale as sharedSaturationScale } from '../shared/scales';
import { onThemeChange, parseColor, readTheme, type Theme } from '../shared/theme';
import { Tooltip } from '../shared/tooltip';
import { onHostMessage, vscodeApi } from '../shared/vscode-api';
import { Curves } from './charts';
import { ClientRun, heatmapSpan, runStepSpan, type ClientVariant, type Snapshot } from './model';

const api = vscodeApi<PanelState, PanelToHost>();
const saved = api.getState();
const ui: PanelUiState = { gradient: 'delta', unitLayer: 0, scale: null, showTable: false, ...saved?.ui };
let run: ClientRun | null = null;
let theme: Theme = readTheme();
/** the step under the mouse or keyboard cursor (shared by every variant), null: follow the latest */
let cursor: { step: number; variant: number } | null = null;
let renders = 0;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---------------------------------------------------------------------------------------------
// Static layout

const app = document.getElementById('app')!;
app.dataset.view = 'panel';
// wall-clock times for the end-to-end tests: script start, first columns drawn
app.dataset.loadedAt = String(Date.now());
const header = el('header', 'bar');
const title = el('h1', 'title', 'MLP Lens');
const status = el('span', 'badge', 'waiting');
status.id = 'status';
const progress = el('span', 'muted progress');
progress.id = 'progress';
const spacer = el('span', 'spacer');
const stopBtn = el('button', 'secondary', 'Stop');
stopBtn.id = 'stop';
stopBtn.title = 'Stop training (the run is kept as "stopped")';
const exportBtn = el('button', 'secondary', 'Export…');
exportBtn.id = 'export';
exportBtn.title = 'Save this run as a self-contained HTML report';
const configBtn = el('button', 'secondary', 'Open config');
configBtn.id = 'open-config';
header.append(title, status, progress, spacer, configBtn, exportBtn, stopBtn);
const message = el('div', 'message');
message.id = 'message';
message.setAttribute('role', 'status');
message.setAttribute('aria-live', 'polite');

const curves = el('section', 'curves');
curves.setAttribute('aria-label', 'loss and accuracy curves');
const lossBox = el('div', 'chart');
const accBox = el('div', 'chart');
const lossCanvas = el('canvas');
lossCanvas.id = 'loss-chart';
lossCanvas.setAttribute('role', 'img');
lossCanvas.setAttribute('aria-label', 'Loss per step (solid: training minibatches; dashed: test set per epoch)');
const accCanvas = el('canvas');
accCanvas.id = 'accuracy-chart';
accCanvas.setAttribute('role', 'img');
accCanvas.setAttribute('aria-label', 'Accuracy per step (solid: training minibatches; dashed: test set per epoch)');
lossBox.append(lossCanvas);
accBox.append(accCanvas);
curves.append(lossBox, accBox);
const chartNote = el('div', 'muted note', 'solid: training minibatches · dashed: test set at each epoch end');

const controls = el('section', 'controls');
controls.setAttribute('aria-label', 'display options');
const gradGroup = el('div', 'radio-group');
gradGroup.setAttribute('role', 'radiogroup');
gradGroup.setAttribute('aria-label', 'gradient quantity');
gradGroup.append(el('span', 'label', 'Gradient'));
const gradRadios = (['delta', 'gradW'] as const).map((q) => {
  const label = el('label');
  const input = el('input');
  input.type = 'radio';
  input.name = 'gradient';
  input.value = q;
  input.id = `grad-${q}`;
  input.addEventListener('change', () => {
    ui.gradient = q;
    saveState();
    scheduleRender();
  });
  label.append(input, document.createTextNode(q === 'delta' ? ' ‖δ‖ back-propagated' : ' ‖dW‖ weight gradient'));
  gradGroup.append(label);
  return input;
});
const scaleLabel = el('label', undefined, 'Colour domain ');
const scaleSelect = el('select');
scaleSelect.id = 'scale-mode';
for (const [v, t] of [['window', 'window: recent columns'], ['fixed', 'fixed (settings)']]) {
  const o = el('option', undefined, t);
  o.value = v!;
  scaleSelect.append(o);
}
scaleSelect.addEventListener('change', () => {
  ui.scale = scaleSelect.value as 'window' | 'fixed';
  saveState();
  scheduleRender();
});
scaleLabel.append(scaleSelect);
const unitLabel = el('label', undefined, 'Units of ');
const unitSelect = el('select');
unitSelect.id = 'unit-layer';
unitSelect.addEventListener('change', () => {
  ui.unitLayer = Number(unitSelect.value);
  saveState();
  rebuild();
});
unitLabel.append(unitSelect);
const stepReadout = el('span', 'muted step-readout');
stepReadout.id = 'step-counter';
controls.append(gradGroup, scaleLabel, unitLabel, stepReadout);

const legends = el('section', 'legends');
legends.setAttribute('aria-label', 'colour scales');
const satLegend = new Legend(legends);
const gradLegend = new Legend(legends);
satLegend.root.id = 'legend-saturation';
gradLegend.root.id = 'legend-gradient';

const variantsBox = el('section', 'variants');
variantsBox.id = 'variants';
variantsBox.setAttribute('aria-label', 'variants side by side');

const details = el('details', 'numbers');
details.id = 'numbers';
const summary = el('summary', undefined, 'Per-layer numbers (table)');
const tableBox = el('div', 'table-box');
details.append(summary, tableBox);
details.open = ui.showTable;
details.addEventListener('toggle', () => {
  ui.showTable = details.open;
  saveState();
  scheduleRender();
});
const live = el('div', 'visually-hidden');
live.id = 'live';
live.setAttribute('aria-live', 'polite');
const empty = el('div', 'empty muted', 'Waiting for the run…');
empty.id = 'empty';

app.append(header, message, empty, curves, chartNote, controls, legends, variantsBox, details, live);
const tooltip = new Tooltip(document.body);
const chartsView = new Curves([lossCanvas, accCanvas]);

stopBtn.addEventListener('click', () => run && api.postMessage({ type: 'stop', runId: run.run.id }));
exportBtn.addEventListener('click', () => run && api.postMessage({ type: 'export', runId: run.run.id }));
configBtn.addEventListener('click', () => run && api.postMessage({ type: 'openConfig', runId: run.run.id }));
if (api.standalone) {
  stopBtn.hidden = true;
  exportBtn.hidden = true;
  configBtn.hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Per-variant cards

interface HeatView {
  hm: Heatmap;
  kind: 'sat' | 'grad' | 'units';
  /** layer index per row (sat, grad) or the layer of the units */
  layers: number[];
  axis: HTMLElement;
  interaction: ReturnType<typeof attachCellInteraction>;
}

interface Card {
  root: HTMLElement;
  head: HTMLElement;
  info: HTMLElement;
  problem: HTMLElement;
  views: HeatView[];
  hist: HTMLCanvasElement;
}

let cards: Card[] = [];
let builtShape = '';

function shapeKey(r: ClientRun): string {
  return `${r.run.id}|${r.shape}|${ui.unitLayer}|${r.variants.map((v) => `${v.meta.name}:${v.store.meta?.length ?? 0}`).join(',')}`;
}

function hiddenLayers(v: ClientVariant): number[] {
  return (v.store.meta ?? []).filter((l) => l.hidden).map((l) => l.index);
}

function rowLabels(names: string[], rowsClass: string): HTMLElement {
  const box = el('div', `rowlabels ${rowsClass}`);
  box.setAttribute('aria-hidden', 'true');
  for (const n of names) box.append(el('span', undefined, n));
  return box;
}

function shortName(name: string): string {
  return name.replace('hidden ', 'h').replace('output', 'out');
}

function heatBlock(card: Card, v: ClientVariant, vi: number, kind: HeatView['kind'], heading: string, layers: number[], rowNames: string[], heightPx: number): HTMLElement {
  const block = el('div', `hm-block hm-${kind}`);
  block.append(el('div', 'hm-title', heading));
  const row = el('div', 'hm-row');
  const canvas = el('canvas', `heatmap ${kind}`);
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.dataset.variant = String(vi);
  canvas.dataset.kind = kind;
  canvas.setAttribute('aria-label', `${heading} for ${v.meta.name}. Arrow keys move over the cells; the value is read out.`);
  canvas.style.height = `${heightPx}px`;
  row.append(kind === 'units' ? rowLabels(['unit 0', `unit ${Math.max(0, (v.store.meta?.[layers[0]!]?.units ?? 1) - 1)}`], 'ends') : rowLabels(rowNames, 'layers'), canvas);
  const axis = el('div', 'axis muted');
  block.append(row, axis);
  const hm = new Heatmap(canvas);
  const view: HeatView = {
    hm, kind, layers, axis,
    interaction: attachCellInteraction(hm, {
      onCell: (cell, source) => onCell(vi, view, cell, source),
    }),
  };
  card.views.push(view);
  return block;
}

function rebuild(): void {
  for (const c of cards) for (const v of c.views) v.interaction.dispose();
  cards = [];
  variantsBox.replaceChildren();
  if (!run) return;
  const r = run;
  // the unit-layer choice: hidden layers of the first variant that has them
  const anyLayers = r.variants.find((v) => v.store.meta)?.store.meta ?? [];
  const hidden = anyLayers.filter((l) => l.hidden && l.units > 0);
  unitSelect.replaceChildren(...hidden.map((l) => {
    const o = el('option', undefined, `${l.name} (${l.units} units)`);
    o.value = String(l.index);
    return o;
  }));
  if (!hidden.some((l) => l.index === ui.unitLayer) && hidden.length) ui.unitLayer = hidden[0]!.index;
  unitSelect.value = String(ui.unitLayer);
  unitLabel.hidden = hidden.length === 0;
  variantsBox.dataset.count = String(r.variants.length);
  r.variants.forEach((v, vi) => {
    const root = el('article', 'variant');
    root.dataset.variant = v.meta.name;
    const head = el('h2', 'variant-name');
    const swatch = el('span', 'swatch');
    swatch.style.backgroundColor = theme.series[vi % theme.series.length]!;
    head.append(swatch, document.createTextNode(v.meta.name));
    const info = el('div', 'variant-info muted');
    const problem = el('div', 'variant-problem');
    problem.setAttribute('role', 'status');
    const card: Card = { root, head, info, problem, views: [], hist: el('canvas', 'hist') };
    root.append(head, info, problem);
    const meta = v.store.meta;
    if (!meta) {
      root.append(el('div', 'muted waiting', 'waiting for the first step…'));
    } else {
      const hid = hiddenLayers(v);
      const all = meta.map((l) => l.index);
      root.append(heatBlock(card, v, vi, 'sat', 'Saturation (layer × step)', hid, hid.map((k) => shortName(meta[k]!.name)), Math.max(36, hid.length * 16)));
      root.append(heatBlock(card, v, vi, 'grad', 'Gradient (layer × step, log)', all, all.map((k) => shortName(meta[k]!.name)), Math.max(44, all.length * 16)));
      const ul = meta[ui.unitLayer];
      if (ul && ul.units > 0) root.append(heatBlock(card, v, vi, 'units', `Units of ${ul.name}: saturation (unit × step)`, [ul.index], [], Math.min(160, Math.max(64, ul.units * 2))));
      const hb = el('div', 'hm-block hist-block');
      hb.append(el('div', 'hm-title hist-title', 'Activation histograms'));
      card.hist.setAttribute('role', 'img');
      card.hist.dataset.variant = String(vi);
      card.hist.style.height = `${Math.max(1, hid.length) * 34}px`;
      hb.append(card.hist);
      root.append(hb);
    }
    variantsBox.append(root);
    cards.push(card);
  });
  builtShape = shapeKey(r);
}

// ---------------------------------------------------------------------------------------------
// Scales

function gradientQuantity(): LayerQuantity {
  return ui.gradient === 'gradW' ? 'gradW' : 'delta';
}

function scaleMode(): 'window' | 'fixed' {
  return ui.scale ?? run?.settings.gradientScale ?? 'window';
}

function gradientScale(r: ClientRun): { scale: ColorScale; note: string } {
  const q = gradientQuantity();
  const label = q === 'delta' ? '‖δ‖' : '‖dW‖';
  const [lo, hi] = r.settings.gradientDomain;
  let domain: ScaleDomain;
  let note: string;
  if (scaleMode() === 'fixed') {
    domain = { kind: 'log', min: lo, max: hi };
    note = 'fixed';
  } else {
    const W = r.settings.colorWindow;
    const series: Float64Array[] = [];
    for (const v of r.variants) {
      const n = v.store.count;
      for (const L of v.store.layers) series.push(L.q[q].subarray(Math.max(0, n - W), n));
    }
    domain = domainOf(series, { kind: 'log', fallback: [lo, hi] });
    note = `all variants, last ${W} columns`;
  }
  const missing = parseColor(theme.background);
  return { scale: new ColorScale(domain, Ramp.viridis(), label, missing), note };
}

function saturationScale(): ColorScale {
  // shared with the side view (zero is a faint tint of the background: recorded, nothing saturated)
  return sharedSaturationScale(theme);
}

// ---------------------------------------------------------------------------------------------
// Rendering

let queued = false;
function scheduleRender(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    render();
  });
}

function statusText(s: string): string {
  return s;
}

function cursorCol(v: ClientVariant): number {
  if (!v.store.count) return -1;
  if (cursor === null) return v.store.count - 1;
  return Math.max(0, v.store.columnOfStep(cursor.step));
}

function fmtSteps(v: ClientVariant, c: number): string {
  const s = v.store.s;
  const a = s.stepFrom[c]!, b = s.step[c]!;
  const n = s.n[c]!;
  return a === b ? `step ${b} (epoch ${s.epoch[c]! + 1})` : `steps ${a}–${b} (epoch ${s.epoch[c]! + 1}, mean of ${n} records)`;
}

function render(): void {
  renders++;
  app.dataset.renders = String(renders);
  if (!run) {
    empty.hidden = false;
    return;
  }
  const r = run;
  empty.hidden = true;
  if (shapeKey(r) !== builtShape) rebuild();
  document.title = `MLP Lens: ${r.run.title}`;
  title.textContent = r.run.title;
  title.title = r.run.configFile ?? '';
  status.textContent = statusText(r.run.status);
  status.dataset.status = r.run.status;
  const done = r.stepsDone, planned = r.stepsPlanned;
  progress.textContent = `${r.run.dataset ? `${r.run.dataset} · ` : ''}${done.toLocaleString('en-US')}${planned ? ` / ${planned.toLocaleString('en-US')}` : ''} steps`;
  stopBtn.disabled = !r.run.live;
  stopBtn.hidden = api.standalone || !r.run.live;
  configBtn.hidden = api.standalone || !r.run.configFile;
  const divs = r.variants.filter((v) => v.meta.divergence);
  message.textContent = [r.run.message ?? '', ...divs.map((v) => `${v.meta.name}: ${v.meta.divergence!.message}`)].filter(Boolean).join(' · ');
  message.className = `message ${r.run.status === 'crashed' || divs.length ? 'error' : ''}`;
  app.dataset.status = r.run.status;
  app.dataset.steps = String(done);
  app.dataset.columns = String(r.columns);
  app.dataset.stepSpan = String(runStepSpan(r));
  if (r.columns > 0 && !app.dataset.firstDataAt) app.dataset.firstDataAt = String(Date.now());
  app.dataset.runId = r.run.id;
  for (const input of gradRadios) input.checked = input.value === ui.gradient;
  scaleSelect.value = scaleMode();

  const sat = saturationScale();
  const { scale: grad, note } = gradientScale(r);
  satLegend.update(sat, 'fraction of units × batch');
  gradLegend.update(grad, note);
  app.dataset.gradMin = String(grad.domain.min);
  app.dataset.gradMax = String(grad.domain.max);

  const cursorColor = theme.focus;
  r.variants.forEach((v, vi) => {
    const card = cards[vi];
    if (!card) return;
    const m = v.meta;
    const lastEpoch = v.epochs[v.epochs.length - 1];
    const acc = lastEpoch?.test?.accuracy ?? m.summary?.test?.accuracy;
    card.info.textContent = [
      m.status,
      `epoch ${Math.min(m.epoch + (m.status === 'running' ? 1 : 0), m.epochsPlanned)}/${m.epochsPlanned}`,
      `step ${m.step}${m.totalSteps ? `/${m.totalSteps}` : ''}`,
      acc !== undefined && acc !== null && Number.isFinite(acc) ? `test acc ${acc.toFixed(3)}` : '',
      v.store.stride > 1 ? `${v.store.stride} records per column` : '',
    ].filter(Boolean).join(' · ');
    card.root.dataset.status = m.status;
    card.problem.textContent = m.divergence ? `diverged at step ${m.divergence.step}: non-finite ${m.divergence.where}` : m.status === 'crashed' ? 'the training worker crashed' : '';
    const store = v.store;
    const n = store.count;
    const span = heatmapSpan(r, v);
    const fill = span > 0 && n > 0 ? Math.min(1, store.s.step[n - 1]! / span) : 1;
    const cc = cursor !== null ? cursorCol(v) : null;
    const divCol = m.divergence ? Math.max(0, store.count - 1) : -1;
    for (const view of card.views) {
      const meta = store.meta!;
      const markers = [] as { col: number; row: number | null; kind: 'divergence' }[];
      if (m.divergence && divCol >= 0) {
        const layer = m.divergence.layer;
        const row = layer === null ? null : view.kind === 'units' ? null : view.layers.indexOf(layer);
        markers.push({ col: divCol, row: row === -1 ? null : row, kind: 'divergence' });
      }
      const own = view.interaction.current();
      const common = {
        cols: n, background: theme.background, fill, markers, markerColor: theme.error,
        cursorColor, cursorCol: cc, cursor: own, rowLines: view.kind === 'units' ? null : theme.background,
        // streaming: only the columns that changed are recoloured
        dirtyFrom: v.dirtyFrom, dataKey: view.kind === 'grad' ? gradientQuantity() : view.kind,
      };
      if (view.kind === 'sat') {
        view.hm.draw({ ...common, rows: view.layers.length, get: (c, row) => store.layers[view.layers[row]!]!.q.sat[c]!, scale: sat });
      } else if (view.kind === 'grad') {
        const q = gradientQuantity();
        view.hm.draw({ ...common, rows: view.layers.length, get: (c, row) => store.layers[view.layers[row]!]!.q[q][c]!, scale: grad });
      } else {
        const k = view.layers[0]!;
        const U = meta[k]!.units;
        const units = store.layers[k]!.units;
        view.hm.draw({ ...common, rows: U, get: (c, u) => units[c * U + u]!, scale: sat });
      }
      const first = n ? store.s.stepFrom[0]! : 0;
      const last = n ? store.s.step[n - 1]! : 0;
      view.axis.textContent = n ? `step ${first} → ${last}${m.totalSteps && last < m.totalSteps ? ` of ${m.totalSteps}` : ''}` : '';
    }
    v.dirtyFrom = Infinity;
    drawHistograms(card, v, vi);
  });
  // the curves cost more to redraw than the heatmaps: at most 4 times a second while streaming
  const now = performance.now();
  const chartsDue = lastCharts + 250 - now;
  if (!r.run.live || chartsDue <= 0 || cursor !== null || chartsKey !== chartsStateKey(r)) {
    chartsView.update(r, theme, cursor?.step ?? null);
    lastCharts = now;
    chartsKey = chartsStateKey(r);
  } else if (!chartsTimer) {
    chartsTimer = setTimeout(() => {
      chartsTimer = undefined;
      scheduleRender();
    }, chartsDue);
  }
  stepReadout.textContent = cursor !== null ? `cursor: step ${cursor.step}` : `latest step`;
  if (details.open) renderTable(r);
}

let lastCharts = 0;
let chartsKey = '';
let chartsTimer: ReturnType<typeof setTimeout> | undefined;
/** what the curves show apart from new data points (a change redraws them at once) */
function chartsStateKey(r: ClientRun): string {
  return `${r.run.id}|${r.run.status}|${theme.kind}|${theme.series.join(',')}`;
}

function drawHistograms(card: Card, v: ClientVariant, vi: number): void {
  const c = card.hist;
  const meta = v.store.meta;
  if (!meta || !c.isConnected) return;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, w, h);
  const col = cursorCol(v);
  const hid = meta.filter((l) => l.hidden && l.histBins > 0);
  if (col < 0 || !hid.length) return;
  const rowH = h / hid.length;
  const labelW = 44 * dpr;
  const color = theme.series[vi % theme.series.length]!;
  ctx.font = `${10 * dpr}px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  const desc: string[] = [];
  hid.forEach((l, i) => {
    const B = l.histBins;
    const hist = v.store.layers[l.index]!.hist.subarray(col * B, col * B + B);
    let max = 0;
    for (const x of hist) if (x > max) max = x;
    const y0 = i * rowH;
    ctx.fillStyle = theme.muted;
    ctx.fillText(shortName(l.name), 2 * dpr, y0 + rowH / 2);
    const [lo, hi] = l.histRange ?? [0, 1];
    ctx.fillText(`${formatNumber(lo, 2)}`, labelW - 2 * dpr - ctx.measureText(formatNumber(lo, 2)).width + 0, y0 + rowH - 6 * dpr);
    const bw = (w - labelW - 30 * dpr) / B;
    ctx.fillStyle = color;
    for (let b = 0; b < B; b++) {
      const frac = max > 0 ? hist[b]! / max : 0;
      const bh = Math.max(frac > 0 ? dpr : 0, frac * (rowH - 6 * dpr));
      ctx.fillRect(labelW + b * bw + 0.5 * dpr, y0 + rowH - 2 * dpr - bh, Math.max(dpr, bw - dpr), bh);
    }
    ctx.fillStyle = theme.muted;
    ctx.fillText(formatNumber(hi, 2), w - 28 * dpr, y0 + rowH - 6 * dpr);
    ctx.fillStyle = theme.border;
    ctx.fillRect(labelW, y0 + rowH - 2 * dpr, w - labelW - 30 * dpr, Math.max(1, dpr / 2));
    const top = Array.from(hist).map((x, b) => ({ x, b })).sort((a, b) => b.x - a.x)[0];
    if (top) desc.push(`${l.name}: most activations in [${formatNumber(lo + ((hi - lo) * top.b) / B, 3)}, ${formatNumber(lo + ((hi - lo) * (top.b + 1)) / B, 3)}] (${(top.x * 100).toFixed(0)}%)`);
  });
  c.setAttribute('aria-label', `Activation histograms of ${v.meta.name} at ${fmtSteps(v, col)}. ${desc.join('; ')}`);
  c.dataset.col = String(col);
}

function renderTable(r: ClientRun): void {
  const table = el('table');
  const cap = el('caption', undefined, cursor !== null ? `At step ${cursor.step} (the column under the cursor)` : 'At the latest step');
  table.append(cap);
  const head = el('tr');
  for (const t of ['variant', 'layer', 'activation', 'steps', 'saturation', '‖δ‖', '‖dW‖', 'mean', 'std', '‖ΔW‖/‖W‖']) {
    const th = el('th', undefined, t);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const v of r.variants) {
    const col = cursorCol(v);
    if (col < 0 || !v.store.meta) continue;
    for (const l of v.store.meta) {
      const q = v.store.layers[l.index]!.q;
      const tr = el('tr');
      const th = el('th', undefined, v.meta.name);
      th.scope = 'row';
      const steps = v.store.s.stepFrom[col] === v.store.s.step[col] ? String(v.store.s.step[col]) : `${v.store.s.stepFrom[col]}–${v.store.s.step[col]}`;
      tr.append(th, el('td', undefined, l.name), el('td', undefined, l.activation), el('td', 'num', steps),
        el('td', 'num', Number.isFinite(q.sat[col]!) ? q.sat[col]!.toFixed(3) : '–'),
        el('td', 'num', formatNumber(q.delta[col]!)), el('td', 'num', formatNumber(q.gradW[col]!)),
        el('td', 'num', formatNumber(q.mean[col]!)), el('td', 'num', formatNumber(q.std[col]!)), el('td', 'num', formatNumber(q.updateRatio[col]!)));
      tbody.append(tr);
    }
  }
  table.append(thead, tbody);
  tableBox.replaceChildren(table);
}

// ---------------------------------------------------------------------------------------------
// Hover and keyboard

function cellText(vi: number, view: HeatView, cell: Cell): string[] {
  const v = run!.variants[vi]!;
  const meta = v.store.meta!;
  const c = cell.col;
  const lines = [`${v.meta.name} · ${view.kind === 'units' ? `${meta[view.layers[0]!]!.name}, unit ${cell.row}` : meta[view.layers[cell.row]!]!.name}`, fmtSteps(v, c)];
  if (view.kind === 'sat') {
    const x = v.store.layers[view.layers[cell.row]!]!.q.sat[c]!;
    lines.push(`saturation = ${Number.isFinite(x) ? x.toPrecision(6).replace(/\.?0+$/, '') : '–'}`);
  } else if (view.kind === 'grad') {
    const q = gradientQuantity();
    const x = v.store.layers[view.layers[cell.row]!]!.q[q][c]!;
    lines.push(`${q === 'delta' ? '‖δ‖' : '‖dW‖'} = ${Number.isFinite(x) ? x.toExponential(4) : String(x)}`);
  } else {
    const k = view.layers[0]!;
    const U = meta[k]!.units;
    const x = v.store.layers[k]!.units[c * U + cell.row]!;
    lines.push(`unit saturation = ${Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : '–'}`);
  }
  const d = v.meta.divergence;
  if (d && c === v.store.count - 1) lines.push(`diverged at step ${d.step}: ${d.where}`);
  return lines;
}

function onCell(vi: number, view: HeatView, cell: Cell | null, source: 'mouse' | 'keyboard'): void {
  if (!run || !cell) {
    tooltip.hide();
    if (cursor !== null) {
      cursor = null;
      scheduleRender();
    }
    return;
  }
  const v = run.variants[vi]!;
  const lines = cellText(vi, view, cell);
  const p = view.hm.cellCenter(cell);
  tooltip.show(lines, p.x, p.y);
  if (source === 'keyboard') live.textContent = lines.join(', ');
  cursor = { step: v.store.s.step[cell.col]!, variant: vi };
  scheduleRender();
}

// ---------------------------------------------------------------------------------------------
// Messages and state

function saveState(): void {
  if (api.standalone) return;
  api.setState({ runId: run?.run.id ?? saved?.runId ?? null, runDirs: run ? run.run.variants.map((v) => v.runDir).filter((d): d is string => !!d) : saved?.runDirs ?? [], title: run?.run.title ?? saved?.title ?? '', ui });
}

function onSnapshot(s: Snapshot): void {
  run = new ClientRun(s);
  cursor = null;
  builtShape = '';
  saveState();
  scheduleRender();
}

onHostMessage<HostToPanel>((m) => {
  if (!m || typeof m !== 'object') return;
  try {
    switch (m.type) {
      case 'snapshot':
        onSnapshot(m);
        break;
      case 'delta':
        if (!run) return;
        if (!run.apply(m)) {
          api.postMessage({ type: 'resync', runId: run.run.id });
          return;
        }
        saveState();
        scheduleRender();
        break;
      case 'settings':
        if (run) run.settings = m.settings;
        scheduleRender();
        break;
    }
  } catch (e) {
    api.postMessage({ type: 'log', level: 'error', message: `panel: ${(e as Error).message}` });
    if (run) api.postMessage({ type: 'resync', runId: run.run.id });
  }
});

onThemeChange((t) => {
  theme = t;
  builtShape = '';
  scheduleRender();
});
new ResizeObserver(() => scheduleRender()).observe(variantsBox);
window.addEventListener('error', (e) => api.postMessage({ type: 'log', level: 'error', message: `panel: ${e.message}` }));

const boot = document.getElementById('mlp-bootstrap');
if (boot?.textContent) {
  // the HTML report: the run is embedded
  onSnapshot(JSON.parse(boot.textContent) as Snapshot);
} else {
  api.postMessage({ type: 'ready', runId: saved?.runId ?? null });
}
scheduleRender();
