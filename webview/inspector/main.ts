/**
 * The MLP Lens side view ("Inspector"): what the network of the active *.mlp.json will be and
 * how it behaves at its first step, for every variant side by side. The host (src/sideview/)
 * sends the inspection; this code only draws it and reports clicks.
 *
 * Sections: the file and its state (fresh / recomputing / stale with the error), problems of the
 * current text, warnings (click: reveal the config field), the network, the dataset with a small
 * preview, per-layer tables (saturation, ‖δ‖, gain measured vs theory, activations) with one
 * colour scale per quantity shared by every variant, per-unit saturation heatmaps, and the last
 * run of this config with Train and Open buttons. Numbers are real text (tables), colours are
 * swatches next to them, so everything reads in every theme and by screen readers.
 */
import '../shared/base.css';
import './inspector.css';
import { ColorScale, domainOf, formatNumber, Ramp, type ScaleDomain } from '../shared/colorscale';
import { attachCellInteraction, Heatmap } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import { gradientScale, saturationScale } from '../shared/scales';
import { onThemeChange, parseColor, readTheme, type RGBA } from '../shared/theme';
import { Tooltip } from '../shared/tooltip';
import { onHostMessage, vscodeApi } from '../shared/vscode-api';
import type { DatasetSummary, LayerInspection, VariantInspection } from '../../src/engine/inspect/inspect';
import type { InspectWarning } from '../../src/engine/inspect/types';
import type { HostToInspector, InspectorRun, InspectorState, InspectorToHost, InspectorView } from '../../src/shared/protocol';

const api = vscodeApi<InspectorState, InspectorToHost>();
const app = document.getElementById('app')!;
app.dataset.view = 'inspector';
const tip = new Tooltip();

let view: InspectorView | null = null;
let empty = false;
let busy = false;
let runs: InspectorRun[] = [];
let training = false;
let runsFile = '';
let theme = readTheme();
/** heatmaps to redraw on theme change / resize */
let redrawers: (() => void)[] = [];

// ---------------------------------------------------------------------------------------------
// helpers

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, onClick: () => void, cls = '', title = ''): HTMLButtonElement {
  const b = el('button', cls, label);
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

const pct = (x: number | null | undefined): string => (x == null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 1 : 0)}%`);
const num = (x: number | null | undefined, digits = 3): string => (x == null || !Number.isFinite(x) ? '–' : formatNumber(x, digits));
/** 13130 -> "13,130" (toLocaleString is slow enough to show in a profile) */
const int = (x: number): string => String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 1)} MB`;
}

/** a layer's gain: 0.219 -> "1/4.6", 0.05147 -> "1/19", 1.3 -> "×1.30" */
function gainText(g: number): string {
  if (!Number.isFinite(g)) return '–';
  if (g >= 1) return `×${g < 10 ? g.toFixed(2) : g.toFixed(0)}`;
  const inv = 1 / g;
  return inv < 1.25 ? `×${g.toFixed(2)}` : `1/${inv < 10 ? inv.toFixed(1) : inv.toFixed(0)}`;
}

function initText(v: VariantInspection): string {
  const i = v.init;
  const scheme = i.scheme === 'normal' ? `normal(${i.std})` : i.scheme === 'uniform' ? `uniform(±${i.limit})` : i.scheme;
  return i.bias ? `${scheme}, bias ${i.bias}` : scheme;
}

function activationText(v: VariantInspection): string {
  const a = v.activation;
  return a.every((x) => x === a[0]) ? (a[0] ?? '') : a.join('/');
}

let surfaceColor = '';
/**
 * The background the side bar paints (the view sits on it), for canvases and "zero" colours.
 * Read once per render (getComputedStyle while the DOM is being rebuilt forces a style pass).
 */
function surface(): string {
  if (!surfaceColor) surfaceColor = getComputedStyle(document.documentElement).getPropertyValue('--vscode-sideBar-background').trim() || theme.background;
  return surfaceColor;
}

/** The dataset section only changes with the dataset (and the theme): built once, reused. */
let datasetCache: { key: string; node: HTMLElement; draw: (() => void)[] } | null = null;

function post(m: InspectorToHost): void {
  api.postMessage(m);
}

