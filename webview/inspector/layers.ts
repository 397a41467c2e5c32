/**
 * "At initialization": per-layer tables (saturation, ‖δ‖, gain measured vs theory,
 * activations), rows = layers and columns = variants, with colour swatches and legends, and a
 * per-unit saturation heatmap per variant.
 */
import type { LayerInspection, VariantInspection } from '../../src/engine/inspect/inspect';
import type { ColorScale } from '../shared/colorscale';
import { attachCellInteraction, Heatmap } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import { scales, swatch } from './color-scales';
import { el } from './dom';
import { activationText, gainText, initText, num, pct } from './format';
import { state, surface, tip } from './state';

/** One table: rows = layers, columns = variants, cells from `cell`. */
function layerTable(
  id: string, caption: string, variants: VariantInspection[], rows: number,
  rowName: (k: number) => string, cell: (v: VariantInspection, k: number) => HTMLElement | null,
): HTMLElement {
  const t = el('table', 'layers');
  t.id = id;
  t.append(el('caption', '', caption));
  const hr = el('tr');
  hr.append(el('th', 'corner', ''));
  for (const v of variants) {
    const th = el('th', 'variant');
    // break long names after "+" or before "(" rather than anywhere: sigmoid+ / normal(1)
    v.variant.split(/(?<=[+_\-/])|(?=\()/).forEach((part, i) => {
      if (i) th.append(el('wbr'));
      th.append(document.createTextNode(part));
    });
    th.scope = 'col';
    th.title = `${activationText(v)}, ${initText(v)}, ${v.optimizer} lr ${v.lr}`;
    hr.append(th);
  }
  t.append(hr);
  for (let k = 0; k < rows; k++) {
    const tr = el('tr');
    const th = el('th', 'layer', rowName(k));
    th.scope = 'row';
    tr.append(th);
    for (const v of variants) {
      const td = el('td');
      const c = v.layers ? cell(v, k) : null;
      if (c) td.append(c);
      else td.textContent = '–';
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

function valueCell(scale: ColorScale | null, v: number, text: string, data: Record<string, string>, title = ''): HTMLElement {
  const d = el('span', 'cell');
  if (scale) d.append(swatch(scale, v));
  d.append(el('span', 'num', text));
  for (const [k, x] of Object.entries(data)) d.dataset[k] = x;
  d.dataset.value = String(v);
  if (title) d.title = title;
  return d;
}

export function variantsSection(variants: VariantInspection[]): HTMLElement {
  const s = el('section', 'variants');
  s.id = 'variants';
  const ok = variants.filter((v) => v.layers);
  const sc = scales(ok);
  const batch = ok[0]?.batch ?? 0;
  s.append(el('h2', '', 'At initialization'));
  s.append(el('p', 'muted small', `One forward and backward pass on the first training batch (${batch} examples), with the seed, weights and batch that Train uses; the numbers equal mlp-lens dump.`));
  // variant headers: activation and init
  const heads = el('div', 'variant-heads');
  for (const v of variants) {
    const d = el('div', 'variant-head');
    d.dataset.variant = v.variant;
    d.append(el('strong', '', v.variant), el('span', 'muted', ` ${activationText(v)} · ${initText(v)}`));
    if (v.loss !== undefined) d.append(el('span', 'muted', ` · loss ${num(v.loss)} (chance ${num(v.chanceLoss)})`));
    heads.append(d);
  }
  s.append(heads);
  const L = Math.max(0, ...ok.map((v) => v.layers!.length));
  const H = Math.max(0, L - 1);
  const name = (k: number) => (k < H ? `layer ${k + 1}` : 'output');
  const layer = (v: VariantInspection, k: number): LayerInspection | undefined => (k < H ? v.layers![k] : v.layers![v.layers!.length - 1]);

  s.append(layerTable('t-saturation', 'Saturated units (relu: inactive), share of units × batch', variants, H, name, (v, k) => {
    const l = layer(v, k);
    if (!l || l.saturation === null) return null;
    return valueCell(sc.sat, l.saturation, pct(l.saturation), { variant: v.variant, layer: String(k), metric: 'saturation' },
      `${l.name} (${l.activation}): ${pct(l.saturation)} saturated; theory (mean-field) ${pct(l.predictedSaturation)}; ${l.deadUnits} of ${l.units} units saturated on every example`);
  }));
  s.append(layerTable('t-delta', '‖δ‖ per layer (gradient w.r.t. pre-activations)', variants, L, name, (v, k) => {
    const l = layer(v, k);
    if (!l) return null;
    return valueCell(sc.delta, l.delta, num(l.delta), { variant: v.variant, layer: String(k), metric: 'delta' },
      `${l.name}: ‖δ‖ ${l.delta}, ‖dW‖ ${num(l.gradW)}, ‖db‖ ${num(l.gradB)}`);
  }));
  s.append(layerTable('t-gain', 'Gain ‖δ_k‖/‖δ_k+1‖: measured, and theory √(n·Var(W)·E[f′(z)²])', variants, H, name, (v, k) => {
    const l = layer(v, k);
    if (!l?.gain) return null;
    const g = l.gain;
    const c = valueCell(sc.gain, g.measured, gainText(g.measured), { variant: v.variant, layer: String(k), metric: 'gain' },
      `signal from ${k + 2 <= H ? `layer ${k + 2}` : 'the output'} into ${l.name}: measured ${num(g.measured)}; ` +
      `theory sqrt(n·Var(W)·E[f'(z)²]) with n = ${g.n}, Var(W) = ${num(g.weightVariance)}: ` +
      `${num(g.predictedInit)} for the init's distribution (E[f'²] = ${num(g.fp2Init)}), ${num(g.predictedBatch)} with E[f'²] = ${num(g.fp2Batch)} measured on the batch`);
    c.append(el('span', 'theory', `theory ${gainText(g.predictedInit)}`));
    c.dataset.theory = String(g.predictedInit);
    return c;
  }));
  s.append(el('p', 'muted small', 'n: units of layer k; Var(W): the init scheme\'s; E[f′(z)²] for the gaussian the init implies (hover a cell: the same with E[f′²] measured on the batch).'));
  s.append(layerTable('t-acts', 'Activations: mean ± std', variants, L, name, (v, k) => {
    const l = layer(v, k);
    if (!l) return null;
    return valueCell(null, l.mean, `${num(l.mean, 2)} ± ${num(l.std, 2)}`, { variant: v.variant, layer: String(k), metric: 'mean' });
  }));
  // legends
  const legends = el('div', 'legends');
  new Legend(legends).update(sc.sat, 'share saturated');
  new Legend(legends).update(sc.delta, 'shared by all variants');
  new Legend(legends).update(sc.gain, '<1 shrinks, >1 grows');
  s.append(legends);
  // per-unit saturation heatmaps
  if (ok.length) {
    s.append(el('h3', '', 'Saturation per unit'));
    const grid = el('div', 'unit-maps');
    for (const v of ok) grid.append(unitMap(v, sc.sat));
    s.append(grid);
  }
  return s;
}

function unitMap(v: VariantInspection, scale: ColorScale): HTMLElement {
  const fig = el('figure', 'unit-map');
  fig.dataset.variant = v.variant;
  const hidden = v.layers!.slice(0, -1);
  const cols = Math.max(1, ...hidden.map((l) => l.units));
  const c = el('canvas', 'heatmap');
  c.tabIndex = 0;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', `${v.variant}: saturation of each unit of ${hidden.length} hidden layers, ${hidden.map((l) => `${l.name} ${pct(l.saturation)}`).join(', ')}`);
  c.style.height = `${Math.max(18, hidden.length * 12)}px`;
  const hm = new Heatmap(c);
  const get = (col: number, row: number) => hidden[row]?.unitSaturation?.[col] ?? NaN;
  const draw = () => hm.draw({ cols, rows: hidden.length, get, scale, background: surface(), cursorColor: state.theme.focus, rowLines: state.theme.border });
  state.redrawers.push(draw);
  attachCellInteraction(hm, {
    onCell(cell) {
      if (!cell) return tip.hide();
      const l = hidden[cell.row];
      const x = get(cell.col, cell.row);
      if (!l || !Number.isFinite(x)) return tip.hide();
      const p = hm.cellCenter(cell);
      tip.show([`${v.variant} · ${l.name}, unit ${cell.col + 1}`, `saturated on ${pct(x)} of the batch (${l.activation})`], p.x, p.y);
    },
  });
  fig.append(c, el('figcaption', 'muted', `${v.variant}: ${hidden.length} layers × ${cols} units`));
  return fig;
}
