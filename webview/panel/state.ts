/**
 * The panel's state: the run shown, the theme, the cursor, and the display choices (`ui`),
 * which persist in the webview state with the run's identity (saveState).
 */
import type { PanelState, PanelToHost, PanelUiState } from '../../src/shared/protocol';
import { readTheme, type Theme } from '../shared/theme';
import { vscodeApi } from '../shared/vscode-api';
import type { ClientRun } from './model';

export const api = vscodeApi<PanelState, PanelToHost>();
export const saved = api.getState();
export const ui: PanelUiState = { gradient: 'delta', unitLayer: 0, scale: null, showTable: false, ...saved?.ui };

export const state: {
  run: ClientRun | null;
  theme: Theme;
  /** the step under the mouse or keyboard cursor (shared by every variant), null: follow the latest */
  cursor: { step: number; variant: number } | null;
} = { run: null, theme: readTheme(), cursor: null };

export function saveState(): void {
  if (api.standalone) return;
  const { run } = state;
  api.setState({ runId: run?.run.id ?? saved?.runId ?? null, runDirs: run ? run.run.variants.map((v) => v.runDir).filter((d): d is string => !!d) : saved?.runDirs ?? [], title: run?.run.title ?? saved?.title ?? '', ui });
}
