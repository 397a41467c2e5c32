/**
 * The runs' activation histograms at the cursor step, overlaid: one row per hidden layer (its
 * position in the network: hidden 1, hidden 2, ...), each run's histogram as an outline in its
 * colour over the union of the runs' ranges for that layer; and the per-layer table of the same
 * step, for screen readers and exact numbers. Left/Right on the histograms move the cursor.
 */
import { formatNumber } from '../shared/colorscale';
import { el, histCanvas, live, tableBox } from './layout';
import { tableHead } from '../shared/dom';
import { columnAt, runColor, state } from './state';
import { clearedCanvas } from '../shared/canvas';

let moveCursor: () => void = () => {};
/** main.ts names what a cursor move does (render). */
export function onCursorMove(fn: () => void): void {
  moveCursor = fn;
}

/** The hidden layers of run i with histograms, in order. */
function hiddenOf(i: number) {
  return (state.run?.variants[i]?.store.meta ?? []).filter((l) => l.hidden && l.histBins > 0);
}

export function drawHistograms(): void {
  const r = state.run;
  const c = histCanvas;
  if (!r || !c.isConnected) return;
  const { theme } = state;
  const rows = Math.max(0, ...r.variants.map((_, i) => hiddenOf(i).length));
  c.style.height = `${Math.max(1, rows) * 56}px`;
  const drawn = clearedCanvas(c, theme.background);
  if (!drawn) return;
  const { ctx, w, h, dpr } = drawn;
  if (!rows) return;
  const rowH = h / rows, labelW = 44 * dpr, right = 36 * dpr, plotW = w - labelW - right;
  ctx.font = `${10 * dpr}px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  const desc: string[] = [];
  const cols: number[] = r.variants.map((_, i) => columnAt(i));
  for (let k = 0; k < rows; k++) {
    const y0 = k * rowH, base = y0 + rowH - 4 * dpr, top = y0 + 4 * dpr;
    const layers = r.variants.map((_, i) => hiddenOf(i)[k]);
    let lo = Infinity, hi = -Infinity, max = 0;
    layers.forEach((l, i) => {
      if (!l || cols[i]! < 0) return;
      const [a, b] = l.histRange ?? [0, 1];
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
      const hist = r.variants[i]!.store.layers[l.index]!.hist.subarray(cols[i]! * l.histBins, (cols[i]! + 1) * l.histBins);
      // heights per unit of x, so runs with other ranges or bin counts are comparable
      for (const x of hist) max = Math.max(max, (x * l.histBins) / (b - a || 1));
    });
    ctx.fillStyle = theme.muted;
    ctx.fillText(`h${k + 1}`, 2 * dpr, y0 + rowH / 2);
    ctx.fillStyle = theme.border;
    ctx.fillRect(labelW, base, plotW, Math.max(1, dpr / 2));
    if (!(hi > lo) || max <= 0) continue;
    ctx.fillStyle = theme.muted;
    ctx.fillText(formatNumber(lo, 2), labelW - ctx.measureText(formatNumber(lo, 2)).width - 4 * dpr, base - 4 * dpr);
    ctx.fillText(formatNumber(hi, 2), labelW + plotW + 4 * dpr, base - 4 * dpr);
    const X = (v: number) => labelW + ((v - lo) / (hi - lo)) * plotW;
    const parts: string[] = [];
    layers.forEach((l, i) => {
      if (!l || cols[i]! < 0) return;
      const [a, b] = l.histRange ?? [0, 1];
      const B = l.histBins;
      const hist = r.variants[i]!.store.layers[l.index]!.hist.subarray(cols[i]! * B, (cols[i]! + 1) * B);
      ctx.strokeStyle = runColor(i);
      ctx.lineWidth = (theme.highContrast ? 2 : 1.5) * dpr;
      ctx.beginPath();
      ctx.moveTo(X(a), base);
      let best = 0;
      for (let j = 0; j < B; j++) {
        const y = base - ((hist[j]! * B) / (b - a || 1) / max) * (base - top);
        ctx.lineTo(X(a + ((b - a) * j) / B), y);
        ctx.lineTo(X(a + ((b - a) * (j + 1)) / B), y);
        if (hist[j]! > hist[best]!) best = j;
      }
      ctx.lineTo(X(b), base);
      ctx.stroke();
      parts.push(`${r.variants[i]!.meta.name}: most in [${formatNumber(a + ((b - a) * best) / B, 3)}, ${formatNumber(a + ((b - a) * (best + 1)) / B, 3)}] (${(hist[best]! * 100).toFixed(0)}%)`);
    });
    desc.push(`hidden ${k + 1}: ${parts.join('; ')}`);
  }
  const at = state.cursor === null ? 'the last step of each run' : `step ${state.cursor}`;
  c.setAttribute('aria-label', `Activation histograms at ${at}, overlaid per hidden layer. ${desc.join('. ')}. Left and Right arrows move the cursor step.`);
  c.dataset.cols = cols.join(',');
}

/** The steps the cursor moves through: the columns of the run with the most of them. */
function stepsAxis(): Float64Array | null {
  const r = state.run;
  if (!r) return null;
  let best = r.variants[0];
  for (const v of r.variants) if (v.store.count > (best?.store.count ?? 0)) best = v;
  return best && best.store.count ? best.store.s.step.subarray(0, best.store.count) : null;
}

histCanvas.addEventListener('keydown', (e) => {
  const steps = stepsAxis();
  if (!steps) return;
  let k = state.cursor === null ? steps.length - 1 : steps.findIndex((s) => s >= state.cursor!);
  if (k < 0) k = steps.length - 1;
  switch (e.key) {
    case 'ArrowLeft': k--; break;
    case 'ArrowRight': k++; break;
    case 'PageUp': k -= 10; break;
    case 'PageDown': k += 10; break;
    case 'Home': k = 0; break;
    case 'End': k = steps.length - 1; break;
    case 'Escape':
      state.cursor = null;
      moveCursor();
      return;
    default: return;
  }
  e.preventDefault();
  state.cursor = steps[Math.max(0, Math.min(steps.length - 1, k))]!;
  live.textContent = `cursor at step ${state.cursor}`;
  moveCursor();
});

export function renderTable(): void {
  const r = state.run;
  if (!r) return;
  const table = el('table');
  table.append(el('caption', undefined, state.cursor !== null ? `At step ${state.cursor} (the column under the cursor)` : 'At the last step of each run'));
  const thead = tableHead(['run', 'layer', 'activation', 'steps', 'saturation', '‖δ‖', '‖dW‖', 'mean', 'std']);
  const tbody = el('tbody');
  r.variants.forEach((v, i) => {
    const col = columnAt(i);
    if (col < 0 || !v.store.meta) return;
    const s = v.store.s;
    for (const l of v.store.meta) {
      const q = v.store.layers[l.index]!.q;
      const tr = el('tr');
      const th = el('th', undefined, v.meta.name);
      th.scope = 'row';
      tr.append(th, el('td', undefined, l.name), el('td', undefined, l.activation),
        el('td', 'num', s.stepFrom[col] === s.step[col] ? String(s.step[col]) : `${s.stepFrom[col]}–${s.step[col]}`),
        el('td', 'num', Number.isFinite(q.sat[col]!) ? q.sat[col]!.toFixed(3) : '–'),
        el('td', 'num', formatNumber(q.delta[col]!)), el('td', 'num', formatNumber(q.gradW[col]!)),
        el('td', 'num', formatNumber(q.mean[col]!)), el('td', 'num', formatNumber(q.std[col]!)));
      tbody.append(tr);
    }
  });
  table.append(thead, tbody);
  tableBox.replaceChildren(table);
}
