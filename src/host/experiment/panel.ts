/**
 * The Experiment panel (webview webview/experiment/): one experiment folder's runs as a table and
 * a heatmap (src/runs/experiment-view.ts reads the folder). The host reads the folder again when
 * told something changed (a run started or ended, a timer while it trains), at most twice a
 * second, and posts the whole view; a folder another process is training (runs not ended, and a
 * change in the last minute) is read every two seconds while the panel is visible. The webview names a run only by its row index.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExperimentReader } from '../../runs/experiment-view';
import { bundlePage } from '../webview-page';
import type { ExperimentToHost, ExperimentView, HostToExperiment } from '../../shared/protocol';
import { parseExperimentMessage } from '../validate-message';

export const EXPERIMENT_VIEW_TYPE = 'mlpLens.experiment';
const MIN_INTERVAL_MS = 500;
/** how often a folder that another process is training is read again */
const POLL_MS = 2000;
/** ... until nothing has changed for this long (an abandoned experiment is not polled forever) */
const POLL_QUIET_MS = 60_000;

export interface ExperimentPanelHost {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  openRun(dir: string): Promise<unknown>;
  /** Stop: the experiment this panel shows, if this window trains it */
  stop(folder: string): void;
  /** the panel read its folder again (its view is new) */
  viewed(panel: ExperimentPanel): void;
  disposed(panel: ExperimentPanel): void;
}

export class ExperimentPanel implements vscode.Disposable {
  private readonly subs: vscode.Disposable[] = [];
  private readonly reader: ExperimentReader;
  private disposed = false;
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poll: ReturnType<typeof setTimeout> | undefined;
  private lastKey = '';
  private lastChange = Date.now();
  private lastRead = 0;
  private reading: Promise<void> = Promise.resolve();
  /** the view last read (null before the first read) */
  view: ExperimentView | null = null;
  /** run folder names by row index, as last read */
  private folders: string[] = [];
  live = false;
  message: string | null = null;
  /** messages posted (for tests) */
  readonly posts: number[] = [];

  constructor(readonly panel: vscode.WebviewPanel, readonly folder: string, private readonly host: ExperimentPanelHost) {
    this.reader = new ExperimentReader(folder);
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(host.extensionUri, 'media')] };
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'icon.png');
    webview.html = bundlePage(host.extensionUri, webview, 'experiment', panel.title, host.log);
    this.subs.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
        else this.refresh();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static open(host: ExperimentPanelHost, folder: string, title: string): ExperimentPanel {
    const panel = vscode.window.createWebviewPanel(EXPERIMENT_VIEW_TYPE, `MLP Lens: ${title}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true, enableFindWidget: true, retainContextWhenHidden: false,
    });
    return new ExperimentPanel(panel, folder, host);
  }

  /** Read the folder again and post the view (at most every MIN_INTERVAL_MS; the last call always lands). */
  refresh(): void {
    if (this.disposed || this.timer) return;
    const wait = Math.max(0, this.lastRead + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastRead = Date.now();
      this.reading = this.reading.then(() => this.readNow());
    }, wait);
  }

  /** Read now and post; resolves when posted (for tests and the end of an experiment). */
  async update(): Promise<void> {
    await this.reading;
    this.reading = this.readNow();
    await this.reading;
  }

  private async readNow(): Promise<void> {
    if (this.disposed) return;
    try {
      this.view = await this.reader.read(this.live, this.message);
      this.folders = this.reader.folders;
    } catch (e) {
      this.host.log.warn(`experiment: cannot read ${this.folder}: ${(e as Error).message}`);
      if (!this.view) this.view = { folder: this.folder, name: path.basename(this.folder), configFile: null, axes: [], rows: [], live: this.live, message: `cannot read ${path.join(this.folder, 'experiment.json')}: ${(e as Error).message}` };
    }
    this.post();
    this.host.viewed(this);
    // a folder another process trains (the CLI, a shard elsewhere): read it again while it has
    // runs not ended and something changed in the last minute
    const rows = this.view?.rows ?? [];
    const key = rows.map((r) => `${r.status} ${r.seconds}`).join('\n');
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastChange = Date.now();
    }
    const open = rows.some((r) => r.status === 'running' || r.status === 'pending');
    if (!this.live && this.panel.visible && open && Date.now() - this.lastChange < POLL_QUIET_MS) {
      clearTimeout(this.poll);
      this.poll = setTimeout(() => this.refresh(), POLL_MS);
    }
  }

  private post(): void {
    if (this.disposed || !this.ready || !this.view) return;
    this.posts.push(Date.now());
    void this.panel.webview.postMessage({ type: 'experimentView', view: this.view } satisfies HostToExperiment);
  }

  private onMessage(raw: unknown): void {
    const parsed = parseExperimentMessage(raw, this.view?.rows.length ?? 0);
    if (!parsed.ok) {
      this.host.log.warn(`experiment: refused a message from the webview (${parsed.reason})`);
      return;
    }
    const m: ExperimentToHost = parsed.msg;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.view) this.post();
        else void this.update();
        break;
      case 'openRun': {
        const folder = this.folders[m.index];
        if (!folder) return;
        this.host.openRun(path.join(this.folder, folder)).catch((e: unknown) => void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`));
        break;
      }
      case 'stop':
        this.host.stop(this.folder);
        break;
      case 'log':
        this.host.log[m.level](`experiment: ${m.message}`);
        break;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    clearTimeout(this.poll);
    for (const s of this.subs) s.dispose();
    this.panel.dispose();
    this.host.disposed(this);
  }
}
