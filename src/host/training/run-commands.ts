/**
 * Open Run... (run folders or summary files into a panel) and Export Run... (a run as a
 * self-contained HTML report).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { reportHtml } from '../../node/html-report';
import { seedGroupsOf } from '../../runs/experiment-record';
import { RunFollower } from '../../runs/follow';
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
    model.groups = seedGroupsOf(dirs); // the runs of one seeds experiment: the seed view
    this.state.lastRun = model;
    this.parts.panels.openPanel(model, false);
    this.parts.status.updateStatus(true);
    void this.state.setContext();
    return model;
  }

  async openRun(arg?: vscode.Uri): Promise<void> {
    const group = await this.pickRun(arg, 'Open Run');
    if (!group) return;
    try {
      await this.openRunDirs(group.dirs, group.roots);
    } catch (e) {
      this.log.error(`Open Run: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
    }
  }

  /**
   * Follow Run...: a run another process is writing (the CLI, a script) opened in a panel that
   * keeps updating until every variant's summary says it ended (src/runs/follow.ts). Closing the
   * panel stops following. Resolves to the followed model (undefined: nothing chosen or readable).
   */
  async followRun(arg?: vscode.Uri): Promise<RunModel | undefined> {
    const group = await this.pickRun(arg, 'Follow Run');
    if (!group) return undefined;
    let follower: RunFollower;
    try {
      follower = await RunFollower.open(group.dirs, historyColumns(), `followed-${Date.now().toString(36)}-${this.state.nextRunNumber()}`, group.roots);
    } catch (e) {
      this.log.error(`Follow Run: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
      return undefined;
    }
    const { model } = follower;
    this.state.lastRun = model;
    this.parts.panels.openPanel(model, false);
    this.parts.status.updateStatus(true);
    void this.state.setContext();
    this.log.info(`following ${model.title}: ${group.dirs.join(', ')}`);
    follower.start(undefined, () => !!this.parts.panels.panelFor(model.id));
    void follower.ended.then((end) => {
      this.parts.status.updateStatus(true);
      void this.state.setContext();
      if (follower.problems.length) this.log.warn(`Follow Run: ${model.title}: skipped ${follower.problems.join('; ')}`);
      if (end.how === 'unreadable') {
        this.log.error(`Follow Run: ${end.message}`);
        void vscode.window.showErrorMessage(`MLP Lens: stopped following "${model.title}": ${end.message}`);
      } else this.log.info(`Follow Run: ${model.title} ${end.how === 'finished' ? `ended ${model.status}` : 'no longer followed (its panel closed)'}`);
    });
    return model;
  }

  /** The run a command means: from `arg` (a folder or summary.json) or an open dialog; a pick when a folder holds several. */
  private async pickRun(arg: vscode.Uri | undefined, title: string): Promise<RunGroup | undefined> {
    let selected: string[];
    if (arg) selected = [arg.fsPath];
    else {
      const ws = vscode.workspace.workspaceFolders?.[0]?.uri ?? null;
      const def = this.parts.folders.runFolderFor(ws);
      const picked = await vscode.window.showOpenDialog({
        title, openLabel: title, canSelectFolders: true, canSelectFiles: true, canSelectMany: true,
        defaultUri: vscode.Uri.file(fs.existsSync(def) ? def : (ws?.fsPath ?? def)),
        filters: { 'Run summary': ['json'] },
      });
      if (!picked?.length) return undefined;
      selected = picked.map((u) => u.fsPath);
    }
    const skipped: string[] = [];
    let groups: RunGroup[];
    try {
      groups = await findRunGroups(selected, (m) => { skipped.push(m); this.log.warn(`${title}: ${m}`); });
    } catch (e) {
      groups = [];
      skipped.push((e as Error).message);
    }
    if (!groups.length) {
      const why = skipped.length ? ` ${skipped[0]}${skipped.length > 1 ? ` (and ${skipped.length - 1} more; see the log)` : ''}` : '';
      void vscode.window.showErrorMessage(`MLP Lens: no readable run records (summary.json with metrics.bin or metrics.jsonl) in ${selected.map((s) => path.basename(s)).join(', ')}.${why}`);
      return undefined;
    }
    if (groups.length === 1) return groups[0]!;
    const pick = await vscode.window.showQuickPick(groups.map((g) => ({ label: g.label, detail: g.detail, g })), { title, placeHolder: `${groups.length} runs found: choose one` });
    return pick?.g;
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
