/**
 * Distributions over time, per variant and hidden layer, from the recorded activation histograms
 * (the history's columns: fractions of the layer's activations per bin): a heatmap of bin × step
 * (high values on top; the share of activations in a bin from the background to the foreground
 * colour, on a square-root scale so thin tails show) and, under it, percentile bands over time
 * (TensorBoard's distributions: 0–100, 7–93, 16–84, 31–69, stronger inward, and the median as a
 * line in the foreground colour), the percentiles read
 * off each column's histogram. Arrow keys move over the heatmap's cells and read the share out.
 */
import { BAND_PERCENTILES, percentileOfHistogram } from '../../src/engine/percentiles';
import { PERCENTILE_QUANTITIES, type LayerMeta } from '../../src/shared/columns';
import { fitCanvas } from '../shared/canvas';
import { ColorScale, Ramp } from '../shared/colorscale';
import { attachCellInteraction, Heatmap, type Cell } from '../shared/heatmap';
import { parseColor, type RGBA } from '../shared/theme';
import { fmtSteps } from './cursor';
import { el, live, tooltip } from './layout';
import { heatmapSpan, type ClientVariant } from './model';
import { state } from './state';
import type { DistView } from './types';

type LayerDist = DistView['layers'][number];

/** The share of layer k's activations in bin `bin` at column c (NaN: not recorded). */
export function binShare(v: ClientVariant, k: number, c: number, bin: number): number {
  const B = v.store.meta![k]!.histBins;
  return v.store.layers[k]!.hist[c * B + bin]!;
}

function binText(v: ClientVariant, l: LayerMeta, cell: Cell): string[] {
  const B = l.histBins, bin = B - 1 - cell.row, [lo, hi] = l.histRange ?? [0, 1], w = (hi - lo) / B;
  const x = binShare(v, l.index, cell.col, bin);
  const a = lo + bin * w, b = a + w;
  const edge = bin === 0 ? ' (and below)' : bin === B - 1 ? ' (and above)' : '';
  return [`${v.meta.name} · ${l.name}, activations in [${a.toPrecision(3)}, ${b.toPrecision(3)})${edge}`, fmtSteps(v, cell.col), `share = ${Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '–'}`];
}

function distBlock(v: ClientVariant, vi: number, hidden: LayerMeta[]): DistView {
  const root = el('div', 'hm-block dist-block');
  root.append(el('div', 'hm-title', 'Activation distributions over time: histogram (bin × step) and percentile bands'));
  const layers: LayerDist[] = [];
  for (const l of hidden) {
    const row = el('div', 'dist-layer');
    row.append(el('div', 'dist-label muted', `${l.name} (${l.histRange ? `${l.histRange[0]} to ${l.histRange[1]}` : ''})`));
    const canvas = el('canvas', 'heatmap dist');
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.dataset.variant = String(vi);
    canvas.dataset.layer = String(l.index);
    canvas.style.height = `${Math.max(40, Math.min(100, l.histBins * 3))}px`;
    canvas.setAttribute('aria-label', `Histogram of ${l.name}'s activations over training for ${v.meta.name}: rows are bins, high values on top, columns are steps. Arrow keys move over the cells; each bin's share is read out.`);
    const bands = el('canvas', 'dist-bands');
    bands.setAttribute('role', 'img');
    bands.dataset.variant = String(vi);
    bands.dataset.layer = String(l.index);
    row.append(canvas, bands);
    root.append(row);
    const hm = new Heatmap(canvas);
    const interaction = attachCellInteraction(hm, {
      onCell: (cell, source) => {
        if (!cell) {
          tooltip.hide();
          drawLayer(view, v, vi, view.layers.indexOf(layer));
          return;
        }
        const lines = binText(v, l, cell);
        const p = hm.cellCenter(cell);
        tooltip.show(lines, p.x, p.y);
        if (source === 'keyboard') live.textContent = lines.join(', ');
        drawLayer(view, v, vi, view.layers.indexOf(layer));
      },
    });
    const layer: LayerDist = { meta: l, hm, bands, interaction, key: '' };
    layers.push(layer);
  }
  // the weights' and gradients' percentiles of every layer (hidden until a column has them)
  const params: DistView['params'] = [];
  const pbox = el('div', 'dist-params');
  pbox.append(el('div', 'hm-title', 'Weights and weight gradients over time: percentile bands (0–100, 16–84) and median'));
  for (const l of v.store.meta ?? []) {
    const row = el('div', 'dist-param-row');
    for (const kind of ['w', 'g'] as const) {
      const cell = el('div', 'dist-param');
      cell.append(el('div', 'dist-label muted', `${l.name}: ${kind === 'w' ? 'weights W' : 'gradient dW'}`));
      const canvas = el('canvas', 'param-bands');
      canvas.setAttribute('role', 'img');
      canvas.dataset.variant = String(vi);
      canvas.dataset.layer = String(l.index);
      canvas.dataset.kind = kind;
      cell.append(canvas);
      row.append(cell);
      params.push({ meta: l, kind, canvas, key: '' });
    }
    pbox.append(row);
  }
  root.append(pbox);
  const view: DistView = { root, layers, params };
  return view;
}

