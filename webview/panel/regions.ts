/**
 * Decision regions (2-feature data): per variant, the predicted class over the data's plane
 * (the class's colour, stronger where the network is more confident) with the training points
 * (filled) and test points (rings) on top, and beside it one picture per unit of the chosen hidden
 * layer: the unit's activation over the same plane on the saturation scale, where a saturated
 * (or dead) value takes the scale's hot end, so a saturated or dead unit shows at once. A table
 * gives the same in numbers. Drawn from the host's frames (src/node/regions-session.ts).
 */
import { isSaturated } from '../../src/engine/activations';
import { fromBase64 } from '../../src/shared/columns';
import type { PlaneView, RegionFrame } from '../../src/shared/protocol';
import { saturationScale } from './color-scales';
import { fitCanvas } from '../shared/canvas';
import { el, live } from './layout';
import type { ClientRun, ClientVariant } from './model';
import { api, state, ui } from './state';
import { parseColor, type RGBA } from '../shared/theme';

export interface RegionView {
  root: HTMLElement;
  plane: HTMLCanvasElement;
  thumbs: HTMLCanvasElement;
  caption: HTMLElement;
  table: HTMLElement;
  /** what was drawn (frame, theme, size): a redraw only when it changes */
  key: string;
  /** keyboard: the unit under the thumbnail cursor */
  unit: number;
}

/** Decoded points of the plane, by split. */
interface Points { xy: Float32Array; y: Uint8Array }
const decoded = new WeakMap<PlaneView, { train: Points; test: Points }>();
function pointsOf(p: PlaneView): { train: Points; test: Points } {
  let d = decoded.get(p);
  if (!d) {
    const dec = (s: PlaneView['train']): Points => {
      const b = fromBase64(s.xy);
      return { xy: new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2), y: fromBase64(s.y) };
    };
    d = { train: dec(p.train), test: dec(p.test) };
    decoded.set(p, d);
  }
  return d;
}
const bytes = new WeakMap<RegionFrame, { grid: Uint8Array; thumbs: Uint8Array }>();
function bytesOf(f: RegionFrame): { grid: Uint8Array; thumbs: Uint8Array } {
  let b = bytes.get(f);
  if (!b) bytes.set(f, (b = { grid: fromBase64(f.grid), thumbs: fromBase64(f.thumbs) }));
  return b;
}

/** The frame to show: the one of the chosen layer if the variant has it (a report has each layer's), else the newest. */
export function frameFor(v: ClientVariant): RegionFrame | null {
  return v.regions.find((f) => f.layer === ui.unitLayer) ?? v.regions[v.regions.length - 1] ?? null;
}

function classColor(c: number): RGBA {
  return parseColor(state.theme.series[c % state.theme.series.length]!);
}

export function regionBlock(v: ClientVariant, vi: number): RegionView {
  const root = el('div', 'hm-block regions');
  root.append(el('div', 'hm-title', 'Decision regions (class; stronger colour: more confident) · training points filled, test points ringed'));
  const row = el('div', 'regions-row');
  const plane = el('canvas', 'region-plane');
  plane.setAttribute('role', 'img');
  plane.dataset.variant = String(vi);
  const side = el('div', 'region-units');
  const thumbs = el('canvas', 'region-thumbs');
  thumbs.tabIndex = 0;
  thumbs.setAttribute('role', 'img');
  thumbs.dataset.variant = String(vi);
  const caption = el('div', 'muted region-caption');
  side.append(thumbs, caption);
  row.append(plane, side);
  const details = el('details', 'region-numbers');
  details.append(el('summary', undefined, 'Regions and units (table)'));
  const table = el('div', 'table-box');
  details.append(table);
  root.append(row, details);
  const view: RegionView = { root, plane, thumbs, caption, table, key: '', unit: 0 };
  for (const ev of ['focus', 'blur']) thumbs.addEventListener(ev, () => { view.key = ''; drawRegions(view, v, vi); });
  thumbs.addEventListener('keydown', (e) => {
    const f = frameFor(v);
    if (!f || !f.units) return;
    const cols = thumbCols(f.units);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -f.units, End: f.units }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    view.unit = Math.max(0, Math.min(f.units - 1, view.unit + step));
    view.key = '';
    live.textContent = unitText(f, view.unit);
    drawRegions(view, v, vi);
  });
  return view;
}

const thumbCols = (units: number) => Math.max(1, Math.ceil(Math.sqrt(units)));

