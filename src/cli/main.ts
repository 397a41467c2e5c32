/**
 * mlp-lens: the engine headless, for scripts and CI.
 *
 *   mlp-lens train <config> [--out DIR] [--seed N] [--epochs N] [--variant NAME] [--json] [--report FILE.html]
 *   mlp-lens dump <config> --out PREFIX [--variant NAME] [--no-probs]
 *   mlp-lens validate <config> [--json]
 *
 * Exit codes: 0 success; 2 invalid config, data or arguments (one message, no stack trace);
 * 1 a training failure such as divergence; 130 interrupted (the run is kept as "stopped").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatIssue, resolveConfig, validateConfig, withOverrides } from '../engine/config';
import { loadDataset } from '../engine/datasets';
import { gradientDump } from '../engine/dump';
import type { Trainer } from '../engine/trainer';
import { InputError, type Dataset, type ResolvedConfig } from '../engine/types';
import { findAssetDir, nodeDataIO } from '../node/io';
import { formatVariantReport, formatComparison } from './report';
import { writeJsonAtomic } from '../runs/atomic';
import { DEFAULT_RUN_FOLDER } from '../runs/folders';
import { freshStamp, runFolderName, variantFolderName } from '../runs/names';
import { RunRecorder } from '../runs/record';
import { runMeta } from '../runs/summary';
import { enableSecondCore, setupKernels } from '../node/kernel-setup';
import { makeTrainer, trainVariant, type VariantOutcome } from '../node/train-session';
import { reportHtml } from '../node/html-report';
import { DEFAULT_PANEL_SETTINGS, RunModel } from '../runs/model';

const USAGE = `usage:
  mlp-lens train <config.mlp.json> [--out DIR] [--seed N] [--epochs N] [--variant NAME] [--json]
                [--report FILE.html]
  mlp-lens dump <config.mlp.json> --out PREFIX [--variant NAME] [--no-probs]
  mlp-lens validate <config.mlp.json> [--json]

train     trains every variant (or one) and writes a run record per variant:
          DIR/<variant>/ with --out, else .mlp-lens/runs/<time>-<config>-<variant>/;
          --report also writes the training panel as one self-contained HTML file
dump      one forward/backward pass on the first training batch, written as
          PREFIX.in.json and PREFIX.out.json (format mlp-oracle/v1)
validate  checks a config against the schema and prints every problem;
          --json prints {file, valid, issues} instead

exit codes: 0 ok, 2 invalid config/data/arguments, 1 training failed (e.g. diverged)`;

class UsageError extends Error {}

interface Args {
  command: string;
  config: string;
  flags: Map<string, string | true>;
}

const FLAGS: Record<string, { value: boolean; commands: string[] }> = {
  out: { value: true, commands: ['train', 'dump'] },
  seed: { value: true, commands: ['train'] },
  epochs: { value: true, commands: ['train'] },
  variant: { value: true, commands: ['train', 'dump'] },
  json: { value: false, commands: ['train', 'validate'] },
  report: { value: true, commands: ['train'] },
  'no-probs': { value: false, commands: ['dump'] },
};

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') throw new UsageError('');
  if (!['train', 'dump', 'validate'].includes(command)) throw new UsageError(`unknown command '${command}'`);
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = FLAGS[name];
    if (!spec || !spec.commands.includes(command)) throw new UsageError(`unknown option '--${name}' for '${command}'`);
    if (!spec.value) { flags.set(name, true); continue; }
    const value = eq >= 0 ? a.slice(eq + 1) : rest[++i];
    if (value === undefined || value === '') throw new UsageError(`option '--${name}' needs a value`);
    flags.set(name, value);
  }
  if (positional.length !== 1) throw new UsageError(positional.length ? `expected one config file, got ${positional.length}` : 'missing the config file');
  if (command === 'dump' && !flags.has('out')) throw new UsageError("'dump' needs --out PREFIX");
  return { command, config: positional[0]!, flags };
}

function intFlag(args: Args, name: string, min: number): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got '${String(v)}')`);
  }
  return Number(v);
}

function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a config file' : `cannot read: ${(e as Error).message}`, file);
  }
}

async function loadConfigAndData(args: Args): Promise<{ cfgs: ResolvedConfig[]; data: Dataset }> {
  const file = args.config;
  const text = readConfigText(file);
  const cfgs = withOverrides(resolveConfig(text, file), {
    seed: intFlag(args, 'seed', 0),
    epochs: intFlag(args, 'epochs', 1),
    variant: args.flags.get('variant') as string | undefined,
  });
  const io = nodeDataIO(path.dirname(path.resolve(file)), findAssetDir());
  const data = await loadDataset(cfgs[0]!.dataset, io, file);
  return { cfgs, data };
}

function progressBar(t: Trainer, width = 24): string {
  const frac = t.totalSteps ? t.step / t.totalSteps : 1;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * frac).toFixed(0).padStart(3)}%`;
}

function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

async function cmdTrain(args: Args): Promise<number> {
  const { cfgs, data } = await loadConfigAndData(args);
  const json = args.flags.has('json');
  const out = args.flags.get('out') as string | undefined;
  const tty = process.stderr.isTTY && !json;
  const log = (s: string) => { if (!json) process.stdout.write(s + '\n'); };
  const trainers = cfgs.map((c) => makeTrainer(c, data, args.config)); // refuse bad variants before training any
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  log(`${cfgs[0]!.name}: ${data.description}; ${data.features} features, ${data.classes} classes`);
  log(`kernels: ${trainers[0]!.net.kernelPath}`);
  const runsDir = DEFAULT_RUN_FOLDER;
  const stamp = freshStamp(runsDir, cfgs);
  const outcomes: { dir: string; outcome: VariantOutcome }[] = [];
  const reportFile = args.flags.get('report') as string | undefined;
  // the same model the extension's panel gets, for the HTML report
  const view = reportFile ? new RunModel(`cli-${stamp}`, cfgs[0]!.name, path.resolve(args.config), cfgs, 1000) : null;
  view?.started(cfgs.map((c) => c.variant), [], data.description);
  for (const trainer of trainers) {
    const cfg = trainer.cfg;
    const dir = out ? path.join(out, variantFolderName(cfg.variant)) : path.join(runsDir, runFolderName(stamp, cfg.name, cfg.variant));
    const recorder = new RunRecorder(dir, cfg, path.resolve(args.config), runMeta(trainer));
    log(`\n== ${cfg.variant}: ${[data.features, ...cfg.layers, trainer.net.sizes.at(-1)].join('-')} ${cfg.activation.join(',')} init ${cfg.init.scheme}, ${cfg.optimizer.type} lr ${cfg.lr}, batch ${trainer.batchSize}, ${cfg.epochs} epochs`);
    let lastDraw = 0;
    let lastLoss = NaN;
    const outcome = await trainVariant(trainer, recorder.summary.configFile, {
      recorder,
      shouldStop: () => interrupted,
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
        process.stderr.write(`\r${progressBar(t)} ${cfg.variant} epoch ${Math.min(t.epoch + 1, cfg.epochs)}/${cfg.epochs} step ${t.step}/${t.totalSteps} loss ${fmt(lastLoss)}\x1b[K`);
      },
      onEpoch: (r) => {
        if (tty) process.stderr.write('\r\x1b[K');
        view?.records(cfg.variant, [], [r], null);
        log(`  epoch ${r.epoch}/${cfg.epochs}  train loss ${fmt(r.train.loss)} acc ${fmt(r.train.accuracy, 3)}  test loss ${fmt(r.test?.loss)} acc ${fmt(r.test?.accuracy, 3)}`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    outcomes.push({ dir, outcome });
    trainer.dispose(); // its helper thread, if any
    view?.variantDone(cfg.variant, path.resolve(dir), outcome.summary);
    if (!json) log(formatVariantReport(outcome));
    if (outcome.summary.divergence) {
      const d = outcome.summary.divergence;
      process.stderr.write(`mlp-lens: ${args.config}: variant "${cfg.variant}" ${d.message}\n`);
    }
    log(`  run record: ${dir}`);
    if (interrupted) break;
  }
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  if (view && reportFile) {
    view.finish(interrupted ? 'stopped' : RunModel.overall(view.variants.map((v) => v.meta.status)));
    fs.mkdirSync(path.dirname(path.resolve(reportFile)), { recursive: true });
    fs.writeFileSync(reportFile, reportHtml(view.snapshot(DEFAULT_PANEL_SETTINGS)));
    log(`\nreport: ${reportFile}`);
  }
  if (json) process.stdout.write(JSON.stringify({ runs: outcomes.map(({ dir, outcome }) => ({ dir, ...outcome.summary })) }, null, 2) + '\n');
  else if (outcomes.length > 1) log('\n' + formatComparison(outcomes.map((o) => o.outcome)));
  if (interrupted) {
    process.stderr.write('mlp-lens: interrupted; the run so far is kept as "stopped"\n');
    return 130;
  }
  return outcomes.some((o) => o.outcome.summary.status === 'diverged') ? 1 : 0;
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
  fs.mkdirSync(path.dirname(path.resolve(prefix)), { recursive: true });
  writeJsonAtomic(`${prefix}.in.json`, dump.input);
  writeJsonAtomic(`${prefix}.out.json`, dump.result);
  process.stdout.write(`wrote ${prefix}.in.json and ${prefix}.out.json (variant ${cfgs[0]!.variant}, batch ${trainer.batchSize})\n`);
  return 0;
}

function cmdValidate(args: Args): number {
  const file = args.config;
  const text = readConfigText(file);
  const issues = validateConfig(text, file);
  const errors = issues.filter((i) => i.severity === 'error');
  if (args.flags.has('json')) {
    process.stdout.write(JSON.stringify({ file, valid: errors.length === 0, issues }, null, 2) + '\n');
    return errors.length ? 2 : 0;
  }
  for (const i of issues) process.stderr.write(`${formatIssue(file, i)}${i.severity === 'warning' ? ' (warning)' : ''}\n`);
  if (errors.length) return 2;
  const cfgs = resolveConfig(text, file);
  process.stdout.write(`${file}: valid; ${cfgs.length} variant${cfgs.length > 1 ? 's' : ''}: ${cfgs.map((c) => c.variant).join(', ')}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (!e.message) {
        process.stdout.write(USAGE + '\n');
        return 0;
      }
      process.stderr.write(`mlp-lens: ${e.message} (see 'mlp-lens --help')\n`);
      return 2;
    }
    throw e;
  }
  try {
    if (args.command !== 'validate') {
      try {
        setupKernels(); // before the first network: the fastest WebAssembly kernels this runtime has
        enableSecondCore(); // big networks split their products with a helper thread (MLP_LENS_THREADS=1: never)
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    if (args.command === 'train') return await cmdTrain(args);
    if (args.command === 'dump') return await cmdDump(args);
    return cmdValidate(args);
  } catch (e) {
    if (e instanceof InputError) {
      // an error that names no file is about the config itself
      const located = e.file ? e : new InputError(e.message, args.config, e.line, e.column);
      process.stderr.write(`mlp-lens: ${located.format()}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`mlp-lens: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`mlp-lens: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
