/**
 * Continuing a run in its own folder (`mlp-lens train --continue`, the editor's Continue): the
 * folder's summary, config and training state are read and checked, the dataset loaded as the
 * run loaded it, and a trainer restored to where the run ended; it then trains on with a
 * RunRecorder that appends to the folder's records. More epochs and another learning rate may be
 * asked for: config.json then says so, and summary.json's "continued" lists each continuation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../engine/datasets';
import type { Trainer } from '../engine/trainer';
import { InputError, type Dataset, type ResolvedConfig } from '../engine/types';
import { readRunHead } from '../runs/read';
import type { RecordFormat } from '../runs/record';
import { headerBytes, STEPS_FILE, writerLayout } from '../runs/steps-format';
import { SUMMARY_FILE, type RunSummary } from '../runs/summary';
import { hasTrainState, readTrainState, STATE_FILE } from '../runs/train-state';
import { nodeDataIO } from './io';
import { makeTrainer } from './train-session';

export interface ContinueRequest {
  dir: string;
  /** train until this many epochs in all (default: the run's planned epochs) */
  epochs?: number;
  /** the learning rate from here on (default: the run's) */
  lr?: number;
}

export interface Continuation {
  dir: string;
  cfg: ResolvedConfig;
  data: Dataset;
  trainer: Trainer;
  /** the summary the recorder goes on from (its "continued" list has this continuation) */
  summary: RunSummary;
  configFile: string | null;
  format: RecordFormat;
}

/** Why a run of this status cannot be continued, or null when it can. */
function statusProblem(s: RunSummary): string | null {
  switch (s.status) {
    case 'stopped': case 'completed': return null;
    case 'running': return 'is still training, or ended without saving its state (killed)';
    case 'diverged': return `diverged at step ${s.divergence?.step ?? s.steps}; its weights are not finite: train it again with a smaller learning rate`;
    case 'failed': return `failed (${s.failure ?? 'its record could not be written'}): its record is not whole`;
  }
}

/**
 * Reads and checks everything, restores the trainer; throws an InputError naming the file and the
 * problem. `loaded`: a continuation already prepared whose dataset this run may share (the
 * variants of one config: the same dataset spec, read from the same folder, is loaded once).
 */
export async function prepareContinuation(req: ContinueRequest, assetDir: string, loaded?: Continuation): Promise<Continuation> {
  const dir = req.dir;
  const summaryFile = path.join(dir, SUMMARY_FILE);
  if (!fs.existsSync(summaryFile)) throw new InputError(`not a run folder: it has no ${SUMMARY_FILE}`, dir);
  let head;
  try {
    head = await readRunHead(dir);
  } catch (e) {
    throw new InputError((e as Error).message, dir);
  }
  const { summary, config } = head;
  const problem = statusProblem(summary);
  if (problem) throw new InputError(`the run ${problem}; only a stopped or completed run can be continued`, summaryFile);
  if (!hasTrainState(dir)) throw new InputError(`the run has no ${STATE_FILE} (recorded by a version that did not save its training state); it cannot be continued`, dir);
  const epochs = req.epochs ?? config.epochs;
  if (epochs <= summary.epochs) {
    throw new InputError(`the run has trained ${summary.epochs} of ${config.epochs} epochs: ask for more with --epochs N (N > ${summary.epochs}, the epochs in all)`, summaryFile);
  }
  let state;
  try {
    state = readTrainState(dir);
  } catch (e) {
    throw new InputError((e as Error).message, path.join(dir, STATE_FILE));
  }
  if (state.header.step !== summary.steps) throw new InputError(`${STATE_FILE} is at step ${state.header.step} but the run's summary at step ${summary.steps}`, path.join(dir, STATE_FILE));
  if (state.header.optimizer.type !== config.optimizer.type) throw new InputError(`${STATE_FILE} is ${state.header.optimizer.type}'s state but the run trains with ${config.optimizer.type}`, path.join(dir, STATE_FILE));
  const cfg: ResolvedConfig = { ...config, epochs, lr: req.lr ?? config.lr };
  const configFile = summary.configFile;
  const base = configFile ? path.dirname(configFile) : dir;
  const same = loaded && loaded.configFile === configFile && JSON.stringify(loaded.cfg.dataset) === JSON.stringify(cfg.dataset);
  const data = same ? loaded.data : await loadDataset(cfg.dataset, nodeDataIO(base, assetDir), configFile ?? path.join(dir, 'config.json'));
  const trainer = makeTrainer(cfg, data, configFile ?? path.join(dir, 'config.json'));
  try {
    trainer.restoreState(state.state);
  } catch (e) {
    trainer.dispose();
    throw new InputError((e as Error).message, path.join(dir, STATE_FILE));
  }
  const format: RecordFormat = fs.existsSync(path.join(dir, STEPS_FILE)) ? 'binary' : 'jsonl';
  if (format === 'binary' && !stepsHeaderIs(path.join(dir, STEPS_FILE), headerBytes(writerLayout(cfg, trainer.net.sizes.at(-1)!, trainer.batchSize)))) {
    trainer.dispose();
    throw new InputError('its header is not the one the run\'s config makes: the records cannot be continued', path.join(dir, STEPS_FILE));
  }
  const entry = {
    at: new Date().toISOString(), step: summary.steps, epoch: summary.epochs, from: summary.status,
    epochs: cfg.epochs, lr: cfg.lr, previousEpochs: config.epochs, previousLr: config.lr,
  };
  const next: RunSummary = { ...summary, continued: [...(summary.continued ?? []), entry] };
  delete next.divergence;
  return { dir, cfg, data, trainer, summary: next, configFile, format };
}

/** Whether `file` starts with exactly the bytes `head`. */
function stepsHeaderIs(file: string, head: Uint8Array): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const got = Buffer.alloc(head.length);
    return fs.readSync(fd, got, 0, head.length, 0) === head.length && got.equals(head);
  } finally {
    fs.closeSync(fd);
  }
}
