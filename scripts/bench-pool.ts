/**
 * npm run bench:pool: an experiment's throughput with one worker against one per core
 * (not a test; numbers vary by machine and load). Trains examples/depth.mlp.json (27 runs) with
 * the built CLI, `--jobs 1` and `--jobs <cores>` in turn, `--reps` rounds (default 3), each into
 * a fresh folder, and prints per setting the median wall time (from starting the CLI to its exit,
 * start-up and data loading included), runs per minute, the sum of the runs' own training times
 * (summary.json's seconds) and the ratio wall / sum of the one-worker runs' times (the goal on 2
 * cores: at most 0.6).
 *
 *   npm run bench:pool [-- --reps N] [--config FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExperimentRecord } from '../src/runs/experiment-record';

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
};
const reps = Number(opt('reps', '3'));
const config = path.resolve(opt('config', path.join(root, 'examples', 'depth.mlp.json')));
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const cli = path.join(root, 'dist', 'cli.js');

interface Round { wall: number; sum: number; runs: number }

function round(jobs: number): Round {
  const out = mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-bench-pool-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'train', config, '--out', out, '--jobs', String(jobs), '--json'], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`mlp-lens exited ${r.status}: ${r.stderr}`);
    const rec = JSON.parse(readFileSync(path.join(out, 'experiment.json'), 'utf8')) as ExperimentRecord;
    return { wall, sum: rec.runs.reduce((a, x) => a + x.seconds, 0), runs: rec.runs.length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`bench:pool  ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, ${os.platform()} ${os.release()}, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`command: node dist/cli.js train ${path.relative(root, config)} --out <fresh> --jobs N --json  (${reps} rounds, alternating)`);
const settings = [...new Set([1, cores])];
const results = new Map<number, Round[]>(settings.map((j) => [j, []]));
round(cores); // warm-up: file cache, JIT of nothing persistent, but the data file read once
for (let i = 0; i < reps; i++) for (const j of settings) results.get(j)!.push(round(j));
const one = results.get(1)!;
const oneSum = median(one.map((r) => r.sum));
console.log('');
console.log('  jobs   wall s   runs/min   sum of run times s   wall / sum(1 worker)');
for (const j of settings) {
  const rs = results.get(j)!;
  const wall = median(rs.map((r) => r.wall));
  const sum = median(rs.map((r) => r.sum));
  console.log(`  ${String(j).padStart(4)}  ${wall.toFixed(2).padStart(7)}  ${((60 * rs[0]!.runs) / wall).toFixed(0).padStart(9)}  ${sum.toFixed(2).padStart(19)}  ${(wall / oneSum).toFixed(2).padStart(21)}`);
}
if (cores > 1) {
  const w1 = median(one.map((r) => r.wall)), wn = median(results.get(cores)!.map((r) => r.wall));
  console.log(`\n${cores} workers: ${(w1 / wn).toFixed(2)}x the runs per minute of 1; wall / sum of the runs' own times (1 worker) ${(wn / oneSum).toFixed(2)} (goal <= 0.6 on 2 cores)`);
}
