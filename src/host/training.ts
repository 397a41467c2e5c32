/** Train MLP, Stop Training, Open Run..., Export Run..., the status bar item and the run panels. */
import * as vscode from 'vscode';

export interface TrainingApi {
  readonly ready: true;
}

export function registerTraining(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): TrainingApi {
  const todo = (name: string) => () => log.info(`${name}: not implemented yet`);
  for (const id of ['mlpLens.train', 'mlpLens.stop', 'mlpLens.openRun', 'mlpLens.exportRun', 'mlpLens.showPanel']) {
    context.subscriptions.push(vscode.commands.registerCommand(id, todo(id)));
  }
  return { ready: true };
}
