/**
 * Authoring help for *.mlp.json: "New Experiment Config" (dataset and preset, a commented
 * starting config), "Open the Lecture Example" (a copy in the workspace), and the CodeLens above
 * a config ("Train", "Inspect", and one summary line per variant once it has been inspected).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readFileHead } from '../node/io';
import { ratioText } from '../engine/inspect/warnings';
import { schemaBound } from '../host/problems-owner';
import type { InspectorController } from './controller';
import { configTemplate, DATASETS, freeName, PRESETS } from './templates';

export interface NewConfigArgs {
  dataset?: string;
  preset?: string;
  /** absolute path of the file to create (skips the name prompt; must not exist) */
  file?: string;
  csvPath?: string;
  csvLabel?: string;
}

/** Where new files go: the active config's folder, else the first workspace folder, else the extension's storage. */
function targetFolder(storage: vscode.Uri): string {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') {
    const ws = vscode.workspace.getWorkspaceFolder(active);
    if (ws) return schemaBound(active.path) ? path.dirname(active.fsPath) : ws.uri.fsPath;
  }
  const ws = vscode.workspace.workspaceFolders?.[0];
  if (ws?.uri.scheme === 'file') return ws.uri.fsPath;
  fs.mkdirSync(storage.fsPath, { recursive: true });
  return storage.fsPath;
}

/** The CSV's header cells (for choosing the label column): its first line, from at most 64 KiB read. */
async function csvHeader(file: string): Promise<string[]> {
  const bytes = await readFileHead(file, path.basename(file), 'CSV file', 64 * 1024);
  const head = new TextDecoder().decode(bytes).split(/\r?\n/, 1)[0] ?? '';
  return head.split(',').map((h) => h.trim().replace(/^"|"$/g, '')).filter(Boolean).slice(0, 1000);
}

export async function newExperimentConfig(storage: vscode.Uri, args: NewConfigArgs = {}): Promise<vscode.Uri | undefined> {
  let dataset = args.dataset;
  if (!dataset) {
    const pick = await vscode.window.showQuickPick(DATASETS.map((d) => ({ label: d.label, detail: d.detail, id: d.id })), {
      title: 'New Experiment Config (1/2): dataset', placeHolder: 'What data should the network learn?', matchOnDetail: true,
    });
    if (!pick) return undefined;
    dataset = pick.id;
  }
  let preset = args.preset;
  if (!preset) {
    const pick = await vscode.window.showQuickPick(PRESETS.map((p) => ({ label: p.label, detail: p.detail, id: p.id })), {
      title: 'New Experiment Config (2/2): preset', placeHolder: 'Which experiment?',
    });
    if (!pick) return undefined;
    preset = pick.id;
  }
  const folder = args.file ? path.dirname(args.file) : targetFolder(storage);
  let csvPath = args.csvPath, csvLabel = args.csvLabel;
  if (dataset === 'csv' && !csvPath) {
    const picked = await vscode.window.showOpenDialog({ title: 'The CSV file (header row, numeric features, a label column)', filters: { CSV: ['csv'] }, defaultUri: vscode.Uri.file(folder) });
    if (!picked?.[0]) return undefined;
    csvPath = path.relative(folder, picked[0].fsPath).split(path.sep).join('/') || path.basename(picked[0].fsPath);
    if (!csvLabel) {
      const cols = await csvHeader(picked[0].fsPath);
      const label = await vscode.window.showQuickPick(cols, { title: 'Which column is the label (the class)?' });
      if (!label) return undefined;
      csvLabel = label;
    }
  }
  let file = args.file;
  if (!file) {
    const suggested = freeName(`${dataset}-${preset}`, (n) => fs.existsSync(path.join(folder, n)));
    const name = await vscode.window.showInputBox({
      title: 'New Experiment Config: file name', value: suggested, valueSelection: [0, suggested.length - '.mlp.json'.length],
      prompt: `in ${folder}`,
      validateInput: (v) => (!schemaBound(v) ? 'the name must end in .mlp.json (that is how MLP Lens and the schema find it)'
        : /[\\/]/.test(v) ? 'a file name, not a path' : fs.existsSync(path.join(folder, v)) ? 'that file exists' : undefined),
    });
    if (!name) return undefined;
    file = path.join(folder, name);
  }
  if (fs.existsSync(file)) {
    void vscode.window.showErrorMessage(`${file} exists; New Experiment Config does not overwrite files.`);
    return undefined;
  }
  const stem = path.basename(file).replace(/\.mlp\.json$/i, '');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, configTemplate(dataset, preset, { name: stem, csvPath, csvLabel }));
  const uri = vscode.Uri.file(file);
  await vscode.window.showTextDocument(uri);
  return uri;
}

