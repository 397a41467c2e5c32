/**
 * Export of the panel as drawn: PNG and SVG. The panel is read off the page, so the picture is
 * what the user sees (the seed view or not, the band chosen, the seed shown, the theme): every
 * visible text at its place in its font and colour, borders and filled backgrounds, every canvas
 * (heatmaps, histograms, colour bars, decision regions) as its pixels, and the curves:
 * - PNG: one canvas, composed at twice the page's pixels (less for a very tall panel);
 * - SVG: texts as <text>, borders as lines, canvases as embedded PNG <image>s (data: URLs),
 *   and the loss and accuracy charts as vector paths from Chart.js's own scales and points
 *   (grid, ticks, axis titles, legend, curves, bands, test points), so they stay sharp at any
 *   size and can be restyled.
 * The buttons and the Save group are left out. Webviews cannot write files: the picture goes to
 * the host (an 'exportImage' message, checked by src/host/validate-message.ts), which asks where.
 */
import type { Chart } from 'chart.js';
import { app, chartsView } from './layout';
import { flushDraws } from './schedule';
import { api, state } from './state';

type Box = { x: number; y: number; w: number; h: number };
type Item =
  | ({ kind: 'fill'; color: string } & Box)
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; color: string; width: number }
  | { kind: 'text'; x: number; y: number; text: string; font: string; color: string; size: number; family: string; weight: string }
  | ({ kind: 'canvas'; el: HTMLCanvasElement; chart: Chart | null } & Box)
  | { kind: 'radio'; x: number; y: number; r: number; checked: boolean; color: string };

const transparent = (c: string) => !c || c === 'transparent' || /rgba\([^)]*,\s*0\)$/.test(c);

/** The panel's visible parts, in page order, relative to the panel's top left. */
function collect(): { w: number; h: number; bg: string; items: Item[] } {
  flushDraws(); // what waited off-screen or for a later frame
  const scrollY = window.scrollY, scrollX = window.scrollX;
  window.scrollTo(0, 0); // the sticky header at its own place
  const base = app.getBoundingClientRect();
  const pad = 16;
  const ox = pad - base.left, oy = pad - base.top;
  const items: Item[] = [];
  const charts = new Map<HTMLCanvasElement, Chart>(chartsView.drawn.map((c) => [c.canvas, c]));
  const visit = (e: Element) => {
    if (!(e instanceof HTMLElement) || e.hidden || e.tagName === 'BUTTON' || e.classList.contains('visually-hidden') || e.classList.contains('save-group')) return;
    const cs = getComputedStyle(e);
    if (cs.display === 'none' || cs.visibility === 'hidden') return;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0 && e.tagName !== 'DETAILS') return;
    const box = { x: r.left + ox, y: r.top + oy, w: r.width, h: r.height };
    if (!transparent(cs.backgroundColor) && e !== app) items.push({ kind: 'fill', color: cs.backgroundColor, ...box });
    const side = (w: string, color: string, x1: number, y1: number, x2: number, y2: number) => {
      const width = parseFloat(w);
      if (width > 0 && !transparent(color) && cs.borderStyle !== 'none') items.push({ kind: 'line', x1, y1, x2, y2, color, width });
    };
    side(cs.borderTopWidth, cs.borderTopColor, box.x, box.y, box.x + box.w, box.y);
    side(cs.borderBottomWidth, cs.borderBottomColor, box.x, box.y + box.h, box.x + box.w, box.y + box.h);
    side(cs.borderLeftWidth, cs.borderLeftColor, box.x, box.y, box.x, box.y + box.h);
    side(cs.borderRightWidth, cs.borderRightColor, box.x + box.w, box.y, box.x + box.w, box.y + box.h);
    const transform = (t: string) => (cs.textTransform === 'uppercase' ? t.toUpperCase() : t);
    const text = (t: string, rect: DOMRect) => {
      if (!t.trim()) return;
      items.push({ kind: 'text', x: rect.left + ox, y: rect.top + oy + rect.height / 2, text: t.replace(/\s+/g, ' '), font: `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`, color: cs.color, size: parseFloat(cs.fontSize), family: cs.fontFamily, weight: cs.fontWeight });
    };
    if (e instanceof HTMLCanvasElement) {
      items.push({ kind: 'canvas', el: e, chart: charts.get(e) ?? null, ...box });
      return;
    }
    if (e instanceof HTMLSelectElement) {
      const opt = e.selectedOptions[0];
      if (opt) text(` ${opt.text}`, r);
      return;
    }
    if (e instanceof HTMLInputElement) {
      if (e.type === 'radio') items.push({ kind: 'radio', x: box.x + box.w / 2, y: box.y + box.h / 2, r: Math.min(box.w, box.h) / 2 - 1, checked: e.checked, color: cs.color });
      return;
    }
    for (const n of e.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) {
        const range = document.createRange();
        range.selectNodeContents(n);
        const rects = range.getClientRects();
        if (rects.length && e.tagName === 'SUMMARY') {
          // the disclosure triangle is drawn by the browser, not a text: draw one before the text
          const r0 = rects[0]!;
          text((e.parentElement as HTMLDetailsElement).open ? '▾' : '▸', new DOMRect(r0.left - parseFloat(cs.fontSize), r0.top, 0, r0.height));
        }
        if (rects.length === 1) text(transform(n.textContent ?? ''), rects[0]!);
        else if (rects.length > 1) {
          // wrapped: one text per line, from the words' places
          const all = n.textContent ?? '';
          let line = '', lineRect: DOMRect | null = null;
          for (const m of all.matchAll(/\S+/g)) {
            range.setStart(n, m.index);
            range.setEnd(n, m.index + m[0].length);
            const wr = range.getBoundingClientRect();
            if (lineRect && Math.abs(wr.top - lineRect.top) < 2) line += ` ${m[0]}`;
            else {
              if (lineRect) text(transform(line), lineRect);
              line = m[0];
              lineRect = wr;
            }
          }
          if (lineRect) text(transform(line), lineRect);
        }
      } else if (n instanceof Element && (!(e instanceof HTMLDetailsElement) || (e as HTMLDetailsElement).open || n.tagName === 'SUMMARY')) visit(n);
    }
  };
  visit(app);
  window.scrollTo(scrollX, scrollY);
  return { w: Math.ceil(base.width + 2 * pad), h: Math.ceil(base.height + 2 * pad), bg: getComputedStyle(document.body).backgroundColor, items };
}

