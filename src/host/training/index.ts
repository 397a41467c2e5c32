/**
 * The training feature's entry point: registerTraining, and the TrainingApi it returns (for the
 * in-host tests and the inspector).
 */
import type * as vscode from 'vscode';
import { Training } from './training';
import type { TrainingApi } from './types';

export type { TrainingApi } from './types';

export function registerTraining(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): TrainingApi {
  const t = new Training(context, log);
  context.subscriptions.push(t);
  return t;
}
