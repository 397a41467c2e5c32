/**
 * Follows the active *.mlp.json editor (unsaved text included), inspects its text in the
 * inspection worker (debounced; a newer edit supersedes and cancels the running inspection),
 * and publishes the result: to the side view (the last valid result stays, marked stale, while
 * the text is broken), as Problems-panel diagnostics on the config, and to the CodeLens.
 *
 * Diagnostics published here (source "MLP Lens"): the inspection's warnings at the config field
 * each belongs to, data problems (a missing CSV, a bad cell: at $.dataset.path, with the CSV
 * position as related information), and the validator's semantic rules. Syntax and schema
 * errors come from VS Code's JSON language service through the schema bound by jsonValidation;
 * the view lists them all.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigIssue } from '../engine/config';
import { schemaBound } from '../host/problems-owner';
import type { Inspection } from '../engine/inspect/inspect';
import { locatePath } from '../engine/inspect/paths';
import type { InspectOutcome, InspectTimings } from '../engine/inspect/session';
import type { InspectorProblem, InspectorRun, InspectorView } from '../shared/protocol';
import { wallMs } from '../shared/clock';
import type { InspectClient } from './inspect-client';
import { SUMMARY_FILE } from '../runs/summary';
import { lastRun } from './runs';
import { INSPECT_DEBOUNCE_MS } from './timing';
import type { InspectorViewProvider } from './view';

/** Skipped run folders whose reasons the view lists (the count covers all of them). */
const MAX_SKIPPED_SHOWN = 5;

export const isConfigDoc = (d: vscode.TextDocument | undefined): d is vscode.TextDocument =>
  !!d && d.uri.scheme !== 'output' && schemaBound(d.uri.path);

/** The path the engine and the worker see for a document (untitled ones live in a workspace folder). */
export function fileOf(doc: vscode.TextDocument): string {
  if (doc.uri.scheme === 'file') return doc.uri.fsPath;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return path.join(folder, path.basename(doc.uri.path) || 'untitled.mlp.json');
}

interface DocResult {
  version: number;
  inspection: Inspection;
  timings: InspectTimings;
  text: string;
}

export interface LatencySample {
  /** document version that was inspected */
  version: number;
  /** last edit -> result in the host (debounce + inspection + messaging) */
  editToResult: number;
  /** last edit -> the view reported it on screen (when the view is visible) */
  editToRendered?: number;
  timings: InspectTimings | null;
  state: 'fresh' | 'stale';
}

