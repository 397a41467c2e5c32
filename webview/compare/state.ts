/**
 * The Compare panel's state: the snapshot shown (its runs as a ClientRun, the training panel's
 * column mirror), the theme, the cursor step shared by every run, and the display choices kept
 * in the webview state.
 */
import type { CompareState, CompareToHost, HostToCompare } from '../../src/shared/protocol';
import { readTheme, type Theme } from '../shared/theme';
import { vscodeApi } from '../shared/vscode-api';
import { ClientRun } from '../panel/model';

export const api = vscodeApi<CompareState, CompareToHost>();
const saved = api.getState();
export const ui: CompareState = { gradient: 'delta', showTable: false, ...saved };

export const state: {
  snap: HostToCompare | null;
  run: ClientRun | null;
  theme: Theme;
  /** the step under the mouse or keyboard cursor, shared by every run; null: each run's last step */
  cursor: number | null;
} = { snap: null, run: null, theme: readTheme(), cursor: null };

export function saveState(): void {
  if (!api.standalone) api.setState(ui);
}

export function setSnapshot(s: HostToCompare): void {
  state.snap = s;
  state.run = new ClientRun({ type: 'snapshot', run: s.run, columns: s.columns, epochs: s.epochs, settings: s.settings });
  state.cursor = null;
}

/** The colour of run i: the theme's chart colours in order. */
export function runColor(i: number): string {
  return state.theme.series[i % state.theme.series.length]!;
}

/** The longest run's last step (the shared step axis). */
export function maxStep(): number {
  const r = state.run;
  if (!r) return 1;
  return Math.max(1, ...r.variants.map((v) => (v.store.count ? v.store.s.step[v.store.count - 1]! : 0)));
}

/** The column of run i at the cursor (its last column without a cursor), -1 when it has none. */
export function columnAt(i: number): number {
  const v = state.run?.variants[i];
  if (!v || !v.store.count) return -1;
  if (state.cursor === null) return v.store.count - 1;
  return Math.max(0, v.store.columnOfStep(state.cursor));
}
