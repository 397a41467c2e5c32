/**
 * Experiments in the extension: Train MLP on a config with a sweep trains every run of its grid
 * in the background (the Node pool of src/node/pool.ts, one worker thread per core, running the
 * extension's dist/cli.js as pool workers: nothing trains on the extension host's thread) into
 * one experiment folder under the run folder, with the same run records and experiment.json as
 * `mlp-lens train`, and shows it in an Experiment panel, live. Training the same config again
 * resumes its newest unfinished experiment folder (its completed runs are kept). The Runs view
 * opens any experiment folder in the same panel (openFolder). After a window reload (which ends
 * the extension host and its pool) an Experiment panel comes back showing its folder as it is
 * now, if that is a folder the host lists (restore.ts); its unfinished runs say so.
 *
 * While an experiment trains, the status bar shows its progress and Stop Training (mlpLens.stop)
 * stops it as the panel's Stop does (Training asks progress() and stop()).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveExperiment, type Experiment } from '../../engine/experiment';
import { runExperiment } from '../../node/experiment-run';
import { defaultJobs, Pool, poolEnv } from '../../node/pool';
import { ExperimentWriter, newExperimentFolder, runFolderNames } from '../../runs/experiment-record';
import { realRoot } from '../../runs/read';
import { readExperimentFile } from '../../runs/run-list';
import { slug } from '../../runs/names';
import { recordFormat } from '../training/settings';
import { EXPERIMENT_VIEW_TYPE, ExperimentPanel } from './panel';
import { restorableExperiment } from './restore';

/** What tests see of a running experiment. */
export interface LiveExperiment {
  folder: string;
  /** the experiment's name (its config's) */
  name: string;
  /** runs in its grid */
  total: number;
  /** runs ended: completed before it started (kept), and ended since (however) */
  ended: number;
  pool: Pool;
  panel: ExperimentPanel;
  /** resolves when every run handed out has ended and experiment.json is final */
  done: Promise<void>;
}

/** The newest experiment folder of this config in `parent` that has runs not completed, or null. */
async function unfinishedFolder(parent: string, name: string, configFile: string, runs: number): Promise<string | null> {
  let names: string[];
  try {
    names = (await fsp.readdir(parent)).filter((n) => n.endsWith(`-${slug(name)}`)).sort().reverse();
  } catch {
    return null;
  }
  for (const n of names.slice(0, 20)) {
    const dir = path.join(parent, n);
    // read as the Runs view reads it: bounded, checked, inside its folder
    const rec = await realRoot(dir).then((root) => readExperimentFile(dir, root)).catch(() => null);
    if (!rec || rec.configFile !== configFile) continue;
    return rec.runs.length === runs && rec.runs.some((r) => r.status !== 'completed') ? dir : null;
  }
  return null;
}

/** What the Experiments need of the extension besides the log. */
export interface ExperimentsHost {
  extensionUri: vscode.Uri;
  /** open a run folder in the training panel */
  openRun(dir: string): Promise<unknown>;
  /** the folders runs are listed in (a restored panel shows only an experiment directly inside one) */
  roots(): string[];
  /** VS Code runs the extension's tests: the pool workers get the test hooks' variables */
  testMode: boolean;
  /** an experiment started or ended, or its progress changed */
  changed(): void;
}

