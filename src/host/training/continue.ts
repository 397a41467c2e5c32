/**
 * Continue for more epochs: a stopped or completed run (its panel, or a run in the Runs view) is
 * trained on in its own folders by the worker, through the same path as `mlp-lens train
 * --continue` (src/node/continue-run.ts). Two input boxes ask for the epochs in all and,
 * optionally, a new learning rate; the run's panel then shows the run going on.
 */
import * as vscode from 'vscode';
import type { RunModel } from '../../runs/model';
import { continuable, epochsProblem, lrProblem, type ContinueAsk } from './continue-input';

export type { ContinueAsk } from './continue-input';

/** Asks for the epochs and the learning rate; undefined when the user cancels or nothing can go on. */
export async function askContinue(model: RunModel): Promise<ContinueAsk | undefined> {
  const c = continuable(model);
  if (!c.dirs.length) {
    void vscode.window.showWarningMessage(`MLP Lens: "${model.title}" has no stopped or completed variant to continue.`);
    return undefined;
  }
  const suggested = c.planned > c.done ? c.planned : c.done * 2;
  const epochs = await vscode.window.showInputBox({
    title: `Continue "${model.title}" (1/2)`,
    prompt: `Train until epoch (the run has trained ${c.done} of ${c.planned} epochs)`,
    value: String(suggested),
    validateInput: (t) => epochsProblem(t, c.done),
  });
  if (epochs === undefined) return undefined;
  const lr = await vscode.window.showInputBox({
    title: `Continue "${model.title}" (2/2)`,
    prompt: 'Learning rate from here on (empty: keep the run\'s own)',
    placeHolder: c.lr !== null ? `keep ${c.lr}` : 'keep the run\'s',
    value: '',
    validateInput: lrProblem,
  });
  if (lr === undefined) return undefined;
  return { runDirs: c.dirs, epochs: Number(epochs.trim()), ...(lr.trim() ? { lr: Number(lr.trim()) } : {}) };
}
