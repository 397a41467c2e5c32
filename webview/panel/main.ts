/**
 * The training panel webview: loss/accuracy curves and, per variant side by side, heatmaps over
 * training time of saturation (layer x step), back-propagated gradient ‖δ‖ or ‖dW‖ (layer x
 * step, log colour scale shared by all variants), per-unit saturation of a chosen layer, the
 * activation histograms at the step under the cursor, and a table of the same numbers.
 *
 * Gets a snapshot (on load, reload, or from the HTML report's embedded JSON), then deltas.
 * This file wires the parts together and boots; the parts: state.ts, layout.ts, cards.ts,
 * cursor.ts, render.ts (numbers.ts, color-scales.ts, charts.ts), messages.ts.
 */
import '../shared/base.css';
import './panel.css';
import type { HostToPanel } from '../../src/shared/protocol';
import { onThemeChange } from '../shared/theme';
import { onHostMessage } from '../shared/vscode-api';
import { invalidateCards, rebuild } from './cards';
import { savePanel } from './export';
import { app, saveButtons, unitSelect, variantsBox } from './layout';
import { onMessage, onSnapshot } from './messages';
import type { Snapshot } from './model';
import { render } from './render';
import { scheduleRender, setRenderer } from './schedule';
import { api, saved, saveState, state, ui } from './state';

setRenderer(render, () => !!state.run?.run.live, app);

unitSelect.addEventListener('change', () => {
  ui.unitLayer = Number(unitSelect.value);
  saveState();
  rebuild();
  scheduleRender();
});

for (const b of saveButtons) b.addEventListener('click', () => savePanel(b.dataset.format as 'png' | 'svg' | 'csv'));

onHostMessage<HostToPanel>(onMessage);

onThemeChange((t) => {
  state.theme = t;
  invalidateCards();
  scheduleRender();
});
new ResizeObserver(() => scheduleRender()).observe(variantsBox);
window.addEventListener('error', (e) => api.postMessage({ type: 'log', level: 'error', message: `panel: ${e.message}` }));

const boot = document.getElementById('mlp-bootstrap');
if (boot?.textContent) {
  // the HTML report: the run is embedded
  onSnapshot(JSON.parse(boot.textContent) as Snapshot);
} else {
  api.postMessage({ type: 'ready', runId: saved?.runId ?? null });
}
scheduleRender();