interface UnitStats { sat: number; min: number; max: number }
function unitStats(f: RegionFrame, thumbs: Uint8Array, u: number): UnitStats {
  const T2 = f.side * f.side, [lo, hi] = f.range;
  let sat = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < T2; i++) {
    const a = lo + (thumbs[u * T2 + i]! * (hi - lo)) / 255;
    if (isSaturated(f.activation!, a)) sat++;
    if (a < min) min = a;
    if (a > max) max = a;
  }
  return { sat: sat / T2, min, max };
}

function unitText(f: RegionFrame, u: number): string {
  const s = unitStats(f, bytesOf(f).thumbs, u);
  return `unit ${u}: saturated over ${(100 * s.sat).toFixed(0)}% of the plane, activation ${s.min.toFixed(2)} to ${s.max.toFixed(2)}`;
}

function fit(c: HTMLCanvasElement): [number, number] {
  const { w, h } = fitCanvas(c);
  return [w, h];
}

const scratch = document.createElement('canvas');

function drawPlane(c: HTMLCanvasElement, f: RegionFrame, plane: PlaneView): void {
  const [w, h] = fit(c);
  const ctx = c.getContext('2d');
  if (!ctx) return;
  const G = f.size, grid = bytesOf(f).grid, bg = parseColor(state.theme.background);
  scratch.width = G;
  scratch.height = G;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(G, G);
  const colors = Array.from({ length: Math.max(plane.classes, 2) }, (_, k) => classColor(k));
  for (let cell = 0; cell < G * G; cell++) {
    const col = colors[grid[2 * cell]!] ?? bg, conf = grid[2 * cell + 1]! / 255;
    const a = 0.18 + 0.6 * conf; // lightness: near the background at chance, the class colour when sure
    for (let k = 0; k < 3; k++) img.data[4 * cell + k] = Math.round(bg[k]! + (col[k]! - bg[k]!) * a);
    img.data[4 * cell + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, w, h);
  const { x0, x1, y0, y1 } = plane.bounds;
  const pts = pointsOf(plane);
  const dpr = window.devicePixelRatio || 1;
  const r = Math.max(1.6, Math.min(3, 900 / Math.sqrt(pts.train.y.length + pts.test.y.length) / 10)) * dpr;
  const edge = state.theme.background;
  const draw = (p: Points, test: boolean) => {
    for (let i = 0; i < p.y.length; i++) {
      const px = ((p.xy[2 * i]! - x0) / (x1 - x0)) * w, py = ((y1 - p.xy[2 * i + 1]!) / (y1 - y0)) * h;
      const [cr, cg, cb] = classColor(p.y[i]!);
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      if (test) {
        ctx.strokeStyle = `rgb(${cr},${cg},${cb})`;
        ctx.lineWidth = 1.5 * dpr;
        ctx.fillStyle = edge;
        ctx.fill();
        ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${cr},${cg},${cb})`;
        ctx.strokeStyle = edge;
        ctx.lineWidth = 0.8 * dpr;
        ctx.fill();
        ctx.stroke();
      }
    }
  };
  draw(pts.train, false);
  draw(pts.test, true);
}

function drawThumbs(c: HTMLCanvasElement, f: RegionFrame, focusUnit: number): void {
  const cols = thumbCols(f.units), rows = Math.ceil(f.units / cols);
  c.style.height = `${Math.round((c.clientWidth * rows) / cols)}px`;
  const [w, h] = fit(c);
  const ctx = c.getContext('2d');
  if (!ctx) return;
  const T = f.side, thumbs = bytesOf(f).thumbs, sat = saturationScale(), [lo, hi] = f.range;
  ctx.fillStyle = state.theme.background;
  ctx.fillRect(0, 0, w, h);
  scratch.width = T;
  scratch.height = T;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(T, T);
  const cw = w / cols, ch = h / rows, gap = Math.max(1, Math.round(cw * 0.08));
  // the activation over the plane, on the lower part of the saturation scale; saturated (dead) values at its hot end
  const span = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let u = 0; u < f.units; u++) {
    for (let i = 0; i < T * T; i++) {
      const a = lo + (thumbs[u * T * T + i]! * (hi - lo)) / 255;
      sat.write(isSaturated(f.activation!, a) ? 1 : 0.08 + 0.5 * Math.abs(a) / span, img.data, 4 * i);
    }
    sctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const x = (u % cols) * cw, y = Math.floor(u / cols) * ch;
    ctx.drawImage(scratch, x + gap / 2, y + gap / 2, cw - gap, ch - gap);
  }
  if (document.activeElement === c) {
    const x = (focusUnit % cols) * cw, y = Math.floor(focusUnit / cols) * ch;
    ctx.strokeStyle = state.theme.focus;
    ctx.lineWidth = Math.max(2, gap);
    ctx.strokeRect(x + 1, y + 1, cw - 2, ch - 2);
  }
}

function renderTable(view: RegionView, f: RegionFrame, plane: PlaneView): void {
  const grid = bytesOf(f).grid, G = f.size, n = Math.max(plane.classes, 2);
  const area = new Float64Array(n), conf = new Float64Array(n);
  for (let c = 0; c < G * G; c++) { area[grid[2 * c]!]!++; conf[grid[2 * c]!]! += grid[2 * c + 1]! / 255; }
  const t1 = el('table');
  t1.append(el('caption', undefined, `Predicted class over the plane at step ${f.step}`));
  const hr = el('tr');
  for (const hd of ['class', 'share of the plane', 'mean confidence']) hr.append(el('th', undefined, hd));
  t1.append(hr);
  for (let k = 0; k < n; k++) {
    const tr = el('tr');
    tr.append(el('td', undefined, plane.classNames[k] ?? String(k)), el('td', 'num', `${((100 * area[k]!) / (G * G)).toFixed(1)}%`), el('td', 'num', area[k] ? (conf[k]! / area[k]!).toFixed(2) : '-'));
    t1.append(tr);
  }
  view.table.replaceChildren(t1);
  if (!f.units) return;
  const t2 = el('table');
  t2.append(el('caption', undefined, `Units of hidden layer ${f.layer + 1} (${f.activation}) over the plane`));
  const h2 = el('tr');
  for (const hd of ['unit', 'saturated share', 'min activation', 'max activation']) h2.append(el('th', undefined, hd));
  t2.append(h2);
  for (let u = 0; u < f.units; u++) {
    const s = unitStats(f, bytesOf(f).thumbs, u);
    const tr = el('tr');
    tr.append(el('td', undefined, String(u)), el('td', 'num', `${(100 * s.sat).toFixed(0)}%`), el('td', 'num', s.min.toFixed(3)), el('td', 'num', s.max.toFixed(3)));
    t2.append(tr);
  }
  view.table.append(t2);
}

export function drawRegions(view: RegionView, v: ClientVariant, vi: number): void {
  const r: ClientRun | null = state.run;
  const plane = r?.plane;
  const f = frameFor(v);
  if (!plane || !view.root.isConnected) return;
  const key = `${f?.step}|${f?.layer}|${v.regions.length}|${state.theme.kind}|${state.theme.background}|${view.plane.clientWidth}|${view.unit}|${document.activeElement === view.thumbs}`;
  if (key === view.key) return;
  view.key = key;
  if (!f) {
    view.caption.textContent = 'waiting for the first evaluation…';
    return;
  }
  drawPlane(view.plane, f, plane);
  view.plane.setAttribute('aria-label', `Decision regions of ${v.meta.name} at step ${f.step} over ${plane.featureNames.join(' × ')}; the table below gives each class's share of the plane.`);
  view.root.dataset.step = String(f.step);
  if (f.units) {
    drawThumbs(view.thumbs, f, Math.min(view.unit, f.units - 1));
    view.thumbs.hidden = false;
    const more = f.layerUnits > f.units ? ` (the first ${f.units} of ${f.layerUnits})` : '';
    view.caption.textContent = `units of hidden layer ${f.layer + 1}${more}: activation; red where saturated or dead`;
    view.thumbs.setAttribute('aria-label', `Activation of each unit of hidden layer ${f.layer + 1} of ${v.meta.name} over the plane. Arrow keys move over the units; each unit's saturated share is read out.`);
  } else {
    view.thumbs.hidden = true;
    view.caption.textContent = 'no hidden layer';
  }
  const det = view.table.parentElement as HTMLDetailsElement;
  if (det.open) renderTable(view, f, plane);
  else if (!det.dataset.wired) {
    det.dataset.wired = '1';
    det.addEventListener('toggle', () => { view.key = ''; drawRegions(view, v, vi); });
  }
  // the live run pictures the chosen layer: ask the worker for it
  if (r!.run.live && f.layer !== ui.unitLayer && f.layer >= 0 && requested.get(r!.run.id) !== ui.unitLayer) {
    requested.set(r!.run.id, ui.unitLayer);
    api.postMessage({ type: 'regionLayer', runId: r!.run.id, layer: ui.unitLayer });
  }
}
const requested = new Map<string, number>();
