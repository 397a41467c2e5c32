/**
 * mlp-lens train on an experiment (a config with seeds or a sweep): every run of the grid (or of
 * --shard i/n) trains in a pool of worker threads (--jobs N, one per core by default) into its own
 * run folder under the experiment's folder (--out DIR, or .mlp-lens/runs/<stamp>-<config>/),
 * which also holds experiment.json. One line per finished run, a table at the end. Ctrl-C stops
 * every run in flight ("stopped") and exits 130; `train` again on the same --out skips the runs
 * already completed with the same resolved config and trains the others.
 */
import * as path from 'node:path';
import { loadDataset } from '../engine/datasets';
import { parseConfigText } from '../engine/config';
import { isExperimentConfig } from '../engine/experiment-grid';
import { parseShard, resolveExperiment, shardRuns, withExperimentOverrides, type Experiment, type ExperimentRun } from '../engine/experiment';
import { selectedKernelPath } from '../engine/kernel-path';
import { findAssetDir, nodeDataIO } from '../node/io';
import { runExperiment, type ExperimentOutcome } from '../node/experiment-run';
import { datasetKey, defaultJobs, Pool } from '../node/pool';
import { makeTrainer } from '../node/train-session';
import { ExperimentWriter, newExperimentFolder, runFolderNames, type ExperimentRecord, type ExperimentRunEntry } from '../runs/experiment-record';
import { DEFAULT_RUN_FOLDER } from '../runs/folders';
import { checkOutFolder } from '../runs/outdir';
import { intFlag, UsageError, type Args } from './args';
import { complain, printableJson, say, sayRaw } from './print';
import { runSecondsText } from '../shared/format';

const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** The experiment, its runs chosen by the flags; refuses flags that make no sense for one. */
function experimentFromArgs(args: Args, text: string): { exp: Experiment; mine: ExperimentRun[]; jobs: number } {
  if (args.flags.has('report')) throw new UsageError('--report is for configs without seeds or sweep: an experiment writes experiment.json (see mlp-lens export for its records)');
  const exp = withExperimentOverrides(resolveExperiment(text, args.config), {
    seed: intFlag(args, 'seed', 0),
    epochs: intFlag(args, 'epochs', 1),
    variant: args.flags.get('variant') as string | undefined,
  });
  const shardText = args.flags.get('shard') as string | undefined;
  const shard = shardText === undefined ? null : parseShard(shardText);
  if (shardText !== undefined && !shard) throw new UsageError(`--shard must be i/n with 1 <= i <= n (got '${shardText}')`);
  if (shard && !args.flags.has('out')) throw new UsageError('--shard needs --out DIR: the shards of an experiment write into one folder');
  const jobs = intFlag(args, 'jobs', 1) ?? defaultJobs();
  return { exp, mine: shard ? shardRuns(exp.runs, shard) : exp.runs, jobs };
}

/**
 * Loads the first run's data (handed to the pool's workers at once: they load none themselves) and
 * builds each distinct network once, so a run the data refuses stops the command before any trains.
 */
async function checkRuns(exp: Experiment, configFile: string, pool: Pool): Promise<string> {
  const first = exp.runs[0]!.config;
  const data = await loadDataset(first.dataset, nodeDataIO(path.dirname(path.resolve(configFile)), findAssetDir()), configFile);
  pool.shareData(datasetKey(path.resolve(configFile), first.dataset), data);
  const seen = new Set<string>();
  for (const r of exp.runs) {
    const { name: _n, variant: _v, seed: _s, dataset: _d, ...shape } = r.config;
    const key = JSON.stringify(shape);
    if (seen.has(key)) continue;
    seen.add(key);
    makeTrainer(r.config, data, configFile).dispose();
  }
  return `${data.description}; ${data.features} features, ${data.classes} classes`;
}

/** The final table: the runs grouped over their seeds. */
export function experimentTable(rec: ExperimentRecord): string {
  const groups = new Map<string, ExperimentRunEntry[]>();
  for (const r of rec.runs) {
    const key = r.name.replace(/ ?seed=\d+$/, '') || 'base';
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const seeds = rec.grid.seeds.length;
  const rows = [['run', seeds > 1 ? 'seeds done' : 'status', 'test acc', seeds > 1 ? 'min..max' : 'train acc', 'sat@init', 'delta1/deltaL@init']];
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);
  for (const [key, runs] of groups) {
    const acc = runs.flatMap((r) => (r.status === 'completed' && r.test ? [r.test.accuracy] : []));
    const sat = runs.flatMap((r) => (r.saturation === null ? [] : [r.saturation]));
    const ratios = runs.flatMap((r) => (r.deltaRatio && r.deltaRatio > 0 ? [Math.log(r.deltaRatio)] : []));
    const ratio = mean(ratios);
    const done = runs.filter((r) => r.status === 'completed').length;
    rows.push([
      key,
      seeds > 1 ? `${done}/${runs.length}` : runs[0]!.status,
      num(mean(acc)),
      seeds > 1 ? (acc.length ? `${num(Math.min(...acc))}..${num(Math.max(...acc))}` : '-') : num(runs[0]!.train?.accuracy),
      num(mean(sat)),
      ratio === null ? '-' : num(Math.exp(ratio)),
    ]);
  }
  return table(rows);
}

