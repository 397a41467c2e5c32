/**
 * MLP Lens extension entry point. Keep this file small: each feature registers itself with one
 * line in activate() and pushes its disposables on context.subscriptions.
 */
import * as vscode from 'vscode';
import { registerTraining, type TrainingApi } from './host/training';
import { registerRunsView, type RunsViewApi } from './host/runs-view';
import { registerInspector, type InspectorApi } from './sideview';

/** What activate() returns: used by the in-host tests. */
export interface MlpLensApi {
  training: TrainingApi;
  inspector: InspectorApi;
  runs: RunsViewApi;
}

export function activate(context: vscode.ExtensionContext): MlpLensApi {
  const log = vscode.window.createOutputChannel('MLP Lens', { log: true });
  context.subscriptions.push(log);
  const training = registerTraining(context, log);
  const inspector = registerInspector(context, log, { openRunDirs: (dirs) => training.openRunDirs(dirs), isTraining: () => training.live !== null });
  // one entry in Problems per config problem: Train leaves the semantic ones of a followed config to the inspector
  training.inspectorFollows = (uri) => inspector.document()?.uri.toString() === uri.toString();
  const runs = registerRunsView(context, training, log);
  // Other features register here, one line each.
  return { training, inspector, runs };
}

export function deactivate(): void {
  // every resource is on context.subscriptions (the training worker included)
}
