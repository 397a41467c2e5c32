/**
 * Test-set errors, per variant, from its newest epoch record that has them (engine/errors.ts):
 * the confusion matrix (rows: true class, columns: predicted class; each cell its count, coloured
 * by its share of the row: right answers on the diagonal in green, errors in the theme's error
 * colour), each class's accuracy beside its row, and for image data a strip of misclassified test
 * examples with their true and predicted labels. Arrow keys move over the cells (read out); a
 * table gives the same numbers.
 */
import { perClassAccuracy } from '../../src/engine/errors';
import type { EpochRecord } from '../../src/engine/trainer';
import { fromBase64 } from '../../src/shared/columns';
import type { ErrorStrip } from '../../src/shared/protocol';
import { fitCanvas } from '../shared/canvas';
import { tableHead } from '../shared/dom';
import { parseColor } from '../shared/theme';
import { el, live } from './layout';
import type { ClientVariant } from './model';
import { state } from './state';

export interface ErrorsView {
  root: HTMLElement;
  title: HTMLElement;
  matrix: HTMLCanvasElement;
  strip: HTMLCanvasElement;
  stripCaption: HTMLElement;
  table: HTMLElement;
  key: string;
  /** keyboard cursor: [true, predicted] */
  cell: [number, number];
}

/** The newest epoch record with errors. */
export function lastErrors(v: ClientVariant): EpochRecord | null {
  for (let i = v.epochs.length - 1; i >= 0; i--) if (v.epochs[i]!.errors) return v.epochs[i]!;
  return null;
}

function className(_v: ClientVariant, k: number): string {
  const names = state.run?.plane?.classNames;
  return names?.[k] ?? String(k);
}

function cellText(v: ClientVariant, rec: EpochRecord, t: number, p: number): string {
  const row = rec.errors!.confusion[t]!, count = row[p]!, sum = row.reduce((a, b) => a + b, 0);
  const share = sum ? ` (${((100 * count) / sum).toFixed(1)}% of class ${className(v, t)})` : '';
  return `true ${className(v, t)}, predicted ${className(v, p)}: ${count} test example${count === 1 ? '' : 's'}${share}`;
}

function errorsBlock(v: ClientVariant, vi: number): ErrorsView {
  const root = el('div', 'hm-block errors-block');
  const title = el('div', 'hm-title', 'Test-set errors');
  const matrix = el('canvas', 'confusion');
  matrix.tabIndex = 0;
  matrix.setAttribute('role', 'img');
  matrix.dataset.variant = String(vi);
  const strip = el('canvas', 'error-strip');
  strip.setAttribute('role', 'img');
  strip.dataset.variant = String(vi);
  strip.hidden = true;
  const stripCaption = el('div', 'muted region-caption');
  const details = el('details', 'view-numbers');
  details.append(el('summary', undefined, 'Confusion matrix (table)'));
  const table = el('div', 'table-box');
  details.append(table);
  root.append(title, matrix, strip, stripCaption, details);
  const view: ErrorsView = { root, title, matrix, strip, stripCaption, table, key: '', cell: [0, 0] };
  const redraw = () => { view.key = ''; draw(view, v); };
  for (const ev of ['focus', 'blur']) matrix.addEventListener(ev, redraw);
  details.addEventListener('toggle', redraw);
  matrix.addEventListener('keydown', (e) => {
    const rec = lastErrors(v);
    if (!rec) return;
    const n = rec.errors!.confusion.length;
    const d = ({ ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] } as Record<string, [number, number]>)[e.key];
    if (!d) return;
    e.preventDefault();
    view.cell = [Math.max(0, Math.min(n - 1, view.cell[0] + d[0])), Math.max(0, Math.min(n - 1, view.cell[1] + d[1]))];
    live.textContent = cellText(v, rec, view.cell[0], view.cell[1]);
    redraw();
  });
  return view;
}

/** Adds the block to the card once the variant has errors, and draws it when they changed (`paint`: false, only adds it). */
export function drawErrors(card: { root: HTMLElement; errors?: ErrorsView }, v: ClientVariant, vi: number, paint = true): void {
  if (!card.errors) {
    if (!lastErrors(v)) return;
    card.errors = errorsBlock(v, vi);
    card.root.append(card.errors.root);
  }
  if (paint) draw(card.errors, v);
}

