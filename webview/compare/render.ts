/**
 * One render of the Compare panel: the runs' legend, the overlaid curves, the shared colour
 * scales (saturation 0..1; the gradient on one log domain spanning every run's columns), each
 * run's saturation and gradient heatmaps on a shared step axis, the histograms and the table.
 */
import type { LayerQuantity } from '../../src/shared/columns';
import { domainOf } from '../shared/colorscale';
import { attachCellInteraction, Heatmap, type Cell } from '../shared/heatmap';
import { gradientScale, saturationScale } from '../shared/scales';
import { drawHistograms, renderTable } from './hist';
import {
  app, chartsView, details, differs, el, empty, gradLegend, gradRadios, live, openButton, runList, runsBox, satLegend, stepReadout, title, tooltip,
} from './layout';
import { columnAt, maxStep, runColor, state, ui } from './state';

interface View {
  hm: Heatmap;
  kind: 'sat' | 'grad';
  layers: number[];
  run: number;
  interaction: ReturnType<typeof attachCellInteraction>;
}

let views: View[] = [];
let builtKey = '';
let renders = 0;
let queued = false;

/** At most one render per animation frame. */
export function scheduleRender(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    render();
  });
}

/** The next render rebuilds the cards (a new snapshot or theme). */
export function invalidate(): void {
  builtKey = '';
}

const quantity = (): LayerQuantity => (ui.gradient === 'gradW' ? 'gradW' : 'delta');
const shortName = (name: string) => name.replace('hidden ', 'h').replace('output', 'out');

function onCell(view: View, cell: Cell | null, source: 'mouse' | 'keyboard'): void {
  const r = state.run;
  if (!r || !cell) {
    tooltip.hide();
    if (state.cursor !== null && source === 'mouse') {
      state.cursor = null;
      scheduleRender();
    }
    return;
  }
  const v = r.variants[view.run]!;
  const meta = v.store.meta!;
  const layer = view.layers[cell.row]!;
  const s = v.store.s;
  const x = view.kind === 'sat' ? v.store.layers[layer]!.q.sat[cell.col]! : v.store.layers[layer]!.q[quantity()][cell.col]!;
  const steps = s.stepFrom[cell.col] === s.step[cell.col] ? `step ${s.step[cell.col]}` : `steps ${s.stepFrom[cell.col]}–${s.step[cell.col]}`;
  const lines = [`${v.meta.name} · ${meta[layer]!.name}`, steps,
    view.kind === 'sat' ? `saturation = ${Number.isFinite(x) ? x.toFixed(4) : '–'}` : `${quantity() === 'delta' ? '‖δ‖' : '‖dW‖'} = ${Number.isFinite(x) ? x.toExponential(4) : String(x)}`];
  const p = view.hm.cellCenter(cell);
  tooltip.show(lines, p.x, p.y);
  if (source === 'keyboard') live.textContent = lines.join(', ');
  state.cursor = s.step[cell.col]!;
  scheduleRender();
}

function heatBlock(i: number, kind: 'sat' | 'grad', heading: string, layers: number[], names: string[]): HTMLElement {
  const block = el('div', `hm-block hm-${kind}`);
  block.append(el('div', 'hm-title', heading));
  const row = el('div', 'hm-row');
  const labels = el('div', 'rowlabels');
  labels.setAttribute('aria-hidden', 'true');
  for (const n of names) labels.append(el('span', undefined, n));
  const canvas = el('canvas', `heatmap ${kind}`);
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.dataset.run = String(i);
  canvas.dataset.kind = kind;
  canvas.setAttribute('aria-label', `${heading} of ${state.run!.variants[i]!.meta.name}. Arrow keys move over the cells; the value is read out.`);
  canvas.style.height = `${Math.max(36, layers.length * 16)}px`;
  row.append(labels, canvas);
  block.append(row);
  const hm = new Heatmap(canvas);
  const view: View = { hm, kind, layers, run: i, interaction: attachCellInteraction(hm, { onCell: (c, src) => onCell(view, c, src) }) };
  views.push(view);
  return block;
}

