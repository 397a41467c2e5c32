/**
 * The training status bar item (the live run, else an experiment training in the background,
 * else the last run; throttled to two updates a second) and the cancellable progress
 * notification of a run. An experiment (a sweep's pool, or the runs of a seeds config) shows its
 * runs ended of all ("MLP Lens: 7/27 runs"); its tooltip has Stop.
 */
import * as vscode from 'vscode';
import type { RunModel } from '../../runs/model';
import type { RunState } from './types';

/** An experiment training in the background (src/host/experiment): runs ended (any final status) of all. */
export interface ExperimentProgress {
  name: string;
  done: number;
  total: number;
  running: number;
}

/** The status line of an experiment's progress. */
export function experimentStatusText(p: { done: number; total: number }): string {
  return `MLP Lens: ${p.done}/${p.total} runs`;
}

export class StatusBar implements vscode.Disposable {
  /** the variant whose records came last: the one the status line shows */
  lastVariantUpdated: string | null = null;
  private readonly statusItem: vscode.StatusBarItem;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private lastStatusAt = 0;

  constructor(private readonly state: RunState, private readonly experiment: () => ExperimentProgress | null = () => null) {
    this.statusItem = vscode.window.createStatusBarItem('mlpLens.training', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'MLP Lens Training';
    this.statusItem.command = 'mlpLens.showPanel';
  }

  statusLine(model: RunModel): string {
    const name = this.lastVariantUpdated ?? model.variants[0]?.meta.name;
    const v = model.variants.find((x) => x.meta.name === name) ?? model.variants[0];
    if (!v) return model.title;
    const n = v.store.count;
    const loss = n ? v.store.s.loss[n - 1]! : NaN;
    return `${v.meta.name} · epoch ${Math.min(v.meta.epoch + 1, v.meta.epochsPlanned)}/${v.meta.epochsPlanned} · loss ${Number.isFinite(loss) ? loss.toFixed(3) : '–'}`;
  }

  /** What the status bar says now (tests read it). */
  get text(): string {
    return this.statusItem.text;
  }

  get tooltip(): vscode.MarkdownString | string | undefined {
    return this.statusItem.tooltip;
  }

  updateStatus(now = false): void {
    const experiment = this.state.live ? null : this.experiment();
    const model = this.state.live?.model ?? this.state.lastRun;
    if (!model && !experiment) {
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
    if (experiment) {
      this.showExperiment(experiment);
      return;
    }
    if (!model) return;
    const live = this.state.live?.model === model;
    // the runs of a seeds config in the one panel: how many have ended
    const seeds = live && model.groups ? { done: model.variants.filter((v) => v.meta.status !== 'running' && v.meta.status !== 'waiting').length, total: model.variants.length } : null;
    const icon = live ? '$(pulse)' : model.status === 'completed' ? '$(check)' : model.status === 'diverged' || model.status === 'crashed' || model.status === 'failed' ? '$(warning)' : '$(debug-stop)';
    this.statusItem.text = seeds ? `${icon} ${experimentStatusText(seeds)}` : live ? `${icon} ${this.statusLine(model)}` : `${icon} ${model.title}: ${model.status}`;
    const tip = new vscode.MarkdownString(`**MLP Lens: ${model.title}** (${model.status})\n\n`);
    for (const v of model.variants) {
      const n = v.store.count;
      const loss = n ? v.store.s.loss[n - 1]! : NaN;
      tip.appendMarkdown(`- ${v.meta.name}: ${v.meta.status}, step ${v.meta.step}/${v.meta.totalSteps || '?'}, loss ${Number.isFinite(loss) ? loss.toFixed(4) : '–'}\n`);
    }
    tip.appendMarkdown('\nClick to show the training panel.');
    if (live) stopLink(tip);
    this.statusItem.tooltip = tip;
    this.statusItem.accessibilityInformation = { label: `MLP Lens ${live ? 'training' : model.status}: ${seeds ? experimentStatusText(seeds) : this.statusLine(model)}`, role: 'button' };
    this.statusItem.show();
  }

  private showExperiment(p: ExperimentProgress): void {
    this.statusItem.text = `$(pulse) ${experimentStatusText(p)}`;
    const tip = new vscode.MarkdownString(`**MLP Lens: experiment ${p.name}** (training)\n\n${p.done} of ${p.total} runs ended, ${p.running} training now.\n\nClick to show the Experiment panel.`);
    stopLink(tip);
    this.statusItem.tooltip = tip;
    this.statusItem.accessibilityInformation = { label: `MLP Lens training experiment ${p.name}: ${p.done} of ${p.total} runs ended`, role: 'button' };
    this.statusItem.show();
  }

  dispose(): void {
    clearTimeout(this.statusTimer);
    this.statusItem.dispose();
  }
}

/** A Stop link (Stop Training) at the end of a tooltip. */
function stopLink(tip: vscode.MarkdownString): void {
  tip.isTrusted = { enabledCommands: ['mlpLens.stop'] };
  tip.appendMarkdown('\n\n[$(debug-stop) Stop](command:mlpLens.stop "MLP Lens: Stop Training")');
  tip.supportThemeIcons = true;
}

export interface RunProgress {
  report(p: { message?: string; increment?: number }): void;
  /** close the notification */
  done(): void;
}

/** The notification of a run being trained ("loading data…" until its first report); Cancel calls `onCancel`. */
export function showRunProgress(title: string, onCancel: () => void): RunProgress {
  let progressDone: (() => void) | null = null;
  let reportProgress: ((p: { message?: string; increment?: number }) => void) | null = null;
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      reportProgress = (p) => progress.report(p);
      progress.report({ message: 'loading data…' });
      token.onCancellationRequested(onCancel);
      return new Promise<void>((resolve) => { progressDone = resolve; });
    },
  );
  return {
    report: (p) => reportProgress?.(p),
    done: () => progressDone?.(),
  };
}
