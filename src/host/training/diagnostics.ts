/**
 * Train's entries in Problems: a config's issues that no one else reports (kept current as the
 * config is edited, opened or followed by the inspector), and located input problems (bad data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { validateConfig, type ConfigIssue } from '../../engine/config';
import { issuesToReport, schemaBound } from '../problems-owner';

function toRange(i: ConfigIssue): vscode.Range {
  return new vscode.Range(Math.max(0, i.line - 1), Math.max(0, i.column - 1), Math.max(0, i.endLine - 1), Math.max(0, i.endColumn - 1));
}

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('mlp-lens-train');
  private readonly subs: vscode.Disposable[];

  /** `inspectorFollows`: does the inspector follow this config (it then reports its semantic problems) */
  constructor(private readonly log: vscode.LogOutputChannel, private readonly inspectorFollows: (uri: vscode.Uri) => boolean) {
    this.subs = [
      this.diagnostics,
      // a config with our diagnostics: re-check as it is edited, so fixed problems go away
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.diagnostics.has(e.document.uri)) this.revalidate(e.document);
      }),
      // once opened (and followed by the inspector) others report part of its problems: hand
      // those over. After this event's other listeners: the inspector follows in one of them
      vscode.workspace.onDidOpenTextDocument((d) => this.handOver(d)),
      vscode.window.onDidChangeActiveTextEditor((e) => this.handOver(e?.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
    ];
  }

  delete(uri: vscode.Uri): void {
    this.diagnostics.delete(uri);
  }

  private revalidate(doc: vscode.TextDocument): void {
    const issues = validateConfig(doc.getText(), doc.uri.fsPath);
    this.setDiagnostics(doc.uri, issues);
  }

  private handOver(doc: vscode.TextDocument | undefined): void {
    if (!doc || !this.diagnostics.has(doc.uri)) return;
    setTimeout(() => {
      if (!doc.isClosed && this.diagnostics.has(doc.uri)) this.revalidate(doc);
    }, 0);
  }

  /**
   * Our entries in Problems for a config: its issues that no one else reports there (see
   * problems-owner.ts); the error notification of a refused Train names the first of all of them.
   */
  setDiagnostics(uri: vscode.Uri, all: ConfigIssue[]): void {
    const open = vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
    const jsonService = open && schemaBound(uri.path) && vscode.workspace.getConfiguration('json').get<boolean>('validate.enable', true) !== false;
    const issues = issuesToReport(all, { jsonService, inspector: open && this.inspectorFollows(uri) });
    if (!issues.length) {
      this.diagnostics.delete(uri);
      return;
    }
    this.diagnostics.set(uri, issues.map((i) => {
      const d = new vscode.Diagnostic(toRange(i), `${i.path ? `${i.path}: ` : ''}${i.message}`, i.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      d.source = 'MLP Lens';
      d.code = i.kind;
      return d;
    }));
  }

  /** A located input problem: a Problems entry where it is, and a message naming it. */
  reportInputProblem(configUri: vscode.Uri, message: string, where: { file?: string; line?: number; column?: number }, configText: string): void {
    let file = where.file ? (path.isAbsolute(where.file) ? where.file : path.resolve(path.dirname(configUri.fsPath), where.file)) : configUri.fsPath;
    let line = Math.max(0, (where.line ?? 1) - 1), col = Math.max(0, (where.column ?? 1) - 1), len = 1;
    if (file !== configUri.fsPath && (!where.line || !fs.existsSync(file))) {
      // a data file that cannot be read: the problem is where the config names it
      const needle = where.file ? JSON.stringify(where.file) : '';
      const at = needle ? configText.indexOf(needle) : -1;
      file = configUri.fsPath;
      if (at >= 0) {
        const before = configText.slice(0, at).split('\n');
        line = before.length - 1;
        col = before[before.length - 1]!.length;
        len = needle.length;
      } else {
        line = 0;
        col = 0;
      }
    }
    const uri = file === configUri.fsPath ? configUri : vscode.Uri.file(file);
    const d = new vscode.Diagnostic(new vscode.Range(line, col, line, col + len), message, vscode.DiagnosticSeverity.Error);
    d.source = 'MLP Lens';
    this.diagnostics.set(uri, [d]);
    this.log.error(`cannot train ${configUri.fsPath}: ${file}${where.line ? `:${where.line}:${where.column ?? 1}` : ''}: ${message}`);
    void vscode.window.showErrorMessage(`MLP Lens: cannot train ${path.basename(configUri.fsPath)}: ${message}${where.line ? ` (${path.basename(file)}, line ${where.line})` : ''}`, 'Show Problems').then((b) => {
      if (b) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
