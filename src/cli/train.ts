/**
 * mlp-lens train: checks where it will write (--out or .mlp-lens/runs, --report) before
 * training, locks --out, trains each variant into its own folder and prints the progress.
 * Every failure ends as one line on stderr: exit 2 for our input and paths (found before
 * training), 1 for a failure while training (diverged; a full disk: the run is "failed").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Trainer } from '../engine/trainer';
import type { Dataset, ResolvedConfig } from '../engine/types';
import { formatVariantReport, formatComparison } from './report';
import { complain, printable, printableJson, progress, say, sayRaw } from './print';
import { intFlag, type Args } from './args';
import type { Continuation } from '../node/continue-run';
import { DEFAULT_RUN_FOLDER } from '../runs/folders';
import { writeFailure } from '../runs/faults';
import { newRunFolders } from '../runs/names';
import { checkOutFile, checkOutFolder, lockOutFolder, newVariantFolders, type OutLock } from '../runs/outdir';
import { RunRecorder } from '../runs/record';
import { runMeta } from '../runs/summary';
import { trainVariant, type VariantOutcome } from '../node/train-session';
import { planeView, RegionSampler } from '../node/regions-session';
import { PictureSampler } from '../node/pictures-session';
import { reportHtml } from '../node/html-report';
import { DEFAULT_PANEL_SETTINGS, RunModel } from '../runs/model';

function progressBar(t: Trainer, width = 24): string {
  const frac = t.totalSteps ? t.step / t.totalSteps : 1;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * frac).toFixed(0).padStart(3)}%`;
}

function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

/** Checks the output paths, takes the --out lock and creates the variants' folders (before training). */
function prepareOutputs(args: Args, cfgs: ResolvedConfig[]): { dirs: string[]; stamp: string; lock: OutLock | null } {
  const out = args.flags.get('out') as string | undefined;
  const report = args.flags.get('report') as string | undefined;
  if (report) checkOutFile(report);
  if (!out) {
    checkOutFolder(DEFAULT_RUN_FOLDER, 'the run folder');
    const { stamp, dirs } = newRunFolders(DEFAULT_RUN_FOLDER, cfgs);
    return { dirs, stamp, lock: null };
  }
  checkOutFolder(out);
  const lock = lockOutFolder(out);
  try {
    const dirs = newVariantFolders(out, cfgs.map((c) => c.variant));
    return { dirs, stamp: new Date().toISOString(), lock };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Removes the folders made for variants that never started (interrupted or failed before them). */
function dropUnused(dirs: string[], used: number): void {
  for (const d of dirs.slice(used)) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty or gone: leave it
    }
  }
}

/**
 * `continued`: a run to continue (train --continue), its trainer restored; it trains in its own
 * folder, its records appended.
 */
