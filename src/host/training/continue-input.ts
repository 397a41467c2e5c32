/**
 * What Continue asks of the user, checked: the variants of a run that can go on, and the answers
 * of the input boxes (epochs in all, an optional learning rate). Pure: no vscode import, so
 * unit tests check it (test/unit/continue-input.test.ts).
 */
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

