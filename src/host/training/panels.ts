/**
 * The open run panels: one RunPanel per run, opening, revealing and titling them, the run a
 * command means (the focused panel's), and the serializer that restores them after a reload.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { PanelState } from '../../shared/protocol';
import { seedGroupsOf } from '../../runs/experiment-record';
import { loadRunModel } from '../../runs/loader';
import { panelTitles, type RunModel } from '../../runs/model';
import { PANEL_VIEW_TYPE, RunPanel, panelOptions, type PanelHost } from '../panel';
import { schemaBound } from '../problems-owner';
import { historyColumns } from './settings';
import type { StatusBar } from './status';
import type { RunState } from './types';

export class Panels implements vscode.Disposable {
  private readonly panels = new Map<string, RunPanel>();
  private readonly subs: vscode.Disposable[];
  private lastFocusedRunId: string | null = null;

  constructor(private readonly host: PanelHost, private readonly state: RunState, private readonly status: StatusBar) {
    this.subs = [
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, { deserializeWebviewPanel: (p, s) => this.restore(p, s as PanelState | undefined) }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mlpLens')) for (const p of this.panels.values()) p.settingsChanged();
      }),
    ];
  }

  get size(): number {
    return this.panels.size;
  }

  panelFor(runId: string): RunPanel | undefined {
    return this.panels.get(runId);
  }

  openPanel(model: RunModel, preserveFocus: boolean): RunPanel {
    const existing = this.panels.get(model.id);
    if (existing) {
      existing.reveal(preserveFocus);
      return existing;
    }
    const besideConfig = schemaBound(vscode.window.activeTextEditor?.document.uri.path ?? '');
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, `MLP Lens: ${model.title}`, { viewColumn: besideConfig ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preserveFocus }, panelOptions(this.host.extensionUri));
    return this.adopt(panel, model);
  }

  private adopt(panel: vscode.WebviewPanel, model: RunModel): RunPanel {
    const rp = new RunPanel(panel, model, this.host);
    this.panels.set(model.id, rp);
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastFocusedRunId = rp.model.id;
    });
    this.lastFocusedRunId = model.id;
    this.retitle();
    void this.state.setContext();
    return rp;
  }

  disposed(panel: RunPanel): void {
    for (const [id, p] of this.panels) if (p === panel) this.panels.delete(id);
    this.retitle();
    void this.state.setContext();
  }

  /** Every open panel's title (panels of runs with the same title get their start times too). */
  private retitle(): void {
    const titles = panelTitles([...this.panels.values()].map((p) => p.model));
    for (const p of this.panels.values()) {
      const t = titles.get(p.model.id);
      if (t && p.panel.title !== t) p.panel.title = t;
    }
  }

  findModel(runId: string | undefined): RunModel | undefined {
    const { live, lastRun } = this.state;
    if (runId) {
      if (live?.model.id === runId) return live.model;
      const p = this.panels.get(runId);
      if (p) return p.model;
      if (lastRun?.id === runId) return lastRun;
    }
    const focused = this.lastFocusedRunId ? this.panels.get(this.lastFocusedRunId)?.model : undefined;
    return focused ?? live?.model ?? lastRun ?? undefined;
  }

  showPanel(runId?: string): void {
    const model = (runId ? this.findModel(runId) : undefined) ?? this.state.live?.model ?? this.state.lastRun;
    if (!model) {
      void vscode.window.showInformationMessage('MLP Lens: no run yet. Run "MLP Lens: Train MLP" first.');
      return;
    }
    this.openPanel(model, false).reveal(false);
  }

  /** A panel restored after a window reload: the live run if it is still here, else the run from disk. */
  private async restore(panel: vscode.WebviewPanel, state: PanelState | undefined): Promise<void> {
    panel.webview.options = panelOptions(this.host.extensionUri);
    const live = state?.runId ? this.findModel(state.runId) : undefined;
    if (live && live.id === state?.runId) {
      this.adopt(panel, live);
      return;
    }
    const dirs = (state?.runDirs ?? []).filter((d) => typeof d === 'string' && fs.existsSync(d));
    if (!dirs.length) {
      this.host.log.info(`a restored panel had no run to show (${state?.title ?? 'no state'}); closing it`);
      panel.dispose();
      return;
    }
    try {
      const model = await loadRunModel(dirs, historyColumns(), state!.runId ?? `restored-${Date.now().toString(36)}`);
      model.groups = seedGroupsOf(dirs);
      this.state.lastRun ??= model;
      this.adopt(panel, model);
      this.status.updateStatus(true);
    } catch (e) {
      this.host.log.error(`restoring a panel: ${(e as Error).message}`);
      panel.dispose();
    }
  }

  openConfig(runId: string): void {
    const m = this.findModel(runId);
    if (m?.configFile) void vscode.window.showTextDocument(vscode.Uri.file(m.configFile), { viewColumn: vscode.ViewColumn.One });
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    for (const s of this.subs) s.dispose();
  }
}
