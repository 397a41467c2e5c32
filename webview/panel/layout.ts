/**
 * The panel's static layout: header (title, status, progress, buttons), message line, curves,
 * display options, legends, the variants box, the numbers table, and the control listeners
 * that only change `ui` (the unit layer's is in main.ts: it rebuilds the cards).
 */
import { Legend } from '../shared/legend';
import { Tooltip } from '../shared/tooltip';
import { Curves } from './charts';
import { scheduleRender } from './schedule';
import { api, saveState, state, ui } from './state';
import { el, gradientRadios, liveRegion, numbersSection } from '../shared/dom';
import { wallMs } from '../../src/shared/clock';

export { el };

export const app = document.getElementById('app')!;
app.dataset.view = 'panel';
// wall-clock times for the end-to-end tests: script start, first columns drawn
app.dataset.loadedAt = wallMs().toFixed(1);
{
  // where the load went (wallMs): the page's start, and the fetch of this script (resource timing;
  // none when the host inlined the bundle)
  const js = performance.getEntriesByType('resource').find((e) => /panel\.js(\?|$)/.test(e.name)) as PerformanceResourceTiming | undefined;
  const at = (t: number | undefined) => (t === undefined ? 0 : performance.timeOrigin + t).toFixed(1);
  app.dataset.loadSplit = [at(0), at(js?.startTime), at(js?.responseEnd)].join(',');
}
const header = el('header', 'bar');
export const title = el('h1', 'title', 'MLP Lens');
export const status = el('span', 'badge', 'waiting');
status.id = 'status';
export const progress = el('span', 'muted progress');
progress.id = 'progress';
const spacer = el('span', 'spacer');
export const stopBtn = el('button', 'secondary', 'Stop');
stopBtn.id = 'stop';
stopBtn.title = 'Stop training (the run is kept as "stopped")';
// Pause holds the run between steps (the button then reads Resume); Step trains one minibatch while paused
export const pauseBtn = el('button', 'secondary', 'Pause');
pauseBtn.id = 'pause';
pauseBtn.title = 'Pause training between two steps';
export const stepBtn = el('button', 'secondary', 'Step');
stepBtn.id = 'step';
stepBtn.title = 'Train exactly one minibatch of each variant (every view shows it)';
export const continueBtn = el('button', 'secondary', 'Continue…');
continueBtn.id = 'continue';
continueBtn.title = 'Train this run on for more epochs, in its own folder (asks for the epochs and the learning rate)';
const exportBtn = el('button', 'secondary', 'Export…');
exportBtn.id = 'export';
exportBtn.title = 'Save this run as a self-contained HTML report';
export const configBtn = el('button', 'secondary', 'Open config');
configBtn.id = 'open-config';
// the panel as drawn (PNG, SVG) and the data behind it (CSV): export.ts
const saveGroup = el('div', 'save-group');
saveGroup.setAttribute('role', 'group');
saveGroup.setAttribute('aria-label', 'Save the panel');
export const saveButtons = (['png', 'svg', 'csv'] as const).map((f) => {
  const b = el('button', 'secondary', f.toUpperCase());
  b.id = `save-${f}`;
  b.dataset.format = f;
  b.title = f === 'csv' ? 'Save the data behind the panel as one tidy CSV (one value per row)' : `Save the panel as drawn as ${f === 'png' ? 'a PNG image' : 'an SVG image (curves as vector paths)'}`;
  saveGroup.append(b);
  return b;
});
header.append(title, status, progress, spacer, configBtn, saveGroup, exportBtn, pauseBtn, stepBtn, stopBtn, continueBtn);
export const message = el('div', 'message');
message.id = 'message';
message.setAttribute('role', 'status');
message.setAttribute('aria-live', 'polite');

const curves = el('section', 'curves');
curves.setAttribute('aria-label', 'loss and accuracy curves');
const lossBox = el('div', 'chart');
const accBox = el('div', 'chart');
const lossCanvas = el('canvas');
lossCanvas.id = 'loss-chart';
lossCanvas.setAttribute('role', 'img');
lossCanvas.setAttribute('aria-label', 'Loss per step (solid: training minibatches; dashed: test set per epoch)');
const accCanvas = el('canvas');
accCanvas.id = 'accuracy-chart';
accCanvas.setAttribute('role', 'img');
accCanvas.setAttribute('aria-label', 'Accuracy per step (solid: training minibatches; dashed: test set per epoch)');
lossBox.append(lossCanvas);
accBox.append(accCanvas);
curves.append(lossBox, accBox);
export const chartNote = el('div', 'muted note', 'solid: training minibatches · dashed: test set at each epoch end');

