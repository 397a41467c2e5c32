/**
 * Canvas heatmap at data resolution: one pixel per cell in an ImageData the size of the data
 * (cols x rows), drawn scaled up with smoothing off. No DOM node per cell, so thousands of
 * steps x hundreds of units redraw in a few milliseconds.
 *
 *   const hm = new Heatmap(canvas);
 *   hm.draw({ cols, rows, get: (c, r) => values[r * cols + c], scale, background: theme.background });
 *   canvas.addEventListener('mousemove', (e) => { const cell = hm.hitTest(e.clientX, e.clientY); ... });
 *
 * attachCellInteraction adds hover, click and keyboard (arrows, Home/End, PageUp/PageDown)
 * navigation with a visible cursor; the canvas must be focusable (tabindex=0).
 */
import type { ColorScale } from './colorscale';
import { parseColor } from './theme';
import { fitCanvas } from './canvas';

export interface Cell {
  col: number;
  row: number;
}

export interface Marker extends Cell {
  /** null: the whole column */
  row: number;
  kind: 'divergence' | 'mark';
}

export interface HeatmapFrame {
  cols: number;
  rows: number;
  /** value of a cell; NaN for missing */
  get(col: number, row: number): number;
  scale: ColorScale;
  /** drawn where cells are missing and around the data */
  background: string;
  markers?: readonly (Omit<Marker, 'row'> & { row: number | null })[];
  /** the highlighted cell (hover or keyboard) */
  cursor?: Cell | null;
  /** a highlighted column (e.g. the step under the cursor in another heatmap) */
  cursorCol?: number | null;
  cursorColor?: string;
  markerColor?: string;
  /** draw thin separators between rows (for few rows, e.g. layers) */
  rowLines?: string | null;
  /**
   * fraction of the width the columns cover, from the left (default 1): e.g. steps done / steps
   * planned, so a heatmap fills from left to right as training goes
   */
  fill?: number;
  /**
   * the first column whose values may have changed since the previous draw (streaming data:
   * only new columns are recoloured); omit to recolour everything. Ignored (everything is
   * recoloured) when the scale, background or number of rows changed.
   */
  dirtyFrom?: number;
  /** what the values are (e.g. "delta" or "gradW"): a change recolours everything */
  dataKey?: string;
}