export class InspectorController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('mlp-lens-inspector');
  private current: vscode.TextDocument | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** when each document was last edited (wallMs: the view carries it as editedAt) */
  private lastEditAt = new Map<string, number>();
  /** the last valid result per document URI */
  private readonly good = new Map<string, DocResult>();
  /** per document, the diagnostics last handed to VS Code (diagnosticsKey): the same set is not sent again */
  private readonly published = new Map<string, string>();
  /** the view message last sent per document */
  private readonly views = new Map<string, InspectorView>();
  private runs: { file: string; runs: InspectorRun[]; skipped: string[] } | null = null;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** a document's inspection (or its stale state) changed */
  readonly onDidChange = this.changed.event;
  readonly latencies: LatencySample[] = [];
  private readonly pendingLatency = new Map<string, LatencySample>();
  private runWatcher: vscode.FileSystemWatcher | null = null;
  private runsTimer: ReturnType<typeof setTimeout> | null = null;
  /** a last-run scan is under way; asked again meanwhile */
  private runsScanning = false;
  private runsAgain = false;
  /** skipped run folders already logged (each once) */
  private readonly runsLogged = new Set<string>();
  private disposed = false;
  /** variant -> activations of the previous result of each document (for the walkthrough's last step) */
  private readonly previousActivations = new Map<string, Map<string, string>>();

  constructor(
    private readonly client: InspectClient,
    private readonly view: InspectorViewProvider,
    private readonly runFolders: (configFile: string) => string[],
    private readonly log: vscode.LogOutputChannel,
    private readonly isTraining: () => boolean = () => false,
  ) {
    this.disposables.push(
      this.diagnostics,
      this.changed,
      vscode.window.onDidChangeActiveTextEditor((e) => this.follow(e?.document)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!isConfigDoc(e.document) || e.contentChanges.length === 0) return;
        this.lastEditAt.set(e.document.uri.toString(), wallMs());
        if (this.current?.uri.toString() === e.document.uri.toString()) this.schedule();
        else this.good.delete(e.document.uri.toString());
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (!isConfigDoc(d)) return;
        this.diagnostics.delete(d.uri);
        this.published.delete(d.uri.toString());
        this.good.delete(d.uri.toString());
        this.views.delete(d.uri.toString());
        if (this.current?.uri.toString() === d.uri.toString()) {
          this.current = null;
          this.follow(vscode.window.visibleTextEditors.map((e) => e.document).find(isConfigDoc));
        }
      }),
      view.onMessage((m) => {
        if (m.type === 'rendered') this.rendered(m.file, m.version);
      }),
    );
    this.follow(vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors.map((e) => e.document).find(isConfigDoc));
  }

  /** The document the view shows. */
  get document(): vscode.TextDocument | null {
    return this.current;
  }

  viewOf(uri: vscode.Uri): InspectorView | undefined {
    return this.views.get(uri.toString());
  }

  resultOf(uri: vscode.Uri): DocResult | undefined {
    return this.good.get(uri.toString());
  }

  /** Show this config (or, without one, keep the current one while it is still open). */
  follow(doc: vscode.TextDocument | undefined): void {
    if (isConfigDoc(doc)) {
      if (this.current?.uri.toString() === doc.uri.toString()) return;
      this.current = doc;
      const known = this.views.get(doc.uri.toString());
      if (known && known.version === doc.version) this.view.post({ type: 'view', view: known });
      this.inspectNow();
      this.refreshRuns();
      this.watchRuns();
      return;
    }
    // another kind of editor: keep the config while it is visible or open
    if (this.current && !this.current.isClosed) return;
    this.current = null;
    const other = vscode.window.visibleTextEditors.map((e) => e.document).find(isConfigDoc);
    if (other) return this.follow(other);
    this.view.post({ type: 'empty' });
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.inspect();
    }, INSPECT_DEBOUNCE_MS);
  }

  /** Inspect the current document now (no debounce). */
  inspectNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.inspect();
  }

  private async inspect(): Promise<void> {
    const doc = this.current;
    if (!doc) return;
    const key = doc.uri.toString();
    const version = doc.version;
    const text = doc.getText();
    const file = fileOf(doc);
    this.view.post({ type: 'busy', file, busy: true, postedAt: wallMs() });
    const outcome = await this.client.request(text, file);
    if (outcome.kind === 'cancelled') return;
    if (doc.isClosed) return;
    this.publish(doc, key, version, text, file, outcome);
  }

  private publish(doc: vscode.TextDocument, key: string, version: number, text: string, file: string, outcome: InspectOutcome | { kind: 'crashed'; message: string }): void {
    if (outcome.kind === 'cancelled') return;
    let problems: InspectorProblem[] = [];
    let timings: InspectTimings | null = null;
    let state: 'fresh' | 'stale' = 'fresh';
    const diags: vscode.Diagnostic[] = [];
    if (outcome.kind === 'ok') {
      this.good.set(key, { version, inspection: outcome.inspection, timings: outcome.timings, text });
      timings = outcome.timings;
      problems = outcome.issues.map(toProblem);
      diags.push(...semanticDiagnostics(outcome.issues), ...warningDiagnostics(outcome.inspection, text));
      this.noteActivations(key, outcome.inspection);
    } else {
      state = 'stale';
      if (outcome.kind === 'invalid') {
        problems = outcome.issues.map(toProblem);
        timings = outcome.timings;
        diags.push(...semanticDiagnostics(outcome.issues));
      } else if (outcome.kind === 'dataError') {
        const p = outcome.problem;
        const r = locatePath(text, p.path);
        problems = [...outcome.issues.map(toProblem), p.file
          ? { severity: 'error', message: p.message, path: p.path, line: p.line ?? 1, column: p.column ?? 1, file: p.file }
          : { severity: 'error', message: p.message, path: p.path, line: r.line, column: r.column }];
        timings = outcome.timings;
        const d = new vscode.Diagnostic(toRange(r), p.file ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ${p.message}` : p.message, vscode.DiagnosticSeverity.Error);
        d.source = 'MLP Lens';
        if (p.file) {
          const csv = vscode.Uri.file(path.resolve(path.dirname(file), p.file));
          const pos = new vscode.Position(Math.max(0, (p.line ?? 1) - 1), Math.max(0, (p.column ?? 1) - 1));
          d.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(csv, pos), p.message)];
        }
        diags.push(d, ...semanticDiagnostics(outcome.issues));
      } else {
        problems = [{ severity: 'error', message: `the inspection failed: ${outcome.message}`, path: '', line: 1, column: 1 }];
        this.log.error(`inspection of ${file} failed: ${outcome.message}`);
      }
      // keep the last result's warnings while the text is broken (they come back when it is fixed)
      const old = this.good.get(key);
      if (old) diags.push(...warningDiagnostics(old.inspection, old.text));
    }
    const good = this.good.get(key);
    const inspection = good?.inspection ?? null;
    const locations: Record<string, [number, number]> = {};
    if (inspection) {
      for (const w of [...inspection.warnings, ...inspection.variants.flatMap((v) => v.warnings)]) {
        const r = locatePath(state === 'fresh' ? text : good!.text, w.path);
        locations[w.path] = [r.line, r.column];
      }
    }
    const editAt = this.lastEditAt.get(key);
    const postedAt = wallMs();
    const latencyMs = editAt !== undefined ? postedAt - editAt : null;
    this.lastEditAt.delete(key);
    const view: InspectorView = {
      file, fileName: path.basename(doc.uri.path), version, state, inspection, problems, locations,
      timings: timings ?? good?.timings ?? null, latencyMs,
      editedAt: editAt ?? null, postedAt,
    };
    this.views.set(key, view);
    if (latencyMs !== null) {
      const sample: LatencySample = { version, editToResult: latencyMs, timings, state };
      this.latencies.push(sample);
      if (this.latencies.length > 200) this.latencies.shift();
      this.pendingLatency.set(`${file}#${version}`, sample);
      (sample as LatencySample & { at: number }).at = editAt!;
    }
    if (this.current?.uri.toString() === key) this.view.post({ type: 'view', view });
    // after the view: VS Code delivers the host's messages in order, and the view is what the
    // user waits for; an unchanged set (most edits of a value) is not sent at all
    const dk = diagnosticsKey(diags);
    if (this.published.get(key) !== dk) {
      this.diagnostics.set(doc.uri, diags);
      this.published.set(key, dk);
    }
    this.changed.fire(doc.uri);
  }

  private rendered(file: string, version: number): void {
    const s = this.pendingLatency.get(`${file}#${version}`) as (LatencySample & { at: number }) | undefined;
    if (!s) return;
    this.pendingLatency.delete(`${file}#${version}`);
    s.editToRendered = wallMs() - s.at;
  }

  /** The walkthrough's last step: a variant that was sigmoid is now relu. */
  private noteActivations(key: string, ins: Inspection): void {
    const now = new Map(ins.variants.map((v) => [v.variant, v.activation.join(',')]));
    const before = this.previousActivations.get(key);
    this.previousActivations.set(key, now);
    if (!before) return;
    for (const [name, acts] of now) {
      const was = before.get(name);
      if (was && was.includes('sigmoid') && !acts.includes('sigmoid') && acts.includes('relu')) {
        void vscode.commands.executeCommand('setContext', 'mlpLens.switchedSigmoidToRelu', true);
      }
    }
  }

  // -- runs ------------------------------------------------------------------------------------

  /**
   * Look for the current config's last run (asynchronously: the run folders are scanned within a
   * budget, src/runs/scan.ts). One scan at a time: asked again meanwhile, it looks again when the
   * scan ends, and a result for a config that is no longer the current one is dropped, so a slow
   * scan never overwrites a newer one.
   */
  refreshRuns(): void {
    if (this.runsScanning) {
      this.runsAgain = true;
      return;
    }
    const doc = this.current;
    if (!doc) return;
    const file = fileOf(doc);
    const folders = this.runFolders(file);
    const ws = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
    this.runsScanning = true;
    const reasons: string[] = [];
    let skippedCount = 0;
    const skipped = (m: string) => {
      skippedCount++;
      if (reasons.length < MAX_SKIPPED_SHOWN) reasons.push(m);
      if (this.runsLogged.has(m)) return;
      if (this.runsLogged.size > 1000) this.runsLogged.clear();
      this.runsLogged.add(m);
      this.log.warn(`run records: ${m}`);
    };
    void lastRun(file, folders, ws ? [ws] : [], skipped)
      .catch((e: unknown) => {
        this.log.warn(`reading run records: ${(e as Error).message}`);
        return [] as InspectorRun[];
      })
      .then((runs) => {
        this.runsScanning = false;
        if (this.disposed) return;
        const again = this.runsAgain;
        this.runsAgain = false;
        if (this.current === doc) this.showRuns(file, runs, reasons, skippedCount); // else stale: another config is shown now
        if (again || this.current !== doc) this.refreshRuns();
      });
  }

  private showRuns(file: string, runs: InspectorRun[], skipped: string[] = [], skippedCount = 0): void {
    const training = this.isTraining();
    this.runs = { file, runs, skipped };
    this.view.post({ type: 'runs', file, runs, training, skipped, skippedCount });
    // run folders outside the workspace are not watched: look again until the training ends
    if (training && !this.runsTimer) this.runsTimer = setTimeout(() => { this.runsTimer = null; this.refreshRuns(); }, 2000);
  }

  get lastRuns(): InspectorRun[] {
    return this.runs?.runs ?? [];
  }

  /** why run folders were passed over in the last scan (the first few) */
  get runsSkipped(): string[] {
    return this.runs?.skipped ?? [];
  }

  private watchRuns(): void {
    if (this.runWatcher) return;
    this.runWatcher = vscode.workspace.createFileSystemWatcher(`**/${SUMMARY_FILE}`);
    const again = () => {
      if (this.runsTimer) clearTimeout(this.runsTimer);
      this.runsTimer = setTimeout(() => { this.runsTimer = null; this.refreshRuns(); }, 300);
    };
    this.disposables.push(this.runWatcher, this.runWatcher.onDidCreate(again), this.runWatcher.onDidChange(again), this.runWatcher.onDidDelete(again));
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.runsTimer) clearTimeout(this.runsTimer);
    for (const d of this.disposables) d.dispose();
  }
}