/**
 * Adds the block to the card once the variant's layers are known, and draws it when the history
 * changed (`paint`: false, only adds it; the panel draws its parts one by one with distPart).
 */
export function drawDistributions(card: { root: HTMLElement; dist?: DistView }, v: ClientVariant, vi: number, paint = true): void {
  const meta = v.store.meta;
  if (!card.dist) {
    const hidden = (meta ?? []).filter((l) => l.hidden && l.histBins > 0);
    if (!hidden.length) return;
    card.dist = distBlock(v, vi, hidden);
    card.root.append(card.dist.root);
  }
  if (paint) for (const { part } of distParts(card.dist)) drawPart(card.dist, v, vi, part);
}

/** The block's parts, each drawn on its own: a hidden layer's heatmap and bands (index i), a layer's weight or gradient bands (P + j). */
export function distParts(view: DistView): { part: number; el: HTMLCanvasElement }[] {
  return [...view.layers.map((l, i) => ({ part: i, el: l.hm.canvas })), ...view.params.map((p, j) => ({ part: view.layers.length + j, el: p.canvas }))];
}

/** What a part shows (besides its own cursor): it is redrawn when this changes. */
function historyKey(v: ClientVariant, el: HTMLElement): { key: string; n: number; fill: number } | null {
  const r = state.run;
  if (!r || !el.isConnected) return null;
  const th = state.theme, n = v.store.count;
  const span = heatmapSpan(r, v);
  const fill = span > 0 && n > 0 ? Math.min(1, v.store.s.step[n - 1]! / span) : 1;
  return { key: `${n}|${v.store.stride}|${v.store.s.step[n - 1]}|${fill}|${th.kind}|${th.background}|${th.foreground}|${th.focus}|${th.muted}|${th.series.join()}|${el.clientWidth}`, n, fill };
}

/** Draw one part of the block (distParts) if what it shows changed. */
export function drawPart(view: DistView, v: ClientVariant, vi: number, part: number): void {
  if (part < view.layers.length) drawLayer(view, v, vi, part);
  else drawParam(view.params[part - view.layers.length]!, v, vi);
}

function drawLayer(view: DistView, v: ClientVariant, vi: number, i: number): void {
  const l = view.layers[i];
  const h = l && historyKey(v, view.root);
  if (!l || !h) return;
  const key = `${h.key}|${JSON.stringify(l.interaction.current())}`;
  if (key === l.key) return;
  l.key = key;
  const { n, fill } = h, th = state.theme;
  const bg = parseColor(th.background), fg = parseColor(th.foreground);
  const B = l.meta.histBins, hist = v.store.layers[l.meta.index]!.hist;
  let max = 0;
  for (let i = 0; i < n * B; i++) if (hist[i]! > max) max = hist[i]!;
  const scale = new ColorScale({ kind: 'linear', min: 0, max: Math.sqrt(max) || 1 }, Ramp.between(bg, fg), 'share of activations', bg);
  l.hm.draw({
    cols: n, rows: B, get: (c, row) => Math.sqrt(hist[c * B + (B - 1 - row)]!), scale, background: th.background, fill,
    cursor: l.interaction.current(), cursorColor: th.focus,
  });
  drawBands(l, v, vi, n, fill);
}

/** Percentile bands of layer l's activations over its columns, read off each column's histogram. */
function drawBands(l: LayerDist, v: ClientVariant, vi: number, n: number, fill: number): void {
  const B = l.meta.histBins, [lo, hi] = l.meta.histRange ?? [0, 1], hist = v.store.layers[l.meta.index]!.hist;
  const P = BAND_PERCENTILES.length, vals = new Float64Array(n * P);
  for (let col = 0; col < n; col++) {
    const counts = hist.subarray(col * B, col * B + B);
    for (let j = 0; j < P; j++) vals[col * P + j] = percentileOfHistogram(counts, lo, hi, BAND_PERCENTILES[j]!);
  }
  paintBands(l.bands, vals, P, n, fill, lo, hi, vi);
  const last = n - 1, mid = (P - 1) / 2;
  if (last >= 0) {
    const q = (j: number) => vals[last * P + j]!.toPrecision(3);
    l.bands.setAttribute('aria-label', `Percentile bands of ${l.meta.name}'s activations over training for ${v.meta.name}, read off the histograms: at the last column the median is ${q(mid)}, 16th to 84th percentile ${q(2)} to ${q(P - 3)}, range ${q(0)} to ${q(P - 1)}.`);
  }
}

