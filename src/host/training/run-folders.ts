/**
 * Run records on disk: where a config's runs go (mlpLens.runFolder), and marking a hard-stopped
 * run's summary.json files "stopped".
 */
import * as vscode from 'vscode';
import { runFolder } from '../../runs/folders';
import { readSummary, writeSummary } from '../../runs/summary';
import type { RunModel } from '../../runs/model';
import { cfgSection } from './settings';

export class RunFolders {
  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {}

  /** Where a config's runs go: the setting, else <workspace folder>/.mlp-lens/runs, else global storage. */
  runFolderFor(configUri: vscode.Uri | null): string {
    const ws = (configUri && vscode.workspace.getWorkspaceFolder(configUri)) ?? null;
    return runFolder({
      setting: cfgSection().get<string>('runFolder', '') ?? '',
      workspaceFolder: ws?.uri.scheme === 'file' ? ws.uri.fsPath : null,
      firstWorkspaceFolder: vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? null,
      storage: this.context.globalStorageUri.fsPath,
    });
  }

  /** After a hard stop: the run records on disk say "stopped", as a graceful stop would. */
  finalizeStopped(model: RunModel): void {
    for (const v of model.variants) {
      if (!v.meta.runDir || v.meta.summary) continue;
      try {
        const s = readSummary(v.meta.runDir);
        if (s.status === 'running') {
          s.status = 'stopped';
          s.steps = Math.max(s.steps, v.meta.step);
          s.finishedAt = new Date().toISOString();
          writeSummary(v.meta.runDir, s);
        }
        v.meta.summary = s;
        v.meta.status = 'stopped';
      } catch (e) {
        this.log.warn(`could not mark the run in ${v.meta.runDir} as stopped: ${(e as Error).message}`);
      }
    }
    model.changed();
  }
}
