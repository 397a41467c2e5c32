/**
 * Train MLP, Stop Training, Open Run..., Export Run..., the status bar item, the progress
 * notification, config diagnostics, and the run panels (with their serializer).
 *
 * Training runs in dist/worker.js (worker_threads): the extension host only validates the
 * config, relays batched records into a bounded RunModel and posts batched deltas to the panel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { resolveConfig, validateConfig, type ConfigIssue } from '../../engine/config';
import type { HostToWorker, PanelSettings, PanelState, WorkerToHost } from '../../shared/protocol';
import { reportHtml } from '../../node/html-report';
import { findRunGroups, loadRunModel } from '../../runs/loader';
import { runFolder } from '../../runs/folders';
import { readSummary, writeSummary, type RunSummary } from '../../runs/summary';
import { DEFAULT_PANEL_SETTINGS, panelTitles, RunModel } from '../../runs/model';
import { PANEL_VIEW_TYPE, RunPanel, panelOptions, type PanelHost } from '../panel';
import { CONFIG_FILE_GLOB, issuesToReport, schemaBound } from '../problems-owner';

/**
 * How long Stop waits for the worker to finish on its own before terminating it. The worker
 * stops training within one step of Stop, then writes its run records (the weights last): for the
 * lecture networks 10-40 ms. Terminating it earlier only cuts those writes short (and, measured,
 * ended the thread later than letting it finish), so this is a safety net for a worker that is
 * stuck, sized for the weights of a large network.
 */
const STOP_DEADLINE_MS = 2000;

export interface LiveRun {
  model: RunModel;
  worker: Worker;
  /** shared with the worker: 1 = stop */
  stopFlag: Int32Array;
  configUri: vscode.Uri;
  startedAt: number;
  stopRequestedAt: number | null;
  /** resolves when the worker is gone, however it ended */
  ended: Promise<void>;
}

/** What the in-host tests can see and drive. */
export interface TrainingApi {
  readonly live: LiveRun | null;
  readonly lastRun: RunModel | null;
  /** ms from Stop to the worker done (its run records final: 'finished', or its exit if it had to be terminated), per stop */
  readonly stopLatencies: number[];
  /** ms from Stop to the worker thread's exit, per stop */
  readonly stopExitLatencies: number[];
  /** per stop that finished (not terminated): ms from the worker first seeing Stop to its 'finished' */
  readonly stopWorkerMs: number[];
  /** the config Train MLP trains without asking (see Training.configInView) */
  configInView(): vscode.Uri | undefined;
  /** ms from the Train command to the first records reaching the host, per run */
  readonly firstRecordLatencies: number[];
  /** the longest the host spent handling one worker message (ms) */
  readonly timing: { maxHandlerMs: number };
  panelFor(runId: string): RunPanel | undefined;
  /** Train a config (as the command does); resolves when training started, or undefined if refused. */
  train(uri?: vscode.Uri): Promise<RunModel | undefined>;
  stop(): Promise<void>;
  /** resolves when the live run (if any) has ended */
  whenIdle(): Promise<void>;
  /** Open run folders in a panel (rejects with the folder named when one is unreadable). */
  openRunDirs(dirs: string[]): Promise<RunModel>;
  /** set once by extension.ts: does the inspector follow this config (it then reports its semantic problems) */
  inspectorFollows: (uri: vscode.Uri) => boolean;
}

interface PickedConfig {
  uri: vscode.Uri;
  text: string;
  builtIn: boolean;
}

function cfgSection() {
  return vscode.workspace.getConfiguration('mlpLens');
}

function toRange(i: ConfigIssue): vscode.Range {
  return new vscode.Range(Math.max(0, i.line - 1), Math.max(0, i.column - 1), Math.max(0, i.endLine - 1), Math.max(0, i.endColumn - 1));
}

export function registerTraining(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): TrainingApi {
  const t = new Training(context, log);
  context.subscriptions.push(t);
  return t;
}

