/**
 * Which config Train MLP trains: the one in view, else the user's pick of the workspace's
 * configs and the built-in lecture example; and its text (unsaved edits included).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { decodeUtf8Strict } from '../../engine/datasets/utf8';
import { MAX_CONFIG_BYTES, readRegularFile } from '../../node/io';
import { CONFIG_FILE_GLOB, schemaBound } from '../problems-owner';

export interface PickedConfig {
  uri: vscode.Uri;
  text: string;
  builtIn: boolean;
}

/**
 * The config Train MLP means without asking: the active editor's; else the active tab's (the
 * editor API can lag the tab that is on screen); else the one config visible in any editor
 * group (e.g. the focus is in the training panel beside it). Undefined when there is none, or
 * several visible and none active: then the user picks.
 */
export function configInView(): vscode.Uri | undefined {
  const isConfig = (u: vscode.Uri) => schemaBound(u.path);
  const ed = vscode.window.activeTextEditor;
  if (ed && isConfig(ed.document.uri)) return ed.document.uri;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText && isConfig(input.uri)) return input.uri;
  const visible = vscode.window.visibleTextEditors.map((e) => e.document.uri).filter(isConfig);
  return new Set(visible.map(String)).size === 1 ? visible[0] : undefined;
}

export async function pickConfig(arg: vscode.Uri | undefined, extensionUri: vscode.Uri): Promise<PickedConfig | undefined> {
  if (arg) return readConfig(arg, false);
  const inView = configInView();
  if (inView) return readConfig(inView, false);
  const lecture = vscode.Uri.joinPath(extensionUri, 'examples', 'lecture.mlp.json');
  const found = vscode.workspace.workspaceFolders?.length
    ? await vscode.workspace.findFiles(`**/${CONFIG_FILE_GLOB}`, '**/{node_modules,.git,.mlp-lens,.cache,dist}/**', 200)
    : [];
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri; builtIn?: boolean };
  const items: Item[] = found
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    .map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u, true), uri: u, iconPath: new vscode.ThemeIcon('json') }));
  if (items.length) items.unshift({ label: 'Workspace configs', kind: vscode.QuickPickItemKind.Separator });
  items.push(
    { label: 'Built in', kind: vscode.QuickPickItemKind.Separator },
    { label: 'Lecture example', description: 'sigmoid vs ReLU, 3 hidden layers of 64, 8x8 digits', detail: 'examples/lecture.mlp.json shipped with MLP Lens', uri: lecture, builtIn: true, iconPath: new vscode.ThemeIcon('mortar-board') },
  );
  const pick = await vscode.window.showQuickPick(items, { title: 'Train MLP', placeHolder: 'Choose an experiment config (*.mlp.json) to train', matchOnDescription: true });
  if (!pick?.uri) return undefined;
  return readConfig(pick.uri, !!pick.builtIn);
}

/** The config's text: the open document's (unsaved edits included), else the file's. */
async function readConfig(uri: vscode.Uri, builtIn: boolean): Promise<PickedConfig> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc) return { uri, text: doc.getText(), builtIn };
  // a file on disk is read as the CLI reads it: a regular file of bounded size (a FIFO named
  // x.mlp.json would never answer), strict UTF-8
  const bytes = uri.scheme === 'file'
    ? await readRegularFile(uri.fsPath, path.basename(uri.fsPath), 'config file', MAX_CONFIG_BYTES)
    : await vscode.workspace.fs.readFile(uri);
  return { uri, text: decodeUtf8Strict(bytes, uri.fsPath), builtIn };
}
