/**
 * One render of the inspector: the empty state, or the header, problems and (when there is an
 * inspection) warnings, network, layers, dataset and last run; the heatmaps are drawn in the
 * next frame, then the host hears "rendered".
 */
import { datasetSection } from './dataset';
import { button, el } from './dom';
import { header, problemsSection } from './header';
import { variantsSection } from './layers';
import { networkSection } from './network';
import { runsSection } from './runs';
import { app, post, refreshSurface, state, tip } from './state';
import { wallMs } from '../../src/shared/clock';
import { warningsSection } from './warnings';

function emptyState(): HTMLElement {
  const s = el('section', 'empty');
  s.id = 'empty';
  s.append(el('h2', '', 'No experiment config open'));
  s.append(el('p', 'muted', 'Open an experiment config (*.mlp.json) and this view shows the network it describes and how it behaves at its first training step, before anything is trained: saturation, gradient flow per layer, and what to fix.'));
  const b = button('New Experiment Config', () => post({ type: 'newConfig' }));
  b.id = 'new-config';
  const ex = button('Open the Lecture Example', () => post({ type: 'openExample' }), 'secondary');
  ex.id = 'open-example';
  const row = el('div', 'empty-actions');
  row.append(b, ex);
  s.append(row);
  return s;
}

export function render(): void {
  const t0 = performance.now();
  tip.hide();
  state.redrawers = [];
  refreshSurface();
  app.replaceChildren();
  if (state.empty || !state.view) {
    app.dataset.state = 'empty';
    app.append(emptyState());
    return;
  }
  const v = state.view;
  app.dataset.state = v.state;
  app.dataset.file = v.fileName;
  app.dataset.version = String(v.version);
  app.append(header(v));
  const pr = problemsSection(v);
  if (pr) app.append(pr);
  if (!v.inspection) {
    app.append(el('p', 'muted', state.busy ? 'Inspecting…' : 'Nothing to show until the config is valid.'));
    post({ type: 'rendered', file: v.file, version: v.version, state: v.state });
    return;
  }
  const body = el('div', `result${v.state === 'stale' ? ' stale' : ''}`);
  body.id = 'result';
  if (v.state === 'stale') body.setAttribute('aria-label', 'stale result: the config has changed since');
  const ins = v.inspection;
  const warnings = [...ins.warnings, ...ins.variants.flatMap((x) => x.warnings)];
  body.append(warningsSection(warnings), networkSection(ins.variants), variantsSection(ins.variants), datasetSection(ins.dataset));
  app.append(body, runsSection(v.file));
  const built = performance.now();
  requestAnimationFrame(() => {
    const frame = performance.now();
    redraw();
    // what this view's update took here (read by the latency tests): building the DOM, the wait
    // for the next frame, the heatmaps drawn in it
    app.dataset.renderMs = `${(built - t0).toFixed(1)} ${(frame - built).toFixed(1)} ${(performance.now() - frame).toFixed(1)}`;
    // and the path's wall-clock times (ms since the epoch): the host saw the edit, posted the
    // view, the webview received it, drew it (this frame's paint follows this callback)
    const at = (x: number | null | undefined) => (typeof x === 'number' && x > 0 ? x.toFixed(1) : '-');
    app.dataset.times = `${at(v.editedAt)} ${at(v.postedAt)} ${at(state.receivedAt)} ${at(wallMs())}`;
    // the version these stamps are of (data-version is set before the frame; a reader waits for this)
    app.dataset.drawnVersion = String(v.version);
    post({ type: 'rendered', file: v.file, version: v.version, state: v.state });
  });
}

/** Redraw the heatmaps and canvases of the last render (a resize). */
export function redraw(): void {
  state.redrawers.forEach((d) => d());
}
