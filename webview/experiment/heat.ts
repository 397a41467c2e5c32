/**
 * The Experiment panel's heatmap: one metric over two axes of the grid, each cell the mean over
 * its runs (seeds and the axes not shown), drawn on a canvas in a viridis ramp (lighter: better for
 * accuracies, reversed for losses). Hover or the arrow keys show a cell's numbers and its runs'
 * small curves (per epoch: accuracy solid, train loss dashed) in a tooltip; a click or Enter opens
 * the cell's median run in the training panel.
 */
import type { ExperimentRow } from '../../src/shared/protocol';
import { fitCanvas } from '../shared/canvas';
import { ColorScale, Ramp, formatNumber } from '../shared/colorscale';
import { el } from '../shared/dom';
import { Legend } from '../shared/legend';
import type { Theme } from '../shared/theme';
import { metricValue, METRICS, type HeatCell, type HeatGrid } from './model';

export class HeatView {
  readonly section = el('section', 'heat-section');
  readonly canvas = el('canvas', 'exp-heatmap');
  private readonly ylabels = el('div', 'heat-ylabels');
  private readonly xlabels = el('div', 'heat-xlabels');
  private readonly xTitle = el('div', 'axis-title');
  private readonly legendBox = el('div', 'legend-box');
  private readonly legend = new Legend(this.legendBox);
  private readonly tip = el('div', 'tooltip cell-tip');
  private readonly tipText = el('div');
  private readonly tipCanvas = el('canvas');
  private grid: HeatGrid | null = null;
  private scale: ColorScale | null = null;
  private theme: Theme | null = null;
  private focusCell = 0;
  private hover: number | null = null;

