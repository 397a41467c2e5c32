/**
 * Where run folders live. Train MLP writes a run into runFolder(...); the side view looks for a
 * config's last run in runFoldersFor(...), which adds where the CLI writes by default when it
 * was run from the workspace folder or the config's folder. The callers read the setting and
 * the workspace folders from VS Code and pass them in: no vscode import here.
 */
import * as path from 'node:path';

/** The CLI's run folder without --out (relative to where it runs), and Train MLP's in a workspace folder. */
export const DEFAULT_RUN_FOLDER = path.join('.mlp-lens', 'runs');

export interface RunFolderPlaces {
  /** the mlpLens.runFolder setting ('' when unset): absolute, or relative to the workspace folder */
  setting: string;
  /** the config's workspace folder (a file: one), or null (a built-in example, a file outside any) */
  workspaceFolder: string | null;
  /** the first workspace folder that is a file: one, or null */
  firstWorkspaceFolder: string | null;
  /** the extension's global storage folder (fsPath): runs go to <storage>/runs without a workspace */
  storage: string;
}

/** The folder Train MLP writes a config's runs into. */
export function runFolder(p: RunFolderPlaces): string {
  const setting = p.setting.trim();
  const store = path.join(p.storage, 'runs');
  if (setting) {
    if (path.isAbsolute(setting)) return setting;
    const anchor = p.workspaceFolder ?? p.firstWorkspaceFolder;
    return anchor ? path.join(anchor, setting) : path.join(store, setting);
  }
  return p.workspaceFolder ? path.join(p.workspaceFolder, DEFAULT_RUN_FOLDER) : store;
}

/** The folders a config's runs may be in: runFolder's, then the CLI's default from the workspace and from the config's folder. */
export function runFoldersFor(configFile: string, p: RunFolderPlaces): string[] {
  const out = [runFolder(p)];
  if (p.workspaceFolder) out.push(path.join(p.workspaceFolder, DEFAULT_RUN_FOLDER));
  out.push(path.join(path.dirname(configFile), DEFAULT_RUN_FOLDER));
  return [...new Set(out)];
}