function rebuild(): void {
  for (const v of views) v.interaction.dispose();
  views = [];
  runsBox.replaceChildren();
  runList.replaceChildren();
  const r = state.run, snap = state.snap;
  if (!r || !snap) return;
  snap.runs.forEach((info, i) => {
    const li = el('li', 'run-item');
    li.dataset.run = String(i);
    const swatch = el('span', 'swatch');
    swatch.style.backgroundColor = runColor(i);
    const name = el('span', 'run-label', info.label);
    const detail = el('span', 'muted run-detail', [
      `config ${info.config}`, `variant ${info.variant}`, info.seed === null ? '' : `seed ${info.seed}`,
      ...Object.entries(info.sweep).map(([k, v]) => `${k}=${v}`), info.date + ' UTC', info.status,
      info.testAccuracy === null ? '' : `test acc ${info.testAccuracy.toFixed(3)}`, `${info.steps.toLocaleString('en-US')} steps`,
    ].filter(Boolean).join(' · '));
    li.append(swatch, name, detail);
    const b = openButton(i);
    if (b) li.append(b);
    runList.append(li);
  });
  r.variants.forEach((v, i) => {
    const card = el('article', 'run-card');
    card.dataset.run = String(i);
    const head = el('h2', 'run-name');
    const swatch = el('span', 'swatch');
    swatch.style.backgroundColor = runColor(i);
    head.append(swatch, document.createTextNode(v.meta.name));
    card.append(head);
    const meta = v.store.meta;
    if (!meta) card.append(el('div', 'muted', 'no step records'));
    else {
      const hid = meta.filter((l) => l.hidden).map((l) => l.index);
      const all = meta.map((l) => l.index);
      card.append(heatBlock(i, 'sat', 'Saturation (layer × step)', hid, hid.map((k) => shortName(meta[k]!.name))));
      card.append(heatBlock(i, 'grad', 'Gradient (layer × step, log)', all, all.map((k) => shortName(meta[k]!.name))));
    }
    runsBox.append(card);
  });
  runsBox.dataset.count = String(r.variants.length);
  builtKey = `${snap.id}|${state.theme.kind}|${state.theme.series.join(',')}`;
}

export function render(): void {
  renders++;
  app.dataset.renders = String(renders);
  const r = state.run, snap = state.snap;
  if (!r || !snap) {
    empty.hidden = false;
    return;
  }
  empty.hidden = true;
  if (builtKey !== `${snap.id}|${state.theme.kind}|${state.theme.series.join(',')}`) rebuild();
  document.title = `MLP Lens: ${snap.run.title}`;
  title.textContent = snap.run.title;
  differs.textContent = snap.differs.length ? `differ in: ${snap.differs.join(', ')}` : 'the same config, variant, seed and date';
  app.dataset.runs = String(snap.runs.length);
  app.dataset.runId = snap.id;
  for (const input of gradRadios) input.checked = input.value === ui.gradient;
  const theme = state.theme;
  const q = quantity();
  const sat = saturationScale(theme);
  const series: Float64Array[] = [];
  for (const v of r.variants) for (const L of v.store.layers) series.push(L.q[q].subarray(0, v.store.count));
  const grad = gradientScale(domainOf(series, { kind: 'log', fallback: r.settings.gradientDomain }), q === 'delta' ? '‖δ‖' : '‖dW‖', theme.background);
  satLegend.update(sat, 'every run');
  gradLegend.update(grad, 'one domain for every run, all steps');
  app.dataset.gradMin = String(grad.domain.min);
  app.dataset.gradMax = String(grad.domain.max);
  const span = maxStep();
  for (const view of views) {
    const v = r.variants[view.run]!;
    const n = v.store.count;
    const cc = state.cursor !== null ? columnAt(view.run) : null;
    const store = v.store;
    view.hm.draw({
      cols: n, rows: view.layers.length, background: theme.background, scale: view.kind === 'sat' ? sat : grad,
      get: view.kind === 'sat' ? (c, row) => store.layers[view.layers[row]!]!.q.sat[c]! : (c, row) => store.layers[view.layers[row]!]!.q[q][c]!,
      fill: n ? Math.min(1, store.s.step[n - 1]! / span) : 1, cursorCol: cc, cursorColor: theme.focus, cursor: view.interaction.current(),
      rowLines: theme.background, dataKey: view.kind === 'grad' ? q : 'sat',
    });
  }
  chartsView.update(r, theme, state.cursor);
  drawHistograms();
  stepReadout.textContent = state.cursor !== null ? `cursor: step ${state.cursor}` : 'last step of each run';
  app.dataset.cursor = state.cursor === null ? '' : String(state.cursor);
  if (details.open) renderTable();
}
