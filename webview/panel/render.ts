/**
 * One render of the panel: the header and message, the legends, each variant's card (info
 * line, heatmaps, histograms), the curves (throttled while streaming) and the table.
 */
import { gradientScale, saturationScale, scaleMode, gradientQuantity } from './color-scales';
import { cards, cardsStale, rebuild } from './cards';
import { cursorCol } from './cursor';
import {
  app, bandLabel, bandSelect, chartNote, chartsView, configBtn, continueBtn, details, empty, gradLegend, gradRadios, message, pauseBtn, progress, satLegend, scaleSelect, seedBox, status, stepBtn, stepReadout, stopBtn, title,
} from './layout';
import { groupOf, renderSeedTable, seedGroups } from './seeds';
import { heatmapSpan, runStepSpan, type ClientRun, type ClientVariant } from './model';
import { drawHistograms, renderTable } from './numbers';
import { drawRegions } from './regions';
import { distParts, drawDistributions, drawPart } from './distributions';
import { drawErrors } from './errors';
import { drawWeights } from './weights';
import { markDirty, scheduleRender } from './schedule';
import type { ColorScale } from '../shared/colorscale';
import type { HeatView } from './types';
import { api, state, ui } from './state';
import { wallMs } from '../../src/shared/clock';

let renders = 0;

function statusText(s: string): string {
  return s;
}