/** The panel as a PNG (base64, no data: prefix). */
export function panelPng(): string {
  const { w, h, bg, items } = collect();
  let scale = Math.max(2, window.devicePixelRatio || 1);
  while (w * h * scale * scale > 40e6 && scale > 1) scale /= 1.25; // a canvas has a size limit
  const c = document.createElement('canvas');
  c.width = Math.round(w * scale);
  c.height = Math.round(h * scale);
  const ctx = c.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, w, h);
  for (const it of items) {
    if (it.kind === 'fill') {
      ctx.fillStyle = it.color;
      ctx.fillRect(it.x, it.y, it.w, it.h);
    } else if (it.kind === 'line') {
      ctx.strokeStyle = it.color;
      ctx.lineWidth = it.width;
      ctx.beginPath();
      ctx.moveTo(it.x1, it.y1);
      ctx.lineTo(it.x2, it.y2);
      ctx.stroke();
    } else if (it.kind === 'text') {
      ctx.font = it.font;
      ctx.fillStyle = it.color;
      ctx.textBaseline = 'middle';
      ctx.fillText(it.text, it.x, it.y);
    } else if (it.kind === 'canvas') {
      if (it.el.width && it.el.height) ctx.drawImage(it.el, it.x, it.y, it.w, it.h);
    } else {
      ctx.strokeStyle = it.color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(it.x, it.y, it.r, 0, 2 * Math.PI);
      ctx.stroke();
      if (it.checked) {
        ctx.fillStyle = it.color;
        ctx.beginPath();
        ctx.arc(it.x, it.y, it.r / 2, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  return c.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}

/**
 * Text for SVG: markup escaped, and '=' and ':' (and in texts '(' and '@') as references: a
 * variant's name can be any text, and the host refuses an SVG that looks like it links out.
 */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/=/g, '&#61;').replace(/:/g, '&#58;');
const n = (x: number) => (Math.round(x * 100) / 100).toString();
const attrColor = (c: string) => esc(c).replace(/&#58;/g, ':');

function svgText(x: number, y: number, text: string, color: string, size: number, family: string, anchor = 'start', extra = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" fill="${attrColor(color)}" font-size="${n(size)}" font-family="${esc(family).replace(/&quot;/g, "'")}" text-anchor="${anchor}" dominant-baseline="central"${extra}>${esc(text).replace(/\(/g, '&#40;').replace(/@/g, '&#64;')}</text>`;
}

type Pt = { x: number; y: number };
type ScaleLike = { ticks: { label?: unknown }[]; getPixelForTick(i: number): number; options: { title?: { display?: boolean; text?: string | string[] } } };
type DatasetLike = { label?: string; borderColor?: unknown; backgroundColor?: unknown; borderWidth?: unknown; borderDash?: unknown; pointRadius?: unknown; fill?: unknown };

/** A Chart.js line chart as vector SVG, drawn at (ox, oy): grid, ticks, titles, legend, bands, curves, points. */
function chartSvg(chart: Chart, ox: number, oy: number, id: number): string {
  const { theme } = state;
  const fg = theme.chartsForeground, grid = theme.chartsLines, size = Math.max(11, theme.fontSize - 1), family = theme.fontFamily;
  const a = chart.chartArea;
  const out: string[] = [`<g transform="translate(${n(ox)} ${n(oy)})">`, `<clipPath id="plot${id}"><rect x="${n(a.left)}" y="${n(a.top)}" width="${n(a.right - a.left)}" height="${n(a.bottom - a.top)}"/></clipPath>`];
  const xs = chart.scales.x as unknown as ScaleLike, ys = chart.scales.y as unknown as ScaleLike;
  xs.ticks.forEach((t, i) => {
    const p = xs.getPixelForTick(i);
    out.push(`<line x1="${n(p)}" y1="${n(a.top)}" x2="${n(p)}" y2="${n(a.bottom)}" stroke="${attrColor(grid)}" stroke-width="1"/>`);
    out.push(svgText(p, a.bottom + size * 0.9, String(t.label ?? ''), fg, size, family, 'middle'));
  });
  ys.ticks.forEach((t, i) => {
    const p = ys.getPixelForTick(i);
    out.push(`<line x1="${n(a.left)}" y1="${n(p)}" x2="${n(a.right)}" y2="${n(p)}" stroke="${attrColor(grid)}" stroke-width="1"/>`);
    out.push(svgText(a.left - 6, p, String(t.label ?? ''), fg, size, family, 'end'));
  });
  const title = (s: ScaleLike) => (s.options.title?.display ? String(s.options.title.text ?? '') : '');
  if (title(xs)) out.push(svgText((a.left + a.right) / 2, chart.height - size * 0.8, title(xs), fg, size, family, 'middle'));
  if (title(ys)) out.push(svgText(size * 0.8, (a.top + a.bottom) / 2, title(ys), fg, size, family, 'middle', ` transform="rotate(-90 ${n(size * 0.8)} ${n((a.top + a.bottom) / 2)})"`));
  const points = (i: number): Pt[] => chart.getDatasetMeta(i).data.map((e) => ({ x: (e as unknown as Pt).x, y: (e as unknown as Pt).y })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const pathOf = (pts: Pt[]) => pts.map((p, k) => `${k ? 'L' : 'M'}${n(p.x)} ${n(p.y)}`).join('');
  out.push(`<g clip-path="url(#plot${id})">`);
  chart.data.datasets.forEach((raw, i) => {
    if (!chart.isDatasetVisible(i)) return;
    const ds = raw as DatasetLike;
    const pts = points(i);
    if (!pts.length) return;
    if (ds.fill === '-1' && i > 0) {
      const below = points(i - 1).reverse();
      out.push(`<path d="${pathOf(pts)}${below.map((p) => `L${n(p.x)} ${n(p.y)}`).join('')}Z" fill="${attrColor(String(ds.backgroundColor))}" stroke="none"/>`);
    }
    const width = Number(ds.borderWidth ?? 1);
    const dash = Array.isArray(ds.borderDash) && ds.borderDash.length ? ` stroke-dasharray="${ds.borderDash.join(' ')}"` : '';
    if (width > 0) out.push(`<path d="${pathOf(pts)}" fill="none" stroke="${attrColor(String(ds.borderColor))}" stroke-width="${n(width)}"${dash} stroke-linejoin="round"/>`);
    const r = Number(ds.pointRadius ?? 0);
    if (r > 0) for (const p of pts) out.push(`<path d="M${n(p.x)} ${n(p.y - r)}L${n(p.x + r)} ${n(p.y)}L${n(p.x)} ${n(p.y + r)}L${n(p.x - r)} ${n(p.y)}Z" fill="${attrColor(String(ds.backgroundColor))}"/>`);
  });
  out.push('</g>');
  const legend = chart.legend as unknown as { legendItems?: { text: string; strokeStyle?: unknown }[]; legendHitBoxes?: Box[] & { left: number; top: number; width: number; height: number }[] } | undefined;
  if (legend?.legendItems && legend.legendHitBoxes && chart.options.plugins?.legend?.display !== false) {
    legend.legendItems.forEach((item, k) => {
      const hb = legend.legendHitBoxes![k] as unknown as { left: number; top: number; width: number; height: number } | undefined;
      if (!hb) return;
      const cy = hb.top + hb.height / 2;
      out.push(`<rect x="${n(hb.left)}" y="${n(cy - 1)}" width="14" height="2" fill="${attrColor(String(item.strokeStyle))}"/>`);
      // Chart.js puts the text half a font size after the 14 px swatch; textLength keeps it in its box
      const x = hb.left + 14 + size / 2;
      out.push(svgText(x, cy, item.text, fg, size, family, 'start', ` textLength="${n(Math.max(1, hb.left + hb.width - x))}" lengthAdjust="spacingAndGlyphs"`));
    });
  }
  out.push('</g>');
  return out.join('');
}

/** The panel as an SVG document (see the file's comment). */
export function panelSvg(): string {
  const { w, h, bg, items } = collect();
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`, `<rect width="${w}" height="${h}" fill="${attrColor(bg)}"/>`];
  let charts = 0;
  for (const it of items) {
    if (it.kind === 'fill') out.push(`<rect x="${n(it.x)}" y="${n(it.y)}" width="${n(it.w)}" height="${n(it.h)}" fill="${attrColor(it.color)}"/>`);
    else if (it.kind === 'line') out.push(`<line x1="${n(it.x1)}" y1="${n(it.y1)}" x2="${n(it.x2)}" y2="${n(it.y2)}" stroke="${attrColor(it.color)}" stroke-width="${n(it.width)}"/>`);
    else if (it.kind === 'text') out.push(svgText(it.x, it.y, it.text, it.color, it.size, it.family, 'start', it.weight !== '400' ? ` font-weight="${esc(it.weight)}"` : ''));
    else if (it.kind === 'radio') out.push(`<circle cx="${n(it.x)}" cy="${n(it.y)}" r="${n(it.r)}" fill="none" stroke="${attrColor(it.color)}"/>${it.checked ? `<circle cx="${n(it.x)}" cy="${n(it.y)}" r="${n(it.r / 2)}" fill="${attrColor(it.color)}"/>` : ''}`);
    else if (it.chart) out.push(chartSvg(it.chart, it.x, it.y, charts++));
    else if (it.el.width && it.el.height) out.push(`<image x="${n(it.x)}" y="${n(it.y)}" width="${n(it.w)}" height="${n(it.h)}" preserveAspectRatio="none" href="${it.el.toDataURL('image/png')}"/>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The Save buttons: the picture (or the CSV request) to the host, which asks where to save it. */
export function savePanel(format: 'png' | 'svg' | 'csv'): void {
  const r = state.run;
  if (!r) return;
  if (format === 'csv') {
    api.postMessage({ type: 'exportCsv', runId: r.run.id });
    return;
  }
  try {
    api.postMessage({ type: 'exportImage', runId: r.run.id, format, data: format === 'png' ? panelPng() : panelSvg() });
  } catch (e) {
    api.postMessage({ type: 'log', level: 'error', message: `panel: export as ${format.toUpperCase()} failed: ${(e as Error).message}` });
  }
}