/**
 * Bands between percentile j and P−1−j of each column (vals: n × P, ascending percentiles), the
 * outer ones fainter, and the median as a line in the foreground colour, over [lo, hi].
 */
function paintBands(c: HTMLCanvasElement, vals: Float64Array, P: number, n: number, fill: number, lo: number, hi: number, vi: number): void {
  const th = state.theme;
  const { w, h, dpr } = fitCanvas(c);
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = th.background;
  ctx.fillRect(0, 0, w, h);
  const x = (col: number) => ((col + 0.5) / Math.max(1, n)) * w * fill;
  const y = (val: number) => h - ((val - lo) / (hi - lo || 1)) * (h - 2 * dpr) - dpr;
  const color: RGBA = parseColor(th.series[vi % th.series.length]!);
  const bands = (P - 1) / 2;
  for (let j = 0; j < bands; j++) {
    ctx.beginPath();
    let started = false;
    for (let col = 0; col < n; col++) {
      const a = vals[col * P + j]!;
      if (!Number.isFinite(a)) continue;
      if (!started) ctx.moveTo(x(col), y(a));
      else ctx.lineTo(x(col), y(a));
      started = true;
    }
    for (let col = n - 1; col >= 0; col--) {
      const b = vals[col * P + (P - 1 - j)]!;
      if (Number.isFinite(b)) ctx.lineTo(x(col), y(b));
    }
    ctx.closePath();
    ctx.fillStyle = `rgba(${color[0]},${color[1]},${color[2]},${0.12 + (0.48 * (j + 1)) / bands})`;
    if (started) ctx.fill();
  }
  ctx.beginPath();
  let started = false;
  for (let col = 0; col < n; col++) {
    const m = vals[col * P + bands]!;
    if (!Number.isFinite(m)) continue;
    if (!started) ctx.moveTo(x(col), y(m));
    else ctx.lineTo(x(col), y(m));
    started = true;
  }
  ctx.strokeStyle = th.foreground; // the median over the bands
  ctx.lineWidth = 1.5 * dpr;
  ctx.stroke();
  ctx.fillStyle = th.muted;
  ctx.font = `${9 * dpr}px ${th.fontFamily}`;
  ctx.textBaseline = 'top';
  ctx.fillText(fmtEnd(hi), 2 * dpr, dpr);
  ctx.textBaseline = 'bottom';
  ctx.fillText(fmtEnd(lo), 2 * dpr, h - dpr);
}

const fmtEnd = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(2));

/** The weights' (w…) or gradients' (g…) recorded percentiles of layer k as n × 5 values; null when none is recorded. */
function paramValues(v: ClientVariant, k: number, kind: 'w' | 'g', n: number): Float64Array | null {
  const q = v.store.layers[k]!.q, names = PERCENTILE_QUANTITIES.filter((name) => name[0] === kind);
  const vals = new Float64Array(n * names.length);
  let any = false;
  for (let col = 0; col < n; col++) {
    names.forEach((name, j) => {
      const x = q[name][col]!;
      vals[col * names.length + j] = x;
      if (Number.isFinite(x)) any = true;
    });
  }
  return any ? vals : null;
}

/** A layer's weights' or weight gradients' percentile bands, when the run recorded them. */
function drawParam(p: DistView['params'][number], v: ClientVariant, vi: number): void {
  const h = historyKey(v, p.canvas.closest('.dist-block') as HTMLElement);
  if (!h || h.key === p.key) return;
  p.key = h.key;
  const { n, fill } = h;
  const vals = paramValues(v, p.meta.index, p.kind, n);
  p.canvas.hidden = !vals;
  if (!vals) return;
  let span = 0;
  for (const x of vals) if (Number.isFinite(x)) span = Math.max(span, Math.abs(x));
  span ||= 1;
  paintBands(p.canvas, vals, 5, n, fill, -span, span, vi);
  const last = (n - 1) * 5, f = (j: number) => vals[last + j]!.toPrecision(3);
  const what = p.kind === 'w' ? 'weights' : 'weight gradients';
  p.canvas.setAttribute('aria-label', `Percentiles of ${p.meta.name}'s ${what} over training for ${v.meta.name} (0–100 and 16–84 bands, the median a line; symmetric axis ±${span.toPrecision(3)}): at the last column the median is ${f(2)}, 16th to 84th percentile ${f(1)} to ${f(3)}, range ${f(0)} to ${f(4)}.`);
}
