/**
 * One training panel (a WebviewPanel) showing one RunModel. It sends the webview a snapshot
 * whenever the webview says it is ready (first load; reload after being hidden or moved; a
 * restored panel after a window reload), then deltas: only the columns and epoch records the
 * webview does not have, batched, at most `updateRate` messages a second.
 */
import * as vscode from 'vscode';
import type { HostToPanel, PanelSettings, PanelToHost } from '../shared/protocol';
import { freshCursor, type HistoryCursor, type Packed } from '../shared/columns';
import type { RunModel } from '../runs/model';
import { parsePanelMessage } from './validate-message';
import { bundlePage } from './webview-page';
import { wallMs } from '../shared/clock';

export const PANEL_VIEW_TYPE = 'mlpLens.run';

export interface PanelHost {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  settings(): PanelSettings;
  /** messages per second, at most */
  updateRate(): number;
  stop(runId: string): void;
  /** a live run: hold it between steps, train one minibatch while held, go on */
  control(runId: string, action: 'pause' | 'step' | 'resume'): void;
  /** a stopped or completed run: ask for epochs and a learning rate, and train it on */
  continueRun(runId: string): void;
  exportRun(runId: string): void;
  /** save the panel as drawn (validated picture data) or the data behind it */
  exportImage(runId: string, format: 'png' | 'svg', data: string): void;
  exportCsv(runId: string): void;
  openConfig(runId: string): void;
  /** the panel shows the units of this hidden layer in the decision-region pictures */
  regionLayer(runId: string, layer: number): void;
  /** the panel shows the first-layer weight pictures from this unit on */
  weightPage(runId: string, first: number): void;
  disposed(panel: RunPanel): void;
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export class RunPanel implements vscode.Disposable {
  private ready = false;
  private cursors: HistoryCursor[] = [];
  private epochsSent: number[] = [];
  private regionsSent: number[] = [];
  private picturesSent: [number, number][] = [];
  private planeSent = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastPost = 0;
  private readonly subs: vscode.Disposable[] = [];
  private unsubscribe: () => void;
  private disposed = false;
  /** for tests and the log: how many messages went to the webview, and when */
  readonly posts: { type: string; at: number; bytes: number }[] = [];
  /** when the panel was made (wallMs: the snapshot's latency stamps carry it) */
  readonly createdAt = wallMs();
  /** the longest a delta took to build and post (ms) */
  maxPostMs = 0;

  constructor(readonly panel: vscode.WebviewPanel, public model: RunModel, private readonly host: PanelHost) {
    const webview = panel.webview;
    webview.options = panelOptions(host.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'icon.png');
    panel.title = `MLP Lens: ${model.title}`;
    webview.html = bundlePage(host.extensionUri, webview, 'panel', `MLP Lens: ${model.title}`, host.log);
    this.subs.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        // a hidden webview is torn down (no retained context): it says "ready" again when shown
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    this.unsubscribe = model.onChange(() => this.schedule());
  }

  /** Show another run in this panel (e.g. a restored panel attaching to a live run). */
  attach(model: RunModel): void {
    this.unsubscribe();
    this.model = model;
    this.panel.title = `MLP Lens: ${model.title}`;
    this.unsubscribe = model.onChange(() => this.schedule());
    if (this.ready) this.sendSnapshot();
  }

  /** A message as if the webview posted it (in-host tests drive the panel through this). */
  receive(raw: unknown): void {
    this.onMessage(raw);
  }

  private onMessage(raw: unknown): void {
    const parsed = parsePanelMessage(raw);
    if (!parsed.ok) {
      this.host.log.warn(`panel: refused a message from the webview (${parsed.reason})`);
      return;
    }
    const m: PanelToHost = parsed.msg;
    switch (m.type) {
      case 'ready':
      case 'resync':
        if (!this.ready) this.host.log.info(`panel ${this.model.title}: webview ${m.type} ${(wallMs() - this.createdAt).toFixed(0)} ms after the panel was created`);
        this.ready = true;
        this.sendSnapshot(wallMs());
        break;
      case 'stop':
        if (m.runId === this.model.id) this.host.stop(m.runId);
        break;
      case 'pause':
      case 'step':
      case 'resume':
        if (m.runId === this.model.id) this.host.control(m.runId, m.type);
        break;
      case 'continueRun':
        if (m.runId === this.model.id) this.host.continueRun(m.runId);
        break;
      case 'export':
        if (m.runId === this.model.id) this.host.exportRun(m.runId);
        break;
      case 'exportImage':
        if (m.runId === this.model.id) this.host.exportImage(m.runId, m.format, m.data);
        break;
      case 'exportCsv':
        if (m.runId === this.model.id) this.host.exportCsv(m.runId);
        break;
      case 'openConfig':
        if (m.runId === this.model.id) this.host.openConfig(m.runId);
        break;
      case 'regionLayer':
        if (m.runId === this.model.id) this.host.regionLayer(m.runId, m.layer);
        break;
      case 'weightPage':
        if (m.runId === this.model.id) this.host.weightPage(m.runId, m.first);
        break;
      case 'log':
        this.host.log[m.level](`panel: ${m.message}`);
        break;
    }
  }

  private post(msg: HostToPanel): void {
    if (this.disposed) return;
    // the size of the packed columns (the bulk of a message), without serializing it twice
    const blocks = msg.type === 'snapshot' ? msg.columns : msg.type === 'delta' ? msg.variants.map((v) => v.columns) : [];
    let bytes = 0;
    const size = (p: Packed<Float64Array | Float32Array>) => (typeof p === 'string' ? p.length : p.byteLength);
    for (const b of blocks) {
      if (!b) continue;
      for (const k in b.scalars) bytes += size(b.scalars[k as keyof typeof b.scalars]);
      for (const l of b.layers) {
        bytes += size(l.units) + size(l.hist);
        for (const k in l.q) bytes += size(l.q[k as keyof typeof l.q]);
      }
    }
    this.posts.push({ type: msg.type, at: Date.now(), bytes });
    if (this.posts.length > 5000) this.posts.splice(0, 1000);
    this.lastPost = Date.now();
    void this.panel.webview.postMessage(msg);
  }

  /** `readyAt`: when the webview's ready or resync arrived (wallMs), stamped into the snapshot */
  private sendSnapshot(readyAt?: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const m = this.model;
    this.cursors = m.variants.map(() => freshCursor());
    this.epochsSent = m.variants.map((v) => v.epochs.length);
    this.regionsSent = m.variants.map((v) => v.regionsGen);
    this.picturesSent = m.variants.map((v) => [v.weightsGen, v.errorsGen]);
    this.planeSent = m.plane !== null;
    this.post({
      type: 'snapshot',
      run: m.runInfo(),
      columns: m.variants.map((v, i) => (v.store.meta ? v.store.takeSince(this.cursors[i]!, true) : null)),
      epochs: m.variants.map((v) => v.epochs.slice()),
      settings: this.host.settings(),
      plane: m.plane,
      regions: m.variants.map((v) => v.regions),
      pictures: m.variants.map((v) => ({ ...v.pictures })),
      ...(readyAt !== undefined ? { createdAt: this.createdAt, readyAt, postedAt: wallMs() } : {}),
    });
  }

  private schedule(): void {
    if (!this.ready || this.timer || this.disposed) return;
    const interval = 1000 / Math.max(1, Math.min(20, this.host.updateRate()));
    const wait = Math.max(0, this.lastPost + interval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendDelta();
    }, wait);
  }

