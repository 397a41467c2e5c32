/**
 * First-layer weights as pictures (image data: digits 8×8, MNIST 28×28), per variant: each unit's
 * weights laid out as the input image, on a diverging scale symmetric around 0 (the theme's blue
 * for negative, its red for positive, the background for 0), per unit (each unit's largest
 * |weight| at the ends) or shared by the units shown. A page of WEIGHT_PAGE units at a time: a live
 * run, or one opened from its folder, holds only the page shown (the panel asks the host for
 * another: from the worker, or from the run's model.bin); a report carries more.
 * Arrow keys move over the units (read out); a table gives each unit's range.
 */
import { decodeWeight, WEIGHT_PAGE } from '../../src/engine/pictures';
import { fromBase64 } from '../../src/shared/columns';
import type { WeightFrame } from '../../src/shared/protocol';
import { fitCanvas } from '../shared/canvas';
import { tableHead } from '../shared/dom';
import { parseColor } from '../shared/theme';
import { el, live } from './layout';
import type { ClientVariant } from './model';
import { api, state } from './state';

export interface WeightsView {
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  scale: HTMLSelectElement;
  table: HTMLElement;
  key: string;
  /** the first unit of the page shown */
  first: number;
  /** keyboard cursor: the unit (index on the page) */
  unit: number;
}

const bytes = new WeakMap<WeightFrame, Uint8Array>();
function pixelsOf(f: WeightFrame): Uint8Array {
  let b = bytes.get(f);
  if (!b) bytes.set(f, (b = fromBase64(f.pixels)));
  return b;
}

/** The units of page `first` the frame holds: [from, to) as unit numbers. */
function shown(f: WeightFrame, first: number): [number, number] {
  const from = Math.max(first, f.first), to = Math.min(first + WEIGHT_PAGE, f.first + f.count);
  return to > from ? [from, to] : [f.first, Math.min(f.first + WEIGHT_PAGE, f.first + f.count)];
}

function unitRange(f: WeightFrame, u: number): [number, number] {
  const F = f.shape[0] * f.shape[1], px = pixelsOf(f), k = u - f.first;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < F; i++) {
    const w = decodeWeight(px[k * F + i]!, f.scales[k]!);
    if (w < lo) lo = w;
    if (w > hi) hi = w;
  }
  return [lo, hi];
}

function weightsBlock(v: ClientVariant, vi: number): WeightsView {
  const root = el('div', 'hm-block weights-block');
  root.append(el('div', 'hm-title', 'First-layer weights as pictures (blue: negative, red: positive)'));
  const bar = el('div', 'weights-bar');
  const prev = el('button', 'secondary', '‹ Previous');
  const next = el('button', 'secondary', 'Next ›');
  prev.title = `the previous ${WEIGHT_PAGE} units`;
  next.title = `the next ${WEIGHT_PAGE} units`;
  const scaleLabel = el('label', undefined, 'Scale ');
  const scale = el('select');
  for (const [val, text] of [['unit', 'per unit'], ['shared', 'shared']]) {
    const o = el('option', undefined, text);
    o.value = val!;
    scale.append(o);
  }
  scaleLabel.append(scale);
  bar.append(prev, next, scaleLabel);
  const canvas = el('canvas', 'weight-pictures');
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.dataset.variant = String(vi);
  const caption = el('div', 'muted region-caption');
  const details = el('details', 'view-numbers');
  details.append(el('summary', undefined, 'Weights per unit (table)'));
  const table = el('div', 'table-box');
  details.append(table);
  root.append(bar, canvas, caption, details);
  const view: WeightsView = { root, canvas, caption, prev, next, scale, table, key: '', first: 0, unit: 0 };
  const redraw = () => { view.key = ''; draw(view, v); };
  const page = (d: number) => {
    const f = v.pictures.weights;
    if (!f) return;
    view.first = Math.max(0, Math.min(view.first + d * WEIGHT_PAGE, Math.floor((f.layerUnits - 1) / WEIGHT_PAGE) * WEIGHT_PAGE));
    view.unit = 0;
    const r = state.run;
    // a live run, or one opened from its folder, has only the page shown: ask the host for this
    // one (a report's frame holds several pages, and a report has no host)
    if (r && (view.first < f.first || view.first >= f.first + f.count)) api.postMessage({ type: 'weightPage', runId: r.run.id, first: view.first });
    redraw();
  };
  prev.addEventListener('click', () => page(-1));
  next.addEventListener('click', () => page(1));
  scale.addEventListener('change', redraw);
  details.addEventListener('toggle', redraw);
  for (const ev of ['focus', 'blur']) canvas.addEventListener(ev, redraw);
  canvas.addEventListener('keydown', (e) => {
    const f = v.pictures.weights;
    if (!f) return;
    const [from, to] = shown(f, view.first), n = to - from, cols = colsFor(n);
    const d = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -n, End: n }[e.key];
    if (d === undefined) return;
    e.preventDefault();
    view.unit = Math.max(0, Math.min(n - 1, view.unit + d));
    const [lo, hi] = unitRange(f, from + view.unit);
    live.textContent = `unit ${from + view.unit}: weights ${lo.toFixed(3)} to ${hi.toFixed(3)}`;
    redraw();
  });
  return view;
}

