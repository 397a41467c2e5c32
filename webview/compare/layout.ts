/**
 * The Compare panel's static layout: header, the runs' legend (what differs between them),
 * the overlaid curves, the gradient choice and cursor read-out, the shared colour legends, the
 * runs' heatmaps side by side, the overlaid activation histograms and the numbers table.
 */
import { Legend } from '../shared/legend';
import { Tooltip } from '../shared/tooltip';
import { Curves } from '../panel/charts';
import { api, saveState, ui } from './state';
import { el, gradientRadios, liveRegion, numbersSection } from '../shared/dom';

export { el };

let rerender: () => void = () => {};
/** main.ts names the renderer (render code imports this file). */
export function onUiChange(fn: () => void): void {
  rerender = fn;
}

export const app = document.getElementById('app')!;
app.dataset.view = 'compare';
const header = el('header', 'bar');
export const title = el('h1', 'title', 'MLP Lens: Compare');
export const differs = el('span', 'muted differs');
differs.id = 'differs';
header.append(title, differs);

export const runList = el('ul', 'run-list');
runList.id = 'run-list';
runList.setAttribute('aria-label', 'the runs compared: colour and what tells them apart');

const curves = el('section', 'curves');
curves.setAttribute('aria-label', 'loss and accuracy curves, one colour per run');
const mk = (id: string, label: string) => {
  const box = el('div', 'chart');
  const c = el('canvas');
  c.id = id;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  box.append(c);
  curves.append(box);
  return c;
};
const lossCanvas = mk('loss-chart', 'Loss per step of every run (solid: training minibatches; dashed: test set per epoch)');
const accCanvas = mk('accuracy-chart', 'Accuracy per step of every run (solid: training minibatches; dashed: test set per epoch)');
export const chartsView = new Curves([lossCanvas, accCanvas]);
const chartNote = el('div', 'muted note', 'solid: training minibatches · dashed: test set at each epoch end');

const controls = el('section', 'controls');
controls.setAttribute('aria-label', 'display options');
const { group: gradGroup, radios: gradRadios } = gradientRadios(ui.gradient, (q) => {
  ui.gradient = q;
  saveState();
  rerender();
});
export { gradRadios };
export const stepReadout = el('span', 'muted step-readout');
stepReadout.id = 'step-counter';
controls.append(gradGroup, stepReadout);

const legends = el('section', 'legends');
legends.setAttribute('aria-label', 'colour scales, shared by every run');
export const satLegend = new Legend(legends);
export const gradLegend = new Legend(legends);
satLegend.root.id = 'legend-saturation';
gradLegend.root.id = 'legend-gradient';

export const runsBox = el('section', 'runs');
runsBox.id = 'runs';
runsBox.setAttribute('aria-label', 'saturation and gradient heatmaps of the runs side by side');

const histSection = el('section', 'hist-section');
export const histTitle = el('h2', 'section-title', 'Activation histograms at the cursor');
export const histCanvas = el('canvas', 'hist');
histCanvas.id = 'hist';
histCanvas.tabIndex = 0;
histCanvas.setAttribute('role', 'img');
const histNote = el('div', 'muted note', 'each run in its colour, overlaid per hidden layer; Left/Right move the cursor step');
histSection.append(histTitle, histCanvas, histNote);

export const { details, tableBox } = numbersSection('Per-layer numbers at the cursor (table)', ui.showTable, (open) => {
  ui.showTable = open;
  saveState();
  rerender();
});
export const live = liveRegion();
export const empty = el('div', 'empty muted', 'Loading the runs…');
empty.id = 'empty';

app.append(header, empty, runList, curves, chartNote, controls, legends, runsBox, histSection, details, live);
export const tooltip = new Tooltip(document.body);

/** A run's "Open" button asks the host to open it in the training panel (not in the HTML report). */
export function openButton(index: number): HTMLButtonElement | null {
  if (api.standalone || document.getElementById('mlp-bootstrap')) return null; // the HTML report: no host
  const b = el('button', 'secondary open-run', 'Open');
  b.title = 'Open this run in the training panel';
  b.addEventListener('click', () => api.postMessage({ type: 'openRun', index }));
  return b;
}