function toRange(r: { line: number; column: number; endLine: number; endColumn: number }): vscode.Range {
  return new vscode.Range(r.line - 1, r.column - 1, r.endLine - 1, r.endColumn - 1);
}

function toProblem(i: ConfigIssue): InspectorProblem {
  return { severity: i.severity, message: i.message, path: i.path, line: i.line, column: i.column };
}

/** The validator's rules beyond the schema (the JSON language service reports syntax and schema). */
function semanticDiagnostics(issues: ConfigIssue[]): vscode.Diagnostic[] {
  return issues.filter((i) => i.kind === 'semantic').map((i) => {
    const d = new vscode.Diagnostic(toRange(i), i.message, i.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
    d.source = 'MLP Lens';
    return d;
  });
}

/** One diagnostic per warning, at the field it belongs to; a variant the data does not allow is an error. */
export function warningDiagnostics(ins: Inspection, text: string): vscode.Diagnostic[] {
  const all = [...ins.warnings, ...ins.variants.flatMap((v) => v.warnings)];
  const out = all.map((w) => {
    const d = new vscode.Diagnostic(toRange(locatePath(text, w.path)), `${w.variant ? `${w.variant}: ` : ''}${w.message}`, vscode.DiagnosticSeverity.Warning);
    d.source = 'MLP Lens';
    d.code = w.code;
    return d;
  });
  for (const v of ins.variants) {
    if (!v.error) continue;
    const d = new vscode.Diagnostic(toRange(locatePath(text, v.errorPath ?? '$')), `${v.variant === 'base' ? '' : `variant "${v.variant}": `}${v.error}`, vscode.DiagnosticSeverity.Error);
    d.source = 'MLP Lens';
    out.push(d);
  }
  return out;
}

/** What a set of diagnostics shows (range, severity, message, source, code, related places), as one string. */
export function diagnosticsKey(diags: readonly vscode.Diagnostic[]): string {
  return JSON.stringify(diags.map((d) => [
    d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity, d.message, d.source ?? '',
    typeof d.code === 'object' ? [String(d.code.value), d.code.target.toString()] : d.code ?? '', d.tags ?? [],
    (d.relatedInformation ?? []).map((r) => [r.location.uri.toString(), r.location.range.start.line, r.location.range.start.character, r.message]),
  ]));
}
