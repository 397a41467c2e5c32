/**
 * Messages from the host (empty, view, busy, runs): applied to the state and rendered, and the
 * latest kept in the webview state (debounced) so a reloaded view shows them at once.
 */
import { wallMs } from '../../src/shared/clock';
import type { HostToInspector } from '../../src/shared/protocol';
import { header } from './header';
import { render } from './render';
import { api, app, state } from './state';

let saveTimer: ReturnType<typeof setTimeout> | null = null;
/** Persist the latest messages for a reload; debounced: serializing a view costs a few ms. */
function save(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, 400);
}

function saveNow(): void {
  saveTimer = null;
  const last: HostToInspector[] = [];
  if (state.empty) last.push({ type: 'empty' });
  else if (state.view) last.push({ type: 'view', view: state.view });
  if (state.runsFile) last.push({ type: 'runs', file: state.runsFile, runs: state.runs, training: state.training, skipped: state.skipped, skippedCount: state.skippedCount });
  api.setState({ last });
}

/** Write a pending save now (the webview is going away). */
export function flushSave(): void {
  if (saveTimer) saveNow();
}

export function handle(m: HostToInspector, persist = true): void {
  switch (m.type) {
    case 'empty':
      state.empty = true;
      state.view = null;
      state.busy = false;
      break;
    case 'view':
      state.empty = false;
      state.view = m.view;
      state.receivedAt = persist ? wallMs() : 0;
      state.busy = false;
      break;
    case 'busy':
      // the way of a small message from the host to here (read by the latency tests)
      if (persist && m.busy && typeof m.postedAt === 'number') app.dataset.busyLag = (wallMs() - m.postedAt).toFixed(1);
      if (state.view && state.view.file !== m.file) state.view = null;
      state.empty = false;
      state.busy = m.busy;
      if (state.view) {
        // only the status line changes: no full re-render (keeps focus and hover)
        const old = document.getElementById('status');
        if (old) {
          const h = header(state.view);
          document.querySelector('header.head')?.replaceWith(h);
          return;
        }
      }
      break;
    case 'runs':
      state.runs = m.runs;
      state.skipped = m.skipped ?? [];
      state.skippedCount = m.skippedCount ?? 0;
      state.training = m.training;
      state.runsFile = m.file;
      break;
  }
  if (persist) save();
  render();
}
