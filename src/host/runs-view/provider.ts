/**
 * The Runs view's data: the run folders it looks in (each workspace folder's Train MLP folder
 * and the CLI's default .mlp-lens/runs, and the folders added with "Add Run Folder...", kept in
 * workspace state), listed asynchronously through src/runs/run-list.ts and shaped by
 * src/runs/run-tree.ts. Refreshed (debounced, one scan at a time: debounce.ts) on file events
 * (summary.json and experiment.json created, changed or deleted under those folders) and on the
 * extension's own training events.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, type RunListing } from '../../runs/run-list';
import { allNodes, buildRunTree, type RunNode, type ViewStatus } from '../../runs/run-tree';
import type { TrainingApi } from '../training';
import { RefreshSchedule } from './debounce';
import { ADDED_FOLDERS_KEY, addedRunFolders, runViewFolders } from '../run-roots';


const ICONS: Record<ViewStatus, [string, string | undefined]> = {
  running: ['sync~spin', 'charts.blue'],
  completed: ['pass', 'testing.iconPassed'],
  stopped: ['debug-stop', 'charts.yellow'],
  diverged: ['warning', 'list.warningForeground'],
  failed: ['error', 'list.errorForeground'],
  crashed: ['bug', 'list.errorForeground'],
  partial: ['circle-large-outline', undefined],
};

export function statusIcon(s: ViewStatus): vscode.ThemeIcon {
  const [id, color] = ICONS[s];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export class RunsProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private nodes: RunNode[] = [];
  private parents = new Map<string, RunNode>();
  private listing: RunListing = { runs: [], experiments: [], problems: [] };
  private watchers: vscode.Disposable[] = [];
  private watched = '';
  private readonly subs: vscode.Disposable[] = [];
  /** the tree last shown, to tell the view only when it changed (each change costs a round trip per row) */
  private shownKey = '';
  readonly schedule: RefreshSchedule;
  /** when the last refresh ended, and how long it took (ms), for tests and the log */
  lastRefresh = { at: 0, ms: 0 };

  constructor(private readonly context: vscode.ExtensionContext, private readonly training: TrainingApi, private readonly log: vscode.LogOutputChannel) {
    this.schedule = new RefreshSchedule(() => this.refreshNow(), 400, 2000);
    this.subs.push(
      // a run starts or ends here; while it trains, its summary.json (rewritten every epoch) is
      // what the watchers follow: not every batch of records, which would rescan for nothing
      training.onDidChangeRuns(() => this.schedule.poke()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule.poke()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mlpLens.runFolder')) this.schedule.poke();
      }),
    );
  }

  /** The folders looked in: per workspace folder Train MLP's and the CLI's default, then the added ones. */
  folders(): string[] {
    return runViewFolders((uri) => this.training.runFolderFor(uri), this.context.workspaceState);
  }

  addedFolders(): string[] {
    return addedRunFolders(this.context.workspaceState);
  }

  async addFolder(dir: string): Promise<void> {
    const now = this.addedFolders();
    if (!now.includes(dir)) await this.context.workspaceState.update(ADDED_FOLDERS_KEY, [...now, dir]);
    await this.schedule.now();
  }

  /** One watcher per folder for summary.json and experiment.json anywhere below it (two levels at most are listed). */
  private watch(folders: string[]): void {
    const key = folders.join('\n');
    if (key === this.watched) return;
    this.watched = key;
    for (const w of this.watchers) w.dispose();
    this.watchers = folders.flatMap((f) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(f), '**/{summary,experiment}.json'));
      const poke = () => this.schedule.poke();
      return [w, w.onDidCreate(poke), w.onDidChange(poke), w.onDidDelete(poke)];
    });
  }

  private async refreshNow(): Promise<void> {
    const t0 = Date.now();
    const folders = this.folders();
    this.watch(folders);
    try {
      this.listing = await listRuns(folders);
    } catch (e) {
      this.log.error(`Runs view: ${(e as Error).message}`);
      return;
    }
    for (const p of this.listing.problems) this.log.warn(`Runs view: ${p}`);
    const live = new Set(this.training.live?.model.runDirs.map((d) => path.resolve(d)) ?? []);
    const nodes = buildRunTree(this.listing, { now: Date.now(), live });
    this.lastRefresh = { at: Date.now(), ms: Date.now() - t0 };
    const key = JSON.stringify(nodes);
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.nodes = nodes;
    this.parents = new Map();
    for (const n of allNodes(this.nodes)) for (const c of n.children) this.parents.set(c.id, n);
    this.changed.fire(undefined);
  }

  get roots(): readonly RunNode[] {
    return this.nodes;
  }

  get currentListing(): RunListing {
    return this.listing;
  }

  /** Is `dir` a run folder or experiment folder this view lists now? */
  listed(dir: string): boolean {
    const d = path.resolve(dir);
    return this.listing.runs.some((r) => r.dir === d) || this.listing.experiments.some((e) => e.dir === d || e.runs.some((r) => r.dir === d));
  }

  getTreeItem(n: RunNode): vscode.TreeItem {
    const collapsible = n.children.length ? (n.kind === 'config' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(n.label, collapsible);
    item.id = n.id;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = n.kind;
    item.iconPath = n.kind === 'unreadable' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : n.kind === 'config' ? new vscode.ThemeIcon('json')
      : n.status ? statusIcon(n.status) : undefined;
    if (n.kind === 'experiment') item.iconPath = new vscode.ThemeIcon('beaker', n.status && n.status !== 'completed' ? new vscode.ThemeColor(ICONS[n.status][1] ?? 'foreground') : undefined);
    if (n.kind === 'run' || n.kind === 'session') {
      item.command = { command: 'mlpLens.runs.open', title: 'Open', arguments: [n] };
      item.accessibilityInformation = { label: `${n.label}, ${n.status ?? ''}, ${n.description}` };
    }
    return item;
  }

  getChildren(n?: RunNode): RunNode[] {
    return n ? n.children : this.nodes;
  }

  getParent(n: RunNode): RunNode | undefined {
    return this.parents.get(n.id);
  }

  dispose(): void {
    this.schedule.dispose();
    for (const w of this.watchers) w.dispose();
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}
