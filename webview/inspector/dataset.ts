/**
 * The dataset section: name, sizes, description and a small preview (sample images, a scatter
 * of 2-D data, or feature statistics). Built once per dataset and theme, then reused.
 */
import type { DatasetSummary } from '../../src/engine/inspect/inspect';
import { parseColor } from '../shared/theme';
import { el } from './dom';
import { int, num } from './format';
import { state, surface } from './state';

/** The dataset section only changes with the dataset (and the theme): built once, reused. */
let datasetCache: { key: string; node: HTMLElement; draw: (() => void)[] } | null = null;

export function datasetSection(d: DatasetSummary): HTMLElement {
  const { theme, redrawers } = state;
  const key = JSON.stringify([d.name, d.description, d.train, d.test, d.features, d.classes, theme.kind, surface(), theme.foreground, theme.series]);
  if (datasetCache?.key === key) {
    redrawers.push(...datasetCache.draw);
    return datasetCache.node;
  }
  const before = redrawers.length;
  const node = buildDatasetSection(d);
  datasetCache = { key, node, draw: redrawers.slice(before) };
  return node;
}

function buildDatasetSection(d: DatasetSummary): HTMLElement {
  const s = el('section', 'dataset');
  s.id = 'dataset';
  s.append(el('h2', '', 'Dataset'));
  const p = el('p', 'ds-line');
  p.append(el('strong', '', d.name), document.createTextNode(` · ${int(d.train)} train / ${int(d.test)} test · ${d.classes} classes · ${d.features} features${d.imageShape ? ` (${d.imageShape[0]}×${d.imageShape[1]})` : ''}${d.standardized ? ' · standardized' : ''}`));
  s.append(p);
  const desc = el('p', 'muted small', d.description);
  s.append(desc);
  if (d.preview.kind === 'images') {
    const row = el('div', 'samples');
    row.setAttribute('role', 'img');
    row.setAttribute('aria-label', `sample images of classes ${d.preview.images.map((i) => d.classNames[i.label] ?? i.label).join(', ')}`);
    const [h, w] = d.preview.shape;
    for (const img of d.preview.images) {
      const fig = el('figure', 'sample');
      const c = el('canvas', 'sample-img');
      c.width = w;
      c.height = h;
      const ctx = c.getContext('2d');
      if (ctx) {
        const data = ctx.createImageData(w, h);
        const fg = parseColor(state.theme.foreground), bg = parseColor(surface());
        for (let i = 0; i < w * h; i++) {
          const t = img.pixels[i] ?? 0;
          for (let k = 0; k < 3; k++) data.data[i * 4 + k] = bg[k]! + (fg[k]! - bg[k]!) * t;
          data.data[i * 4 + 3] = 255;
        }
        ctx.putImageData(data, 0, 0);
      }
      fig.append(c, el('figcaption', '', d.classNames[img.label] ?? String(img.label)));
      row.append(fig);
    }
    s.append(row);
  } else if (d.preview.kind === 'scatter') {
    const c = el('canvas', 'scatter');
    c.id = 'scatter';
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', `scatter plot of ${d.preview.points.length / 3} training points, coloured by class`);
    s.append(c);
    const prev = d.preview;
    const draw = () => {
      const dpr = window.devicePixelRatio || 1;
      const W = Math.max(1, Math.round(c.clientWidth * dpr)), H = Math.max(1, Math.round(c.clientHeight * dpr));
      c.width = W;
      c.height = H;
      const ctx = c.getContext('2d');
      if (!ctx) return;
      ctx.fillStyle = surface();
      ctx.fillRect(0, 0, W, H);
      const [x0, x1, y0, y1] = prev.bounds;
      const pad = 4 * dpr;
      const sx = (W - 2 * pad) / (x1 - x0 || 1), sy = (H - 2 * pad) / (y1 - y0 || 1);
      const r = Math.max(1.5, 1.5 * dpr);
      for (let i = 0; i < prev.points.length; i += 3) {
        ctx.fillStyle = state.theme.series[prev.points[i + 2]! % state.theme.series.length]!;
        ctx.beginPath();
        ctx.arc(pad + (prev.points[i]! - x0) * sx, H - pad - (prev.points[i + 1]! - y0) * sy, r, 0, 2 * Math.PI);
        ctx.fill();
      }
    };
    state.redrawers.push(draw);
  } else if (d.featureStats && d.featureStats.length <= 16) {
    const t = el('table', 'features');
    t.append(el('caption', 'visually-hidden', 'feature statistics (training split)'));
    const hr = el('tr');
    for (const h of ['feature', 'mean', 'std', 'min', 'max']) hr.append(el('th', '', h));
    t.append(hr);
    for (const f of d.featureStats) {
      const tr = el('tr');
      tr.append(el('th', '', f.name), el('td', '', num(f.mean)), el('td', '', num(f.std)), el('td', '', num(f.min)), el('td', '', num(f.max)));
      t.append(tr);
    }
    s.append(t);
  }
  return s;
}
