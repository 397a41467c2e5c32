/**
 * Builds a variant's Trainer and drives it to the end in time slices, recording to disk and
 * reporting progress, and yields to the event loop between slices so Ctrl-C (CLI) or a Stop
 * message (worker) is seen promptly. Shared by the CLI and the training worker. When the recorder
 * cannot write (a full disk), training ends at the next slice and the run is "failed".
 */
import * as path from 'node:path';
import { copyStepRecord, Trainer, type EpochRecord, type StepRecord } from '../engine/trainer';
import { InputError, type Dataset, type ResolvedConfig } from '../engine/types';
import type { RunRecorder } from '../runs/record';
import { newSummary, runMeta, type RunSummary } from '../runs/summary';

/**
 * The trainer of one variant. Construction can refuse a config only the data can judge (e.g. a
 * sigmoid output on 10 classes): that InputError names the variant and the config file.
 */
export function makeTrainer(cfg: ResolvedConfig, data: Dataset, configFile: string): Trainer {
  try {
    return new Trainer(cfg, data);
  } catch (e) {
    if (e instanceof InputError && !e.file) throw new InputError(`variant "${cfg.variant}": ${e.message}`, configFile);
    throw e;
  }
}

export interface SessionHooks {
  recorder?: RunRecorder;
  onStep?(rec: StepRecord): void;
  /** onStep is done with each record when it returns (copies what it keeps): see RecordSink.transientSteps */
  onStepTransient?: boolean;
  onEpoch?(rec: EpochRecord): void;
  /** called after every slice */
  onSlice?(trainer: Trainer): void;
  shouldStop?(): boolean;
  /** target length of a slice in milliseconds (default 50) */
  sliceMs?: number;
  /**
   * Asked before every slice: null to train on, or how many steps to take next (1: a step taken
   * by hand while paused; those steps record their probes). It may wait (a paused run) and
   * resolves at once when nothing holds the run; shouldStop is asked again after it.
   */
  gate?(): Promise<number | null>;
  /** evaluate train and test sets when the run was stopped (default true; the worker skips it to stop fast) */
  evaluateOnStop?: boolean;
}

export interface VariantOutcome {
  summary: RunSummary;
  /** the first recorded step: probes at initialization (measured before the first update); null for a continued run */
  first: StepRecord | null;
  last: StepRecord | null;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** summary.json is rewritten at an epoch's end at most this often while a run trains. */
export const SUMMARY_INTERVAL_MS = 1000;

export async function trainVariant(trainer: Trainer, configFile: string | null, hooks: SessionHooks = {}): Promise<VariantOutcome> {
  const rec = hooks.recorder;
  const summary = rec ? rec.summary : newSummary(trainer.cfg, configFile, runMeta(trainer));
  let first: StepRecord | null = null;
  let last: StepRecord | null = null;
  const sliceMs = hooks.sliceMs ?? 50;
  const interrupted = hooks.shouldStop ? () => hooks.shouldStop!() : undefined;
  let lastSummary = performance.now();
  const t0 = performance.now();
  // a continued run (trainer restored past step 0) adds its time to the run's
  const fresh = trainer.step === 0;
  const priorSeconds = fresh ? 0 : summary.seconds;
  /** time held by the gate (paused): not training time */
  let pausedMs = 0;
  let samples = 0;
  let perSlice = 1;
  const sink = {
    // records are written out at once and `last` is only read at the end: one record filled in
    // place will do, unless onStep keeps them (the first is copied: it is the run's baseline)
    transientSteps: !hooks.onStep || hooks.onStepTransient === true,
    step(r: StepRecord) {
      if (fresh) first ??= sink.transientSteps ? copyStepRecord(r) : r;
      last = r;
      rec?.line(r);
      hooks.onStep?.(r);
    },
    epoch(r: EpochRecord) {
      rec?.line(r);
      summary.epochs = r.epoch;
      summary.steps = r.step;
      summary.test = r.test;
      summary.seconds = priorSeconds + (performance.now() - t0 - pausedMs) / 1000;
      // at most once a second while training (short epochs would rewrite it dozens of times a
      // second, and every rewrite is a file event for the editor's watchers); the end writes it
      if (performance.now() - lastSummary >= SUMMARY_INTERVAL_MS) {
        rec?.writeSummary();
        lastSummary = performance.now();
      }
      hooks.onEpoch?.(r);
    },
  };
  while (!trainer.done) {
    if (rec?.failure || hooks.shouldStop?.()) {
      trainer.stop();
      break;
    }
    const g0 = performance.now();
    const held = hooks.gate ? await hooks.gate() : null;
    pausedMs += performance.now() - g0;
    if (held !== null && (rec?.failure || hooks.shouldStop?.())) continue; // a Stop while paused
    if (held !== null) trainer.probeNextStep();
    const s0 = performance.now();
    const before = trainer.step;
    trainer.runSteps(held ?? perSlice, sink, interrupted);
    samples += (trainer.step - before) * trainer.batchSize;
    const dt = performance.now() - s0;
    // aim each slice at sliceMs: grow or shrink the step count by at most 2x
    if (held === null) perSlice = Math.max(1, Math.min(perSlice * 2, Math.round((perSlice * sliceMs) / Math.max(dt, 0.01))));
    rec?.flush(); // the slice's metrics lines; frames every 200 ms
    hooks.onSlice?.(trainer);
    await tick();
  }
  const seconds = (performance.now() - t0 - pausedMs) / 1000;
  const failed = () => !!rec?.failure;
  // taken before the evaluation below (a pass over the data can change the spmm choices)
  const state = rec && (trainer.status === 'stopped' || trainer.status === 'completed') ? trainer.saveState() : null;
  const data = trainer.data;
  summary.status = trainer.status;
  summary.steps = trainer.step;
  summary.epochs = trainer.epoch;
  summary.seconds = priorSeconds + seconds;
  summary.samplesPerSecond = seconds > 0 ? samples / seconds : 0;
  if (!failed() && (trainer.status !== 'stopped' || hooks.evaluateOnStop !== false)) {
    summary.train = trainer.evaluate(data.trainX, data.trainY);
    summary.test = data.testY.length ? trainer.evaluate(data.testX, data.testY) : null;
  }
  if (trainer.divergence) summary.divergence = trainer.divergence;
  summary.finishedAt = new Date().toISOString();
  if (rec) {
    await rec.drain(); // the frames in flight: a failure to write them fails the run
    // a write that fails (a full disk) ends the run "failed": no model, the reason in the summary
    if (!failed()) {
      try {
        rec.writeModel(trainer.net);
      } catch (e) {
        rec.fail(path.join(rec.dir, 'model.json'), e);
      }
    }
    if (!failed() && state) {
      try {
        rec.writeState(state, trainer.cfg.optimizer.type);
      } catch (e) {
        rec.fail(path.join(rec.dir, 'state.json'), e);
      }
    }
    if (!failed()) rec.writeSummary();
    await rec.close();
    if (rec.failure) rec.markFailed(); // summary.status "failed", summary.failure the reason
  }
  return { summary, first, last };
}