export function render(): void {
  renders++;
  app.dataset.renders = String(renders);
  if (!state.run) {
    empty.hidden = false;
    return;
  }
  const r = state.run;
  const { cursor } = state;
  empty.hidden = true;
  if (cardsStale(r)) rebuild();
  if (document.title !== `MLP Lens: ${r.run.title}`) document.title = `MLP Lens: ${r.run.title}`;
  setText(title, r.run.title);
  title.title = r.run.configFile ?? '';
  const paused = r.run.live && r.run.paused === true;
  setText(status, statusText(paused ? 'paused' : r.run.status));
  status.dataset.status = paused ? 'paused' : r.run.status;
  const done = r.stepsDone, planned = r.stepsPlanned;
  setText(progress, `${r.run.dataset ? `${r.run.dataset} · ` : ''}${done.toLocaleString('en-US')}${planned ? ` / ${planned.toLocaleString('en-US')}` : ''} steps`);
  stopBtn.disabled = !r.run.live;
  stopBtn.hidden = api.standalone || !r.run.live;
  pauseBtn.hidden = stopBtn.hidden;
  setText(pauseBtn, paused ? 'Resume' : 'Pause');
  pauseBtn.title = paused ? 'Go on training' : 'Pause training between two steps';
  pauseBtn.setAttribute('aria-pressed', String(paused));
  stepBtn.hidden = api.standalone || !paused;
  continueBtn.hidden = api.standalone || r.run.live || !r.variants.some((v) => !!v.meta.runDir && (v.meta.status === 'stopped' || v.meta.status === 'completed'));
  app.dataset.paused = String(paused);
  configBtn.hidden = api.standalone || !r.run.configFile;
  const divs = r.variants.filter((v) => v.meta.divergence);
  setText(message, [r.run.message ?? '', ...divs.map((v) => `${v.meta.name}: ${v.meta.divergence!.message}`)].filter(Boolean).join(' · '));
  message.className = `message ${r.run.status === 'crashed' || r.run.status === 'failed' || divs.length ? 'error' : ''}`;
  app.dataset.status = r.run.status;
  app.dataset.steps = String(done);
  app.dataset.columns = String(r.columns);
  app.dataset.stepSpan = String(runStepSpan(r));
  app.dataset.runId = r.run.id;
  for (const input of gradRadios) input.checked = input.value === ui.gradient;
  scaleSelect.value = scaleMode();
  const groups = seedGroups(r);
  app.dataset.seedView = groups ? String(groups.length) : '';
  bandLabel.hidden = !groups;
  bandSelect.value = ui.band ?? 'minmax';
  setText(chartNote, groups
    ? `solid: mean over seeds of the training minibatches, in a ${ui.band === 'quartiles' ? 'quartile (25–75%)' : 'min–max'} band · dashed: mean test set at each epoch end`
    : 'solid: training minibatches · dashed: test set at each epoch end');
  renderSeedTable(r, seedBox);

  const sat = saturationScale();
  const { scale: grad, note } = gradientScale(r);
  satLegend.update(sat, 'fraction of units × batch');
  gradLegend.update(grad, note);
  app.dataset.gradMin = String(grad.domain.min);
  app.dataset.gradMax = String(grad.domain.max);

  frameScales = { sat, grad };
  r.variants.forEach((v, vi) => {
    const card = cards[vi];
    if (!card) return;
    const m = v.meta;
    const lastEpoch = v.epochs[v.epochs.length - 1];
    const acc = lastEpoch?.test?.accuracy ?? m.summary?.test?.accuracy;
    const group = groupOf(r, vi);
    setText(card.info, [
      group ? `${m.name}` : '',
      paused && m.status === 'running' ? 'paused' : m.status,
      `epoch ${Math.min(m.epoch + (m.status === 'running' ? 1 : 0), m.epochsPlanned)}/${m.epochsPlanned}`,
      `step ${m.step}${m.totalSteps ? `/${m.totalSteps}` : ''}`,
      acc !== undefined && acc !== null && Number.isFinite(acc) ? `test acc ${acc.toFixed(3)}` : '',
      v.store.stride > 1 ? `${v.store.stride} records per column` : '',
    ].filter(Boolean).join(' · '));
    if (card.root.dataset.status !== m.status) card.root.dataset.status = m.status;
    setText(card.problem, m.divergence ? `diverged at step ${m.divergence.step}: non-finite ${m.divergence.where}` : m.status === 'crashed' ? 'the training worker crashed' : m.status === 'failed' ? `failed: ${m.summary?.failure ?? 'the run record could not be written'}` : '');
    const store = v.store;
    const n = store.count;
    for (const view of card.views) {
      // the columns changed since the view was last drawn (it may have waited off-screen)
      view.pendingFrom = Math.min(view.pendingFrom, v.dirtyFrom);
      const first = n ? store.s.stepFrom[0]! : 0;
      const last = n ? store.s.step[n - 1]! : 0;
      setText(view.axis, n ? `step ${first} → ${last}${m.totalSteps && last < m.totalSteps ? ` of ${m.totalSteps}` : ''}` : '');
      markDirty({ id: `heat:${vi}:${view.kind}`, el: view.hm.canvas, run: () => drawHeatView(view, v) });
    }
    v.dirtyFrom = Infinity;
    const colorIndex = group ? group.index : vi;
    markDirty({ id: `hist:${vi}`, el: card.hist, run: () => drawHistograms(card, v, vi, colorIndex) });
    if (card.regions) {
      const regions = card.regions;
      markDirty({ id: `regions:${vi}`, el: regions.root, run: () => drawRegions(regions, v, vi) });
    }
    // the blocks that appear with their data are added now, drawn by their jobs
    drawDistributions(card, v, vi, false);
    const dist = card.dist;
    if (dist) for (const { part, el } of distParts(dist)) markDirty({ id: `dist:${vi}:${part}`, el, run: () => drawPart(dist, v, vi, part) });
    drawWeights(card, v, vi, false);
    if (card.weights) markDirty({ id: `weights:${vi}`, el: card.weights.root, run: () => drawWeights(card, v, vi) });
    drawErrors(card, v, vi, false);
    if (card.errors) markDirty({ id: `errors:${vi}`, el: card.errors.root, run: () => drawErrors(card, v, vi) });
  });
  // the curves cost more to redraw than the heatmaps: at most 4 times a second while streaming,
  // each chart a job of its own
  const now = performance.now();
  const chartsDue = lastCharts + 250 - now;
  if (!r.run.live || chartsDue <= 0 || cursor !== null || chartsKey !== chartsStateKey(r)) {
    for (const k of [0, 1]) markDirty({ id: `chart:${k}`, el: chartsView.canvas(k), run: () => state.run && chartsView.update(state.run, state.theme, state.cursor?.step ?? null, k) });
    lastCharts = now;
    chartsKey = chartsStateKey(r);
  } else if (!chartsTimer) {
    chartsTimer = setTimeout(() => {
      chartsTimer = undefined;
      scheduleRender();
    }, chartsDue);
  }
  setText(stepReadout, cursor !== null ? `cursor: step ${cursor.step}` : `latest step`);
  if (details.open) renderTable(r);
}