  constructor(private readonly open: (row: ExperimentRow) => void) {
    this.canvas.id = 'heatmap';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.tip.id = 'cell-tip';
    this.tip.setAttribute('role', 'tooltip');
    this.tip.hidden = true;
    this.tipCanvas.id = 'cell-curves';
    this.tip.append(this.tipText, this.tipCanvas);
    document.body.append(this.tip);
    const spacer = el('div');
    this.section.append(this.ylabels, this.canvas, spacer, this.xlabels, el('div'), this.xTitle, el('div'), this.legendBox);
    this.canvas.addEventListener('mousemove', (e) => this.onHover(this.cellAt(e.offsetX, e.offsetY), e.clientX, e.clientY));
    this.canvas.addEventListener('mouseleave', () => this.onHover(null, 0, 0));
    this.canvas.addEventListener('click', (e) => {
      const k = this.cellAt(e.offsetX, e.offsetY);
      if (k !== null) this.openCell(k);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('blur', () => this.onHover(null, 0, 0));
  }

  private cellAt(x: number, y: number): number | null {
    const g = this.grid;
    if (!g) return null;
    const i = Math.floor((x / this.canvas.clientWidth) * g.width), j = Math.floor((y / this.canvas.clientHeight) * g.height);
    return i >= 0 && j >= 0 && i < g.width && j < g.height ? j * g.width + i : null;
  }

  private onKey(e: KeyboardEvent): void {
    const g = this.grid;
    if (!g) return;
    let i = this.focusCell % g.width, j = Math.floor(this.focusCell / g.width);
    if (e.key === 'ArrowRight') i = Math.min(g.width - 1, i + 1);
    else if (e.key === 'ArrowLeft') i = Math.max(0, i - 1);
    else if (e.key === 'ArrowDown') j = Math.min(g.height - 1, j + 1);
    else if (e.key === 'ArrowUp') j = Math.max(0, j - 1);
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.openCell(this.focusCell);
      return;
    } else if (e.key === 'Escape') {
      this.onHover(null, 0, 0);
      return;
    } else return;
    e.preventDefault();
    this.focusCell = j * g.width + i;
    const r = this.canvas.getBoundingClientRect();
    this.onHover(this.focusCell, r.left + ((i + 0.5) / g.width) * r.width, r.top + ((j + 0.5) / g.height) * r.height);
    this.draw();
  }

  /** The cell's run nearest its median (by the metric), else its first run. */
  private openCell(k: number): void {
    const c = this.grid?.cells[k];
    if (!c || !c.rows.length) return;
    const metric = this.metric;
    const valued = c.rows.filter((r) => metricValue(r, metric) !== null).sort((a, b) => metricValue(a, metric)! - metricValue(b, metric)!);
    this.open(valued.length ? valued[Math.floor((valued.length - 1) / 2)]! : c.rows[0]!);
  }

  metric: (typeof METRICS)[number]['key'] = 'testAccuracy';

  set(grid: HeatGrid | null, theme: Theme): void {
    this.grid = grid;
    this.theme = theme;
    if (this.focusCell >= (grid?.cells.length ?? 0)) this.focusCell = 0;
    const m = METRICS.find((x) => x.key === this.metric)!;
    if (grid && grid.min !== null && grid.max !== null) {
      const ramp = Ramp.viridis();
      const lut = m.higherIsBetter ? ramp : new Ramp(reversed(ramp.lut));
      // accuracies and saturation on their whole range 0..1; other metrics over the cells' means,
      // at least 1% of their size wide (nearly equal means are not painted as opposites)
      let lo = grid.min, hi = grid.max;
      if (m.key === 'testAccuracy' || m.key === 'trainAccuracy' || m.key === 'saturation') [lo, hi] = [0, 1];
      const minWidth = 0.01 * Math.max(Math.abs(lo), Math.abs(hi), 1e-9);
      if (hi - lo < minWidth) [lo, hi] = [(lo + hi) / 2 - minWidth / 2, (lo + hi) / 2 + minWidth / 2];
      this.scale = new ColorScale({ kind: 'linear', min: lo, max: hi }, lut, `${m.title} (mean over seeds)`);
    } else this.scale = null;
    this.ylabels.replaceChildren(...(grid?.yAxis ? grid.yAxis.values.map((v) => el('span', undefined, `${v}`)) : [el('span', undefined, '')]));
    this.xlabels.replaceChildren(...(grid ? grid.xAxis.values.map((v) => el('span', undefined, v)) : []));
    this.xTitle.textContent = grid ? `x: ${grid.xAxis.name}${grid.yAxis ? ` · y: ${grid.yAxis.name}` : ''}` : 'no axis to show';
    this.canvas.setAttribute('aria-label', grid ? `${m.title} over ${grid.xAxis.name}${grid.yAxis ? ` and ${grid.yAxis.name}` : ''}; ${grid.cells.map((c) => `${this.cellName(c)}: ${c.mean === null ? 'no value' : formatNumber(c.mean)}`).join('; ')}. Arrow keys move between cells, Enter opens the cell's median run.` : 'no heatmap');
    this.legendBox.hidden = !this.scale;
    if (this.scale) this.legend.update(this.scale);
    this.draw();
  }

  private cellName(c: HeatCell): string {
    const g = this.grid!;
    return `${g.xAxis.name} ${g.xAxis.values[c.x]}${g.yAxis ? `, ${g.yAxis.name} ${g.yAxis.values[c.y]}` : ''}`;
  }

  draw(): void {
    const g = this.grid, t = this.theme;
    const { w, h } = fitCanvas(this.canvas);
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !t) return;
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, w, h);
    if (!g) return;
    const cw = w / g.width, ch = h / g.height;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `${Math.round(12 * (window.devicePixelRatio || 1))}px ${t.editorFontFamily}`;
    for (const c of g.cells) {
      const x0 = c.x * cw, y0 = c.y * ch;
      const tt = c.mean === null || !this.scale ? null : this.scale.t(c.mean);
      ctx.fillStyle = tt === null ? t.background : this.scale!.ramp.css(tt);
      ctx.fillRect(x0 + 1, y0 + 1, cw - 2, ch - 2);
      ctx.fillStyle = tt === null ? t.muted : textOn(this.scale!.ramp.lut, tt);
      const text = c.mean === null ? (c.total ? 'pending' : '–') : `${formatNumber(c.mean, 4)}${c.n < c.total ? ` (${c.n}/${c.total})` : ''}`;
      ctx.fillText(text, x0 + cw / 2, y0 + ch / 2);
    }
    if (document.activeElement === this.canvas) {
      const c = g.cells[this.focusCell]!;
      ctx.strokeStyle = t.focus;
      ctx.lineWidth = 3;
      ctx.strokeRect(c.x * cw + 1.5, c.y * ch + 1.5, cw - 3, ch - 3);
    }
  }

  private onHover(k: number | null, cx: number, cy: number): void {
    this.hover = k;
    const c = k === null ? null : this.grid?.cells[k];
    if (!c || !this.theme) {
      this.tip.hidden = true;
      return;
    }
    const m = METRICS.find((x) => x.key === this.metric)!;
    const lines = [this.cellName(c), `${m.title}: ${c.mean === null ? '–' : formatNumber(c.mean, 4)} (mean of ${c.n} of ${c.total} runs${c.min !== null && c.n > 1 ? `; ${formatNumber(c.min, 3)}..${formatNumber(c.max!, 3)}` : ''})`, ...c.rows.slice(0, 8).map((r) => `${r.name}: ${r.status}`)];
    this.tipText.replaceChildren(...lines.map((l, i) => el('div', i === 0 ? 'tooltip-title' : undefined, l)));
    this.tip.hidden = false;
    this.drawCurves(c.rows);
    const pad = 12, w = this.tip.offsetWidth, h = this.tip.offsetHeight;
    let x = cx + pad, y = cy + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, cx - pad - w);
    if (y + h > window.innerHeight - 4) y = Math.max(4, cy - pad - h);
    this.tip.style.left = `${x + window.scrollX}px`;
    this.tip.style.top = `${y + window.scrollY}px`;
  }

  /** Each run's accuracy per epoch (solid, 0..1) and train loss (dashed, scaled to its max). */
  private drawCurves(rows: ExperimentRow[]): void {
    const t = this.theme!;
    const { w, h, dpr } = fitCanvas(this.tipCanvas);
    const ctx = this.tipCanvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    const pad = 4 * dpr;
    ctx.strokeStyle = t.chartsLines;
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
    const maxLoss = Math.max(1e-9, ...rows.flatMap((r) => r.curve.loss.filter(Number.isFinite)));
    rows.forEach((r, k) => {
      ctx.strokeStyle = t.series[k % t.series.length]!;
      ctx.lineWidth = (t.highContrast ? 2 : 1.25) * dpr;
      for (const [ys, dash, scale] of [[r.curve.accuracy, [], 1], [r.curve.loss, [4 * dpr, 3 * dpr], maxLoss]] as const) {
        const n = ys.length;
        ctx.setLineDash([...dash]);
        ctx.beginPath();
        let started = false;
        ys.forEach((v, i) => {
          if (!Number.isFinite(v)) { started = false; return; }
          const x = pad + (n === 1 ? 0.5 : i / (n - 1)) * (w - 2 * pad);
          const y = h - pad - Math.min(1, Math.max(0, v / scale)) * (h - 2 * pad);
          if (started) ctx.lineTo(x, y);
          else ctx.moveTo(x, y);
          started = true;
        });
        ctx.stroke();
      }
    });
    ctx.setLineDash([]);
  }

  get tooltipText(): string {
    return this.tip.hidden ? '' : this.tipText.textContent ?? '';
  }

  get hovered(): number | null {
    return this.hover;
  }
}

/** Black or white, whichever reads on the ramp's colour at t. */
function textOn(lut: Uint8ClampedArray, t: number): string {
  const i = Math.round(t * 255) * 4;
  const lum = (0.2126 * lut[i]! + 0.7152 * lut[i + 1]! + 0.0722 * lut[i + 2]!) / 255;
  return lum > 0.45 ? '#000000' : '#ffffff';
}

function reversed(lut: Uint8ClampedArray): Uint8ClampedArray {
  const out = new Uint8ClampedArray(lut.length);
  for (let i = 0; i < 256; i++) out.set(lut.subarray((255 - i) * 4, (255 - i) * 4 + 4), i * 4);
  return out;
}