const controls = el('section', 'controls');
controls.setAttribute('aria-label', 'display options');
const { group: gradGroup, radios: gradRadios } = gradientRadios(null, (q) => {
  ui.gradient = q;
  saveState();
  scheduleRender();
});
export { gradRadios };
const scaleLabel = el('label', undefined, 'Colour domain ');
export const scaleSelect = el('select');
scaleSelect.id = 'scale-mode';
for (const [v, t] of [['window', 'window: recent columns'], ['fixed', 'fixed (settings)']]) {
  const o = el('option', undefined, t);
  o.value = v!;
  scaleSelect.append(o);
}
scaleSelect.addEventListener('change', () => {
  ui.scale = scaleSelect.value as 'window' | 'fixed';
  saveState();
  scheduleRender();
});
scaleLabel.append(scaleSelect);
export const unitLabel = el('label', undefined, 'Units of ');
export const unitSelect = el('select');
unitSelect.id = 'unit-layer';
unitLabel.append(unitSelect);
// the seed view: the band around the mean curves
export const bandLabel = el('label', undefined, 'Band over seeds ');
export const bandSelect = el('select');
bandSelect.id = 'band-mode';
for (const [v, t] of [['minmax', 'min–max'], ['quartiles', 'quartiles (25–75%)']]) {
  const o = el('option', undefined, t);
  o.value = v!;
  bandSelect.append(o);
}
bandSelect.addEventListener('change', () => {
  ui.band = bandSelect.value === 'quartiles' ? 'quartiles' : 'minmax';
  saveState();
  scheduleRender();
});
bandLabel.append(bandSelect);
bandLabel.hidden = true;
export const stepReadout = el('span', 'muted step-readout');
stepReadout.id = 'step-counter';
controls.append(gradGroup, scaleLabel, unitLabel, bandLabel, stepReadout);

const legends = el('section', 'legends');
legends.setAttribute('aria-label', 'colour scales');
export const satLegend = new Legend(legends);
export const gradLegend = new Legend(legends);
satLegend.root.id = 'legend-saturation';
gradLegend.root.id = 'legend-gradient';

/** the seed view's table of final accuracies (seeds.ts) */
export const seedBox = el('section', 'seeds');
seedBox.id = 'seeds';
seedBox.setAttribute('aria-label', 'final accuracy over seeds');
seedBox.hidden = true;

export const variantsBox = el('section', 'variants');
variantsBox.id = 'variants';
variantsBox.setAttribute('aria-label', 'variants side by side');

export const { details, tableBox } = numbersSection('Per-layer numbers (table)', ui.showTable, (open) => {
  ui.showTable = open;
  saveState();
  scheduleRender();
});
export const live = liveRegion();
export const empty = el('div', 'empty muted', 'Waiting for the run…');
empty.id = 'empty';

app.append(header, message, empty, curves, chartNote, controls, seedBox, legends, variantsBox, details, live);
export const tooltip = new Tooltip(document.body);
export const chartsView = new Curves([lossCanvas, accCanvas], () => ui.band ?? 'minmax');

stopBtn.addEventListener('click', () => state.run && api.postMessage({ type: 'stop', runId: state.run.run.id }));
pauseBtn.addEventListener('click', () => state.run && api.postMessage({ type: state.run.run.paused ? 'resume' : 'pause', runId: state.run.run.id }));
stepBtn.addEventListener('click', () => state.run && api.postMessage({ type: 'step', runId: state.run.run.id }));
continueBtn.addEventListener('click', () => state.run && api.postMessage({ type: 'continueRun', runId: state.run.run.id }));
exportBtn.addEventListener('click', () => state.run && api.postMessage({ type: 'export', runId: state.run.run.id }));
configBtn.addEventListener('click', () => state.run && api.postMessage({ type: 'openConfig', runId: state.run.run.id }));
if (api.standalone) {
  stopBtn.hidden = true;
  pauseBtn.hidden = true;
  stepBtn.hidden = true;
  continueBtn.hidden = true;
  exportBtn.hidden = true;
  configBtn.hidden = true;
  saveGroup.hidden = true;
}
