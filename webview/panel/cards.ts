/**
 * The per-variant cards: built (rebuild) whenever the run's shape or the unit layer changes,
 * each with its saturation, gradient and unit heatmaps and its histogram canvas.
 */
import { attachCellInteraction, Heatmap } from '../shared/heatmap';
import { onCell } from './cursor';
import { el, unitLabel, unitSelect, variantsBox } from './layout';
import type { ClientRun, ClientVariant } from './model';
import { clearJobs, scheduleRender } from './schedule';
import { state, ui } from './state';
import type { Card, HeatView } from './types';
import { regionBlock } from './regions';
import { groupOf, seedSelect, shownVariants } from './seeds';

/** by variant index: in the seed view only the shown seed of each variant has a card (a sparse array) */
export let cards: Card[] = [];
let builtShape = '';

function shapeKey(r: ClientRun): string {
  return `${r.run.id}|${r.shape}|${r.plane ? 'plane' : ''}|${ui.unitLayer}|${r.variants.map((v) => `${v.meta.name}:${v.store.meta?.length ?? 0}`).join(',')}|${shownVariants(r).join(',')}`;
}

/** Do the cards no longer fit the run (render then rebuilds them)? */
export function cardsStale(r: ClientRun): boolean {
  return shapeKey(r) !== builtShape;
}

/** The next render rebuilds the cards (a new run, a new theme). */
export function invalidateCards(): void {
  builtShape = '';
}

function hiddenLayers(v: ClientVariant): number[] {
  return (v.store.meta ?? []).filter((l) => l.hidden).map((l) => l.index);
}

function rowLabels(names: string[], rowsClass: string): HTMLElement {
  const box = el('div', `rowlabels ${rowsClass}`);
  box.setAttribute('aria-hidden', 'true');
  for (const n of names) box.append(el('span', undefined, n));
  return box;
}

export function shortName(name: string): string {
  return name.replace('hidden ', 'h').replace('output', 'out');
}

function heatBlock(card: Card, v: ClientVariant, vi: number, kind: HeatView['kind'], heading: string, layers: number[], rowNames: string[], heightPx: number): HTMLElement {
  const block = el('div', `hm-block hm-${kind}`);
  block.append(el('div', 'hm-title', heading));
  const row = el('div', 'hm-row');
  const canvas = el('canvas', `heatmap ${kind}`);
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.dataset.variant = String(vi);
  canvas.dataset.kind = kind;
  canvas.setAttribute('aria-label', `${heading} for ${v.meta.name}. Arrow keys move over the cells; the value is read out.`);
  canvas.style.height = `${heightPx}px`;
  row.append(kind === 'units' ? rowLabels(['unit 0', `unit ${Math.max(0, (v.store.meta?.[layers[0]!]?.units ?? 1) - 1)}`], 'ends') : rowLabels(rowNames, 'layers'), canvas);
  const axis = el('div', 'axis muted');
  block.append(row, axis);
  const hm = new Heatmap(canvas);
  const view: HeatView = {
    hm, kind, layers, axis, pendingFrom: 0,
    interaction: attachCellInteraction(hm, {
      onCell: (cell, source) => onCell(vi, view, cell, source),
    }),
  };
  card.views.push(view);
  return block;
}

export function rebuild(): void {
  clearJobs();
  cards.forEach((c) => { for (const v of c.views) v.interaction.dispose(); });
  cards = [];
  variantsBox.replaceChildren();
  if (!state.run) return;
  const r = state.run;
  // the unit-layer choice: hidden layers of the first variant that has them
  const anyLayers = r.variants.find((v) => v.store.meta)?.store.meta ?? [];
  const hidden = anyLayers.filter((l) => l.hidden && l.units > 0);
  unitSelect.replaceChildren(...hidden.map((l) => {
    const o = el('option', undefined, `${l.name} (${l.units} units)`);
    o.value = String(l.index);
    return o;
  }));
  if (!hidden.some((l) => l.index === ui.unitLayer) && hidden.length) ui.unitLayer = hidden[0]!.index;
  unitSelect.value = String(ui.unitLayer);
  unitLabel.hidden = hidden.length === 0;
  const shown = shownVariants(r);
  variantsBox.dataset.count = String(shown.length);
  for (const vi of shown) {
    const v = r.variants[vi]!;
    const root = el('article', 'variant');
    root.dataset.variant = v.meta.name;
    const head = el('h2', 'variant-name');
    const swatch = el('span', 'swatch');
    const group = groupOf(r, vi);
    swatch.style.backgroundColor = state.theme.series[(group ? group.index : vi) % state.theme.series.length]!;
    if (group) {
      // the seed view: the variant's card shows one of its seeds
      root.dataset.group = group.g.name;
      root.dataset.seed = String(group.g.seeds[group.g.members.indexOf(vi)]);
      head.append(swatch, document.createTextNode(group.g.name), seedSelect(r, group.g, () => { rebuild(); scheduleRender(); }));
    } else head.append(swatch, document.createTextNode(v.meta.name));
    const info = el('div', 'variant-info muted');
    const problem = el('div', 'variant-problem');
    problem.setAttribute('role', 'status');
    const card: Card = { root, head, info, problem, views: [], hist: el('canvas', 'hist'), regions: null };
    root.append(head, info, problem);
    const meta = v.store.meta;
    if (!meta) {
      root.append(el('div', 'muted waiting', 'waiting for the first step…'));
    } else {
      const hid = hiddenLayers(v);
      const all = meta.map((l) => l.index);
      root.append(heatBlock(card, v, vi, 'sat', 'Saturation (layer × step)', hid, hid.map((k) => shortName(meta[k]!.name)), Math.max(36, hid.length * 16)));
      root.append(heatBlock(card, v, vi, 'grad', 'Gradient (layer × step, log)', all, all.map((k) => shortName(meta[k]!.name)), Math.max(44, all.length * 16)));
      const ul = meta[ui.unitLayer];
      if (ul && ul.units > 0) root.append(heatBlock(card, v, vi, 'units', `Units of ${ul.name}: saturation (unit × step)`, [ul.index], [], Math.min(160, Math.max(64, ul.units * 2))));
      const hb = el('div', 'hm-block hist-block');
      hb.append(el('div', 'hm-title hist-title', 'Activation histograms'));
      card.hist.setAttribute('role', 'img');
      card.hist.dataset.variant = String(vi);
      card.hist.style.height = `${Math.max(1, hid.length) * 34}px`;
      hb.append(card.hist);
      root.append(hb);
    }
    if (r.plane) {
      card.regions = regionBlock(v, vi);
      root.append(card.regions.root);
    }
    variantsBox.append(root);
    cards[vi] = card;
  }
  builtShape = shapeKey(r);
}
