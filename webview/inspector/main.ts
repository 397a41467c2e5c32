/**
 * The MLP Lens side view ("Inspector"): what the network of the active *.mlp.json will be and
 * how it behaves at its first step, for every variant side by side. The host (src/sideview/)
 * sends the inspection; this code only draws it and reports clicks.
 *
 * Sections: the file and its state (fresh / recomputing / stale with the error), problems of the
 * current text, warnings (click: reveal the config field), the network, the dataset with a small
 * preview, per-layer tables (saturation, ‖δ‖, gain measured vs theory, activations) with one
 * colour scale per quantity shared by every variant, per-unit saturation heatmaps, and the last
 * run of this config with Train and Open buttons. Numbers are real text (tables), colours are
 * swatches next to them, so everything reads in every theme and by screen readers.
 *
 * This file wires the parts together and boots; the parts: state.ts, messages.ts, render.ts and
 * one file per section (header.ts, warnings.ts, network.ts, layers.ts, dataset.ts, runs.ts).
 */
import '../shared/base.css';
import './inspector.css';
import type { HostToInspector } from '../../src/shared/protocol';
import { onThemeChange } from '../shared/theme';
import { onHostMessage } from '../shared/vscode-api';
import { flushSave, handle } from './messages';
import { redraw, render } from './render';
import { api, app, post, state } from './state';

// flush a pending save before the webview goes away (VS Code unloads hidden views)
window.addEventListener('beforeunload', () => flushSave());
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flushSave(); });
for (const m of api.getState()?.last ?? []) handle(m, false);
onHostMessage<HostToInspector>((m) => handle(m));
onThemeChange((t) => {
  state.theme = t;
  render();
});
let resizeQueued = false;
new ResizeObserver(() => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    redraw();
  });
}).observe(app);
if (!state.view && !state.empty) render();
post({ type: 'ready' });
