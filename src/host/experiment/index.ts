/**
 * Experiments in the extension: Train MLP on a config with a sweep trains every run of its grid
 * in the background (the Node pool of src/node/pool.ts, one worker thread per core, running the
 * extension's dist/cli.js as pool workers: nothing trains on the extension host's thread) into
 * one experiment folder under the run folder, with the same run records and experiment.json as
 * `mlp-lens train`, and shows it in an Experiment panel, live. Training the same config again
 * resumes its newest unfinished experiment folder (its completed runs are kept). The Runs view
 * opens any experiment folder in the same panel (openFolder).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveExperiment, type Experiment } from '../../engine/experiment';
import { runExperiment } from '../../node/experiment-run';
import { defaultJobs, Pool } from '../../node/pool';
import { ExperimentWriter, newExperimentFolder, runFolderNames } from '../../runs/experiment-record';
import { realRoot } from '../../runs/read';
import { readExperimentFile } from '../../runs/run-list';
import { slug } from '../../runs/names';
import { recordFormat } from '../training/settings';
import { ExperimentPanel } from './panel';

/** What tests see of a running experiment. */
export interface LiveExperiment {
  folder: string;
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

export class Experiments implements vscode.Disposable {
  live: LiveExperiment | null = null;
  readonly panels: ExperimentPanel[] = [];
  private readonly panelHost;

  constructor(private readonly log: vscode.LogOutputChannel, private readonly extensionUri: vscode.Uri, openRun: (dir: string) => Promise<unknown>) {
    this.panelHost = {
      log, extensionUri, openRun,
      stop: (folder: string) => {
        if (this.live && this.live.folder === folder) this.stop();
      },
      disposed: (p: ExperimentPanel) => {
        const i = this.panels.indexOf(p);
        if (i >= 0) this.panels.splice(i, 1);
      },
    };
  }

  /** The Experiment panel of a folder: the one open already, or a new one. */
  openFolder(folder: string, title = path.basename(folder)): ExperimentPanel {
    const dir = path.resolve(folder);
    let p = this.panels.find((x) => x.folder === dir);
    if (p) p.panel.reveal();
    else {
      p = ExperimentPanel.open(this.panelHost, dir, title);
      this.panels.push(p);
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
    await writer.write();
    const jobs = Math.max(1, Math.min(defaultJobs(), exp.runs.length));
    const pool = new Pool(jobs, vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath);
    const panel = this.openFolder(folder, exp.name);
    panel.live = true;
    panel.message = resumed ? 'resumed: runs completed earlier are kept' : null;
    this.log.info(`experiment ${exp.name}: ${exp.runs.length} runs on ${jobs} worker${jobs > 1 ? 's' : ''} into ${folder}${resumed ? ' (resumed)' : ''}`);
    const tick = setInterval(() => panel.refresh(), 1000);
    const done = (async () => {
      try {
        const out = await runExperiment({
          pool, writer, runs: exp.runs, folderOf: new Map(exp.runs.map((r, k) => [r.id, folders[k]!])), configFile,
          assetDir: vscode.Uri.joinPath(this.extensionUri, 'media', 'datasets').fsPath, format: recordFormat(),
          onStart: () => panel.refresh(),
          onDone: (run, reply) => {
            if (!reply.summary) this.log.warn(`experiment ${exp.name}: run "${run.name}" could not start: ${reply.error ?? 'unknown reason'}`);
            panel.refresh();
          },
          onWriteError: (e) => this.log.error(`experiment ${exp.name}: cannot write experiment.json: ${e.message}`),
        });
        const stopped = pool.stopped;
        const done = out.record.runs.filter((r) => r.status === 'completed').length;
        panel.message = `${stopped ? 'stopped' : 'finished'}: ${done} of ${out.record.runs.length} runs completed${out.skipped ? ` (${out.skipped} kept from before)` : ''}${out.busy ? `; ${out.busy} left to another process` : ''}`;
        this.log.info(`experiment ${exp.name}: ${panel.message}`);
      } catch (e) {
        panel.message = `the experiment failed: ${(e as Error).message}`;
        this.log.error(`experiment ${exp.name}: ${(e as Error).stack ?? String(e)}`);
      } finally {
        clearInterval(tick);
        await pool.close();
        if (this.live?.pool === pool) this.live = null;
        panel.live = false;
        await panel.update();
      }
    })();
    this.live = { folder, pool, panel, done };
    return panel;
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
  }
}
