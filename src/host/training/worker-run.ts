/**
 * The training worker's lifecycle: spawn dist/worker.js for a run, relay its messages into the
 * RunModel (and the status, progress, panel and Problems), report crashes and divergence, Stop.
 */
import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import type { HostToWorker, WorkerToHost } from '../../shared/protocol';
import type { RunSummary } from '../../runs/summary';
import { RunModel } from '../../runs/model';
import type { ConfigDiagnostics } from './diagnostics';
import type { Panels } from './panels';
import type { RunFolders } from './run-folders';
import { recordFormat, updateRate } from './settings';
import { showRunProgress, type StatusBar } from './status';
import type { LiveRun, RunState } from './types';

/**
 * How long Stop waits for the worker to finish on its own before terminating it. The worker
 * stops training within one step of Stop, then writes its run records (the weights last): for the
 * lecture networks 10-40 ms. Terminating it earlier only cuts those writes short (and, measured,
 * ended the thread later than letting it finish), so this is a safety net for a worker that is
 * stuck, sized for the weights of a large network.
 */
const STOP_DEADLINE_MS = 2000;

/** The parts of training a run reports to. */
export interface WorkerRunParts {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  status: StatusBar;
  diagnostics: ConfigDiagnostics;
  panels: Panels;
  folders: RunFolders;
}

/** A seeds experiment's runs on several workers (training.ts, seeds.ts). */
export interface SeedsPlan {
  /** per worker: the experiment's runs it trains (index in resolveExperiment's order) and their folders */
  runs: { index: number; dir: string }[][];
  /** a run ended (its summary is on disk) */
  onRunDone(): void;
  /** every worker ended, however */
  onEnd(): void;
  /** nothing trained (the data refused the config): the experiment's folder goes */
  discard(): void;
}

export class TrainingWorker implements vscode.Disposable {
  readonly stopLatencies: number[] = [];
  /** per stop that finished: ms from the worker first seeing Stop to its 'finished' */
  readonly stopWorkerMs: number[] = [];
  readonly stopExitLatencies: number[] = [];
  readonly firstRecordLatencies: number[] = [];
  readonly timing = { maxHandlerMs: 0 };
  private readonly log: vscode.LogOutputChannel;

  constructor(private readonly state: RunState, private readonly parts: WorkerRunParts) {
    this.log = parts.log;
  }

  /**
   * Train `model` in a new worker (resolves when training started, or undefined if it did not).
   * `cont`: continue the runs in these folders instead (the model shows them already); a problem
   * with them is shown as a message, the model left as it was.
   */
  startWorker(model: RunModel, configUri: vscode.Uri, text: string, outDir: string, t0: number, seeds?: SeedsPlan, cont?: { runDirs: string[]; epochs?: number; lr?: number }): Promise<RunModel | undefined> {
    const { extensionUri, status, diagnostics, panels, folders } = this.parts;
    const workerJs = vscode.Uri.joinPath(extensionUri, 'dist', 'worker.js').fsPath;
    const assetDir = vscode.Uri.joinPath(extensionUri, 'media', 'datasets').fsPath;
    const workers = (seeds?.runs ?? [null]).map(() => new Worker(workerJs, { name: 'mlp-lens-training' }));
    const worker = workers[0]!;
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => { endResolve = r; });
    let exited = 0;
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    const live: LiveRun = { model, worker, workers, stopFlag, configUri, startedAt: t0, stopRequestedAt: null, ended };
    this.state.live = live;
    void this.state.setContext();
    this.log.info(`training ${configUri.fsPath}: ${model.variants.map((v) => v.meta.name).join(', ')}; run records in ${outDir}`);
    let startedResolve!: (m: RunModel | undefined) => void;
    const started = new Promise<RunModel | undefined>((r) => { startedResolve = r; });
    let finished = false;
    /** workers that posted 'finished' */
    let workersDone = 0;
    let stoppedByWorker = false;
    let firstRecords = true;
    let lastProgress = 0;

    const progress = showRunProgress(`Training ${model.title}`, () => void this.stop());
    const end = (how: 'finished' | 'crashed' | 'inputError' | 'terminated', message: string | null = null) => {
      if (finished) return;
      finished = true;
      if (how === 'crashed' || how === 'terminated') {
        model.finish(how === 'crashed' ? 'crashed' : 'stopped', message);
        if (how === 'terminated') folders.finalizeStopped(model);
      }
      progress.done();
      if (this.state.live === live) this.state.live = null;
      void this.state.setContext();
      status.updateStatus(true);
      seeds?.onEnd();
      void Promise.all(workers.map((w) => w.terminate())).then(() => endResolve());
    };

