/**
 * The Compare panel: runs from different configs and dates side by side (webview
 * webview/compare/). The host loads the runs (src/runs/compare-load.ts) into one snapshot
 * (src/runs/compare.ts) and sends it whenever the webview says it is ready (first load, reload
 * after being hidden). The webview names a run only by its index among those sent.
 */
import * as vscode from 'vscode';
import type { CompareToHost, HostToCompare } from '../shared/protocol';
import { bundlePage } from './webview-page';
import { parseCompareMessage } from './validate-message';

export const COMPARE_VIEW_TYPE = 'mlpLens.compare';

export interface CompareHost {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** open one compared run's folder in the training panel */
  openRun(dir: string): Promise<unknown>;
}

export class ComparePanel implements vscode.Disposable {
  private readonly subs: vscode.Disposable[] = [];
  private disposed = false;
  /** messages posted (for tests) */
  readonly posts: string[] = [];

  static open(host: CompareHost, snapshot: HostToCompare, dirs: string[]): ComparePanel {
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `MLP Lens: ${snapshot.run.title}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(host.extensionUri, 'media')],
    });
    return new ComparePanel(panel, snapshot, dirs, host);
  }

  constructor(readonly panel: vscode.WebviewPanel, readonly snapshot: HostToCompare, readonly dirs: string[], private readonly host: CompareHost) {
    const webview = panel.webview;
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'icon.png');
    webview.html = bundlePage(host.extensionUri, webview, 'compare', panel.title, host.log);
    this.subs.push(webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)), panel.onDidDispose(() => this.dispose()));
  }

  private onMessage(raw: unknown): void {
    const parsed = parseCompareMessage(raw, this.dirs.length);
    if (!parsed.ok) {
      this.host.log.warn(`compare: refused a message from the webview (${parsed.reason})`);
      return;
    }
    const m: CompareToHost = parsed.msg;
    switch (m.type) {
      case 'ready':
        this.posts.push(this.snapshot.type);
        if (!this.disposed) void this.panel.webview.postMessage(this.snapshot);
        break;
      case 'openRun':
        this.host.openRun(this.dirs[m.index]!).catch((e: unknown) => void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`));
        break;
      case 'log':
        this.host.log[m.level](`compare: ${m.message}`);
        break;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subs) s.dispose();
    this.panel.dispose();
  }
}
