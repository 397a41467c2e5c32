/**
 * Open Run... (run folders or summary files into a panel) and Export Run... (a run as a
 * self-contained HTML report).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { reportHtml } from '../../node/html-report';
import { findRunGroups, loadRunModel, type RunGroup } from '../../runs/loader';
import type { RunModel } from '../../runs/model';
import type { Panels } from './panels';
import type { RunFolders } from './run-folders';
import { historyColumns, panelSettings } from './settings';
import type { StatusBar } from './status';
import type { RunState } from './types';

/** What the run commands use of training. */
export interface RunCommandParts {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  status: StatusBar;
  panels: Panels;
  folders: RunFolders;
}

export class RunCommands {
  private readonly log: vscode.LogOutputChannel;

  constructor(private readonly state: RunState, private readonly parts: RunCommandParts) {
    this.log = parts.log;
  }

  /** `roots`: per folder, the folder its files must stay inside (the folder Open Run scanned; default: itself). */
  async openRunDirs(dirs: string[], roots?: string[]): Promise<RunModel> {
    const model = await loadRunModel(dirs, historyColumns(), `opened-${Date.now().toString(36)}-${this.state.nextRunNumber()}`, roots);
    this.state.lastRun = model;
    this.parts.panels.openPanel(model, false);
    this.parts.status.updateStatus(true);
    void this.state.setContext();
    return model;
  }

  async openRun(arg?: vscode.Uri): Promise<void> {
    let selected: string[];
    if (arg) selected = [arg.fsPath];
    else {
      const ws = vscode.workspace.workspaceFolders?.[0]?.uri ?? null;
      const def = this.parts.folders.runFolderFor(ws);
      const picked = await vscode.window.showOpenDialog({
        title: 'Open Run', openLabel: 'Open Run', canSelectFolders: true, canSelectFiles: true, canSelectMany: true,
        defaultUri: vscode.Uri.file(fs.existsSync(def) ? def : (ws?.fsPath ?? def)),
        filters: { 'Run summary': ['json'] },
      });
      if (!picked?.length) return;
      selected = picked.map((u) => u.fsPath);
    }
    const skipped: string[] = [];
    let groups: RunGroup[];
    try {
      groups = await findRunGroups(selected, (m) => { skipped.push(m); this.log.warn(`Open Run: ${m}`); });
    } catch (e) {
      groups = [];
      skipped.push((e as Error).message);
    }
    if (!groups.length) {
      const why = skipped.length ? ` ${skipped[0]}${skipped.length > 1 ? ` (and ${skipped.length - 1} more; see the log)` : ''}` : '';
      void vscode.window.showErrorMessage(`MLP Lens: no readable run records (summary.json with metrics.bin or metrics.jsonl) in ${selected.map((s) => path.basename(s)).join(', ')}.${why}`);
      return;
    }
    let group = groups[0]!;
    if (groups.length > 1) {
      const pick = await vscode.window.showQuickPick(groups.map((g) => ({ label: g.label, detail: g.detail, g })), { title: 'Open Run', placeHolder: `${groups.length} runs found: choose one` });
      if (!pick) return;
      group = pick.g;
    }
    try {
      await this.openRunDirs(group.dirs, group.roots);
    } catch (e) {
      this.log.error(`Open Run: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
    }
  }

  async exportRun(runId?: string, to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const model = this.parts.panels.findModel(runId);
    if (!model) {
      void vscode.window.showInformationMessage('MLP Lens: no run to export. Train or open a run first.');
      return undefined;
    }
    const { context } = this.parts;
    const base = model.runDirs[0] ? path.dirname(model.runDirs[0]) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? context.globalStorageUri.fsPath;
    const target = to ?? await vscode.window.showSaveDialog({
      title: 'Export Run as HTML', saveLabel: 'Export',
      defaultUri: vscode.Uri.file(path.join(base, `${model.title.replace(/[^\w.-]+/g, '_')}-report.html`)),
      filters: { 'HTML report': ['html'] },
    });
    if (!target) return undefined;
    const html = reportHtml(model.snapshot(panelSettings()), vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview').fsPath);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(html));
    this.log.info(`exported ${model.title} to ${target.fsPath} (${(html.length / 1024).toFixed(0)} KB)`);
    void vscode.window.showInformationMessage(`MLP Lens: exported "${model.title}" to ${path.basename(target.fsPath)} (a self-contained HTML file).`);
    return target;
  }
}
