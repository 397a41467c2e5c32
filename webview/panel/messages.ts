/**
 * Messages from the host: a snapshot (a new run or a reload) replaces the run, deltas extend it
 * (a gap asks for a resync), settings change the colour scales.
 */
import type { HostToPanel } from '../../src/shared/protocol';
import { invalidateCards } from './cards';
import { ClientRun, type Snapshot } from './model';
import { scheduleRender } from './schedule';
import { api, saveState, state } from './state';
import { app, empty } from './layout';
import { wallMs } from '../../src/shared/clock';

export function onSnapshot(s: Snapshot): void {
  const received = wallMs();
  state.run = new ClientRun(s);
  // the latency stamps of a snapshot the host sent for a ready or resync (bench:vscode reads them)
  if (s.postedAt !== undefined) {
    app.dataset.snapshotTimes = [s.createdAt, s.readyAt, s.postedAt, received, wallMs()].map((t) => (t ?? 0).toFixed(1)).join(',');
    app.dataset.snapshotColumns = String(state.run.columns);
  }
  state.cursor = null;
  invalidateCards();
  saveState();
  scheduleRender();
}

export function onMessage(m: HostToPanel): void {
  if (!m || typeof m !== 'object') return;
  const { run } = state;
  try {
    switch (m.type) {
      case 'snapshot':
        onSnapshot(m);
        break;
      case 'delta':
        if (!run) return;
        if (!run.apply(m)) {
          api.postMessage({ type: 'resync', runId: run.run.id });
          return;
        }
        saveState();
        scheduleRender();
        break;
      case 'settings':
        if (run) run.settings = m.settings;
        scheduleRender();
        break;
    }
  } catch (e) {
    api.postMessage({ type: 'log', level: 'error', message: `panel: ${(e as Error).message}` });
    if (state.run) api.postMessage({ type: 'resync', runId: state.run.run.id });
    // a snapshot that cannot be read leaves nothing to show: say so instead of waiting forever
    else empty.textContent = `This run's data could not be read (${(e as Error).message}). The MLP Lens log has the details.`;
  }
}