function reveal(path: string): void {
  if (!view) return;
  const at = view.locations[path];
  if (at) post({ type: 'reveal', file: view.file, line: at[0], column: at[1] });
}

// ---------------------------------------------------------------------------------------------
// colour scales, one per quantity, shared by every variant

interface Scales {
  sat: ColorScale;
  delta: ColorScale;
  gain: ColorScale;
}

function scales(variants: VariantInspection[]): Scales {
  // the training panel's scales (webview/shared/scales.ts): a colour means the same number in both
  const bg = parseColor(surface());
  const sat = saturationScale(theme, surface());
  const deltas = variants.flatMap((v) => (v.layers ?? []).map((l) => l.delta));
  const dd: ScaleDomain = domainOf([deltas], { kind: 'log', fallback: [1e-4, 1] });
  const delta = gradientScale(dd, '‖δ‖', surface());
  // gain below 1: the signal shrinks (blue), above: it grows (red); 1 is "nothing happens"
  const mid: RGBA = parseColor(surface());
  const gain = new ColorScale({ kind: 'log', min: 1 / 16, max: 16 }, Ramp.fromStops([parseColor(theme.charts.blue), mid, parseColor(theme.charts.red)]), 'gain', bg);
  return { sat, delta, gain };
}

function swatch(scale: ColorScale, v: number): HTMLElement {
  const s = el('span', 'swatch');
  const [r, g, b] = scale.rgba(v);
  s.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
  s.setAttribute('aria-hidden', 'true');
  return s;
}

// ---------------------------------------------------------------------------------------------
// sections

function header(v: InspectorView | null): HTMLElement {
  const h = el('header', 'head');
  const title = el('div', 'file');
  const name = el('span', 'file-name', v ? v.fileName : 'MLP Lens');
  name.title = v?.file ?? '';
  title.append(name);
  const status = el('span', 'status');
  status.id = 'status';
  if (v) {
    if (busy) status.textContent = 'inspecting…';
    else if (v.state === 'stale') status.textContent = 'stale';
    else if (v.latencyMs != null) status.textContent = `up to date · ${Math.round(v.latencyMs)} ms after the last edit`;
    else if (v.timings) status.textContent = `up to date · inspected in ${Math.round(v.timings.total)} ms`;
    status.classList.add(busy ? 'busy' : v.state);
    status.setAttribute('role', 'status');
  }
  title.append(status);
  h.append(title);
  if (v) {
    const actions = el('div', 'actions');
    const train = button(training ? 'Training…' : '▶ Train', () => post({ type: 'train', file: v.file }), '', 'Train MLP on this config');
    train.id = 'train';
    train.disabled = training;
    actions.append(train);
    h.append(actions);
  }
  return h;
}

function problemsSection(v: InspectorView): HTMLElement | null {
  const errors = v.problems.filter((p) => p.severity === 'error');
  if (!v.problems.length) return null;
  const s = el('section', 'problems');
  s.id = 'problems';
  if (v.state === 'stale') {
    const banner = el('div', 'stale-banner');
    banner.id = 'stale-banner';
    banner.textContent = errors.length
      ? `The config has ${errors.length === 1 ? 'an error' : `${errors.length} errors`}: showing the last valid result.`
      : 'Showing the last valid result.';
    s.append(banner);
  }
  const ul = el('ul', 'problem-list');
  for (const p of v.problems.slice(0, 8)) {
    const li = el('li', `problem ${p.severity}`);
    const where = p.file ? `${p.file}:${p.line}` : `line ${p.line}`;
    const link = button(`${where}: ${p.path && !p.file ? `${p.path}: ` : ''}${p.message}`, () => post({ type: 'reveal', file: v.file, line: p.line, column: p.column }), 'link');
    li.append(el('span', `icon ${p.severity}`, p.severity === 'error' ? '✖' : '⚠'), link);
    ul.append(li);
  }
  if (v.problems.length > 8) ul.append(el('li', 'muted', `… and ${v.problems.length - 8} more (see the Problems panel)`));
  s.append(ul);
  return s;
}

/** warnings the user opened stay open across updates (keyed by variant, code and path) */
const openWarnings = new Set<string>();
const warnKey = (w: InspectWarning) => `${w.variant}|${w.code}|${w.path}`;

