/**
 * Export from the training panel: the panel as drawn (PNG or SVG, made by the webview and posted
 * through the validated protocol) and the data behind it (one tidy CSV, src/runs/csv-export.ts,
 * read from the runs' records on disk). A webview cannot write files: the host asks where to save
 * (a save dialog), or, for automation and tests, a target set beforehand (setTarget).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeRunsCsv, type CsvRun } from '../runs/csv-export';
import type { RunModel } from '../runs/model';
import { slug } from '../runs/names';
import { readRunConfig } from '../runs/read';

export type PanelExportFormat = 'png' | 'svg' | 'csv';

const FILTERS: Record<PanelExportFormat, Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  svg: { 'SVG image': ['svg'] },
  csv: { 'CSV (tidy: one value per row)': ['csv'] },
};

export class PanelExport {
  /** automation and tests: where the next exports go, instead of a save dialog (undefined: cancel) */
  private target: ((format: PanelExportFormat, model: RunModel) => vscode.Uri | undefined) | null = null;
  /** the files written, newest last (for tests and the log) */
  readonly written: { format: PanelExportFormat; file: string; bytes: number }[] = [];

  constructor(private readonly log: vscode.LogOutputChannel, private readonly fallbackDir: () => string) {}

  setTarget(fn: ((format: PanelExportFormat, model: RunModel) => vscode.Uri | undefined) | null): void {
    this.target = fn;
  }

  private async where(format: PanelExportFormat, model: RunModel): Promise<vscode.Uri | undefined> {
    if (this.target) return this.target(format, model);
    const dirs = model.runDirs;
    const base = dirs.length ? path.dirname(dirs[0]!) : this.fallbackDir();
    return vscode.window.showSaveDialog({
      title: `Export the panel as ${format.toUpperCase()}`, saveLabel: 'Export',
      defaultUri: vscode.Uri.file(path.join(base, `${slug(model.title)}-panel.${format}`)),
      filters: FILTERS[format],
    });
  }

  private done(format: PanelExportFormat, model: RunModel, target: vscode.Uri, bytes: number, what: string): void {
    this.written.push({ format, file: target.fsPath, bytes });
    this.log.info(`exported ${model.title} (${what}) to ${target.fsPath} (${(bytes / 1024).toFixed(0)} KB)`);
    void vscode.window.showInformationMessage(`MLP Lens: exported "${model.title}" to ${path.basename(target.fsPath)}.`);
  }

  /** A picture the webview drew (validated: a PNG in base64, or an SVG that only draws). */
  async image(model: RunModel, format: 'png' | 'svg', data: string): Promise<vscode.Uri | undefined> {
    const target = await this.where(format, model);
    if (!target) return undefined;
    const bytes = format === 'png' ? Buffer.from(data, 'base64') : Buffer.from(data, 'utf8');
    await vscode.workspace.fs.writeFile(target, bytes);
    this.done(format, model, target, bytes.length, format === 'png' ? 'the panel as a PNG image' : 'the panel as an SVG image');
    return target;
  }

  /** Every run of the panel as one tidy CSV (the variant column: the run's variant, not its seed). */
  async csv(model: RunModel): Promise<vscode.Uri | undefined> {
    const runs: CsvRun[] = [];
    const groupOf = new Map<number, string>();
    for (const g of model.groups ?? []) for (const m of g.members) groupOf.set(m, g.name);
    for (const [i, v] of model.variants.entries()) {
      const dir = v.meta.runDir;
      if (!dir) continue;
      const seed = (await readRunConfig(dir).catch(() => null))?.seed ?? 0;
      runs.push({ dir, name: v.meta.name, variant: groupOf.get(i) ?? v.meta.name, seed, sweep: {} });
    }
    if (!runs.length) {
      void vscode.window.showInformationMessage('MLP Lens: this run has no records on disk yet to export.');
      return undefined;
    }
    const target = await this.where('csv', model);
    if (!target) return undefined;
    if (target.scheme !== 'file') throw new Error(`cannot write a CSV to ${target.toString()}: only local files`);
    const rows = await writeRunsCsv(runs, target.fsPath, (dir, bad) => this.log.warn(`Export CSV: ${dir}: ${bad.length} unreadable metrics lines skipped`));
    this.done('csv', model, target, fs.statSync(target.fsPath).size, `${rows} rows of ${runs.length} runs`);
    return target;
  }
}
