/**
 * Run records on disk: where a config's runs go (mlpLens.runFolder), and marking a hard-stopped
 * run's summary.json files "stopped".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeJsonAtomic, type RunSummary } from '../../runs/record';
import type { RunModel } from '../../runs/model';
import { cfgSection } from './settings';

export class RunFolders {
  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {}

  /** Where a config's runs go: the setting, else <workspace folder>/.mlp-lens/runs, else global storage. */
  runFolderFor(configUri: vscode.Uri | null): string {
    const setting = (cfgSection().get<string>('runFolder', '') ?? '').trim();
    const ws = (configUri && vscode.workspace.getWorkspaceFolder(configUri)) ?? null;
    const base = ws?.uri.scheme === 'file' ? ws.uri.fsPath : null;
    const storage = path.join(this.context.globalStorageUri.fsPath, 'runs');
    if (setting) {
      if (path.isAbsolute(setting)) return setting;
      const anchor = base ?? vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
      return anchor ? path.join(anchor, setting) : path.join(storage, setting);
    }
    return base ? path.join(base, '.mlp-lens', 'runs') : storage;
  }

  /** After a hard stop: the run records on disk say "stopped", as a graceful stop would. */
  finalizeStopped(model: RunModel): void {
    for (const v of model.variants) {
      if (!v.meta.runDir || v.meta.summary) continue;
      const file = path.join(v.meta.runDir, 'summary.json');
      try {
        const s = JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary;
        if (s.status === 'running') {
          s.status = 'stopped';
          s.steps = Math.max(s.steps, v.meta.step);
          s.finishedAt = new Date().toISOString();
          writeJsonAtomic(file, s);
        }
        v.meta.summary = s;
        v.meta.status = 'stopped';
      } catch (e) {
        this.log.warn(`could not mark ${file} as stopped: ${(e as Error).message}`);
      }
    }
    model.changed();
  }
}