export async function cmdTrain(args: Args, cfgs: ResolvedConfig[], data: Dataset, trainers: Trainer[], continued?: Continuation): Promise<number> {
  const json = args.flags.has('json');
  const tty = process.stderr.isTTY && !json;
  const log = (s: string) => { if (!json) say(s); };
  const stopAt = intFlag(args, 'stop-at-step', 1);
  const { dirs, stamp, lock } = continued ? { dirs: [continued.dir], stamp: '', lock: null } : prepareOutputs(args, cfgs);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let used = 0;
  try {
    log(`${cfgs[0]!.name}: ${data.description}; ${data.features} features, ${data.classes} classes`);
    log(`kernels: ${trainers[0]!.net.kernelPath}`);
    const outcomes: { dir: string; outcome: VariantOutcome }[] = [];
    const reportFile = args.flags.get('report') as string | undefined;
    // the same model the extension's panel gets, for the HTML report
    const view = reportFile ? new RunModel(`cli-${stamp}`, cfgs[0]!.name, path.resolve(args.config), cfgs, 1000) : null;
    view?.started(cfgs.map((c) => c.variant), [], data.description);
    const plane = view ? planeView(data) : null; // 2-feature data: the report shows decision regions
    if (plane) view!.setPlane(plane);
    let failure: string | null = null;
    for (const trainer of trainers) {
      const cfg = trainer.cfg;
      const dir = dirs[used++]!;
      let recorder: RunRecorder;
      try {
        recorder = continued
          ? new RunRecorder(dir, cfg, continued.configFile, runMeta(trainer), continued.format, continued.summary)
          : new RunRecorder(dir, cfg, path.resolve(args.config), runMeta(trainer), args.flags.has('jsonl') ? 'jsonl' : 'binary');
      } catch (e) {
        failure = (e as Error).message; // a RecordWriteError: "disk full writing <file>"
        break;
      }
      log(`\n== ${cfg.variant}: ${[data.features, ...cfg.layers, trainer.net.sizes.at(-1)].join('-')} ${cfg.activation.join(',')} init ${cfg.init.scheme}, ${cfg.optimizer.type} lr ${cfg.lr}, batch ${trainer.batchSize}, ${cfg.epochs} epochs`);
      if (continued) log(`  continued from step ${trainer.step} (epoch ${trainer.epoch}) of ${dir}`);
      let lastDraw = 0;
      let lastLoss = NaN;
      const outcome = await trainVariant(trainer, recorder.summary.configFile, {
        recorder,
        shouldStop: () => interrupted || (stopAt !== undefined && trainer.step >= stopAt),
        onStepTransient: true, // reads the loss only
        onStep: (r) => {
          lastLoss = r.loss;
          view?.records(cfg.variant, [r], [], null);
        },
        onSlice: (t) => {
          if (!tty) return;
          const now = performance.now();
          if (now - lastDraw < 100) return;
          lastDraw = now;
          progress(`\r${progressBar(t)} ${printable(cfg.variant)} epoch ${Math.min(t.epoch + 1, cfg.epochs)}/${cfg.epochs} step ${t.step}/${t.totalSteps} loss ${fmt(lastLoss)}\x1b[K`);
        },
        onEpoch: (r) => {
          if (tty) progress('\r\x1b[K');
          view?.records(cfg.variant, [], [r], null);
          log(`  epoch ${r.epoch}/${cfg.epochs}  train loss ${fmt(r.train.loss)} acc ${fmt(r.train.accuracy, 3)}  test loss ${fmt(r.test?.loss)} acc ${fmt(r.test?.accuracy, 3)}`);
        },
      });
      if (tty) progress('\r\x1b[K');
      outcomes.push({ dir, outcome });
      if (plane) {
        const regions = RegionSampler.for(trainer, data)!;
        view!.setRegions(cfg.variant, regions.allLayers());
        regions.dispose();
      }
      if (view) {
        const pictures = PictureSampler.for(trainer, data); // image data: weights and misclassified examples in the report
        if (pictures) view.setPictures(cfg.variant, pictures.report());
      }
      trainer.dispose(); // its helper thread, if any
      view?.variantDone(cfg.variant, path.resolve(dir), outcome.summary);
      if (!json) log(formatVariantReport(outcome));
      if (outcome.summary.divergence) complain(`${args.config}: variant "${cfg.variant}" ${outcome.summary.divergence.message}`);
      log(`  run record: ${dir}`);
      if (outcome.summary.status === 'stopped' && !interrupted) log(`  stopped at step ${trainer.step} (--stop-at-step); go on with: mlp-lens train --continue ${dir}`);
      if (outcome.summary.status === 'failed') failure = outcome.summary.failure ?? `the run record in ${dir} could not be written`;
      if (interrupted || failure) break;
    }
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (view && reportFile) {
      view.finish(interrupted ? 'stopped' : RunModel.overall(view.variants.map((v) => v.meta.status)));
      try {
        fs.writeFileSync(reportFile, reportHtml(view.snapshot(DEFAULT_PANEL_SETTINGS)));
        log(`\nreport: ${reportFile}`);
      } catch (e) {
        failure ??= writeFailure(reportFile, e).message;
      }
    }
    if (json) sayRaw(printableJson(JSON.stringify({ runs: outcomes.map(({ dir, outcome }) => ({ dir, ...outcome.summary })) }, null, 2)) + '\n');
    else if (outcomes.length > 1) log('\n' + formatComparison(outcomes.map((o) => o.outcome)));
    if (failure) {
      complain(failure);
      return 1;
    }
    if (interrupted) {
      complain('interrupted; the run so far is kept as "stopped"');
      return 130;
    }
    return outcomes.some((o) => o.outcome.summary.status === 'diverged') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    dropUnused(dirs, used);
    lock?.release();
  }
}
