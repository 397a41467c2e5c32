/**
 * mlp-lens: the engine headless, for scripts and CI.
 *
 *   mlp-lens train <config> [--out DIR] [--seed N] [--epochs N] [--variant NAME] [--json] [--report FILE.html] [--stop-at-step N]
 *   mlp-lens train --continue RUN_DIR [--epochs N] [--lr X] [--stop-at-step N] [--json]
 *   mlp-lens dump <config> --out PREFIX [--variant NAME] [--no-probs]
 *   mlp-lens validate <config> [--json]
 *   mlp-lens runs [DIR] [--json]
 *   mlp-lens export <run or experiment>... --csv FILE
 *   mlp-lens report <run or experiment>... --out FILE.html
 *   mlp-lens convert <run dir>... (--jsonl | --binary) [--replace]
 *
 * Exit codes: 0 success; 2 invalid config, data, arguments or output paths (one message, no
 * stack trace, found before training); 1 a training failure: divergence, or a run record that
 * could not be written (a full disk: the run is "failed"); 130 interrupted (kept as "stopped").
 * Every message is one line on stderr, its names printable (see print.ts).
 */
import * as path from 'node:path';
import { formatIssue, resolveConfig, validateConfig, withOverrides } from '../engine/config';
import { loadDataset } from '../engine/datasets';
import { gradientDump } from '../engine/dump';
import { InputError, type Dataset, type ResolvedConfig } from '../engine/types';
import { findAssetDir, nodeDataIO, readRegularFile } from '../node/io';
import { intFlag, parseArgs, positiveFlag, UsageError, USAGE, type Args } from './args';
import { prepareContinuation } from '../node/continue-run';
import { complain, guardStreams, printableJson, say, sayRaw } from './print';
import { cmdTrain } from './train';
import { cmdConvert } from './convert';
import { writeJsonAtomic } from '../runs/atomic';
import { RecordWriteError, writeFailure } from '../runs/faults';
import { checkOutFile, OutputError } from '../runs/outdir';
import { enableSecondCore, setupKernelFlags } from '../node/kernel-setup';
import { makeTrainer } from '../node/train-session';
import { isPoolWorker, poolWorkerMain } from '../node/pool-worker';
import { isExperiment } from '../engine/experiment';
import { cmdTrainExperiment, earlyPool } from './experiment';
import { cmdRuns } from './runs';
import { cmdExport } from './export';
import { exportTorch } from './export-torch';
import { cmdReport } from './compare-report';

/** The config file's text: a regular file only (a FIFO or device is refused, never waited on). */
async function readConfigText(file: string): Promise<string> {
  try {
    return Buffer.from(await readRegularFile(path.resolve(file), file, 'config file')).toString('utf8');
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message.replace('it is a folder', 'it is a directory'));
    throw e;
  }
}

async function loadConfigAndData(args: Args): Promise<{ cfgs: ResolvedConfig[]; data: Dataset }> {
  const file = args.config;
  const text = await readConfigText(file);
  const cfgs = withOverrides(resolveConfig(text, file), {
    seed: intFlag(args, 'seed', 0),
    epochs: intFlag(args, 'epochs', 1),
    variant: args.flags.get('variant') as string | undefined,
  });
  const io = nodeDataIO(path.dirname(path.resolve(file)), findAssetDir());
  const data = await loadDataset(cfgs[0]!.dataset, io, file);
  return { cfgs, data };
}

async function cmdDump(args: Args): Promise<number> {
  const { cfgs, data } = await loadConfigAndData(args);
  if (cfgs.length > 1) {
    throw new InputError(`has ${cfgs.length} variants (${cfgs.map((c) => c.variant).join(', ')}): choose one with --variant NAME`, args.config);
  }
  const trainer = makeTrainer(cfgs[0]!, data, args.config);
  let dump;
  try {
    dump = gradientDump(trainer, { probs: !args.flags.has('no-probs') });
  } catch (e) {
    if (e instanceof InputError && !e.file) throw new InputError(e.message, args.config);
    throw e;
  }
  const prefix = args.flags.get('out') as string;
  checkOutFile(`${prefix}.in.json`, '--out');
  checkOutFile(`${prefix}.out.json`, '--out');
  for (const [file, value] of [[`${prefix}.in.json`, dump.input], [`${prefix}.out.json`, dump.result]] as const) {
    try {
      writeJsonAtomic(file, value);
    } catch (e) {
      throw writeFailure(file, e);
    }
  }
  say(`wrote ${prefix}.in.json and ${prefix}.out.json (variant ${cfgs[0]!.variant}, batch ${trainer.batchSize})`);
  return 0;
}