/** Text content, written only when it changed (a write costs the next layout). */
function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** the colour scales of the latest render (the legends show them): the heatmaps' jobs draw with them */
let frameScales: { sat: ColorScale; grad: ColorScale } | null = null;

/** One of a card's heatmaps, as the run is now: the columns changed since its last draw recoloured. */
function drawHeatView(view: HeatView, v: ClientVariant): void {
  const r = state.run;
  if (!r || !frameScales || !v.store.meta || !view.hm.canvas.isConnected) return;
  const { theme, cursor } = state;
  const { sat, grad } = frameScales;
  const m = v.meta, store = v.store, n = store.count, meta = store.meta!;
  const span = heatmapSpan(r, v);
  const fill = span > 0 && n > 0 ? Math.min(1, store.s.step[n - 1]! / span) : 1;
  const cc = cursor !== null ? cursorCol(v) : null;
  const divCol = m.divergence ? Math.max(0, n - 1) : -1;
  const markers = [] as { col: number; row: number | null; kind: 'divergence' }[];
  if (m.divergence && divCol >= 0) {
    const layer = m.divergence.layer;
    const row = layer === null ? null : view.kind === 'units' ? null : view.layers.indexOf(layer);
    markers.push({ col: divCol, row: row === -1 ? null : row, kind: 'divergence' });
  }
  const common = {
    cols: n, background: theme.background, fill, markers, markerColor: theme.error,
    cursorColor: theme.focus, cursorCol: cc, cursor: view.interaction.current(), rowLines: view.kind === 'units' ? null : theme.background,
    // streaming: only the columns that changed are recoloured
    dirtyFrom: view.pendingFrom, dataKey: view.kind === 'grad' ? gradientQuantity() : view.kind,
  };
  view.pendingFrom = Infinity;
  if (view.kind === 'sat') {
    view.hm.draw({ ...common, rows: view.layers.length, get: (c, row) => store.layers[view.layers[row]!]!.q.sat[c]!, scale: sat });
  } else if (view.kind === 'grad') {
    const q = gradientQuantity();
    view.hm.draw({ ...common, rows: view.layers.length, get: (c, row) => store.layers[view.layers[row]!]!.q[q][c]!, scale: grad });
  } else {
    const k = view.layers[0]!;
    const U = meta[k]!.units;
    const units = store.layers[k]!.units;
    view.hm.draw({ ...common, rows: U, get: (c, u) => units[c * U + u]!, scale: sat });
  }
  // for the latency tests: when the first heatmap with columns was drawn (wallMs)
  if (n > 0 && !app.dataset.firstHeatAt) app.dataset.firstHeatAt = wallMs().toFixed(1);
}

let lastCharts = 0;
let chartsKey = '';
let chartsTimer: ReturnType<typeof setTimeout> | undefined;
/** what the curves show apart from new data points (a change redraws them at once) */
function chartsStateKey(r: ClientRun): string {
  return `${r.run.id}|${r.run.status}|${state.theme.kind}|${state.theme.series.join(',')}|${ui.band ?? 'minmax'}`;
}
