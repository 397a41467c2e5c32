/**
 * The inspector's state: the view shown (or the empty state), busy, the config's last run, the
 * theme, the heatmaps to redraw; the host channel (post) and the side bar's colour (surface).
 */
import type { InspectorRun, InspectorState, InspectorToHost, InspectorView } from '../../src/shared/protocol';
import { readTheme, type Theme } from '../shared/theme';
import { Tooltip } from '../shared/tooltip';
import { vscodeApi } from '../shared/vscode-api';

export const api = vscodeApi<InspectorState, InspectorToHost>();
export const app = document.getElementById('app')!;
app.dataset.view = 'inspector';
export const tip = new Tooltip();

export const state: {
  view: InspectorView | null;
  empty: boolean;
  busy: boolean;
  runs: InspectorRun[];
  training: boolean;
  runsFile: string;
  /** why run folders were passed over, and how many */
  skipped: string[];
  skippedCount: number;
  theme: Theme;
  /** heatmaps to redraw on theme change / resize */
  redrawers: (() => void)[];
  /** when the view message arrived (ms since the epoch), for the latency tests; 0: not from a message */
  receivedAt: number;
} = { view: null, empty: false, busy: false, runs: [], training: false, runsFile: '', skipped: [], skippedCount: 0, theme: readTheme(), redrawers: [], receivedAt: 0 };

export function post(m: InspectorToHost): void {
  api.postMessage(m);
}

let surfaceColor = '';
/**
 * The background the side bar paints (the view sits on it), for canvases and "zero" colours.
 * Read once per render (getComputedStyle while the DOM is being rebuilt forces a style pass).
 */
export function surface(): string {
  if (!surfaceColor) surfaceColor = getComputedStyle(document.documentElement).getPropertyValue('--vscode-sideBar-background').trim() || state.theme.background;
  return surfaceColor;
}

/** Read the side bar's colour afresh (at the start of a render). */
export function refreshSurface(): void {
  surfaceColor = '';
  surface();
}