export class Experiments implements vscode.Disposable {
  live: LiveExperiment | null = null;
  readonly panels: ExperimentPanel[] = [];
  /** one line per worker that died while training (also in the log and a notification) */
  readonly workerDeaths: string[] = [];
  private readonly panelHost;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel, private readonly host: ExperimentsHost) {
    const { extensionUri, openRun } = host;
    this.panelHost = {
      log, extensionUri, openRun,
      stop: (folder: string) => {
        if (this.live && this.live.folder === folder) void this.stop();
      },
      viewed: (p: ExperimentPanel) => {
        if (this.live?.panel === p) host.changed();
      },
      disposed: (p: ExperimentPanel) => {
        const i = this.panels.indexOf(p);
        if (i >= 0) this.panels.splice(i, 1);
      },
    };
    this.subs.push(vscode.window.registerWebviewPanelSerializer(EXPERIMENT_VIEW_TYPE, { deserializeWebviewPanel: async (p, s) => { await this.restore(p, s); } }));
  }

  /** The live experiment's progress: runs ended (any final status) of its grid's. */
  progress(): { name: string; folder: string; done: number; total: number; running: number } | null {
    const l = this.live;
    if (!l) return null;
    const rows = l.panel.view?.folder === l.folder ? l.panel.view.rows : [];
    return { name: l.name, folder: l.folder, done: Math.min(l.ended, l.total), total: l.total, running: rows.filter((r) => r.status === 'running').length };
  }

  /**
   * An Experiment panel restored after a window reload: its folder as it is now, when the saved
   * state names an experiment folder the host lists (restore.ts); else the panel closes, saying why.
   */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<ExperimentPanel | undefined> {
    const r = await restorableExperiment(state, this.host.roots());
    if (!r.ok) {
      this.log.warn(`experiment: a restored Experiment panel was closed: ${r.reason}`);
      panel.dispose();
      if (!r.closeQuietly) void vscode.window.showInformationMessage(`MLP Lens: an Experiment panel was not restored: ${r.reason}.`);
      return undefined;
    }
    if (this.panels.some((x) => x.folder === r.folder)) {
      panel.dispose(); // the folder has its panel already
      return undefined;
    }
    const p = new ExperimentPanel(panel, r.folder, this.panelHost);
    panel.title = `MLP Lens: ${r.name}`;
    this.panels.push(p);
    this.log.info(`experiment: restored the panel of ${r.folder}`);
    await p.update();
    return p;
  }

  /**
   * The Experiment panel of a folder: the one open already, or a new one (which takes over as the
   * live experiment's panel when that is its folder: its panel was closed while it trains).
   */
  openFolder(folder: string, title = path.basename(folder)): ExperimentPanel {
    const dir = path.resolve(folder);
    let p = this.panels.find((x) => x.folder === dir);
    if (p) p.panel.reveal();
    else {
      p = ExperimentPanel.open(this.panelHost, dir, title);
      this.panels.push(p);
      const l = this.live;
      if (l && l.folder === dir) {
        p.live = true;
        p.message = l.panel.message;
        l.panel = p;
      }
    }
    p.refresh();
    return p;
  }

  /** Trains every run of a sweep config's grid (see the file's comment). */
  async train(configFile: string, text: string, parent: string): Promise<ExperimentPanel | undefined> {
    const exp: Experiment = resolveExperiment(text, configFile);
    if (this.live) {
      const choice = await vscode.window.showWarningMessage(`MLP Lens: the experiment in ${path.basename(this.live.folder)} is still training.`, 'Stop It and Train');
      if (choice !== 'Stop It and Train') return undefined;
      await this.stop();
    }
    const resumed = await unfinishedFolder(parent, exp.name, configFile, exp.runs.length);
    const folder = resumed ?? newExperimentFolder(parent, exp.name);
    const folders = runFolderNames(exp.runs);
    const writer = new ExperimentWriter(folder, exp, folders, configFile);
    const kept = (await writer.write()).runs.filter((r) => r.status === 'completed').length;
    const jobs = Math.max(1, Math.min(defaultJobs(), exp.runs.length));
    const pool = new Pool(jobs, vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'cli.js').fsPath, { env: poolEnv(process.env, this.host.testMode) });
    const first = this.openFolder(folder, exp.name);
    first.live = true;
    first.message = resumed ? 'resumed: runs completed earlier are kept' : null;
    // the panel it shows in now (closed and opened again while it trains: the new one)
    const live: LiveExperiment = { folder, name: exp.name, total: exp.runs.length, ended: kept, pool, panel: first, done: Promise.resolve() };
    this.log.info(`experiment ${exp.name}: ${exp.runs.length} runs on ${jobs} worker${jobs > 1 ? 's' : ''} into ${folder}${resumed ? ' (resumed)' : ''}`);
    const tick = setInterval(() => live.panel.refresh(), 1000);
    live.done = (async () => {
      try {
        const out = await runExperiment({
          pool, writer, runs: exp.runs, folderOf: new Map(exp.runs.map((r, k) => [r.id, folders[k]!])), configFile,
          assetDir: vscode.Uri.joinPath(this.host.extensionUri, 'media', 'datasets').fsPath, format: recordFormat(),
          onStart: () => live.panel.refresh(),
          onDone: (run, reply) => {
            if (!reply.summary) this.log.warn(`experiment ${exp.name}: run "${run.name}" could not start: ${reply.error ?? 'unknown reason'}`);
            if (!reply.skipped) live.ended++;
            live.panel.refresh();
            this.host.changed();
          },
          onWriteError: (e) => this.log.error(`experiment ${exp.name}: cannot write experiment.json: ${e.message}`),
          onWorkerDied: (message, runs) => {
            const line = `experiment ${exp.name}: ${message}; ${runs.map((r) => `"${r.name}"`).join(' and ')} failed, the other runs go on`;
            this.workerDeaths.push(line);
            this.log.error(line);
            void vscode.window.showErrorMessage(`MLP Lens: ${line}.`);
          },
        });
        const stopped = pool.stopped;
        const done = out.record.runs.filter((r) => r.status === 'completed').length;
        const resume = done < out.record.runs.length && !out.busy ? `; Train MLP on ${path.basename(configFile)} resumes it` : '';
        live.panel.message = `${stopped ? 'stopped' : 'finished'}: ${done} of ${out.record.runs.length} runs completed${out.skipped ? ` (${out.skipped} kept from before)` : ''}${out.busy ? `; ${out.busy} left to another process` : ''}${resume}`;
        this.log.info(`experiment ${exp.name}: ${live.panel.message}`);
      } catch (e) {
        live.panel.message = `the experiment failed: ${(e as Error).message}`;
        this.log.error(`experiment ${exp.name}: ${(e as Error).stack ?? String(e)}`);
      } finally {
        clearInterval(tick);
        await pool.close();
        if (this.live?.pool === pool) this.live = null;
        live.panel.live = false;
        await live.panel.update();
        this.host.changed();
      }
    })();
    this.live = live;
    this.host.changed();
    return first;
  }

  /** Stops the live experiment: its runs in flight end "stopped", no more start. */
  async stop(): Promise<void> {
    const l = this.live;
    if (!l) return;
    l.pool.stop();
    l.panel.message = 'stopping…';
    l.panel.refresh();
    await l.done;
  }

  dispose(): void {
    this.live?.pool.stop();
    for (const p of [...this.panels]) p.dispose();
    for (const s of this.subs) s.dispose();
  }
}