function warningsSection(all: InspectWarning[]): HTMLElement {
  const s = el('section', 'warnings');
  s.id = 'warnings';
  const h = el('h2', '', all.length ? `Warnings (${all.length})` : 'No warnings');
  s.append(h);
  if (!all.length) {
    s.append(el('p', 'muted ok', 'Nothing looks wrong at initialization.'));
    return s;
  }
  // compact: what was measured, one line each; why it matters and the fix one click away
  const ul = el('ul', 'warning-list');
  for (const w of all) {
    const li = el('li', 'warn-item');
    li.dataset.code = w.code;
    if (w.variant) li.dataset.variant = w.variant;
    const d = el('details');
    d.open = openWarnings.has(warnKey(w));
    d.addEventListener('toggle', () => (d.open ? openWarnings.add(warnKey(w)) : openWarnings.delete(warnKey(w))));
    const summary = el('summary');
    if (w.variant) summary.append(el('strong', '', `${w.variant}: `));
    summary.append(document.createTextNode(w.measured));
    const body = el('div', 'warn-body');
    body.append(el('span', 'why', `Why: ${w.why}. `), el('span', 'fix', `Fix: ${w.fix}.`));
    const go = button(`Show ${w.path}`, () => reveal(w.path), 'link goto', 'Show this field in the config');
    body.append(go);
    d.append(summary, body);
    li.append(el('span', 'icon warning', '⚠'), d);
    ul.append(li);
  }
  s.append(ul);
  return s;
}

function networkSection(variants: VariantInspection[]): HTMLElement {
  const s = el('section', 'network');
  s.id = 'network';
  s.append(el('h2', '', 'Network'));
  const ok = variants.filter((v) => v.architecture);
  const same = ok.every((v) => JSON.stringify(v.architecture!.sizes) === JSON.stringify(ok[0]!.architecture!.sizes));
  const line = (v: VariantInspection, label: string | null) => {
    const a = v.architecture!;
    const p = el('p', 'arch');
    if (label) p.append(el('strong', '', `${label}: `));
    const sizes = el('span', 'sizes', a.sizes.join(' → '));
    sizes.title = a.layers.map((l) => `${l.name}: ${l.inSize} → ${l.outSize} ${l.activation}, ${int(l.parameters)} parameters`).join('\n');
    p.append(sizes, el('span', 'muted', ` · ${int(a.parameterCount)} parameters · ${bytes(a.memory.total)} per step`));
    p.dataset.variant = v.variant;
    const m = a.memory;
    p.title = `float32 memory: parameters ${bytes(m.parameters)}, gradients ${bytes(m.gradients)}, optimizer state ${bytes(m.optimizerState)}, ` +
      `activations and signals for a batch of ${a.batchSize} ${bytes(m.activations)}; dataset ${bytes(m.dataset)}. ` +
      `${int(a.stepsPerEpoch)} steps per epoch, ${int(a.totalSteps)} in all.`;
    return p;
  };
  if (ok.length && same) s.append(line(ok[0]!, null));
  else for (const v of ok) s.append(line(v, v.variant));
  if (ok.length) {
    const a = ok[0]!.architecture!;
    s.append(el('p', 'muted small', `batch ${a.batchSize} · ${int(a.stepsPerEpoch)} steps/epoch · ${int(a.totalSteps)} steps · data ${bytes(a.memory.dataset)}`));
  }
  for (const v of variants.filter((x) => x.error)) {
    const p = el('p', 'error-line');
    p.append(el('strong', '', `${v.variant}: `), document.createTextNode(v.error!));
    s.append(p);
  }
  return s;
}

function datasetSection(d: DatasetSummary): HTMLElement {
  const key = JSON.stringify([d.name, d.description, d.train, d.test, d.features, d.classes, theme.kind, surface(), theme.foreground, theme.series]);
  if (datasetCache?.key === key) {
    redrawers.push(...datasetCache.draw);
    return datasetCache.node;
  }
  const before = redrawers.length;
  const node = buildDatasetSection(d);
  datasetCache = { key, node, draw: redrawers.slice(before) };
  return node;
}

