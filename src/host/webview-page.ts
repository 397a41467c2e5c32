/**
 * The page of one of our webviews (dist/webview/<bundle>.js and .css) with the bundle inlined:
 * VS Code then hands the page its script and stylesheet with the HTML, and the page fetches
 * nothing through the webview's service worker before it runs (warm panels measured about 100
 * ms sooner to their first heatmap: docs/performance.md, "The first heatmap after Train"). When
 * the bundle cannot be read here, the page loads it by URL as before.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { makeNonce, webviewHtml } from '../shared/page';

export type WebviewBundle = 'panel' | 'compare' | 'experiment' | 'inspector';

export function bundlePage(extensionUri: vscode.Uri, webview: vscode.Webview, bundle: WebviewBundle, title: string, log?: vscode.LogOutputChannel): string {
  const file = (ext: string) => vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${bundle}.${ext}`);
  const base = { title, cspSource: webview.cspSource, nonce: makeNonce() };
  try {
    return webviewHtml({ ...base, inline: { script: fs.readFileSync(file('js').fsPath, 'utf8'), style: fs.readFileSync(file('css').fsPath, 'utf8') } });
  } catch (e) {
    log?.warn(`${bundle} webview: its bundle could not be read to inline (${(e as Error).message}); loading it by URL`);
    return webviewHtml({ ...base, scriptUri: webview.asWebviewUri(file('js')).toString(), styleUri: webview.asWebviewUri(file('css')).toString() });
  }
}
