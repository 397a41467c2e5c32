/**
 * The numbers at the cursor's step: each variant's activation histograms (one row per hidden
 * layer) and the per-layer table of every variant.
 */
import { formatNumber } from '../shared/colorscale';
import { shortName } from './cards';
import { cursorCol, fmtSteps } from './cursor';
import { el, tableBox } from './layout';
import type { ClientRun, ClientVariant } from './model';
import { tableHead } from '../shared/dom';
import { state } from './state';
import type { Card } from './types';
import { clearedCanvas } from '../shared/canvas';

export function drawHistograms(card: Card, v: ClientVariant, vi: number, colorIndex = vi): void {
  const { theme } = state;
  const c = card.hist;
  const meta = v.store.meta;
  if (!meta || !c.isConnected) return;
  const drawn = clearedCanvas(c, theme.background);
  if (!drawn) return;
  const { ctx, w, h, dpr } = drawn;
  const col = cursorCol(v);
  const hid = meta.filter((l) => l.hidden && l.histBins > 0);
  if (col < 0 || !hid.length) return;
  const rowH = h / hid.length;
  const labelW = 44 * dpr;
  const color = theme.series[colorIndex % theme.series.length]!;
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

export function renderTable(r: ClientRun): void {
  const table = el('table');
  const cap = el('caption', undefined, state.cursor !== null ? `At step ${state.cursor.step} (the column under the cursor)` : 'At the latest step');
  table.append(cap);
  const thead = tableHead(['variant', 'layer', 'activation', 'steps', 'saturation', '‖δ‖', '‖dW‖', 'mean', 'std', '‖ΔW‖/‖W‖']);
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