function mix(bg: number[], c: number[], a: number): string {
  return `rgb(${[0, 1, 2].map((k) => Math.round(bg[k]! + (c[k]! - bg[k]!) * a)).join(',')})`;
}

function drawMatrix(view: ErrorsView, v: ClientVariant, rec: EpochRecord): void {
  const conf = rec.errors!.confusion, n = conf.length, per = perClassAccuracy(conf);
  const c = view.matrix, dpr = window.devicePixelRatio || 1, th = state.theme;
  const cssW = Math.min(c.parentElement?.clientWidth ?? 300, 40 + 44 + n * 34);
  const labelW = 30, accW = 46, cellCss = Math.max(8, (cssW - labelW - accW) / n), top = 16;
  c.style.width = `${Math.round(labelW + accW + n * cellCss)}px`;
  c.style.height = `${Math.round(top + n * cellCss)}px`;
  const { w, h } = fitCanvas(c);
  const ctx = c.getContext('2d');
  if (!ctx) return;
  const bg = parseColor(th.background), good = parseColor(th.charts.green), bad = parseColor(th.error);
  ctx.fillStyle = th.background;
  ctx.fillRect(0, 0, w, h);
  const s = cellCss * dpr, x0 = labelW * dpr, y0 = top * dpr;
  const font = Math.max(8, Math.min(12, cellCss * 0.38)) * dpr;
  ctx.font = `${font}px ${th.fontFamily}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = th.muted;
  for (let k = 0; k < n; k++) {
    ctx.fillText(className(v, k).slice(0, 4), x0 + (k + 0.5) * s, y0 / 2);
    ctx.fillText(className(v, k).slice(0, 4), x0 / 2, y0 + (k + 0.5) * s);
  }
  ctx.fillText('acc', x0 + n * s + (accW * dpr) / 2, y0 / 2);
  for (let t = 0; t < n; t++) {
    const row = conf[t]!, sum = row.reduce((a, b) => a + b, 0);
    for (let p = 0; p < n; p++) {
      const share = sum ? row[p]! / sum : 0;
      const col = t === p ? good : bad;
      // errors are a small share of a row: a square root keeps a single one visible
      ctx.fillStyle = row[p] ? mix(bg, col, t === p ? 0.15 + 0.85 * share : 0.3 + 0.7 * Math.sqrt(share)) : th.background;
      ctx.fillRect(x0 + p * s + 0.5, y0 + t * s + 0.5, s - 1, s - 1);
      if (cellCss >= 16 && row[p]) {
        ctx.fillStyle = (t === p ? share : Math.sqrt(share)) > 0.55 ? th.background : th.foreground;
        ctx.fillText(String(row[p]), x0 + (p + 0.5) * s, y0 + (t + 0.5) * s);
      }
    }
    // per-class accuracy: a bar and its value
    const a = per[t];
    const bx = x0 + n * s + 4 * dpr, bw = accW * dpr - 8 * dpr;
    ctx.fillStyle = th.chartsLines;
    ctx.fillRect(bx, y0 + (t + 0.5) * s + 3 * dpr, bw, 2 * dpr);
    if (a !== null) {
      ctx.fillStyle = th.charts.green;
      ctx.fillRect(bx, y0 + (t + 0.5) * s + 3 * dpr, bw * a, 2 * dpr);
      ctx.fillStyle = th.foreground;
      ctx.fillText(a.toFixed(2), bx + bw / 2, y0 + (t + 0.5) * s - Math.min(5 * dpr, s / 5));
    }
  }
  ctx.strokeStyle = th.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(x0, y0, n * s, n * s);
  if (document.activeElement === c) {
    const [t, p] = view.cell;
    ctx.strokeStyle = th.focus;
    ctx.lineWidth = 2 * dpr;
    ctx.strokeRect(x0 + p * s + dpr, y0 + t * s + dpr, s - 2 * dpr, s - 2 * dpr);
  }
  const overall = rec.test?.accuracy;
  c.setAttribute('aria-label', `Confusion matrix of ${v.meta.name} on the test set after epoch ${rec.epoch}: rows are the true class, columns the predicted class${overall !== undefined && overall !== null ? `; test accuracy ${overall.toFixed(3)}` : ''}. Arrow keys move over the cells and read out the counts; the table below gives every count.`);
}

const scratch = document.createElement('canvas');

function drawStrip(view: ErrorsView, v: ClientVariant, strip: ErrorStrip): void {
  const c = view.strip, n = strip.index.length, [H, W] = strip.shape, th = state.theme;
  if (!n) {
    c.hidden = true;
    view.stripCaption.textContent = `no misclassified test examples after epoch ${strip.epoch}`;
    return;
  }
  c.hidden = false;
  const per = Math.min(8, n), rows = Math.ceil(n / per);
  const cssW = c.parentElement?.clientWidth ?? 300, cellCss = Math.min(64, cssW / 8), labelCss = 14;
  c.style.width = `${Math.round(per * cellCss)}px`;
  c.style.height = `${Math.round(rows * (cellCss + labelCss))}px`;
  const { w, h, dpr } = fitCanvas(c);
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = th.background;
  ctx.fillRect(0, 0, w, h);
  const px = fromBase64(strip.pixels), fg = parseColor(th.foreground), bg = parseColor(th.background);
  scratch.width = W;
  scratch.height = H;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(W, H);
  const s = cellCss * dpr, gap = 3 * dpr, lab = labelCss * dpr;
  ctx.font = `${10 * dpr}px ${th.fontFamily}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let k = 0; k < n; k++) {
    // ink in the foreground colour on the background: readable in light and dark themes
    for (let i = 0; i < H * W; i++) {
      const a = px[k * H * W + i]! / 255;
      for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = Math.round(bg[ch]! + (fg[ch]! - bg[ch]!) * a);
      img.data[4 * i + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const x = (k % per) * s, y = Math.floor(k / per) * (s + lab);
    ctx.drawImage(scratch, x + gap / 2, y + gap / 2, s - gap, s - gap);
    ctx.strokeStyle = th.border;
    ctx.strokeRect(x + gap / 2, y + gap / 2, s - gap, s - gap);
    ctx.fillStyle = th.error;
    ctx.fillText(`${className(v, strip.truth[k]!)}→${className(v, strip.predicted[k]!)}`, x + s / 2, y + s + lab / 2);
  }
  view.stripCaption.textContent = `first ${n} misclassified test examples after epoch ${strip.epoch} (true → predicted)`;
  c.setAttribute('aria-label', `Misclassified test examples of ${v.meta.name} after epoch ${strip.epoch}: ` + strip.index.map((idx, k) => `example ${idx}, true ${className(v, strip.truth[k]!)}, predicted ${className(v, strip.predicted[k]!)}`).join('; '));
}

function renderTable(view: ErrorsView, v: ClientVariant, rec: EpochRecord): void {
  const conf = rec.errors!.confusion, n = conf.length, per = perClassAccuracy(conf);
  const t = el('table');
  t.append(el('caption', undefined, `Test set after epoch ${rec.epoch}: rows true class, columns predicted class`));
  t.append(tableHead(['true \\ predicted', ...conf.map((_, k) => className(v, k)), 'examples', 'accuracy']));
  const body = el('tbody');
  for (let r = 0; r < n; r++) {
    const tr = el('tr');
    const th = el('th', undefined, className(v, r));
    th.scope = 'row';
    tr.append(th, ...conf[r]!.map((c) => el('td', 'num', String(c))), el('td', 'num', String(conf[r]!.reduce((a, b) => a + b, 0))), el('td', 'num', per[r] === null ? '-' : per[r]!.toFixed(3)));
    body.append(tr);
  }
  t.append(body);
  view.table.replaceChildren(t);
}

function draw(view: ErrorsView, v: ClientVariant): void {
  const rec = lastErrors(v);
  if (!rec || !view.root.isConnected) return;
  const strip = v.pictures.errors;
  const open = (view.table.parentElement as HTMLDetailsElement).open;
  const th = state.theme;
  const key = `${rec.epoch}|${rec.step}|${strip?.epoch}|${th.kind}|${th.background}|${view.root.clientWidth}|${view.cell}|${document.activeElement === view.matrix}|${open}`;
  if (key === view.key) return;
  view.key = key;
  view.root.dataset.epoch = String(rec.epoch);
  view.title.textContent = `Test-set errors after epoch ${rec.epoch} (rows: true class, columns: predicted; right: per-class accuracy)`;
  drawMatrix(view, v, rec);
  if (strip) drawStrip(view, v, strip);
  if (open) renderTable(view, v, rec);
}