function buildDatasetSection(d: DatasetSummary): HTMLElement {
  const s = el('section', 'dataset');
  s.id = 'dataset';
  s.append(el('h2', '', 'Dataset'));
  const p = el('p', 'ds-line');
  p.append(el('strong', '', d.name), document.createTextNode(` · ${int(d.train)} train / ${int(d.test)} test · ${d.classes} classes · ${d.features} features${d.imageShape ? ` (${d.imageShape[0]}×${d.imageShape[1]})` : ''}${d.standardized ? ' · standardized' : ''}`));
  s.append(p);
  const desc = el('p', 'muted small', d.description);
  s.append(desc);
  if (d.preview.kind === 'images') {
    const row = el('div', 'samples');
    row.setAttribute('role', 'img');
    row.setAttribute('aria-label', `sample images of classes ${d.preview.images.map((i) => d.classNames[i.label] ?? i.label).join(', ')}`);
    const [h, w] = d.preview.shape;
    for (const img of d.preview.images) {
      const fig = el('figure', 'sample');
      const c = el('canvas', 'sample-img');
      c.width = w;
      c.height = h;
      const ctx = c.getContext('2d');
      if (ctx) {
        const data = ctx.createImageData(w, h);
        const fg = parseColor(theme.foreground), bg = parseColor(surface());
        for (let i = 0; i < w * h; i++) {
          const t = img.pixels[i] ?? 0;
          for (let k = 0; k < 3; k++) data.data[i * 4 + k] = bg[k]! + (fg[k]! - bg[k]!) * t;
          data.data[i * 4 + 3] = 255;
        }
        ctx.putImageData(data, 0, 0);
      }
      fig.append(c, el('figcaption', '', d.classNames[img.label] ?? String(img.label)));
      row.append(fig);
    }
    s.append(row);
  } else if (d.preview.kind === 'scatter') {
    const c = el('canvas', 'scatter');
    c.id = 'scatter';
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', `scatter plot of ${d.preview.points.length / 3} training points, coloured by class`);
    s.append(c);
    const prev = d.preview;
    const draw = () => {
      const dpr = window.devicePixelRatio || 1;
      const W = Math.max(1, Math.round(c.clientWidth * dpr)), H = Math.max(1, Math.round(c.clientHeight * dpr));
      c.width = W;
      c.height = H;
      const ctx = c.getContext('2d');
      if (!ctx) return;
      ctx.fillStyle = surface();
      ctx.fillRect(0, 0, W, H);
      const [x0, x1, y0, y1] = prev.bounds;
      const pad = 4 * dpr;
      const sx = (W - 2 * pad) / (x1 - x0 || 1), sy = (H - 2 * pad) / (y1 - y0 || 1);
      const r = Math.max(1.5, 1.5 * dpr);
      for (let i = 0; i < prev.points.length; i += 3) {
        ctx.fillStyle = theme.series[prev.points[i + 2]! % theme.series.length]!;
        ctx.beginPath();
        ctx.arc(pad + (prev.points[i]! - x0) * sx, H - pad - (prev.points[i + 1]! - y0) * sy, r, 0, 2 * Math.PI);
        ctx.fill();
      }
    };
    redrawers.push(draw);
  } else if (d.featureStats && d.featureStats.length <= 16) {
    const t = el('table', 'features');
    t.append(el('caption', 'visually-hidden', 'feature statistics (training split)'));
    const hr = el('tr');
    for (const h of ['feature', 'mean', 'std', 'min', 'max']) hr.append(el('th', '', h));
    t.append(hr);
    for (const f of d.featureStats) {
      const tr = el('tr');
      tr.append(el('th', '', f.name), el('td', '', num(f.mean)), el('td', '', num(f.std)), el('td', '', num(f.min)), el('td', '', num(f.max)));
      t.append(tr);
    }
    s.append(t);
  }
  return s;
}

