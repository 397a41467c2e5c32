/**
 * Continue for more epochs: a stopped or completed run (its panel, or a run in the Runs view) is
 * trained on in its own folders by the worker, through the same path as `mlp-lens train
 * --continue` (src/node/continue-run.ts). Two input boxes ask for the epochs in all and,
 * optionally, a new learning rate; the run's panel then shows the run going on.
 */
import * as vscode from 'vscode';
import type { RunModel } from '../../runs/model';

export interface ContinueAsk {
  runDirs: string[];
  epochs: number;
  lr?: number;
}

/** The variants of `model` that can go on: stopped or completed, with a run folder. */
export function continuable(model: RunModel): { dirs: string[]; done: number; planned: number; lr: number | null } {
  const vs = model.variants.filter((v) => v.meta.runDir && (v.meta.status === 'stopped' || v.meta.status === 'completed'));
  const lrs = vs.map((v) => v.meta.summary?.continued?.at(-1)?.lr ?? null);
  return {
    dirs: vs.map((v) => v.meta.runDir!),
    done: Math.max(0, ...vs.map((v) => v.meta.summary?.epochs ?? v.meta.epoch)),
    planned: Math.max(0, ...vs.map((v) => v.meta.epochsPlanned)),
    lr: lrs.every((x) => x === lrs[0]) ? lrs[0] ?? null : null,
  };
}

/** Why `text` is not a whole number of epochs above `done`, or null. */
export function epochsProblem(text: string, done: number): string | null {
  const t = text.trim();
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) return 'a whole number of epochs';
  const n = Number(t);
  if (n <= done) return `more than the ${done} epochs trained`;
  if (n > 1_000_000) return 'at most 1000000';
  return null;
}

/** Why `text` is not a learning rate (empty: keep the run's), or null. */
export function lrProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  const x = /^[0-9.eE+-]+$/.test(t) ? Number(t) : NaN;
  return Number.isFinite(x) && x > 0 ? null : 'a positive number, e.g. 0.01 (empty: keep the run\'s)';
}

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
