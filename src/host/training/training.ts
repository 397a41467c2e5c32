/**
 * Training: owns the run state (the live run, the last run) and its parts, registers the
 * commands (Train MLP, Stop Training, Open Run..., Export Run..., Show Panel), and trains a
 * config: check it, apply the settings, start the worker.
 *
 * Training runs in dist/worker.js (worker_threads): the extension host only validates the
 * config, relays batched records into a bounded RunModel and posts batched deltas to the panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveConfig, validateConfig } from '../../engine/config';
import { hasSweep } from '../../engine/experiment';
import { Experiments } from '../experiment';
import { runViewFolders } from '../run-roots';
import type { HostToWorker, PanelSettings } from '../../shared/protocol';
import { weightPageFromDisk } from '../../runs/loader';
import { RunModel } from '../../runs/model';
import type { PanelHost, RunPanel } from '../panel';
import { PanelExport } from '../panel-export';
import { configInView as configOnScreen, pickConfig } from './config-pick';
import { ConfigDiagnostics } from './diagnostics';
import { Panels } from './panels';
import { RunCommands } from './run-commands';
import { RunFolders } from './run-folders';
import { experimentGroups, planSeeds, seedsExperiment } from './seeds';
import { historyColumns, panelSettings, updateRate, withProbeInterval } from './settings';
import { StatusBar } from './status';
import type { LiveRun, RunState, TrainingApi } from './types';
import { TrainingWorker } from './worker-run';
import { askContinue, type ContinueAsk } from './continue';

export class Training implements TrainingApi, RunState, PanelHost, vscode.Disposable {
  live: LiveRun | null = null;
  lastRun: RunModel | null = null;
  readonly extensionUri: vscode.Uri;
  inspectorFollows: (uri: vscode.Uri) => boolean = () => false;
  private readonly diagnostics: ConfigDiagnostics;
  private readonly status: StatusBar;
  private readonly panels: Panels;
  private readonly folders: RunFolders;
  private readonly worker: TrainingWorker;
  private readonly runs: RunCommands;
  readonly experiments: Experiments;
  private readonly subs: vscode.Disposable[] = [];
  private runCounter = 0;
  private readonly runsChanged = new vscode.EventEmitter<void>();
  readonly panelExport: PanelExport;
  readonly onDidChangeRuns = this.runsChanged.event;

  constructor(context: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {
    this.extensionUri = context.extensionUri;
    this.diagnostics = new ConfigDiagnostics(log, (uri) => this.inspectorFollows(uri));
    this.status = new StatusBar(this, () => this.experiments?.progress() ?? null);
    this.panels = new Panels(this, this, this.status);
    this.folders = new RunFolders(context, log);
    this.panelExport = new PanelExport(log, () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? context.globalStorageUri.fsPath);
    const parts = { context, log, extensionUri: this.extensionUri, status: this.status, diagnostics: this.diagnostics, panels: this.panels, folders: this.folders };
    this.worker = new TrainingWorker(this, parts);
    this.runs = new RunCommands(this, parts);
    this.experiments = new Experiments(log, {
      extensionUri: this.extensionUri,
      openRun: (dir) => this.openRunDirs([dir]),
      roots: () => runViewFolders((uri) => this.folders.runFolderFor(uri), context.workspaceState),
      testMode: context.extensionMode === vscode.ExtensionMode.Test,
      changed: () => {
        void this.setContext();
        this.status.updateStatus();
      },
    });
    const cmd = (id: string, fn: (...a: never[]) => unknown) => vscode.commands.registerCommand(id, (...a: never[]) => this.guard(id, () => fn(...a)));
    this.subs.push(
      this.diagnostics,
      this.status,
      cmd('mlpLens.train', (uri?: vscode.Uri) => this.train(uri instanceof vscode.Uri ? uri : undefined)),
      cmd('mlpLens.stop', () => this.stop()),
      cmd('mlpLens.openRun', (uri?: vscode.Uri) => this.runs.openRun(uri instanceof vscode.Uri ? uri : undefined)),
      cmd('mlpLens.followRun', (uri?: vscode.Uri) => this.runs.followRun(uri instanceof vscode.Uri ? uri : undefined)),
      // from the palette: no arguments; from automation: (runId?, target file URI?)
      cmd('mlpLens.exportRun', (arg?: unknown, target?: unknown) => this.exportRun(typeof arg === 'string' ? arg : undefined, target instanceof vscode.Uri ? target : undefined)),
      cmd('mlpLens.showPanel', () => this.showPanel()),
      this.panels,
      this.experiments,
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

  async setContext(): Promise<void> {
    this.runsChanged.fire();
    // an experiment training in the background counts: Stop Training stops it
    const experiment = !!this.experiments?.live;
    await vscode.commands.executeCommand('setContext', 'mlpLens.training', !!this.live || experiment);
    await vscode.commands.executeCommand('setContext', 'mlpLens.hasRun', !!this.lastRun || this.panels.size > 0 || experiment);
  }

  nextRunNumber(): number {
    return ++this.runCounter;
  }

  // TrainingApi: the worker's measurements
  get stopLatencies(): number[] { return this.worker.stopLatencies; }
  get stopWorkerMs(): number[] { return this.worker.stopWorkerMs; }
  get stopExitLatencies(): number[] { return this.worker.stopExitLatencies; }
  get firstRecordLatencies(): number[] { return this.worker.firstRecordLatencies; }
  get timing(): { maxHandlerMs: number } { return this.worker.timing; }

  configInView(): vscode.Uri | undefined {
    return configOnScreen();
  }

  async train(arg?: vscode.Uri): Promise<RunModel | undefined> {
    const t0 = Date.now();
    const picked = await pickConfig(arg, this.extensionUri);
    if (!picked) return undefined;
    const { uri } = picked;
    const file = uri.fsPath;
    const name = path.basename(file);
    const issues = validateConfig(picked.text, file);
    const errors = issues.filter((i) => i.severity === 'error');
    this.diagnostics.setDiagnostics(uri, issues);
    if (errors.length) {
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more in Problems)` : '';
      this.log.warn(`not training ${file}: ${errors.length} problem(s); first: ${first.path} ${first.message} at ${first.line}:${first.column}`);
      void vscode.window.showErrorMessage(`MLP Lens: cannot train ${name}: ${first.path ? `${first.path}: ` : ''}${first.message} (line ${first.line})${more}`, 'Show Problems').then((b) => {
        if (b) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
      return undefined;
    }
    const text = withProbeInterval(picked.text, this.log);
    if (hasSweep(text, file)) {
      // a sweep: every run of the grid in the background pool, shown in the Experiment panel
      await this.experiments.train(file, text, this.folders.runFolderFor(picked.builtIn ? null : uri));
      return undefined;
    }
    const seeds = seedsExperiment(text, file);
    const cfgs = seeds ? seeds.runs.map((r) => r.config) : resolveConfig(text, file);
    if (this.live) {
      const choice = await vscode.window.showWarningMessage(`MLP Lens: "${this.live.model.title}" is still training.`, { modal: false }, 'Stop It and Train');
      if (choice !== 'Stop It and Train') return undefined;
      await this.worker.stop();
    }
    const outDir = this.folders.runFolderFor(picked.builtIn ? null : uri);
    const id = `run-${Date.now().toString(36)}-${this.nextRunNumber()}`;
    const model = new RunModel(id, cfgs[0]!.name, file, cfgs, historyColumns());
    if (!seeds) return this.worker.startWorker(model, uri, text, outDir, t0);
    model.groups = experimentGroups(seeds);
    const { plan } = await planSeeds(seeds, outDir, file, this.log);
    return this.worker.startWorker(model, uri, text, outDir, t0, plan);
  }

  /** Stop Training: the live run and the experiment training in the background, whichever train. */
  async stop(): Promise<void> {
    await Promise.all([this.live ? this.worker.stop() : undefined, this.experiments.stop()]);
  }

  /** Show Training Panel (and the status bar's click): the live run's panel, else the training experiment's. */
  showPanel(): void {
    const l = this.experiments.live;
    if (!this.live && l) {
      this.experiments.openFolder(l.folder, l.name);
      return;
    }
    this.panels.showPanel();
  }

  control(runId: string, action: 'pause' | 'step' | 'resume'): void {
    this.worker.control(runId, action);
  }

  continueRun(runId: string): Promise<RunModel | undefined> {
    const model = this.panels.panelFor(runId)?.model;
    return model ? this.continueModel(model) : Promise.resolve(undefined);
  }

  /** Open run folders (the Runs view's Continue) and continue them in their panel. */
  async continueRunDirs(dirs: string[], ask?: ContinueAsk): Promise<RunModel | undefined> {
    return this.continueModel(await this.openRunDirs(dirs), ask);
  }

  /** Asks for epochs and a learning rate (unless `ask` says them) and trains the run on in the worker. */
  async continueModel(model: RunModel, ask?: ContinueAsk): Promise<RunModel | undefined> {
    if (this.live) {
      void vscode.window.showWarningMessage(`MLP Lens: "${this.live.model.title}" is still training; stop it before continuing another run.`);
      return undefined;
    }
    const got = ask ?? await askContinue(model);
    if (!got) return undefined;
    for (const v of model.variants) if (v.meta.runDir && got.runDirs.includes(v.meta.runDir)) v.meta.epochsPlanned = got.epochs;
    const configUri = vscode.Uri.file(model.configFile ?? got.runDirs[0]!);
    this.log.info(`continuing ${model.title} to ${got.epochs} epochs${got.lr !== undefined ? ` at lr ${got.lr}` : ''}: ${got.runDirs.join(', ')}`);
    return this.worker.startWorker(model, configUri, '', '', Date.now(), undefined, got);
  }

  get statusText(): string {
    return this.status.text;
  }

  get statusTooltip(): vscode.MarkdownString | string | undefined {
    return this.status.tooltip;
  }

  whenIdle(): Promise<void> {
    return this.worker.whenIdle();
  }

  openRunDirs(dirs: string[]): Promise<RunModel> {
    return this.runs.openRunDirs(dirs);
  }

  runFolderFor(configUri: vscode.Uri | null): string {
    return this.folders.runFolderFor(configUri);
  }

  exportRun(runId?: string, to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    return this.runs.exportRun(runId, to);
  }

  panelFor(runId: string): RunPanel | undefined {
    return this.panels.panelFor(runId);
  }

  // PanelHost: what a run panel asks of training

  settings(): PanelSettings {
    return panelSettings();
  }

  updateRate(): number {
    return updateRate();
  }

  openConfig(runId: string): void {
    this.panels.openConfig(runId);
  }

  exportImage(runId: string, format: 'png' | 'svg', data: string): void {
    const model = this.panels.findModel(runId);
    if (model) void this.guard('export image', () => this.panelExport.image(model, format, data));
  }

  exportCsv(runId: string): void {
    const model = this.panels.findModel(runId);
    if (model) void this.guard('export CSV', () => this.panelExport.csv(model));
  }

  regionLayer(runId: string, layer: number): void {
    const live = this.live;
    if (live && live.model.id === runId) live.worker.postMessage({ type: 'regionLayer', layer } satisfies HostToWorker);
  }

  weightPage(runId: string, first: number): void {
    const live = this.live;
    if (live && live.model.id === runId) {
      live.worker.postMessage({ type: 'weightPage', first } satisfies HostToWorker);
      return;
    }
    // a run opened from its folder: the page from each variant's model.bin
    const model = this.panels.findModel(runId);
    if (model) {
      void this.guard('weight pictures', async () => {
        for (const v of model.variants) if (v.weightsOnDisk) await weightPageFromDisk(model, v.meta.name, first);
      });
    }
  }

  disposed(panel: RunPanel): void {
    this.panels.disposed(panel);
  }

  dispose(): void {
    this.worker.dispose();
    for (const s of this.subs) s.dispose();
    this.runsChanged.dispose();
  }
}