  private sendDelta(): void {
    if (!this.ready) return;
    const t0 = performance.now();
    const m = this.model;
    const plane = !this.planeSent && m.plane ? m.plane : undefined;
    if (plane) this.planeSent = true;
    this.post({
      type: 'delta', runId: m.id, status: m.status, message: m.message, live: m.live, paused: m.paused,
      variants: m.variants.map((v, i) => {
        const cursor = (this.cursors[i] ??= freshCursor());
        const columns = v.store.meta ? v.store.takeSince(cursor, true) : null;
        const sent = this.epochsSent[i] ?? 0;
        this.epochsSent[i] = v.epochs.length;
        const regions = v.regionsGen !== (this.regionsSent[i] ?? 0) ? v.regions[v.regions.length - 1] : undefined;
        this.regionsSent[i] = v.regionsGen;
        const [wSent, eSent] = this.picturesSent[i] ?? [0, 0];
        const weights = v.weightsGen !== wSent ? v.pictures.weights ?? undefined : undefined;
        const errorStrip = v.errorsGen !== eSent ? v.pictures.errors ?? undefined : undefined;
        this.picturesSent[i] = [v.weightsGen, v.errorsGen];
        return {
          index: i, meta: { ...v.meta, layers: v.meta.layers ?? v.store.meta }, columns, epochs: v.epochs.slice(sent),
          ...(regions ? { regions } : {}), ...(weights ? { weights } : {}), ...(errorStrip ? { errorStrip } : {}),
        };
      }),
      ...(plane ? { plane } : {}),
    });
    this.maxPostMs = Math.max(this.maxPostMs, performance.now() - t0);
  }

  settingsChanged(): void {
    if (this.ready) this.post({ type: 'settings', settings: this.host.settings() });
  }

  reveal(preserveFocus = false): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.unsubscribe();
    for (const s of this.subs) s.dispose();
    this.host.disposed(this);
    this.panel.dispose();
  }
}
