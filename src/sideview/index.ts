/**
 * The MLP Lens side view and its authoring help, registered from extension.ts with one call:
 *   const inspector = registerInspector(context, log, { openRunDirs, isTraining });
 * - the "Inspector" webview view in the "MLP Lens" activity-bar container (view.ts,
 *   InspectorViewProvider),
 * - the controller that follows the active *.mlp.json and inspects it off the host's thread
 *   (controller.ts InspectorController, inspect-client.ts -> dist/inspect-worker.js, built from
 *   src/node/inspect-worker.ts), diagnostics included,
 * - commands: New Experiment Config, Open the Lecture Example, Inspect Config,
 * - the CodeLens above configs (authoring.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_GLOB } from '../host/problems-owner';
import { runFoldersFor } from '../runs/folders';
import { SUMMARY_FILE } from '../runs/summary';
import type { InspectorRun, InspectorView } from '../shared/protocol';
import { ConfigCodeLens, newExperimentConfig, openLectureExample, type NewConfigArgs } from './authoring';
import { InspectorController, isConfigDoc, type LatencySample } from './controller';
import { InspectClient } from './inspect-client';
import { INSPECTOR_VIEW_ID, InspectorViewProvider } from './view';

/** What the in-host tests use. */
export interface InspectorApi {
  /** the document the view follows */
  document(): vscode.TextDocument | null;
  /** the view message last sent for a document */
  view(uri: vscode.Uri): InspectorView | undefined;
  /** resolves when a result (fresh or stale) for this document is published after now */
  nextResult(uri: vscode.Uri, timeoutMs?: number): Promise<InspectorView>;
  /** update latencies measured in the host (and on screen, when the view is visible) */
  latencies(): LatencySample[];
  /** is the webview view resolved and visible */
  viewVisible(): boolean;
  /** the last run of the followed config, as the view shows it */
  runs(): InspectorRun[];
  /** why run folders were passed over in the last scan (the first few) */
  runsSkipped(): string[];
}

/** What the inspector uses from the training side (src/host/training/), when given. */
export interface TrainingHooks {
  /** open these run folders (one run's variants) in the training panel */
  openRunDirs?(dirs: string[]): Promise<unknown>;
  /** is a run training now */
  isTraining?(): boolean;
}

/**
 * Run folders to look for a config's runs in: where Train MLP writes them (mlpLens.runFolder,
 * resolved by src/runs/folders.ts as Train MLP resolves it), plus the CLI's default when it was
 * run from the config's folder or the workspace folder.
 */
function runFolders(storage: vscode.Uri) {
  return (configFile: string): string[] => {
    const ws = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(configFile));
    return runFoldersFor(configFile, {
      setting: vscode.workspace.getConfiguration('mlpLens').get<string>('runFolder', '') ?? '',
      workspaceFolder: ws?.uri.scheme === 'file' ? ws.uri.fsPath : null,
      firstWorkspaceFolder: vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? null,
      storage: storage.fsPath,
    });
  };
}

export function registerInspector(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, training: TrainingHooks = {}): InspectorApi {
  const ext = context.extensionUri;
  const storage = context.globalStorageUri;
  const provider = new InspectorViewProvider(ext, log);
  const client = new InspectClient(vscode.Uri.joinPath(ext, 'dist', 'inspect-worker.js').fsPath, vscode.Uri.joinPath(ext, 'media', 'datasets').fsPath, (m) => log.warn(m));
  const controller = new InspectorController(client, provider, runFolders(storage), log, () => training.isTraining?.() ?? false);
  const lens = new ConfigCodeLens(controller);
  context.subscriptions.push(
    provider,
    { dispose: () => client.dispose() },
    controller,
    lens,
    vscode.window.registerWebviewViewProvider(INSPECTOR_VIEW_ID, provider, { webviewOptions: { retainContextWhenHidden: false } }),
    vscode.languages.registerCodeLensProvider({ pattern: `**/${CONFIG_FILE_GLOB}` }, lens),
    vscode.commands.registerCommand('mlpLens.newConfig', (args?: NewConfigArgs) => newExperimentConfig(storage, args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : {})),
    vscode.commands.registerCommand('mlpLens.openLectureExample', () => openLectureExample(ext, storage)),
    vscode.commands.registerCommand('mlpLens.inspect', async (uri?: vscode.Uri) => {
      const doc = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
      if (isConfigDoc(doc)) controller.follow(doc);
      controller.refreshRuns();
      await provider.reveal(false);
      await vscode.commands.executeCommand('setContext', 'mlpLens.inspected', true);
    }),
    provider.onMessage(async (m) => {
      try {
        switch (m.type) {
          case 'newConfig': await vscode.commands.executeCommand('mlpLens.newConfig'); break;
          case 'openExample': await vscode.commands.executeCommand('mlpLens.openLectureExample'); break;
          case 'train': await vscode.commands.executeCommand('mlpLens.train', vscode.Uri.file(m.file)); break;
          case 'openRun':
            // all variants of the run at once; without the hook, Open Run on the first variant's summary
            if (training.openRunDirs) {
              await training.openRunDirs(m.runDirs).catch((e: unknown) => {
                log.error(`Open Run: ${(e as Error).message}`);
                void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
              });
            } else await vscode.commands.executeCommand('mlpLens.openRun', vscode.Uri.file(path.join(m.runDirs[0]!, SUMMARY_FILE)));
            break;
          case 'reveal': {
            const doc = controller.document?.uri.fsPath === m.file || fileMatches(controller.document, m.file) ? controller.document! : await vscode.workspace.openTextDocument(vscode.Uri.file(m.file));
            const pos = new vscode.Position(Math.max(0, m.line - 1), Math.max(0, m.column - 1));
            const editor = await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preserveFocus: false });
            editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
            break;
          }
          case 'ready': if (!controller.document) provider.post({ type: 'empty' }); break;
        }
      } catch (e) {
        log.error(`inspector: ${m.type}: ${(e as Error).message}`);
      }
    }),
    provider.onVisibility((visible) => {
      if (!visible) return;
      void vscode.commands.executeCommand('setContext', 'mlpLens.inspected', true);
      // run folders outside the workspace are not watched: look again when the view shows
      controller.refreshRuns();
    }),
  );

  return {
    document: () => controller.document,
    view: (uri) => controller.viewOf(uri),
    nextResult: (uri, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => { sub.dispose(); reject(new Error(`no inspection result for ${uri.fsPath} within ${timeoutMs} ms`)); }, timeoutMs);
      const sub = controller.onDidChange((u) => {
        if (u.toString() !== uri.toString()) return;
        clearTimeout(t);
        sub.dispose();
        resolve(controller.viewOf(uri)!);
      });
    }),
    latencies: () => controller.latencies.slice(),
    viewVisible: () => provider.visible,
    runs: () => controller.lastRuns,
    runsSkipped: () => controller.runsSkipped,
  };
}

function fileMatches(doc: vscode.TextDocument | null, file: string): boolean {
  return !!doc && path.basename(doc.uri.path) === path.basename(file) && doc.uri.scheme !== 'file';
}
