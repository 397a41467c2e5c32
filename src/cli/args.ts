/** The CLI's command line: commands, flags and their values. */

export const USAGE = `usage:
  mlp-lens train <config.mlp.json> [--out DIR] [--seed N] [--epochs N] [--variant NAME] [--json]
                [--report FILE.html] [--jsonl]
  mlp-lens dump <config.mlp.json> --out PREFIX [--variant NAME] [--no-probs]
  mlp-lens validate <config.mlp.json> [--json]
  mlp-lens convert <RUN_DIR>... (--jsonl | --binary) [--replace]

train     trains every variant (or one) and writes a run record per variant:
          DIR/<variant>/ with --out, else .mlp-lens/runs/<time>-<config>-<variant>/;
          --report also writes the training panel as one self-contained HTML file
dump      one forward/backward pass on the first training batch, written as
          PREFIX.in.json and PREFIX.out.json (format mlp-oracle/v1)
validate  checks a config against the schema and prints every problem;
          --json prints {file, valid, issues} instead
convert   rewrites run folders' step records as metrics.jsonl (--jsonl) or metrics.bin
          (--binary), keeping the other form unless --replace; train --jsonl writes
          metrics.jsonl instead of metrics.bin

exit codes: 0 ok; 2 invalid config/data/arguments or an unusable output path (--out, --report),
            found before training; 1 training failed (diverged, or its record could not be
            written: a full disk); 130 interrupted`;

/** A bad command line: exit 2 with the message (an empty message: print the usage, exit 0). */
export class UsageError extends Error {}

export interface Args {
  command: string;
  config: string;
  /** every positional argument (convert: the run folders) */
  positional: string[];
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
  jsonl: { value: false, commands: ['train', 'convert'] },
  binary: { value: false, commands: ['convert'] },
  replace: { value: false, commands: ['convert'] },
};

export function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') throw new UsageError('');
  if (!['train', 'dump', 'validate', 'convert'].includes(command)) throw new UsageError(`unknown command '${command}'`);
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
    return { command, config: positional[0]!, positional, flags };
  }
  if (positional.length !== 1) throw new UsageError(positional.length ? `expected one config file, got ${positional.length}` : 'missing the config file');
  if (positional[0] === '') throw new UsageError('the config file name is empty');
  if (command === 'dump' && !flags.has('out')) throw new UsageError("'dump' needs --out PREFIX");
  return { command, config: positional[0]!, positional, flags };
}

export function intFlag(args: Args, name: string, min: number): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got '${String(v)}')`);
  }
  return Number(v);
}
