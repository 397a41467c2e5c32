/**
 * Every message between the extension host, the training worker and the webviews, typed as
 * discriminated unions on `type`. One place: host, worker and webview code import from here.
 */
import type { EpochRecord, StepRecord } from './engine/trainer';
import type { RunSummary } from './run-record';

/** Host -> training worker. */
export type HostToWorker =
  | {
      type: 'start';
      /** the config text (unsaved edits included) and the file it came from */
      configText: string;
      configFile: string;
      /** train only this variant (default: all) */
      variant?: string;
      /** parent folder for run records; each variant gets <outDir>/<time>-<config>-<variant>/ */
      outDir: string;
      /** media/datasets of the extension or CLI */
      assetDir: string;
      /** how often, at most, the worker posts batched records (ms) */
      postIntervalMs: number;
    }
  | { type: 'stop' };

/** Where an input problem is, for diagnostics. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

/** Training worker -> host. Step and epoch records come batched, never one message per step. */
export type WorkerToHost =
  | { type: 'started'; variants: string[]; runDirs: string[]; dataset: string }
  | { type: 'records'; variant: string; steps: StepRecord[]; epochs: EpochRecord[]; progress: { step: number; totalSteps: number; epoch: number } }
  | { type: 'variantDone'; variant: string; runDir: string; summary: RunSummary }
  | { type: 'finished'; stopped: boolean }
  | ({ type: 'inputError'; message: string } & ErrorLocation)
  | { type: 'crashed'; message: string; stack?: string };