    const onMessage = (m: WorkerToHost) => {
      const h0 = performance.now();
      try {
        switch (m.type) {
          case 'started':
            model.started(m.variants, m.runDirs, m.dataset);
            this.log.info(`worker started ${Date.now() - t0} ms after the command`);
            this.state.lastRun = model;
            void this.state.setContext();
            diagnostics.delete(configUri);
            startedResolve(model);
            break;
          case 'packedRecords': {
            if (firstRecords && m.count) {
              firstRecords = false;
              this.firstRecordLatencies.push(Date.now() - t0);
            }
            model.packedRecords(m.variant, m.layers, m.data, m.count, m.epochs, m.progress);
            status.lastVariantUpdated = m.variant;
            status.updateStatus();
            const done = model.variants.reduce((a, v) => a + v.meta.step, 0);
            const total = model.variants.reduce((a, v) => a + (v.meta.totalSteps || 0), 0);
            const pct = total ? (100 * done) / total : 0;
            if (pct - lastProgress >= 1 || pct >= 100) {
              progress.report({ increment: pct - lastProgress, message: `${Math.floor(pct)}% · ${status.statusLine(model)}` });
              lastProgress = pct;
            }
            break;
          }
          case 'plane':
            model.setPlane(m.plane);
            break;
          case 'paused':
            model.paused = m.paused;
            this.log.info(`${model.title}: ${m.paused ? 'paused' : 'resumed'}`);
            model.changed();
            break;
          case 'regions':
            model.setRegions(m.variant, [m.frame]);
            break;
          case 'pictures':
            model.setPictures(m.variant, { weights: m.weights, errors: m.errors });
            break;
          case 'variantDone':
            model.variantDone(m.variant, m.runDir, m.summary);
            this.log.info(`${m.variant}: ${m.summary.status}, ${m.summary.steps} steps, test accuracy ${m.summary.test?.accuracy?.toFixed(3) ?? '-'}; ${m.runDir}`);
            if (m.summary.divergence) this.reportDivergence(model, m.variant, m.summary);
            seeds?.onRunDone();
            break;
          case 'finished': {
            stoppedByWorker ||= m.stopped;
            if (++workersDone < workers.length) break; // the experiment's other workers still train
            const stopped = stoppedByWorker || live.stopRequestedAt !== null;
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
            if (cont) {
              // the run folders cannot be continued: say why, leave the run as it was shown
              this.log.warn(`cannot continue ${model.title}: ${m.message}${m.file ? ` (${m.file})` : ''}`);
              void vscode.window.showErrorMessage(`MLP Lens: cannot continue "${model.title}": ${m.file ? `${m.file}: ` : ''}${m.message}`);
              startedResolve(undefined);
              end('inputError');
              break;
            }
            // bad data (a CSV row, a variant the data cannot take): nothing was trained, leave nothing open
            diagnostics.reportInputProblem(configUri, m.message, m, text);
            seeds?.discard();
            startedResolve(undefined);
            panels.panelFor(model.id)?.dispose();
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
    };
    for (const w of workers) {
      w.on('message', onMessage);
      w.on('error', (e) => {
        if (finished) return;
        this.reportCrash(model, e.message, e.stack);
        startedResolve(model.status === 'starting' ? undefined : model);
        end('crashed', `the training worker crashed: ${e.message}`);
      });
      w.on('exit', (code) => {
        exited++;
        if (!finished && live.stopRequestedAt === null) {
          this.reportCrash(model, `the worker exited unexpectedly (exit code ${code})`);
          startedResolve(model.status === 'starting' ? undefined : model);
          end('crashed', `the training worker exited unexpectedly (exit code ${code})`);
        }
        if (exited < workers.length) return; // the others still run (or write their records)
        if (live.stopRequestedAt !== null) {
          this.stopExitLatencies.push(Date.now() - live.stopRequestedAt);
          if (!finished) this.stopLatencies.push(Date.now() - live.stopRequestedAt);
        }
        if (!finished) end('terminated', 'stopped by the user; the run so far is kept');
        endResolve();
      });
    }
    const postIntervalMs = Math.max(25, Math.floor(1000 / updateRate() / 2));
    workers.forEach((w, k) => {
      const start: HostToWorker = cont
        ? { type: 'continue', ...cont, assetDir, postIntervalMs, stopFlag: stopFlag.buffer as SharedArrayBuffer }
        : {
            type: 'start', configText: text, configFile: configUri.fsPath, outDir, assetDir, recordFormat: recordFormat(),
            postIntervalMs, stopFlag: stopFlag.buffer as SharedArrayBuffer,
            ...(seeds ? { runs: seeds.runs[k]! } : {}),
          };
      w.postMessage(start);
    });
    // the config is valid: open the panel now, while the worker loads the data
    panels.openPanel(model, true);
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
      if (b) this.parts.panels.showPanel(model.id);
    });
  }

  /** Pause, Step or Resume the live run `runId` (between its steps). */
  control(runId: string, action: 'pause' | 'step' | 'resume'): void {
    const live = this.state.live;
    if (!live || live.model.id !== runId || live.stopRequestedAt !== null) return;
    for (const w of live.workers) w.postMessage({ type: action } satisfies HostToWorker);
  }

  async stop(): Promise<void> {
    const live = this.state.live;
    if (!live) return;
    if (live.stopRequestedAt === null) {
      live.stopRequestedAt = Date.now();
      this.log.info(`stop requested for ${live.model.title}`);
      Atomics.store(live.stopFlag, 0, 1); // seen before the worker's next step, however busy its event loop
      // the worker stops within a step and writes its records; if it is stuck, end it
      setTimeout(() => {
        if (this.state.live === live) {
          this.log.info(`stop: the worker did not finish within ${STOP_DEADLINE_MS} ms; terminating it`);
          for (const w of live.workers) void w.terminate();
        }
      }, STOP_DEADLINE_MS);
    }
    await live.ended;
  }

  async whenIdle(): Promise<void> {
    while (this.state.live) await this.state.live.ended;
  }

  /** The live worker (if any) ends with the extension. */
  dispose(): void {
    if (this.state.live) for (const w of this.state.live.workers) void w.terminate();
  }
}
