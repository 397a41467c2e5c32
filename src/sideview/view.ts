/**
 * The side view's WebviewViewProvider: the inspector webview (dist/webview/inspector.js) in the
 * "MLP Lens" activity-bar container. It replays the latest messages when the webview (re)loads
 * and hands the webview's requests to the controller.
 */
import * as vscode from 'vscode';
import { bundlePage } from '../host/webview-page';
import type { HostToInspector, InspectorToHost } from '../shared/protocol';
import { OfferedPaths, parseInspectorMessage } from '../host/validate-message';

export const INSPECTOR_VIEW_ID = 'mlpLens.inspector';

export class InspectorViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | null = null;
  /** the latest message of each kind, replayed to a (re)loaded webview */
  private latest = new Map<string, HostToInspector>();
  /** the paths this view has shown the webview: the only ones its requests may name */
  private readonly offered = new OfferedPaths();
  private readonly emitter = new vscode.EventEmitter<InspectorToHost>();
  /** messages from the webview */
  readonly onMessage = this.emitter.event;
  private readonly visibleEmitter = new vscode.EventEmitter<boolean>();
  readonly onVisibility = this.visibleEmitter.event;

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {}

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, vscode.Uri.joinPath(this.extensionUri, 'media')] };
    view.webview.html = bundlePage(this.extensionUri, view.webview, 'inspector', 'MLP Lens Inspector', this.log);
    view.webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = parseInspectorMessage(raw);
      if (!parsed.ok) return this.log.warn(`inspector webview: message refused (${parsed.reason})`);
      const m = parsed.msg;
      if (!this.offered.allows(m)) return this.log.warn(`inspector webview: ${m.type} names a path the view did not offer; refused`);
      if (m.type === 'ready') this.replay();
      else if (m.type === 'log') this.log[m.level](`inspector webview: ${m.message}`);
      this.emitter.fire(m);
    });
    view.onDidChangeVisibility(() => this.visibleEmitter.fire(view.visible));
    view.onDidDispose(() => {
      if (this.view === view) this.view = null;
    });
    this.visibleEmitter.fire(view.visible);
  }

  private replay(): void {
    for (const key of ['main', 'runs']) {
      const m = this.latest.get(key);
      if (m) void this.view?.webview.postMessage(m);
    }
  }

  post(m: HostToInspector): void {
    // 'busy' is transient: a reloaded webview gets the latest view (or empty) and runs
    if (m.type !== 'busy') this.latest.set(m.type === 'runs' ? 'runs' : 'main', m);
    this.offered.offer(m);
    void this.view?.webview.postMessage(m);
  }

  /** Show the view (focus it unless preserveFocus). */
  async reveal(preserveFocus = true): Promise<void> {
    if (this.view) this.view.show(preserveFocus);
    else await vscode.commands.executeCommand(`${INSPECTOR_VIEW_ID}.focus`, { preserveFocus });
  }

  dispose(): void {
    this.emitter.dispose();
    this.visibleEmitter.dispose();
  }
}
