/**
 * The folders MLP Lens lists runs and experiments in (the Runs view's, src/host/runs-view/): per
 * workspace folder the one Train MLP writes into and the CLI's default .mlp-lens/runs, then the
 * folders added with "Add Run Folder..." (kept in workspace state). A restored Experiment panel
 * opens only an experiment folder directly inside one of them (src/host/experiment/restore.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_RUN_FOLDER } from '../runs/folders';

export const ADDED_FOLDERS_KEY = 'mlpLens.runs.addedFolders';

/** The folders added with "Add Run Folder..." (absolute paths only). */
export function addedRunFolders(state: vscode.Memento): string[] {
  const v = state.get<unknown>(ADDED_FOLDERS_KEY);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && path.isAbsolute(x)) : [];
}

/** Every folder runs are listed in, resolved, each once. */
export function runViewFolders(runFolderFor: (configUri: vscode.Uri | null) => string, state: vscode.Memento): string[] {
  const out: string[] = [];
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    if (f.uri.scheme !== 'file') continue;
    out.push(runFolderFor(vscode.Uri.joinPath(f.uri, 'x.mlp.json')), path.join(f.uri.fsPath, DEFAULT_RUN_FOLDER));
  }
  if (!out.length) out.push(runFolderFor(null));
  out.push(...addedRunFolders(state));
  return [...new Set(out.map((f) => path.resolve(f)))];
}