export class Heatmap {
  private readonly off: HTMLCanvasElement;
  private img: ImageData | null = null;
  private last: HeatmapFrame | null = null;
  /** what the pixels in img were computed with, and for how many columns */
  private pixelsKey = '';
  private pixelCols = 0;
  /** columns recoloured by the last draw (for tests and profiling) */
  lastRecoloured = 0;
  cols = 0;
  rows = 0;
  /** fraction of the width the data covers */
  fill = 1;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.off = document.createElement('canvas');
  }

  /** Size the backing store to the canvas's CSS size times devicePixelRatio. Returns true if it changed. */
  fit(): boolean {
    return fitCanvas(this.canvas).changed;
  }

  draw(f: HeatmapFrame): void {
    this.last = f;
    this.fit();
    const { cols, rows } = f;
    this.cols = cols;
    this.rows = rows;
    this.fill = Math.max(0, Math.min(1, f.fill ?? 1));
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const H = this.canvas.height;
    ctx.fillStyle = f.background;
    ctx.fillRect(0, 0, this.canvas.width, H);
    // the data's width: at least one device pixel per column when there is room
    const W = cols > 0 ? Math.min(this.canvas.width, Math.max(Math.round(this.canvas.width * this.fill), Math.min(cols, this.canvas.width))) : 0;
    if (cols <= 0 || rows <= 0) return;
    // the pixels live in an ImageData wider than the data (room to grow), so streaming columns
    // only recolours what is new
    const key = `${f.scale.key}|${f.background}|${rows}|${f.dataKey ?? ''}`;
    let from = f.dirtyFrom === undefined ? 0 : Math.max(0, Math.min(f.dirtyFrom, this.pixelCols));
    // a resized canvas is blank: put every column back even when few were recoloured
    let putFrom = from;
    if (!this.img || this.img.height !== rows || this.img.width < cols) {
      putFrom = 0;
      const width = Math.max(cols, Math.min(4096, Math.max(64, (this.img?.width ?? 0) * 2, cols * 2)));
      const old = this.img;
      this.img = new ImageData(width, rows);
      this.off.width = width;
      this.off.height = rows;
      if (old && old.height === rows && key === this.pixelsKey) {
        for (let r = 0; r < rows; r++) this.img.data.set(old.data.subarray(r * old.width * 4, (r * old.width + Math.min(this.pixelCols, old.width)) * 4), r * width * 4);
      } else from = 0;
    }
    if (key !== this.pixelsKey || cols < this.pixelCols) from = 0;
    putFrom = Math.min(putFrom, from);
    const width = this.img.width;
    const data = this.img.data;
    const bg = parseColor(f.background);
    for (let r = 0; r < rows; r++) {
      for (let c = from; c < cols; c++) {
        const o = (r * width + c) * 4;
        f.scale.write(f.get(c, r), data, o);
        if (data[o + 3] !== 255) {
          // missing or translucent: composite over the background so the canvas stays opaque
          const a = data[o + 3]! / 255;
          data[o] = data[o]! * a + bg[0] * (1 - a);
          data[o + 1] = data[o + 1]! * a + bg[1] * (1 - a);
          data[o + 2] = data[o + 2]! * a + bg[2] * (1 - a);
          data[o + 3] = 255;
        }
      }
    }
    if (cols > putFrom) this.off.getContext('2d')!.putImageData(this.img, 0, 0, putFrom, 0, cols - putFrom, rows);
    this.lastRecoloured = cols - from;
    this.pixelsKey = key;
    this.pixelCols = cols;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.off, 0, 0, cols, rows, 0, 0, W, H);
    const cw = W / cols, rh = H / rows;
    const dpr = window.devicePixelRatio || 1;
    if (f.rowLines && rows > 1 && rh >= 6 * dpr) {
      ctx.fillStyle = f.rowLines;
      for (let r = 1; r < rows; r++) ctx.fillRect(0, Math.round(r * rh) - Math.floor(dpr / 2), W, Math.max(1, Math.round(dpr)));
    }
    if (f.cursorCol !== null && f.cursorCol !== undefined && f.cursorCol < cols) {
      ctx.strokeStyle = f.cursorColor ?? '#888';
      ctx.lineWidth = Math.max(1, dpr);
      const x = Math.floor(f.cursorCol * cw) + 0.5;
      ctx.setLineDash([3 * dpr, 2 * dpr]);
      ctx.strokeRect(x, 0.5, Math.max(cw - 1, 1), H - 1);
      ctx.setLineDash([]);
    }
    for (const m of f.markers ?? []) {
      if (m.col < 0 || m.col >= cols) continue;
      ctx.strokeStyle = f.markerColor ?? '#f14c4c';
      ctx.lineWidth = 2 * dpr;
      const x = m.col * cw;
      const w = Math.max(cw, 4 * dpr);
      if (m.row === null) ctx.strokeRect(x, dpr, w, H - 2 * dpr);
      else ctx.strokeRect(x, m.row * rh + dpr, w, Math.max(rh - 2 * dpr, 3 * dpr));
      // an x above/below the cell so a one-pixel-wide column still shows
      ctx.beginPath();
      const cx = x + w / 2, cy = m.row === null ? H / 2 : m.row * rh + rh / 2, s = 4 * dpr;
      ctx.moveTo(cx - s, cy - s);
      ctx.lineTo(cx + s, cy + s);
      ctx.moveTo(cx + s, cy - s);
      ctx.lineTo(cx - s, cy + s);
      ctx.stroke();
    }
    if (f.cursor && f.cursor.col < cols && f.cursor.row < rows) {
      ctx.strokeStyle = f.cursorColor ?? '#888';
      ctx.lineWidth = 2 * dpr;
      ctx.strokeRect(f.cursor.col * cw + dpr, f.cursor.row * rh + dpr, Math.max(cw - 2 * dpr, 2 * dpr), Math.max(rh - 2 * dpr, 2 * dpr));
    }
  }

  /** Redraw the last frame (after a resize). */
  redraw(): void {
    if (this.last) this.draw(this.last);
  }

  /** The cell under a point in client coordinates, or null outside the data. */
  hitTest(clientX: number, clientY: number): Cell | null {
    if (this.cols <= 0 || this.rows <= 0) return null;
    const r = this.canvas.getBoundingClientRect();
    const x = clientX - r.left, y = clientY - r.top;
    const w = this.dataWidth(r.width);
    if (x < 0 || y < 0 || x >= w || y >= r.height) return null;
    return { col: Math.min(this.cols - 1, Math.floor((x / w) * this.cols)), row: Math.min(this.rows - 1, Math.floor((y / r.height) * this.rows)) };
  }

  /** Centre of a cell in client coordinates (to place a tooltip for keyboard users). */
  cellCenter(cell: Cell): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    const w = this.dataWidth(r.width);
    return { x: r.left + ((cell.col + 0.5) / Math.max(1, this.cols)) * w, y: r.top + ((cell.row + 0.5) / Math.max(1, this.rows)) * r.height };
  }

  /** Width in CSS pixels the data covers in a canvas of width w (mirrors draw()). */
  private dataWidth(w: number): number {
    const dpr = window.devicePixelRatio || 1;
    const full = this.canvas.width || Math.round(w * dpr);
    const px = Math.min(full, Math.max(Math.round(full * this.fill), Math.min(this.cols, full)));
    return (px / full) * w;
  }
}