/**
 * The pool for an experiment, started before its config is even validated: the CLI's bundle
 * starts as a pool worker in each worker thread, and they boot while this thread validates the
 * config, compiles the kernels and loads the data, which it then hands to them. Null when the text
 * is not an experiment (or the flags are wrong: the command says so later).
 */
export function earlyPool(args: Args, text: string): Pool | null {
  try {
    if (!isExperimentConfig(parseConfigText(text, args.config))) return null;
    return new Pool(intFlag(args, 'jobs', 1) ?? defaultJobs(), __filename).boot();
  } catch {
    return null;
  }
}

export async function cmdTrainExperiment(args: Args, text: string, early: Pool | null = null): Promise<number> {
  const json = args.flags.has('json');
  const log = (s: string) => { if (!json) say(s); };
  let exp: Experiment, mine: ExperimentRun[], jobs: number;
  try {
    ({ exp, mine, jobs } = experimentFromArgs(args, text));
  } catch (e) {
    await early?.close();
    throw e;
  }
  const configFile = path.resolve(args.config);
  const size = Math.max(1, Math.min(jobs, mine.length));
  const pool = early ?? new Pool(size, __filename).boot();
  await pool.shrink(size);
  // the kernels compiled here (validating the config did) go to the workers: none compiles
  selectedKernelPath();
  pool.shareKernels();
  const out = args.flags.get('out') as string | undefined;
  let dataLine: string;
  let dir: string;
  try {
    dataLine = await checkRuns(exp, args.config, pool);
    if (out) checkOutFolder(out);
    if (!out) checkOutFolder(DEFAULT_RUN_FOLDER, 'the run folder');
    dir = out ?? newExperimentFolder(DEFAULT_RUN_FOLDER, exp.name);
  } catch (e) {
    await pool.close();
    throw e;
  }
  const folders = runFolderNames(exp.runs);
  const writer = new ExperimentWriter(dir, exp, folders, configFile);
  const folderOf = new Map(exp.runs.map((r, k) => [r.id, folders[k]!]));
  log(`${exp.name}: ${dataLine}`);
  log(`${exp.runs.length} runs (${exp.grid.variants.length} variant${exp.grid.variants.length > 1 ? 's' : ''}, ${Object.keys(exp.grid.sweep).length ? `sweep ${Object.entries(exp.grid.sweep).map(([k, v]) => `${k} x${v.length}`).join(', ')}, ` : ''}${exp.grid.seeds.length} seed${exp.grid.seeds.length > 1 ? 's' : ''})${mine.length < exp.runs.length ? `; this shard: ${mine.length}` : ''}; ${size} worker${size > 1 ? 's' : ''}; folder ${dir}`);
  await writer.write();

  let interrupted = false, finished = 0;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    pool.stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const width = String(mine.length).length;
  let outcome: ExperimentOutcome;
  try {
    outcome = await runExperiment({
      pool, writer, runs: mine, folderOf, configFile, assetDir: findAssetDir(), format: args.flags.has('jsonl') ? 'jsonl' : 'binary', closeWhenDone: true,
      onDone: (run, reply) => {
        const s = reply.summary;
        const status = s?.status ?? 'failed';
        log(`[${String(++finished).padStart(width)}/${mine.length}] ${run.config.variant}  ${status}  test acc ${num(s?.test?.accuracy)}  ${runSecondsText(s?.seconds ?? 0)} s${reply.error ? `  (${reply.error})` : s?.failure ? `  (${s.failure})` : ''}`);
        if (s?.divergence) complain(`${args.config}: run "${run.config.variant}" ${s.divergence.message}`);
      },
      onWriteError: (e) => complain(`cannot write ${path.join(dir, 'experiment.json')}: ${e.message}`),
      onWorkerDied: (message, runs) => complain(`${args.config}: ${message}; ${runs.map((r) => `"${r.name}"`).join(' and ')} failed, the other runs go on`),
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await pool.close();
  }
  const { skipped, busy, bad, record: rec } = outcome;
  if (json) sayRaw(printableJson(JSON.stringify({ dir, ...rec }, null, 2)) + '\n');
  else {
    if (skipped) log(`${skipped} run${skipped > 1 ? 's' : ''} completed earlier (same config): kept`);
    if (busy) log(`${busy} run${busy > 1 ? 's' : ''} in progress in another process: left to it`);
    log('\n' + experimentTable(rec));
    log(`\nexperiment record: ${path.join(dir, 'experiment.json')}`);
  }
  if (interrupted) {
    complain('interrupted; the runs in flight are kept as "stopped"; train again with --out to resume');
    return 130;
  }
  return bad ? 1 : 0;
}
