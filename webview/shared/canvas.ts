/** Canvas sizing shared by every view that draws: the backing store in device pixels. */

/**
 * Sizes `c`'s backing store to its CSS box times devicePixelRatio (left alone when it already is,
 * so an unchanged canvas keeps its pixels) and returns the size in device pixels.
 */
export function fitCanvas(c: HTMLCanvasElement): { w: number; h: number; dpr: number; changed: boolean } {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
  const changed = c.width !== w || c.height !== h;
  if (changed) {
    c.width = w;
    c.height = h;
  }
  return { w, h, dpr, changed };
}

/** fitCanvas, then the 2-D context cleared to `background`; null when the canvas cannot draw. */
export function clearedCanvas(c: HTMLCanvasElement, background: string): { ctx: CanvasRenderingContext2D; w: number; h: number; dpr: number } | null {
  const { w, h, dpr } = fitCanvas(c);
  const ctx = c.getContext('2d');
  if (!ctx) return null;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, w, h);
  return { ctx, w, h, dpr };
}