class Training implements TrainingApi, PanelHost, vscode.Disposable {
  live: LiveRun | null = null;
  lastRun: RunModel | null = null;
  readonly stopLatencies: number[] = [];
  /** per stop that finished: ms from the worker first seeing Stop to its 'finished' */
  readonly stopWorkerMs: number[] = [];
  readonly stopExitLatencies: number[] = [];
  readonly firstRecordLatencies: number[] = [];
  readonly timing = { maxHandlerMs: 0 };
  readonly extensionUri: vscode.Uri;
  private readonly panels = new Map<string, RunPanel>();
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[] = [];
  private lastFocusedRunId: string | null = null;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private lastStatusAt = 0;
  private lastVariantUpdated: string | null = null;
  private runCounter = 0;
  inspectorFollows: (uri: vscode.Uri) => boolean = () => false;

  constructor(private readonly context: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {
    this.extensionUri = context.extensionUri;
    this.diagnostics = vscode.languages.createDiagnosticCollection('mlp-lens-train');
    this.statusItem = vscode.window.createStatusBarItem('mlpLens.training', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'MLP Lens Training';
    this.statusItem.command = 'mlpLens.showPanel';
    const cmd = (id: string, fn: (...a: never[]) => unknown) => vscode.commands.registerCommand(id, (...a: never[]) => this.guard(id, () => fn(...a)));
    this.subs.push(
      this.diagnostics,
      this.statusItem,
      cmd('mlpLens.train', (uri?: vscode.Uri) => this.train(uri instanceof vscode.Uri ? uri : undefined)),
      cmd('mlpLens.stop', () => this.stop()),
      cmd('mlpLens.openRun', (uri?: vscode.Uri) => this.openRun(uri instanceof vscode.Uri ? uri : undefined)),
      // from the palette: no arguments; from automation: (runId?, target file URI?)
      cmd('mlpLens.exportRun', (arg?: unknown, target?: unknown) => this.exportRun(typeof arg === 'string' ? arg : undefined, target instanceof vscode.Uri ? target : undefined)),
      cmd('mlpLens.showPanel', () => this.showPanel()),
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, { deserializeWebviewPanel: (p, s) => this.restore(p, s as PanelState | undefined) }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mlpLens')) for (const p of this.panels.values()) p.settingsChanged();
      }),
      // a config with our diagnostics: re-check as it is edited, so fixed problems go away
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.diagnostics.has(e.document.uri)) this.revalidate(e.document);
      }),
      // once opened (and followed by the inspector) others report part of its problems: hand
      // those over. After this event's other listeners: the inspector follows in one of them
      vscode.workspace.onDidOpenTextDocument((d) => this.handOver(d)),
      vscode.window.onDidChangeActiveTextEditor((e) => this.handOver(e?.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
    );
    void this.setContext();
  }

  /** Commands never throw into VS Code: errors are shown and logged, the extension keeps working. */
  private async guard<T>(id: string, fn: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.log.error(`${id}: ${(e as Error).stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
      return undefined;
    }
  }

  private async setContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'mlpLens.training', !!this.live);
    await vscode.commands.executeCommand('setContext', 'mlpLens.hasRun', !!this.lastRun || this.panels.size > 0);
  }

  // ------------------------------------------------------------------------------------------
  // Settings

  settings(): PanelSettings {
    const c = cfgSection();
    const dom = c.get<number[]>('gradientDomain', DEFAULT_PANEL_SETTINGS.gradientDomain);
    const ok = Array.isArray(dom) && dom.length === 2 && dom.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x)) && dom[0]! < dom[1]!;
    return {
      gradientScale: c.get('gradientScale') === 'fixed' ? 'fixed' : 'window',
      gradientDomain: ok ? [dom[0]!, dom[1]!] : DEFAULT_PANEL_SETTINGS.gradientDomain,
      colorWindow: Math.max(5, Math.min(5000, Math.round(c.get<number>('colorWindow', 100)) || 100)),
    };
  }

  updateRate(): number {
    const r = cfgSection().get<number>('updateRate', 10);
    return Math.max(1, Math.min(20, Number.isFinite(r) ? r : 10));
  }

  private historyColumns(): number {
    const n = cfgSection().get<number>('historyColumns', 1000);
    return Math.max(100, Math.min(20000, Math.round(Number.isFinite(n) ? n : 1000)));
  }

  /** Where a config's runs go: the setting, else <workspace folder>/.mlp-lens/runs, else global storage. */
  runFolderFor(configUri: vscode.Uri | null): string {
    const ws = (configUri && vscode.workspace.getWorkspaceFolder(configUri)) ?? null;
    return runFolder({
      setting: cfgSection().get<string>('runFolder', '') ?? '',
      workspaceFolder: ws?.uri.scheme === 'file' ? ws.uri.fsPath : null,
      firstWorkspaceFolder: vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? null,
      storage: this.context.globalStorageUri.fsPath,
    });
  }

  // ------------------------------------------------------------------------------------------
  // Train

  /**
   * The config Train MLP means without asking: the active editor's; else the active tab's (the
   * editor API can lag the tab that is on screen); else the one config visible in any editor
   * group (e.g. the focus is in the training panel beside it). Undefined when there is none, or
   * several visible and none active: then the user picks.
   */
  configInView(): vscode.Uri | undefined {
    const isConfig = (u: vscode.Uri) => schemaBound(u.path);
    const ed = vscode.window.activeTextEditor;
    if (ed && isConfig(ed.document.uri)) return ed.document.uri;
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputText && isConfig(input.uri)) return input.uri;
    const visible = vscode.window.visibleTextEditors.map((e) => e.document.uri).filter(isConfig);
    return new Set(visible.map(String)).size === 1 ? visible[0] : undefined;
  }

  private async pickConfig(arg?: vscode.Uri): Promise<PickedConfig | undefined> {
    if (arg) return this.readConfig(arg, false);
    const inView = this.configInView();
    if (inView) return this.readConfig(inView, false);
    const lecture = vscode.Uri.joinPath(this.extensionUri, 'examples', 'lecture.mlp.json');
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
    return this.readConfig(pick.uri, !!pick.builtIn);
  }

  /** The config's text: the open document's (unsaved edits included), else the file's. */
  private async readConfig(uri: vscode.Uri, builtIn: boolean): Promise<PickedConfig> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc) return { uri, text: doc.getText(), builtIn };
    const bytes = await vscode.workspace.fs.readFile(uri);
    return { uri, text: new TextDecoder().decode(bytes), builtIn };
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
  private setDiagnostics(uri: vscode.Uri, all: ConfigIssue[]): void {
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
  private reportInputProblem(configUri: vscode.Uri, message: string, where: { file?: string; line?: number; column?: number }, configText: string): void {
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

  /** Apply mlpLens.probeInterval to the config text: the base's probes and those of variants that set their own. */
  private withProbeInterval(text: string): string {
    const every = Math.round(cfgSection().get<number>('probeInterval', 0) ?? 0);
    if (!(every > 0)) return text;
    const fmt = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
    let out = applyEdits(text, modify(text, ['probes', 'every'], every, fmt));
    const variants = (parseJsonc(out) as { variants?: unknown[] } | undefined)?.variants;
    (Array.isArray(variants) ? variants : []).forEach((v, i) => {
      // a variant that names "probes" replaces the base's wholesale: set it there too
      if (v && typeof v === 'object' && 'probes' in v) out = applyEdits(out, modify(out, ['variants', i, 'probes', 'every'], every, fmt));
    });
    try {
      resolveConfig(out, 'probe-interval');
      return out;
    } catch {
      this.log.warn(`mlpLens.probeInterval ${every} does not fit this config; using the config's probes`);
      return text;
    }
  }

  async train(arg?: vscode.Uri): Promise<RunModel | undefined> {
    const t0 = Date.now();
    const picked = await this.pickConfig(arg);
    if (!picked) return undefined;
    const { uri } = picked;
    const file = uri.fsPath;
    const name = path.basename(file);
    const issues = validateConfig(picked.text, file);
    const errors = issues.filter((i) => i.severity === 'error');
    this.setDiagnostics(uri, issues);
    if (errors.length) {
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more in Problems)` : '';
      this.log.warn(`not training ${file}: ${errors.length} problem(s); first: ${first.path} ${first.message} at ${first.line}:${first.column}`);
      void vscode.window.showErrorMessage(`MLP Lens: cannot train ${name}: ${first.path ? `${first.path}: ` : ''}${first.message} (line ${first.line})${more}`, 'Show Problems').then((b) => {
        if (b) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
      return undefined;
    }
    const text = this.withProbeInterval(picked.text);
    const cfgs = resolveConfig(text, file);
    if (this.live) {
      const choice = await vscode.window.showWarningMessage(`MLP Lens: "${this.live.model.title}" is still training.`, { modal: false }, 'Stop It and Train');
      if (choice !== 'Stop It and Train') return undefined;
      await this.stop();
    }
    const outDir = this.runFolderFor(picked.builtIn ? null : uri);
    const id = `run-${Date.now().toString(36)}-${++this.runCounter}`;
    const model = new RunModel(id, cfgs[0]!.name, file, cfgs, this.historyColumns());
    return this.startWorker(model, uri, text, outDir, t0);
  }

  private startWorker(model: RunModel, configUri: vscode.Uri, text: string, outDir: string, t0: number): Promise<RunModel | undefined> {
    const workerJs = vscode.Uri.joinPath(this.extensionUri, 'dist', 'worker.js').fsPath;
    const assetDir = vscode.Uri.joinPath(this.extensionUri, 'media', 'datasets').fsPath;
    const worker = new Worker(workerJs, { name: 'mlp-lens-training' });
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => { endResolve = r; });
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    const live: LiveRun = { model, worker, stopFlag, configUri, startedAt: t0, stopRequestedAt: null, ended };
    this.live = live;
    void this.setContext();
    this.log.info(`training ${configUri.fsPath}: ${model.variants.map((v) => v.meta.name).join(', ')}; run records in ${outDir}`);
    let startedResolve!: (m: RunModel | undefined) => void;
    const started = new Promise<RunModel | undefined>((r) => { startedResolve = r; });
    let finished = false;
    let firstRecords = true;
    let progressDone: (() => void) | null = null;
    let lastProgress = 0;
    let reportProgress: ((p: { message?: string; increment?: number }) => void) | null = null;

    const end = (how: 'finished' | 'crashed' | 'inputError' | 'terminated', message: string | null = null) => {
      if (finished) return;
      finished = true;
      if (how === 'crashed' || how === 'terminated') {
        model.finish(how === 'crashed' ? 'crashed' : 'stopped', message);
        if (how === 'terminated') this.finalizeStopped(model);
      }
      progressDone?.();
      if (this.live === live) this.live = null;
      void this.setContext();
      this.updateStatus(true);
      void worker.terminate().then(() => endResolve());
    };

    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${model.title}`, cancellable: true },
      (progress, token) => {
        reportProgress = (p) => progress.report(p);
        progress.report({ message: 'loading data…' });
        token.onCancellationRequested(() => void this.stop());
        return new Promise<void>((resolve) => { progressDone = resolve; });
      },
    );

    worker.on('message', (m: WorkerToHost) => {
      const h0 = performance.now();
      try {
        switch (m.type) {
          case 'started':
            model.started(m.variants, m.runDirs, m.dataset);
            this.log.info(`worker started ${Date.now() - t0} ms after the command`);
            this.lastRun = model;
            void this.setContext();
            this.diagnostics.delete(configUri);
            startedResolve(model);
            break;
          case 'packedRecords': {
            if (firstRecords && m.count) {
              firstRecords = false;
              this.firstRecordLatencies.push(Date.now() - t0);
            }
            model.packedRecords(m.variant, m.layers, m.data, m.count, m.epochs, m.progress);
            this.lastVariantUpdated = m.variant;
            this.updateStatus();
            const done = model.variants.reduce((a, v) => a + v.meta.step, 0);
            const total = model.variants.reduce((a, v) => a + (v.meta.totalSteps || 0), 0);
            const pct = total ? (100 * done) / total : 0;
            if (pct - lastProgress >= 1 || pct >= 100) {
              reportProgress?.({ increment: pct - lastProgress, message: `${Math.floor(pct)}% · ${this.statusLine(model)}` });
              lastProgress = pct;
            }
            break;
          }
          case 'variantDone':
            model.variantDone(m.variant, m.runDir, m.summary);
            this.log.info(`${m.variant}: ${m.summary.status}, ${m.summary.steps} steps, test accuracy ${m.summary.test?.accuracy?.toFixed(3) ?? '-'}; ${m.runDir}`);
            if (m.summary.divergence) this.reportDivergence(model, m.variant, m.summary);
            break;
          case 'finished': {
            const stopped = m.stopped || live.stopRequestedAt !== null;
            model.finish(stopped ? 'stopped' : RunModel.overall(model.variants.map((v) => v.meta.status)), stopped ? 'stopped by the user; the run so far is kept' : null);
            if (live.stopRequestedAt !== null) {
              this.stopLatencies.push(Date.now() - live.stopRequestedAt);
              this.log.info(`stopped: the worker finished ${Date.now() - live.stopRequestedAt} ms after Stop (${m.stopMs?.toFixed(0) ?? '?'} ms of it from its first seeing Stop)`);
              this.stopWorkerMs.push(m.stopMs ?? NaN);
            }
            end('finished');
            break;
          }
          case 'inputError':
            // bad data (a CSV row, a variant the data cannot take): nothing was trained, leave nothing open
            this.reportInputProblem(configUri, m.message, m, text);
            startedResolve(undefined);
            this.panels.get(model.id)?.dispose();
            end('inputError');
            break;
          case 'crashed':
            this.reportCrash(model, m.message, m.stack);
            startedResolve(model.status === 'starting' ? undefined : model);
            end('crashed', `the training worker crashed: ${m.message}`);
            break;
        }
      } catch (e) {
        this.log.error(`handling a worker message: ${(e as Error).stack ?? e}`);
      }
      this.timing.maxHandlerMs = Math.max(this.timing.maxHandlerMs, performance.now() - h0);
    });
    worker.on('error', (e) => {
      if (finished) return;
      this.reportCrash(model, e.message, e.stack);
      startedResolve(model.status === 'starting' ? undefined : model);
      end('crashed', `the training worker crashed: ${e.message}`);
    });
    worker.on('exit', (code) => {
      if (live.stopRequestedAt !== null) {
        this.stopExitLatencies.push(Date.now() - live.stopRequestedAt);
        if (!finished) this.stopLatencies.push(Date.now() - live.stopRequestedAt);
      }
      if (!finished) {
        if (live.stopRequestedAt !== null) {
          end('terminated', 'stopped by the user; the run so far is kept');
        } else {
          this.reportCrash(model, `the worker exited unexpectedly (exit code ${code})`);
          startedResolve(model.status === 'starting' ? undefined : model);
          end('crashed', `the training worker exited unexpectedly (exit code ${code})`);
        }
      }
      endResolve();
    });
    const start: HostToWorker = {
      type: 'start', configText: text, configFile: configUri.fsPath, outDir, assetDir,
      postIntervalMs: Math.max(25, Math.floor(1000 / this.updateRate() / 2)), stopFlag: stopFlag.buffer as SharedArrayBuffer,
    };
    worker.postMessage(start);
    // the config is valid: open the panel now, while the worker loads the data
    this.openPanel(model, true);
    return started;
  }

  private reportCrash(model: RunModel, message: string, stack?: string): void {
    this.log.error(`training worker crashed: ${message}${stack ? `\n${stack}` : ''}`);
    const kept = model.runDirs.length ? ' The run so far is kept.' : '';
    void vscode.window.showErrorMessage(`MLP Lens: training "${model.title}" crashed: ${message}.${kept}`, 'Show Log').then((b) => {
      if (b) this.log.show();
    });
  }

  private reportDivergence(model: RunModel, variant: string, s: RunSummary): void {
    const d = s.divergence!;
    this.log.warn(`${variant}: ${d.message}`);
    void vscode.window.showWarningMessage(`MLP Lens: ${model.title} / ${variant} ${d.message}. The run is kept and marked at step ${d.step}.`, 'Show Panel').then((b) => {
      if (b) this.showPanel(model.id);
    });
  }

  /** After a hard stop: the run records on disk say "stopped", as a graceful stop would. */
  private finalizeStopped(model: RunModel): void {
    for (const v of model.variants) {
      if (!v.meta.runDir || v.meta.summary) continue;
      try {
        const s = readSummary(v.meta.runDir);
        if (s.status === 'running') {
          s.status = 'stopped';
          s.steps = Math.max(s.steps, v.meta.step);
          s.finishedAt = new Date().toISOString();
          writeSummary(v.meta.runDir, s);
        }
        v.meta.summary = s;
        v.meta.status = 'stopped';
      } catch (e) {
        this.log.warn(`could not mark the run in ${v.meta.runDir} as stopped: ${(e as Error).message}`);
      }
    }
    model.changed();
  }

  async stop(): Promise<void> {
    const live = this.live;
    if (!live) return;
    if (live.stopRequestedAt === null) {
      live.stopRequestedAt = Date.now();
      this.log.info(`stop requested for ${live.model.title}`);
      Atomics.store(live.stopFlag, 0, 1); // seen before the worker's next step, however busy its event loop
      // the worker stops within a step and writes its records; if it is stuck, end it
      setTimeout(() => {
        if (this.live === live) {
          this.log.info(`stop: the worker did not finish within ${STOP_DEADLINE_MS} ms; terminating it`);
          void live.worker.terminate();
        }
      }, STOP_DEADLINE_MS);
    }
    await live.ended;
  }

  async whenIdle(): Promise<void> {
    while (this.live) await this.live.ended;
  }

  // ------------------------------------------------------------------------------------------
  // Status bar

  private statusLine(model: RunModel): string {
    const name = this.lastVariantUpdated ?? model.variants[0]?.meta.name;
    const v = model.variants.find((x) => x.meta.name === name) ?? model.variants[0];
    if (!v) return model.title;
    const n = v.store.count;
    const loss = n ? v.store.s.loss[n - 1]! : NaN;
    return `${v.meta.name} · epoch ${Math.min(v.meta.epoch + 1, v.meta.epochsPlanned)}/${v.meta.epochsPlanned} · loss ${Number.isFinite(loss) ? loss.toFixed(3) : '–'}`;
  }

  private updateStatus(now = false): void {
    const model = this.live?.model ?? this.lastRun;
    if (!model) {
      this.statusItem.hide();
      return;
    }
    const wait = now ? 0 : Math.max(0, this.lastStatusAt + 500 - Date.now());
    if (wait > 0) {
      this.statusTimer ??= setTimeout(() => {
        this.statusTimer = undefined;
        this.updateStatus(true);
      }, wait);
      return;
    }
    this.lastStatusAt = Date.now();
    const live = this.live?.model === model;
    const icon = live ? '$(pulse)' : model.status === 'completed' ? '$(check)' : model.status === 'diverged' || model.status === 'crashed' ? '$(warning)' : '$(debug-stop)';
    this.statusItem.text = live ? `${icon} ${this.statusLine(model)}` : `${icon} ${model.title}: ${model.status}`;
    const tip = new vscode.MarkdownString(`**MLP Lens: ${model.title}** (${model.status})\n\n`);
    for (const v of model.variants) {
      const n = v.store.count;
      const loss = n ? v.store.s.loss[n - 1]! : NaN;
      tip.appendMarkdown(`- ${v.meta.name}: ${v.meta.status}, step ${v.meta.step}/${v.meta.totalSteps || '?'}, loss ${Number.isFinite(loss) ? loss.toFixed(4) : '–'}\n`);
    }
    tip.appendMarkdown('\nClick to show the training panel.');
    this.statusItem.tooltip = tip;
    this.statusItem.accessibilityInformation = { label: `MLP Lens ${live ? 'training' : model.status}: ${this.statusLine(model)}`, role: 'button' };
    this.statusItem.show();
  }

  // ------------------------------------------------------------------------------------------
  // Panels

  panelFor(runId: string): RunPanel | undefined {
    return this.panels.get(runId);
  }

  private openPanel(model: RunModel, preserveFocus: boolean): RunPanel {
    const existing = this.panels.get(model.id);
    if (existing) {
      existing.reveal(preserveFocus);
      return existing;
    }
    const besideConfig = schemaBound(vscode.window.activeTextEditor?.document.uri.path ?? '');
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, `MLP Lens: ${model.title}`, { viewColumn: besideConfig ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preserveFocus }, panelOptions(this.extensionUri));
    return this.adopt(panel, model);
  }

  private adopt(panel: vscode.WebviewPanel, model: RunModel): RunPanel {
    const rp = new RunPanel(panel, model, this);
    this.panels.set(model.id, rp);
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastFocusedRunId = rp.model.id;
    });
    this.lastFocusedRunId = model.id;
    this.retitle();
    void this.setContext();
    return rp;
  }

  disposed(panel: RunPanel): void {
    for (const [id, p] of this.panels) if (p === panel) this.panels.delete(id);
    this.retitle();
    void this.setContext();
  }

  /** Every open panel's title (panels of runs with the same title get their start times too). */
  private retitle(): void {
    const titles = panelTitles([...this.panels.values()].map((p) => p.model));
    for (const p of this.panels.values()) {
      const t = titles.get(p.model.id);
      if (t && p.panel.title !== t) p.panel.title = t;
    }
  }

  private findModel(runId: string | undefined): RunModel | undefined {
    if (runId) {
      if (this.live?.model.id === runId) return this.live.model;
      const p = this.panels.get(runId);
      if (p) return p.model;
      if (this.lastRun?.id === runId) return this.lastRun;
    }
    const focused = this.lastFocusedRunId ? this.panels.get(this.lastFocusedRunId)?.model : undefined;
    return focused ?? this.live?.model ?? this.lastRun ?? undefined;
  }

  showPanel(runId?: string): void {
    const model = (runId ? this.findModel(runId) : undefined) ?? this.live?.model ?? this.lastRun;
    if (!model) {
      void vscode.window.showInformationMessage('MLP Lens: no run yet. Run "MLP Lens: Train MLP" first.');
      return;
    }
    this.openPanel(model, false).reveal(false);
  }

  /** A panel restored after a window reload: the live run if it is still here, else the run from disk. */
  private async restore(panel: vscode.WebviewPanel, state: PanelState | undefined): Promise<void> {
    panel.webview.options = panelOptions(this.extensionUri);
    const live = state?.runId ? this.findModel(state.runId) : undefined;
    if (live && live.id === state?.runId) {
      this.adopt(panel, live);
      return;
    }
    const dirs = (state?.runDirs ?? []).filter((d) => typeof d === 'string' && fs.existsSync(d));
    if (!dirs.length) {
      this.log.info(`a restored panel had no run to show (${state?.title ?? 'no state'}); closing it`);
      panel.dispose();
      return;
    }
    try {
      const model = await loadRunModel(dirs, this.historyColumns(), state!.runId ?? `restored-${Date.now().toString(36)}`);
      this.lastRun ??= model;
      this.adopt(panel, model);
      this.updateStatus(true);
    } catch (e) {
      this.log.error(`restoring a panel: ${(e as Error).message}`);
      panel.dispose();
    }
  }

  openConfig(runId: string): void {
    const m = this.findModel(runId);
    if (m?.configFile) void vscode.window.showTextDocument(vscode.Uri.file(m.configFile), { viewColumn: vscode.ViewColumn.One });
  }

  // ------------------------------------------------------------------------------------------
  // Open Run, Export Run

  async openRunDirs(dirs: string[]): Promise<RunModel> {
    const model = await loadRunModel(dirs, this.historyColumns(), `opened-${Date.now().toString(36)}-${++this.runCounter}`);
    this.lastRun = model;
    this.openPanel(model, false);
    this.updateStatus(true);
    void this.setContext();
    return model;
  }

  private async openRun(arg?: vscode.Uri): Promise<void> {
    let selected: string[];
    if (arg) selected = [arg.fsPath];
    else {
      const ws = vscode.workspace.workspaceFolders?.[0]?.uri ?? null;
      const def = this.runFolderFor(ws);
      const picked = await vscode.window.showOpenDialog({
        title: 'Open Run', openLabel: 'Open Run', canSelectFolders: true, canSelectFiles: true, canSelectMany: true,
        defaultUri: vscode.Uri.file(fs.existsSync(def) ? def : (ws?.fsPath ?? def)),
        filters: { 'Run summary': ['json'] },
      });
      if (!picked?.length) return;
      selected = picked.map((u) => u.fsPath);
    }
    const groups = findRunGroups(selected);
    if (!groups.length) {
      void vscode.window.showErrorMessage(`MLP Lens: no run records (summary.json and metrics.jsonl) in ${selected.map((s) => path.basename(s)).join(', ')}.`);
      return;
    }
    let group = groups[0]!;
    if (groups.length > 1) {
      const pick = await vscode.window.showQuickPick(groups.map((g) => ({ label: g.label, detail: g.detail, g })), { title: 'Open Run', placeHolder: `${groups.length} runs found: choose one` });
      if (!pick) return;
      group = pick.g;
    }
    try {
      await this.openRunDirs(group.dirs);
    } catch (e) {
      this.log.error(`Open Run: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
    }
  }

  async exportRun(runId?: string, to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const model = this.findModel(runId);
    if (!model) {
      void vscode.window.showInformationMessage('MLP Lens: no run to export. Train or open a run first.');
      return undefined;
    }
    const base = model.runDirs[0] ? path.dirname(model.runDirs[0]) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? this.context.globalStorageUri.fsPath;
    const target = to ?? await vscode.window.showSaveDialog({
      title: 'Export Run as HTML', saveLabel: 'Export',
      defaultUri: vscode.Uri.file(path.join(base, `${model.title.replace(/[^\w.-]+/g, '_')}-report.html`)),
      filters: { 'HTML report': ['html'] },
    });
    if (!target) return undefined;
    const html = reportHtml(model.snapshot(this.settings()), vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview').fsPath);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(html));
    this.log.info(`exported ${model.title} to ${target.fsPath} (${(html.length / 1024).toFixed(0)} KB)`);
    void vscode.window.showInformationMessage(`MLP Lens: exported "${model.title}" to ${path.basename(target.fsPath)} (a self-contained HTML file).`);
    return target;
  }

  dispose(): void {
    clearTimeout(this.statusTimer);
    if (this.live) void this.live.worker.terminate();
    for (const p of [...this.panels.values()]) p.dispose();
    for (const s of this.subs) s.dispose();
  }
}