/** One table: rows = layers, columns = variants, cells from `cell`. */
function layerTable(
  id: string, caption: string, variants: VariantInspection[], rows: number,
  rowName: (k: number) => string, cell: (v: VariantInspection, k: number) => HTMLElement | null,
): HTMLElement {
  const t = el('table', 'layers');
  t.id = id;
  t.append(el('caption', '', caption));
  const hr = el('tr');
  hr.append(el('th', 'corner', ''));
  for (const v of variants) {
    const th = el('th', 'variant');
    // break long names after "+" or before "(" rather than anywhere: sigmoid+ / normal(1)
    v.variant.split(/(?<=[+_\-/])|(?=\()/).forEach((part, i) => {
      if (i) th.append(el('wbr'));
      th.append(document.createTextNode(part));
    });
    th.scope = 'col';
    th.title = `${activationText(v)}, ${initText(v)}, ${v.optimizer} lr ${v.lr}`;
    hr.append(th);
  }
  t.append(hr);
  for (let k = 0; k < rows; k++) {
    const tr = el('tr');
    const th = el('th', 'layer', rowName(k));
    th.scope = 'row';
    tr.append(th);
    for (const v of variants) {
      const td = el('td');
      const c = v.layers ? cell(v, k) : null;
      if (c) td.append(c);
      else td.textContent = '–';
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

function valueCell(scale: ColorScale | null, v: number, text: string, data: Record<string, string>, title = ''): HTMLElement {
  const d = el('span', 'cell');
  if (scale) d.append(swatch(scale, v));
  d.append(el('span', 'num', text));
  for (const [k, x] of Object.entries(data)) d.dataset[k] = x;
  d.dataset.value = String(v);
  if (title) d.title = title;
  return d;
}

function variantsSection(variants: VariantInspection[]): HTMLElement {
  const s = el('section', 'variants');
  s.id = 'variants';
  const ok = variants.filter((v) => v.layers);
  const sc = scales(ok);
  const batch = ok[0]?.batch ?? 0;
  s.append(el('h2', '', 'At initialization'));
  s.append(el('p', 'muted small', `One forward and backward pass on the first training batch (${batch} examples), with the seed, weights and batch that Train uses; the numbers equal mlp-lens dump.`));
  // variant headers: activation and init
  const heads = el('div', 'variant-heads');
  for (const v of variants) {
    const d = el('div', 'variant-head');
    d.dataset.variant = v.variant;
    d.append(el('strong', '', v.variant), el('span', 'muted', ` ${activationText(v)} · ${initText(v)}`));
    if (v.loss !== undefined) d.append(el('span', 'muted', ` · loss ${num(v.loss)} (chance ${num(v.chanceLoss)})`));
    heads.append(d);
  }
  s.append(heads);
  const L = Math.max(0, ...ok.map((v) => v.layers!.length));
  const H = Math.max(0, L - 1);
  const name = (k: number) => (k < H ? `layer ${k + 1}` : 'output');
  const layer = (v: VariantInspection, k: number): LayerInspection | undefined => (k < H ? v.layers![k] : v.layers![v.layers!.length - 1]);

  s.append(layerTable('t-saturation', 'Saturated units (relu: inactive), share of units × batch', variants, H, name, (v, k) => {
    const l = layer(v, k);
    if (!l || l.saturation === null) return null;
    return valueCell(sc.sat, l.saturation, pct(l.saturation), { variant: v.variant, layer: String(k), metric: 'saturation' },
      `${l.name} (${l.activation}): ${pct(l.saturation)} saturated; theory (mean-field) ${pct(l.predictedSaturation)}; ${l.deadUnits} of ${l.units} units saturated on every example`);
  }));
  s.append(layerTable('t-delta', '‖δ‖ per layer (gradient w.r.t. pre-activations)', variants, L, name, (v, k) => {
    const l = layer(v, k);
    if (!l) return null;
    return valueCell(sc.delta, l.delta, num(l.delta), { variant: v.variant, layer: String(k), metric: 'delta' },
      `${l.name}: ‖δ‖ ${l.delta}, ‖dW‖ ${num(l.gradW)}, ‖db‖ ${num(l.gradB)}`);
  }));
  s.append(layerTable('t-gain', 'Gain ‖δ_k‖/‖δ_k+1‖: measured, and theory √(n·Var(W)·E[f′(z)²])', variants, H, name, (v, k) => {
    const l = layer(v, k);
    if (!l?.gain) return null;
    const g = l.gain;
    const c = valueCell(sc.gain, g.measured, gainText(g.measured), { variant: v.variant, layer: String(k), metric: 'gain' },
      `signal from ${k + 2 <= H ? `layer ${k + 2}` : 'the output'} into ${l.name}: measured ${num(g.measured)}; ` +
      `theory sqrt(n·Var(W)·E[f'(z)²]) with n = ${g.n}, Var(W) = ${num(g.weightVariance)}: ` +
      `${num(g.predictedInit)} for the init's distribution (E[f'²] = ${num(g.fp2Init)}), ${num(g.predictedBatch)} with E[f'²] = ${num(g.fp2Batch)} measured on the batch`);
    c.append(el('span', 'theory', `theory ${gainText(g.predictedInit)}`));
    c.dataset.theory = String(g.predictedInit);
    return c;
  }));
  s.append(el('p', 'muted small', 'n: units of layer k; Var(W): the init scheme\'s; E[f′(z)²] for the gaussian the init implies (hover a cell: the same with E[f′²] measured on the batch).'));
  s.append(layerTable('t-acts', 'Activations: mean ± std', variants, L, name, (v, k) => {
    const l = layer(v, k);
    if (!l) return null;
    return valueCell(null, l.mean, `${num(l.mean, 2)} ± ${num(l.std, 2)}`, { variant: v.variant, layer: String(k), metric: 'mean' });
  }));
  // legends
  const legends = el('div', 'legends');
  new Legend(legends).update(sc.sat, 'share saturated');
  new Legend(legends).update(sc.delta, 'shared by all variants');
  new Legend(legends).update(sc.gain, '<1 shrinks, >1 grows');
  s.append(legends);
  // per-unit saturation heatmaps
  if (ok.length) {
    s.append(el('h3', '', 'Saturation per unit'));
    const grid = el('div', 'unit-maps');
    for (const v of ok) grid.append(unitMap(v, sc.sat));
    s.append(grid);
  }
  return s;
}

function unitMap(v: VariantInspection, scale: ColorScale): HTMLElement {
  const fig = el('figure', 'unit-map');
  fig.dataset.variant = v.variant;
  const hidden = v.layers!.slice(0, -1);
  const cols = Math.max(1, ...hidden.map((l) => l.units));
  const c = el('canvas', 'heatmap');
  c.tabIndex = 0;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', `${v.variant}: saturation of each unit of ${hidden.length} hidden layers, ${hidden.map((l) => `${l.name} ${pct(l.saturation)}`).join(', ')}`);
  c.style.height = `${Math.max(18, hidden.length * 12)}px`;
  const hm = new Heatmap(c);
  const get = (col: number, row: number) => hidden[row]?.unitSaturation?.[col] ?? NaN;
  const draw = () => hm.draw({ cols, rows: hidden.length, get, scale, background: surface(), cursorColor: theme.focus, rowLines: theme.border });
  redrawers.push(draw);
  attachCellInteraction(hm, {
    onCell(cell) {
      if (!cell) return tip.hide();
      const l = hidden[cell.row];
      const x = get(cell.col, cell.row);
      if (!l || !Number.isFinite(x)) return tip.hide();
      const p = hm.cellCenter(cell);
      tip.show([`${v.variant} · ${l.name}, unit ${cell.col + 1}`, `saturated on ${pct(x)} of the batch (${l.activation})`], p.x, p.y);
    },
  });
  fig.append(c, el('figcaption', 'muted', `${v.variant}: ${hidden.length} layers × ${cols} units`));
  return fig;
}

function runsSection(file: string): HTMLElement {
  const s = el('section', 'runs');
  s.id = 'runs';
  s.append(el('h2', '', 'Last run'));
  if (!runs.length || runsFile !== file) {
    s.append(el('p', 'muted', training ? 'Training…' : 'No run of this config yet. Train it to compare what happens with what the inspection predicts.'));
    return s;
  }
  const t = el('table', 'run-table');
  const hr = el('tr');
  for (const h of ['variant', 'status', 'test acc', 'epochs']) hr.append(el('th', '', h));
  t.append(hr);
  for (const r of runs) {
    const tr = el('tr');
    tr.dataset.variant = r.variant;
    tr.append(el('th', '', r.variant), el('td', `run-status ${r.status}`, r.status), el('td', '', pct(r.testAccuracy ?? r.trainAccuracy)), el('td', '', `${r.epochs}/${r.epochsPlanned}`));
    t.append(tr);
  }
  s.append(t);
  const when = runs.map((r) => r.finishedAt).filter((x): x is string => !!x).sort().at(-1);
  if (when) s.append(el('p', 'muted small', `finished ${when.replace('T', ' ').slice(0, 19)} UTC`));
  const open = button('Open in panel', () => post({ type: 'openRun', runDirs: runs.map((r) => r.runDir) }), 'secondary', 'Open this run in the training panel');
  open.id = 'open-run';
  s.append(open);
  return s;
}

function emptyState(): HTMLElement {
  const s = el('section', 'empty');
  s.id = 'empty';
  s.append(el('h2', '', 'No experiment config open'));
  s.append(el('p', 'muted', 'Open an experiment config (*.mlp.json) and this view shows the network it describes and how it behaves at its first training step, before anything is trained: saturation, gradient flow per layer, and what to fix.'));
  const b = button('New Experiment Config', () => post({ type: 'newConfig' }));
  b.id = 'new-config';
  const ex = button('Open the Lecture Example', () => post({ type: 'openExample' }), 'secondary');
  ex.id = 'open-example';
  const row = el('div', 'empty-actions');
  row.append(b, ex);
  s.append(row);
  return s;
}

// ---------------------------------------------------------------------------------------------

function render(): void {
  tip.hide();
  redrawers = [];
  surfaceColor = '';
  surface();
  app.replaceChildren();
  if (empty || !view) {
    app.dataset.state = 'empty';
    app.append(emptyState());
    return;
  }
  const v = view;
  app.dataset.state = v.state;
  app.dataset.file = v.fileName;
  app.dataset.version = String(v.version);
  app.append(header(v));
  const pr = problemsSection(v);
  if (pr) app.append(pr);
  if (!v.inspection) {
    app.append(el('p', 'muted', busy ? 'Inspecting…' : 'Nothing to show until the config is valid.'));
    post({ type: 'rendered', file: v.file, version: v.version, state: v.state });
    return;
  }
  const body = el('div', `result${v.state === 'stale' ? ' stale' : ''}`);
  body.id = 'result';
  if (v.state === 'stale') body.setAttribute('aria-label', 'stale result: the config has changed since');
  const ins = v.inspection;
  const warnings = [...ins.warnings, ...ins.variants.flatMap((x) => x.warnings)];
  body.append(warningsSection(warnings), networkSection(ins.variants), variantsSection(ins.variants), datasetSection(ins.dataset));
  app.append(body, runsSection(v.file));
  requestAnimationFrame(() => {
    redrawers.forEach((d) => d());
    post({ type: 'rendered', file: v.file, version: v.version, state: v.state });
  });
}

let saveTimer: ReturnType<typeof setTimeout> | null = null;
/** Persist the latest messages for a reload; debounced: serializing a view costs a few ms. */
function save(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, 400);
}

function saveNow(): void {
  saveTimer = null;
  const last: HostToInspector[] = [];
  if (empty) last.push({ type: 'empty' });
  else if (view) last.push({ type: 'view', view });
  if (runsFile) last.push({ type: 'runs', file: runsFile, runs, training });
  api.setState({ last });
}

function handle(m: HostToInspector, persist = true): void {
  switch (m.type) {
    case 'empty':
      empty = true;
      view = null;
      busy = false;
      break;
    case 'view':
      empty = false;
      view = m.view;
      busy = false;
      break;
    case 'busy':
      if (view && view.file !== m.file) view = null;
      empty = false;
      busy = m.busy;
      if (view) {
        // only the status line changes: no full re-render (keeps focus and hover)
        const old = document.getElementById('status');
        if (old) {
          const h = header(view);
          document.querySelector('header.head')?.replaceWith(h);
          return;
        }
      }
      break;
    case 'runs':
      runs = m.runs;
      training = m.training;
      runsFile = m.file;
      break;
  }
  if (persist) save();
  render();
}

// flush a pending save before the webview goes away (VS Code unloads hidden views)
window.addEventListener('beforeunload', () => { if (saveTimer) saveNow(); });
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden' && saveTimer) saveNow(); });
for (const m of api.getState()?.last ?? []) handle(m, false);
onHostMessage<HostToInspector>((m) => handle(m));
onThemeChange((t) => {
  theme = t;
  render();
});
let resizeQueued = false;
new ResizeObserver(() => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    redrawers.forEach((d) => d());
  });
}).observe(app);
if (!view && !empty) render();
post({ type: 'ready' });
