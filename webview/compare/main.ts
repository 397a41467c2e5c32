/**
 * The Compare panel webview: runs from different configs and dates in one view. Loss and
 * accuracy curves overlaid (one theme chart colour per run, the legend naming what differs),
 * each run's saturation and gradient heatmaps side by side on one shared colour scale, and the
 * activation histograms of every layer overlaid at the cursor step (hover or arrow keys move it).
 * Gets one snapshot from the host (or the HTML report's embedded JSON). The parts: state.ts,
 * layout.ts, render.ts, hist.ts; the curves and column store are the training panel's.
 */
import '../shared/base.css';
import './compare.css';
import type { HostToCompare } from '../../src/shared/protocol';
import { onThemeChange } from '../shared/theme';
import { onHostMessage } from '../shared/vscode-api';
import { onCursorMove } from './hist';
import { onUiChange, runsBox } from './layout';
import { invalidate, render, scheduleRender } from './render';
import { api, setSnapshot, state } from './state';

onUiChange(scheduleRender);
onCursorMove(scheduleRender);

function onSnapshot(m: HostToCompare): void {
  if (!m || m.type !== 'compareSnapshot') return;
  try {
    setSnapshot(m);
    invalidate();
    scheduleRender();
  } catch (e) {
    api.postMessage({ type: 'log', level: 'error', message: `compare: ${(e as Error).message}` });
  }
}

onHostMessage<HostToCompare>(onSnapshot);
onThemeChange((t) => {
  state.theme = t;
  invalidate();
  scheduleRender();
});
new ResizeObserver(() => scheduleRender()).observe(runsBox);
window.addEventListener('error', (e) => api.postMessage({ type: 'log', level: 'error', message: `compare: ${e.message}` }));

const boot = document.getElementById('mlp-bootstrap');
if (boot?.textContent) onSnapshot(JSON.parse(boot.textContent) as HostToCompare);
else api.postMessage({ type: 'ready' });
render();