export interface CellEvents {
  /** the cell under the mouse or keyboard cursor changed (null: left) */
  onCell(cell: Cell | null, source: 'mouse' | 'keyboard'): void;
  /** Enter/Space or a click on a cell */
  onActivate?(cell: Cell): void;
}

/**
 * Hover, click and keyboard navigation over a heatmap. Keyboard: arrows move one cell,
 * PageUp/PageDown ten columns, Home/End the first/last column, Escape leaves. Returns a
 * function giving the current keyboard cell (or null) and a disposer.
 */
export function attachCellInteraction(hm: Heatmap, ev: CellEvents): { current(): Cell | null; set(cell: Cell | null): void; dispose(): void } {
  const c = hm.canvas;
  let cur: Cell | null = null;
  const move = (e: MouseEvent) => {
    const cell = hm.hitTest(e.clientX, e.clientY);
    cur = cell;
    ev.onCell(cell, 'mouse');
  };
  const leave = () => {
    if (document.activeElement !== c) {
      cur = null;
      ev.onCell(null, 'mouse');
    }
  };
  const click = (e: MouseEvent) => {
    const cell = hm.hitTest(e.clientX, e.clientY);
    if (cell) ev.onActivate?.(cell);
  };
  const key = (e: KeyboardEvent) => {
    if (hm.cols <= 0 || hm.rows <= 0) return;
    const cell = cur ?? { col: hm.cols - 1, row: 0 };
    let { col, row } = cell;
    switch (e.key) {
      case 'ArrowLeft': col--; break;
      case 'ArrowRight': col++; break;
      case 'ArrowUp': row--; break;
      case 'ArrowDown': row++; break;
      case 'PageUp': col -= 10; break;
      case 'PageDown': col += 10; break;
      case 'Home': col = 0; break;
      case 'End': col = hm.cols - 1; break;
      case 'Enter': case ' ':
        if (cur) ev.onActivate?.(cur);
        e.preventDefault();
        return;
      case 'Escape':
        cur = null;
        ev.onCell(null, 'keyboard');
        return;
      default: return;
    }
    e.preventDefault();
    cur = { col: Math.max(0, Math.min(hm.cols - 1, col)), row: Math.max(0, Math.min(hm.rows - 1, row)) };
    ev.onCell(cur, 'keyboard');
  };
  const focus = () => {
    if (!cur && hm.cols > 0) {
      cur = { col: hm.cols - 1, row: 0 };
      ev.onCell(cur, 'keyboard');
    }
  };
  const blur = () => {
    cur = null;
    ev.onCell(null, 'keyboard');
  };
  c.addEventListener('mousemove', move);
  c.addEventListener('mouseleave', leave);
  c.addEventListener('click', click);
  c.addEventListener('keydown', key);
  c.addEventListener('focus', focus);
  c.addEventListener('blur', blur);
  return {
    current: () => cur,
    set: (cell) => { cur = cell; },
    dispose: () => {
      c.removeEventListener('mousemove', move);
      c.removeEventListener('mouseleave', leave);
      c.removeEventListener('click', click);
      c.removeEventListener('keydown', key);
      c.removeEventListener('focus', focus);
      c.removeEventListener('blur', blur);
    },
  };
}
