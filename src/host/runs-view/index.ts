/**
 * The Runs view (TreeView mlpLens.runs in the MLP Lens activity-bar container) and its commands:
 * Refresh, Add Run Folder..., and per item Open (the training panel; an experiment: the
 * Experiment panel), Compare (several
 * selected: the Compare panel), Reveal (the Explorer or the OS), Export CSV and Delete (to the
 * trash, after a modal confirmation naming what goes; only folders the view lists).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareSnapshot, MAX_COMPARE_RUNS } from '../../runs/compare';
import { seedGroupsOf } from '../../runs/experiment-record';
import { loadCompareInputs, type CompareTarget } from '../../runs/compare-load';
import { writeRunsCsv, type CsvRun } from '../../runs/csv-export';
import { readRunConfig } from '../../runs/read';
import type { RunNode } from '../../runs/run-tree';
import { ComparePanel } from '../compare';
import type { TrainingApi } from '../training';
import { historyColumns, panelSettings } from '../training/settings';
import { RunsProvider } from './provider';

export const RUNS_VIEW_ID = 'mlpLens.runs';

/** What the in-host tests see of the Runs view. */
export interface RunsViewApi {
  provider: RunsProvider;
  /** the Compare panels opened, newest last */
  comparePanels: ComparePanel[];
  compare(nodes: RunNode[]): Promise<ComparePanel | undefined>;
}

/** The nodes a command acts on: the clicked one, or the selection when the clicked one is in it. */
function targets(node: RunNode | undefined, selected: RunNode[] | undefined, view: vscode.TreeView<RunNode>): RunNode[] {
  const sel = selected?.length ? selected : view.selection;
  if (!node) return [...sel];
  return sel.some((s) => s.id === node.id) ? [...sel] : [node];
}

/** The runs (one folder each) the nodes stand for, each once, with their experiment details. */
function runTargets(provider: RunsProvider, nodes: RunNode[]): CompareTarget[] {
  const byDir = new Map<string, CompareTarget>();
  const listing = provider.currentListing;
  const all = [...listing.runs, ...listing.experiments.flatMap((e) => e.runs)];
  for (const n of nodes) {
    n.dirs.forEach((d, i) => {
      if (byDir.has(d)) return;
      const r = all.find((x) => x.dir === d);
      byDir.set(d, { dir: d, root: n.roots[i], sweep: r?.experiment?.sweep, runName: r?.experiment?.runName });
    });
  }
  return [...byDir.values()];
}