const colsFor = (n: number) => Math.max(1, Math.min(16, Math.ceil(Math.sqrt(n * 2))));

/** Adds the block to the card once the variant has weight pictures, and draws it when they changed (`paint`: false, only adds it). */
export function drawWeights(card: { root: HTMLElement; weights?: WeightsView }, v: ClientVariant, vi: number, paint = true): void {
  if (!card.weights) {
    if (!v.pictures.weights) return;
    card.weights = weightsBlock(v, vi);
    card.root.append(card.weights.root);
  }
  if (paint) draw(card.weights, v);
}

const scratch = document.createElement('canvas');

function drawPictures(view: WeightsView, f: WeightFrame, from: number, to: number, shared: boolean): void {
  const c = view.canvas, n = to - from, cols = colsFor(n), rows = Math.ceil(n / cols), th = state.theme;
  const [H, W] = f.shape, F = H * W;
  c.style.height = `${Math.round(((c.clientWidth || 300) * rows * H) / (cols * W))}px`;
  const { w, h, dpr } = fitCanvas(c);
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = th.background;
  ctx.fillRect(0, 0, w, h);
  const bg = parseColor(th.background), neg = parseColor(th.charts.blue), pos = parseColor(th.charts.red);
  const px = pixelsOf(f);
  let top = 0;
  for (let u = from; u < to; u++) top = Math.max(top, f.scales[u - f.first]!);
  scratch.width = W;
  scratch.height = H;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(W, H);
  const cw = w / cols, ch = h / rows, gap = Math.max(1, Math.round(cw * 0.06));
  for (let u = from; u < to; u++) {
    const k = u - f.first, rel = shared && top > 0 ? f.scales[k]! / top : 1;
    for (let i = 0; i < F; i++) {
      const t = ((px[k * F + i]! - 128) / 127) * rel, col = t < 0 ? neg : pos, a = Math.min(1, Math.abs(t));
      for (let q = 0; q < 3; q++) img.data[4 * i + q] = Math.round(bg[q]! + (col[q]! - bg[q]!) * a);
      img.data[4 * i + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const j = u - from, x = (j % cols) * cw, y = Math.floor(j / cols) * ch;
    ctx.drawImage(scratch, x + gap / 2, y + gap / 2, cw - gap, ch - gap);
  }
  if (document.activeElement === c) {
    const j = Math.min(view.unit, n - 1), x = (j % cols) * cw, y = Math.floor(j / cols) * ch;
    ctx.strokeStyle = th.focus;
    ctx.lineWidth = Math.max(2, gap) * dpr;
    ctx.strokeRect(x + 1, y + 1, cw - 2, ch - 2);
  }
}

function renderTable(view: WeightsView, f: WeightFrame, from: number, to: number): void {
  const t = el('table');
  t.append(el('caption', undefined, `First-layer weights at step ${f.step}: units ${from} to ${to - 1} of ${f.layerUnits}`));
  t.append(tableHead(['unit', 'min weight', 'max weight', 'largest |weight|']));
  const body = el('tbody');
  for (let u = from; u < to; u++) {
    const [lo, hi] = unitRange(f, u);
    const tr = el('tr');
    tr.append(el('td', undefined, String(u)), el('td', 'num', lo.toFixed(4)), el('td', 'num', hi.toFixed(4)), el('td', 'num', f.scales[u - f.first]!.toFixed(4)));
    body.append(tr);
  }
  t.append(body);
  view.table.replaceChildren(t);
}

function draw(view: WeightsView, v: ClientVariant): void {
  const f = v.pictures.weights;
  if (!f || !view.root.isConnected) return;
  const open = (view.table.parentElement as HTMLDetailsElement).open, th = state.theme;
  const key = `${f.step}|${f.first}|${f.count}|${view.first}|${view.scale.value}|${th.kind}|${th.background}|${view.canvas.clientWidth}|${view.unit}|${document.activeElement === view.canvas}|${open}`;
  if (key === view.key) return;
  view.key = key;
  const [from, to] = shown(f, view.first);
  const shared = view.scale.value === 'shared';
  drawPictures(view, f, from, to, shared);
  view.root.dataset.step = String(f.step);
  view.root.dataset.first = String(from);
  view.prev.disabled = view.first <= 0;
  view.next.disabled = view.first + WEIGHT_PAGE >= f.layerUnits;
  const waiting = from !== Math.max(view.first, f.first) ? ' (waiting for the page asked for)' : '';
  view.caption.textContent = `units ${from}–${to - 1} of ${f.layerUnits} at step ${f.step}, ${f.shape[0]}×${f.shape[1]} each; ${shared ? 'one scale for all shown' : 'each unit on its own scale'}${waiting}`;
  view.canvas.setAttribute('aria-label', `Weights of first-layer units ${from} to ${to - 1} of ${v.meta.name} as ${f.shape[0]}×${f.shape[1]} pictures: blue negative, red positive. Arrow keys move over the units and read out each unit's weight range; the table below lists them.`);
  if (open) renderTable(view, f, from, to);
}