/** A copy of examples/lecture.mlp.json in the workspace (or the extension's storage); opens it. */
export async function openLectureExample(extensionUri: vscode.Uri, storage: vscode.Uri): Promise<vscode.Uri> {
  const ws = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  const folder = ws ? ws.uri.fsPath : storage.fsPath;
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'lecture.mlp.json');
  if (!fs.existsSync(file)) {
    const src = fs.readFileSync(vscode.Uri.joinPath(extensionUri, 'examples', 'lecture.mlp.json').fsPath, 'utf8');
    // the $schema path is relative to the examples folder; the extension binds the schema anyway
    fs.writeFileSync(file, src.replace(/^\s*"\$schema":.*\n/m, ''));
  }
  const uri = vscode.Uri.file(file);
  await vscode.window.showTextDocument(uri);
  return uri;
}

/** "▶ Train", "Inspect" above the config, and a one-line inspection summary above each variant. */
export class ConfigCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly controller: InspectorController) {
    controller.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    // the first line that is not a comment: the config's opening brace
    let line = 0;
    for (; line < doc.lineCount && /^\s*(\/\/.*)?$/.test(doc.lineAt(line).text); line++);
    const at = new vscode.Range(Math.min(line, doc.lineCount - 1), 0, Math.min(line, doc.lineCount - 1), 0);
    const lenses = [
      new vscode.CodeLens(line < doc.lineCount ? at : top, { title: '$(play) Train', command: 'mlpLens.train', arguments: [doc.uri], tooltip: 'Train MLP on this config' }),
      new vscode.CodeLens(line < doc.lineCount ? at : top, { title: '$(search) Inspect', command: 'mlpLens.inspect', arguments: [doc.uri], tooltip: 'Show this config in the MLP Lens side view' }),
    ];
    const result = this.controller.resultOf(doc.uri);
    if (result && result.version === doc.version) {
      const text = doc.getText();
      for (const v of result.inspection.variants) {
        const needle = `"name": ${JSON.stringify(v.variant)}`;
        const off = text.indexOf(needle);
        if (off < 0 || v.index < 0) continue;
        const pos = doc.positionAt(off);
        const hidden = (v.layers ?? []).slice(0, -1);
        const sat = hidden.length ? Math.max(...hidden.map((l) => l.saturation ?? 0)) : 0;
        const parts = v.error ? [`⚠ ${v.error}`] : [
          `max saturation ${Math.round(sat * 100)}%`,
          ...(v.deltaRatio != null ? [`‖δ1‖/‖δ${hidden.length}‖ ${ratio(v.deltaRatio)}`] : []),
          v.warnings.length ? `⚠ ${v.warnings.length} warning${v.warnings.length > 1 ? 's' : ''}` : '✓ no warnings',
        ];
        lenses.push(new vscode.CodeLens(new vscode.Range(pos, pos), {
          title: `${v.variant}: ${parts.join(' · ')}`, command: 'mlpLens.inspect', arguments: [doc.uri],
          tooltip: v.warnings.map((w) => w.message).join('\n') || 'at initialization, on the first training batch',
        }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** 0.05147 -> "1/19.4" (ratioText), 0.98 -> "0.98", 34 -> "34" */
function ratio(r: number): string {
  if (!Number.isFinite(r)) return String(r);
  return r >= 0.8 ? `${r.toFixed(r < 10 ? 2 : 0)}` : ratioText(r);
}