async function cmdExportTorch(args: Args): Promise<number> {
  const text = await readConfigText(args.config);
  if (isExperiment(text, args.config)) {
    throw new InputError('is an experiment (it has "seeds" or "sweep"); export torch writes the script of one config: its variants, one seed (the script takes --seed)', args.config);
  }
  const { cfgs, data } = await loadConfigAndData(args);
  exportTorch(cfgs, data, args.config, args.flags.get('out') as string);
  return 0;
}

async function cmdValidate(args: Args): Promise<number> {
  const file = args.config;
  const text = await readConfigText(file);
  const issues = validateConfig(text, file);
  const errors = issues.filter((i) => i.severity === 'error');
  if (args.flags.has('json')) {
    sayRaw(printableJson(JSON.stringify({ file, valid: errors.length === 0, issues }, null, 2)) + '\n');
    return errors.length ? 2 : 0;
  }
  for (const i of issues) complain(`${formatIssue(file, i)}${i.severity === 'warning' ? ' (warning)' : ''}`);
  if (errors.length) return 2;
  const cfgs = resolveConfig(text, file);
  say(`${file}: valid; ${cfgs.length} variant${cfgs.length > 1 ? 's' : ''}: ${cfgs.map((c) => c.variant).join(', ')}`);
  return 0;
}

async function train(args: Args): Promise<number> {
  if (args.flags.has('continue')) {
    const c = await prepareContinuation({ dir: args.config, epochs: intFlag(args, 'epochs', 1), lr: positiveFlag(args, 'lr') }, findAssetDir());
    return cmdTrain(args, [c.cfg], c.data, [c.trainer], c);
  }
  const text = await readConfigText(args.config);
  const pool = earlyPool(args, text); // an experiment's workers boot while the config is checked
  let experiment: boolean;
  try {
    experiment = isExperiment(text, args.config);
    if (experiment && args.flags.has('stop-at-step')) throw new UsageError('--stop-at-step is for a config without "seeds" or "sweep"');
  } catch (e) {
    await pool?.close();
    throw e;
  }
  if (experiment) return cmdTrainExperiment(args, text, pool);
  await pool?.close();
  for (const flag of ['jobs', 'shard']) {
    if (args.flags.has(flag)) throw new UsageError(`--${flag} is for experiments: a config with "seeds" or "sweep"`);
  }
  const { cfgs, data } = await loadConfigAndData(args);
  const trainers = cfgs.map((c) => makeTrainer(c, data, args.config)); // refuse bad variants before training any
  return cmdTrain(args, cfgs, data, trainers);
}

export async function main(argv: string[]): Promise<number> {
  guardStreams(); // a reader that went away (`| head`) ends the printing, not the run
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (!e.message) {
        say(USAGE);
        return 0;
      }
      complain(`${e.message} (see 'mlp-lens --help')`);
      return 2;
    }
    throw e;
  }
  try {
    if (args.command === 'runs') return await cmdRuns(args);
    if (args.command === 'export' && args.paths[0] === 'torch') return await cmdExportTorch(args);
    if (args.command === 'export') return await cmdExport(args);
    if (args.command === 'report') return await cmdReport(args);
    if (args.command === 'convert') return await cmdConvert(args);
    if (args.command !== 'validate') {
      try {
        // before the first network: the fastest WebAssembly kernels this runtime has (compiled
        // with the first network, or by an experiment once its pool's workers are starting)
        setupKernelFlags();
        enableSecondCore(); // big networks split their products with a helper thread (MLP_LENS_THREADS=1: never)
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    if (args.command === 'train') return await train(args);
    if (args.command === 'dump') return await cmdDump(args);
    return await cmdValidate(args);
  } catch (e) {
    if (e instanceof InputError) {
      // an error that names no file is about the config itself
      const located = e.file ? e : new InputError(e.message, args.config, e.line, e.column);
      complain(located.format());
      return 2;
    }
    if (e instanceof UsageError || e instanceof OutputError) {
      complain(e.message);
      return 2;
    }
    if (e instanceof RecordWriteError) {
      complain(e.message);
      return 1;
    }
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno) {
      // an fs error no check above foresaw: one line, what failed and where
      complain(`${(e as Error).message}`);
      return 1;
    }
    complain(`internal error: ${(e as Error).message ?? String(e)}${process.env.MLP_LENS_DEBUG ? `\n${(e as Error).stack}` : ' (MLP_LENS_DEBUG=1 prints the stack)'}`);
    return 1;
  }
}

if (isPoolWorker()) {
  poolWorkerMain(); // this bundle, started by an experiment's pool in a worker thread
} else if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