export function registerRunsView(context: vscode.ExtensionContext, training: TrainingApi, log: vscode.LogOutputChannel): RunsViewApi {
  const provider = new RunsProvider(context, training, log);
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, canSelectMany: true, showCollapseAll: true });
  const comparePanels: ComparePanel[] = [];
  let compareCount = 0;

  const compare = async (nodes: RunNode[]): Promise<ComparePanel | undefined> => {
    const runs = runTargets(provider, nodes);
    if (runs.length < 2) {
      void vscode.window.showInformationMessage('MLP Lens: select two or more runs to compare (Ctrl/Cmd+click in the Runs view), or a training or experiment with several runs.');
      return undefined;
    }
    if (runs.length > MAX_COMPARE_RUNS) {
      void vscode.window.showWarningMessage(`MLP Lens: ${runs.length} runs selected; Compare shows the ${MAX_COMPARE_RUNS} newest-listed of them.`);
      runs.length = MAX_COMPARE_RUNS;
    }
    const id = `compare-${Date.now().toString(36)}-${++compareCount}`;
    const inputs = await vscode.window.withProgress({ location: { viewId: RUNS_VIEW_ID } }, () => loadCompareInputs(runs, historyColumns(), id));
    const snapshot = compareSnapshot(id, inputs, panelSettings(), true);
    const panel = ComparePanel.open({ log, extensionUri: context.extensionUri, openRun: (dir) => training.openRunDirs([dir]) }, snapshot, runs.map((r) => r.dir));
    comparePanels.push(panel);
    panel.panel.onDidDispose(() => comparePanels.splice(comparePanels.indexOf(panel), 1));
    return panel;
  };

  const exportCsv = async (nodes: RunNode[]): Promise<void> => {
    const runs = runTargets(provider, nodes);
    if (!runs.length) return;
    const first = nodes[0]!;
    const target = await vscode.window.showSaveDialog({
      title: 'Export Runs as CSV', saveLabel: 'Export',
      defaultUri: vscode.Uri.file(path.join(path.dirname(runs[0]!.dir), `${first.label.replace(/[^\w.-]+/g, '_')}.csv`)),
      filters: { CSV: ['csv'] },
    });
    if (!target) return;
    const rows: CsvRun[] = [];
    const listing = provider.currentListing;
    for (const r of runs) {
      const listed = [...listing.runs, ...listing.experiments.flatMap((e) => e.runs)].find((x) => x.dir === r.dir);
      const seed = listed?.experiment?.seed ?? (await readRunConfig(r.dir, r.root).catch(() => null))?.seed ?? 0;
      rows.push({ dir: r.dir, name: r.runName ?? path.basename(r.dir), variant: listed?.summary.variant ?? '', seed, sweep: r.sweep ?? {} });
    }
    const n = await writeRunsCsv(rows, target.fsPath, (dir, bad) => log.warn(`Export CSV: ${dir}: ${bad.length} unreadable metrics lines skipped`));
    void vscode.window.showInformationMessage(`MLP Lens: exported ${rows.length} run${rows.length > 1 ? 's' : ''} (${n.toLocaleString('en-US')} rows) to ${path.basename(target.fsPath)}.`);
  };

  const remove = async (nodes: RunNode[]): Promise<void> => {
    // an experiment goes as its folder; anything else as its run folders
    const folders = [...new Set(nodes.flatMap((n) => (n.kind === 'experiment' && n.folder ? [n.folder] : n.dirs)))];
    const refused = folders.filter((d) => !provider.listed(d));
    if (refused.length || !folders.length) {
      void vscode.window.showErrorMessage(`MLP Lens: not deleting ${refused[0] ?? 'nothing'}: only run and experiment folders the Runs view lists are deleted.`);
      return;
    }
    const live = new Set(training.live?.model.runDirs.map((d) => path.resolve(d)) ?? []);
    const busy = folders.filter((d) => live.has(d) || [...live].some((l) => l.startsWith(d + path.sep)));
    if (busy.length) {
      void vscode.window.showErrorMessage(`MLP Lens: ${path.basename(busy[0]!)} is training; stop it before deleting it.`);
      return;
    }
    const names = folders.map((d) => path.basename(d));
    const shown = names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
    const what = nodes.length === 1 ? `"${nodes[0]!.label}"` : `${nodes.length} items`;
    const ok = await vscode.window.showWarningMessage(
      `Delete ${what}: ${folders.length} folder${folders.length > 1 ? 's' : ''} (${shown})?`,
      { modal: true, detail: `They are moved to the trash:\n${folders.join('\n')}` }, 'Move to Trash');
    if (ok !== 'Move to Trash') return;
    for (const d of folders) {
      try {
        await vscode.workspace.fs.delete(vscode.Uri.file(d), { recursive: true, useTrash: true });
        log.info(`Runs view: moved ${d} to the trash`);
      } catch (e) {
        void vscode.window.showErrorMessage(`MLP Lens: cannot delete ${d}: ${(e as Error).message}`);
      }
    }
    await provider.schedule.now();
  };

  const reveal = async (n: RunNode): Promise<void> => {
    const dir = n.kind === 'experiment' && n.folder ? n.folder : n.dirs.length === 1 ? n.dirs[0]! : path.dirname(n.dirs[0] ?? '');
    if (!dir) return;
    const uri = vscode.Uri.file(dir);
    if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  };

  const guard = (id: string, fn: (node?: RunNode, nodes?: RunNode[]) => unknown) => vscode.commands.registerCommand(id, async (node?: RunNode, nodes?: RunNode[]) => {
    try {
      await fn(node && typeof node === 'object' && 'kind' in node ? node : undefined, Array.isArray(nodes) ? nodes : undefined);
    } catch (e) {
      log.error(`${id}: ${(e as Error).stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`MLP Lens: ${(e as Error).message}`);
    }
  });

  context.subscriptions.push(
    provider,
    view,
    guard('mlpLens.runs.refresh', () => provider.schedule.now()),
    guard('mlpLens.runs.addFolder', async () => {
      const picked = await vscode.window.showOpenDialog({ title: 'Add Run Folder', openLabel: 'Add Run Folder', canSelectFolders: true, canSelectFiles: false, canSelectMany: false });
      if (picked?.[0]) await provider.addFolder(picked[0].fsPath);
    }),
    guard('mlpLens.runs.open', async (node, nodes) => {
      const n = targets(node, nodes, view)[0];
      if (!n || (!n.dirs.length && n.kind !== 'experiment')) return;
      // an experiment with seeds and no sweep opens in the training panel's seed view, one with
      // a sweep in the Experiment panel
      if (n.kind === 'run' || n.kind === 'session' || (n.kind === 'experiment' && seedGroupsOf(n.dirs))) await training.openRunDirs(n.dirs);
      else if (n.kind === 'experiment' && n.folder) training.experiments.openFolder(n.folder, n.label);
      else await compare([n]);
    }),
    guard('mlpLens.runs.compare', (node, nodes) => compare(targets(node, nodes, view))),
    guard('mlpLens.runs.continue', async (node, nodes) => {
      const n = targets(node, nodes, view)[0];
      if (n && n.dirs.length && (n.kind === 'run' || n.kind === 'session')) await training.continueRunDirs(n.dirs);
    }),
    guard('mlpLens.runs.reveal', async (node, nodes) => {
      const n = targets(node, nodes, view)[0];
      if (n) await reveal(n);
    }),
    guard('mlpLens.runs.exportCsv', (node, nodes) => exportCsv(targets(node, nodes, view))),
    guard('mlpLens.runs.delete', (node, nodes) => remove(targets(node, nodes, view))),
    view.onDidChangeVisibility((e) => {
      if (e.visible) provider.schedule.poke();
    }),
  );
  provider.schedule.poke();
  return { provider, comparePanels, compare };
}
