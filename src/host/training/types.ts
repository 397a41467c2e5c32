/**
 * The types the training parts share: the live run, the state Training owns and lends its
 * parts (RunState), and what the in-host tests see (TrainingApi). Types only.
 */
import type { Worker } from 'node:worker_threads';
import type * as vscode from 'vscode';
import type { RunModel } from '../../runs/model';
import type { RunPanel } from '../panel';
import type { Experiments } from '../experiment';
import type { PanelExport } from '../panel-export';

export interface LiveRun {
  model: RunModel;
  /** the first of `workers` */
  worker: Worker;
  /** one worker, or several sharing a seeds experiment's runs */
  workers: Worker[];
  /** shared with the worker: 1 = stop */
  stopFlag: Int32Array;
  configUri: vscode.Uri;
  startedAt: number;
  stopRequestedAt: number | null;
  /** resolves when the worker is gone, however it ended */
  ended: Promise<void>;
}

/** The run state Training owns; its parts read and change it through this. */
export interface RunState {
  live: LiveRun | null;
  lastRun: RunModel | null;
  /** the next number for a run id (trained or opened runs alike) */
  nextRunNumber(): number;
  /** update the when-clause contexts (mlpLens.training, mlpLens.hasRun) */
  setContext(): Promise<void>;
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
  /** the config Train MLP trains without asking (see configInView in config-pick.ts) */
  configInView(): vscode.Uri | undefined;
  /** ms from the Train command to the first records reaching the host, per run */
  readonly firstRecordLatencies: number[];
  /** the longest the host spent handling one worker message (ms) */
  readonly timing: { maxHandlerMs: number };
  panelFor(runId: string): RunPanel | undefined;
  /** sweeps: the experiment training in the background and the Experiment panels */
  readonly experiments: Experiments;
  /** the panel's PNG, SVG and CSV exports (a test sets their target instead of a save dialog) */
  readonly panelExport: PanelExport;
  /**
   * Train a config (as the command does); resolves when training started, or undefined if refused.
   * A config with a sweep trains as an experiment (see experiments.live) and resolves undefined.
   */
  train(uri?: vscode.Uri): Promise<RunModel | undefined>;
  stop(): Promise<void>;
  /** Pause, Step or Resume the live run (as the panel's buttons do) */
  control(runId: string, action: 'pause' | 'step' | 'resume'): void;
  /** Continue a stopped or completed run shown in a panel (asks for epochs and lr as the panel's Continue does) */
  continueRun(runId: string): Promise<RunModel | undefined>;
  /** Open run folders and continue them (the Runs view's Continue); `ask`: the answers, without asking */
  continueRunDirs(dirs: string[], ask?: { runDirs: string[]; epochs: number; lr?: number }): Promise<RunModel | undefined>;
  /** what the status bar item says now, and its tooltip */
  readonly statusText: string;
  readonly statusTooltip: vscode.MarkdownString | string | undefined;
  /** resolves when the live run (if any) has ended */
  whenIdle(): Promise<void>;
  /** Open run folders in a panel (rejects with the folder named when one is unreadable). */
  openRunDirs(dirs: string[]): Promise<RunModel>;
  /** The folder Train MLP writes a config's runs into (null: a config outside any workspace folder). */
  runFolderFor(configUri: vscode.Uri | null): string;
  /** fires when a run starts or ends training in this window, or a panel opens or closes */
  readonly onDidChangeRuns: vscode.Event<void>;
  /** set once by extension.ts: does the inspector follow this config (it then reports its semantic problems) */
  inspectorFollows: (uri: vscode.Uri) => boolean;
}
