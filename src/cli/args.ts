/** The CLI's command line: commands, flags and their values. */

export const USAGE = `usage:
  mlp-lens train <config.mlp.json> [--out DIR] [--seed N] [--epochs N] [--variant NAME] [--json]
                [--report FILE.html] [--jobs N] [--shard I/N] [--jsonl] [--stop-at-step N]
  mlp-lens train --continue RUN_DIR [--epochs N] [--lr X] [--stop-at-step N] [--json]
  mlp-lens dump <config.mlp.json> --out PREFIX [--variant NAME] [--no-probs]
  mlp-lens validate <config.mlp.json> [--json]
  mlp-lens runs [DIR] [--json]
  mlp-lens export <run or experiment folder>... --csv FILE.csv
  mlp-lens export torch <config.mlp.json> --out DIR [--variant NAME]
  mlp-lens report <run or experiment folder>... --out FILE.html
  mlp-lens convert <run folder>... (--jsonl | --binary) [--replace]

train     trains every variant (or one) and writes a run record per variant:
          DIR/<variant>/ with --out, else .mlp-lens/runs/<time>-<config>-<variant>/;
          --report also writes the training panel as one self-contained HTML file.
          A config with "seeds" or "sweep" is an experiment: its runs train in a pool of
          --jobs workers (default: one per core) into DIR/<run>/ (default
          .mlp-lens/runs/<time>-<config>/) with DIR/experiment.json; --shard I/N trains every
          N-th run from the I-th; train again on the same --out to resume;
          --stop-at-step N stops each variant after step N (kept "stopped", continuable)
          --continue trains a stopped or completed run on in its own folder, bit for bit as
          if it had never stopped: to its planned end, or to --epochs N in all; --lr X
          sets the learning rate from there on
dump      one forward/backward pass on the first training batch, written as
          PREFIX.in.json and PREFIX.out.json (format mlp-oracle/v1)
validate  checks a config against the schema and prints every problem;
          --json prints {file, valid, issues} instead
runs      lists the runs and experiments in DIR (default .mlp-lens/runs), one line each
export    writes the step and epoch records of runs and experiments as one tidy CSV;
          export torch writes a PyTorch training script for the config (DIR/train.py, with
          mlp_lens.watch) and its data split (DIR/data/*.npy)
report    writes a comparison of runs (up to 6, from any configs and dates) as one
          self-contained HTML file: curves overlaid, heatmaps on one colour scale
convert   rewrites run folders' step records as metrics.jsonl (--jsonl) or metrics.bin
          (--binary), keeping the other form unless --replace; train --jsonl writes
          metrics.jsonl instead of metrics.bin

exit codes: 0 ok; 2 invalid config/data/arguments or an unusable output path (--out, --report,
            --csv), found before training; 1 training failed (diverged, or its record could not
            be written: a full disk); 130 interrupted`;

/** A bad command line: exit 2 with the message (an empty message: print the usage, exit 0). */
export class UsageError extends Error {}

export interface Args {
  command: string;
  /** the first positional argument (train, dump, validate: the config file; runs: the folder, or '') */
  config: string;
  /** every positional argument */
  paths: string[];
  flags: Map<string, string | true>;
}

const FLAGS: Record<string, { value: boolean; commands: string[] }> = {
  out: { value: true, commands: ['train', 'dump', 'report', 'export'] },
  seed: { value: true, commands: ['train'] },
  epochs: { value: true, commands: ['train'] },
  continue: { value: true, commands: ['train'] },
  lr: { value: true, commands: ['train'] },
  'stop-at-step': { value: true, commands: ['train'] },
  variant: { value: true, commands: ['train', 'dump', 'export'] },
  json: { value: false, commands: ['train', 'validate', 'runs'] },
  report: { value: true, commands: ['train'] },
  jobs: { value: true, commands: ['train'] },
  shard: { value: true, commands: ['train'] },
  csv: { value: true, commands: ['export'] },
  'no-probs': { value: false, commands: ['dump'] },
  jsonl: { value: false, commands: ['train', 'convert'] },
  binary: { value: false, commands: ['convert'] },
  replace: { value: false, commands: ['convert'] },
};

const COMMANDS = ['train', 'dump', 'validate', 'runs', 'export', 'report', 'convert'];

export function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') throw new UsageError('');
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command '${command}'`);
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
  if (command === 'convert') {
    if (!positional.length || positional.includes('')) throw new UsageError('convert needs one or more run folders');
    if (flags.has('jsonl') === flags.has('binary')) throw new UsageError("'convert' needs one of --jsonl or --binary");
    return { command, config: positional[0]!, paths: positional, flags };
  }
  if (command === 'train' && flags.has('continue')) {
    if (positional.length) throw new UsageError(`--continue takes a run folder instead of a config file (got '${positional[0]}' too)`);
    for (const f of ['out', 'seed', 'variant', 'report', 'jobs', 'shard', 'jsonl']) {
      if (flags.has(f)) throw new UsageError(`--${f} cannot be used with --continue (the run keeps its folder, seed, variant and record format)`);
    }
    return { command, config: flags.get('continue') as string, paths: [], flags };
  }
  if (flags.has('lr')) throw new UsageError('--lr is for --continue (a config sets its own "lr")');
  if (command === 'runs' || command === 'export' || command === 'report') {
    if (positional.some((p) => p === '')) throw new UsageError('a folder name is empty');
  }
  if (command === 'runs') {
    if (positional.length > 1) throw new UsageError(`expected at most one folder, got ${positional.length}`);
  } else if (command === 'export' && positional[0] === 'torch') {
    if (positional.length !== 2) throw new UsageError(positional.length > 2 ? `'export torch' takes one config file, got ${positional.length - 1}` : "'export torch' needs a config file");
    if (flags.has('csv')) throw new UsageError("'export torch' writes a script: --out DIR, not --csv");
    if (!flags.has('out')) throw new UsageError("'export torch' needs --out DIR");
    return { command, config: positional[1]!, paths: positional, flags };
  } else if (command === 'export') {
    for (const f of ['out', 'variant']) if (flags.has(f)) throw new UsageError(`--${f} is for 'export torch <config>'; exporting runs takes --csv FILE`);
    if (!positional.length) throw new UsageError('missing the run or experiment folders to export');
    if (!flags.has('csv')) throw new UsageError("'export' needs --csv FILE");
  } else if (command === 'report') {
    if (!positional.length) throw new UsageError('missing the run or experiment folders to compare');
    if (!flags.has('out')) throw new UsageError("'report' needs --out FILE.html");
  } else if (positional.length !== 1) {
    throw new UsageError(positional.length ? `expected one config file, got ${positional.length}` : 'missing the config file');
  } else if (positional[0] === '') {
    throw new UsageError('the config file name is empty');
  }
  if (command === 'dump' && !flags.has('out')) throw new UsageError("'dump' needs --out PREFIX");
  return { command, config: positional[0] ?? '', paths: positional, flags };
}

export function intFlag(args: Args, name: string, min: number): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got '${String(v)}')`);
  }
  return Number(v);
}

/** A positive finite number flag (--lr), or undefined when absent. */
export function positiveFlag(args: Args, name: string): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  const x = typeof v === 'string' && /^[0-9.eE+-]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(x) || x <= 0) throw new UsageError(`--${name} must be a positive number (got '${String(v)}')`);
  return x;
}
