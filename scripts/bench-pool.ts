/**
 * npm run bench:pool: an experiment's throughput with one worker against one per core
 * (not a test; numbers vary by machine and load). Trains examples/depth.mlp.json (27 runs) with
 * the built CLI, `--jobs 1` and `--jobs <cores>` in turn, `--reps` rounds (default 3), each into
 * a fresh folder, and prints per setting the median wall time (from starting the CLI to its exit,
 * start-up and data loading included), runs per minute, the sum of the runs' own training times
 * (summary.json's seconds) and the ratio wall / sum of the one-worker runs' times (the goal on 2
 * cores: at most 0.6), and where the rest of the wall time goes: start-up (the CLI's start to the
 * first run's start), each run's time outside its own seconds, and wind-down (the last run's
 * end to the exit).
 *
 *   npm run bench:pool [-- --reps N] [--config FILE] [--epochs N] [--threads]
 *
 * --epochs N trains every run for N epochs instead of the config's (longer runs: start-up weighs less).
 * --threads (Linux) then trains once more per setting, reading every thread's CPU time from
 * /proc/PID/task/TID/stat every 20 ms (not during the timed rounds: the reading costs CPU too),
 * and prints it in three groups: the main thread, the `jobs` busiest other threads (the pool's
 * workers: Node does not name its threads) and the rest (V8's compiler and GC helpers, libuv).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExperimentRecord } from '../src/runs/experiment-record';
import type { RunSummary } from '../src/runs/summary';

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
};
const reps = Number(opt('reps', '3'));
const config = path.resolve(opt('config', path.join(root, 'examples', 'depth.mlp.json')));
const epochs = opt('epochs', '');
if (epochs && !(Number.isInteger(Number(epochs)) && Number(epochs) > 0)) throw new Error(`--epochs: a positive integer, not "${epochs}"`);
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const cli = path.join(root, 'dist', 'cli.js');

interface Round {
  wall: number;
  sum: number;
  runs: number;
  /** from starting the CLI to the first run's start */
  startup: number;
  /** from the last run's end to the CLI's exit */
  winddown: number;
  /** per run: its folder's life (summary startedAt to finishedAt) beyond its own seconds, mean */
  perRun: number;
}

function round(jobs: number): Round {
  const out = mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-bench-pool-'));
  try {
    const t0 = performance.now();
    const wall0 = Date.now();
    const r = spawnSync(process.execPath, [cli, 'train', config, '--out', out, '--jobs', String(jobs), '--json', ...(epochs ? ['--epochs', epochs] : [])], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`mlp-lens exited ${r.status}: ${r.stderr}`);
    const rec = JSON.parse(readFileSync(path.join(out, 'experiment.json'), 'utf8')) as ExperimentRecord;
    const sums = rec.runs.map((x) => JSON.parse(readFileSync(path.join(out, x.folder, 'summary.json'), 'utf8')) as RunSummary);
    const starts = sums.map((x) => Date.parse(x.startedAt)), ends = sums.map((x) => Date.parse(x.finishedAt ?? x.startedAt));
    const life = sums.reduce((a, x, i) => a + (ends[i]! - starts[i]!) / 1000 - x.seconds, 0);
    return {
      wall, sum: rec.runs.reduce((a, x) => a + x.seconds, 0), runs: rec.runs.length,
      startup: (Math.min(...starts) - wall0) / 1000, winddown: wall - (Math.max(...ends) - wall0) / 1000, perRun: life / sums.length,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU seconds (user + system) of each thread of `pid` now, by thread id; threads gone are missing. */
function threadTimes(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  const tick = 100; // USER_HZ: clock ticks per second on Linux
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      // the fields after the command's closing parenthesis: state is the 1st, utime the 12th, stime the 13th
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) / tick);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** One more round of `jobs` with every thread's CPU time read as it goes: main, workers, the rest. */
async function threadRound(jobs: number): Promise<{ wall: number; main: number; workers: number[]; rest: number; threads: number }> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'mlp-lens-bench-pool-'));
  try {
    const last = new Map<number, number>();
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'train', config, '--out', out, '--jobs', String(jobs), '--json', ...(epochs ? ['--epochs', epochs] : [])], { stdio: 'ignore' });
    const pid = child.pid!;
    const timer = setInterval(() => { for (const [t, c] of threadTimes(pid)) last.set(t, c); }, 20);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    const wall = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`mlp-lens exited ${code}`);
    const main = last.get(pid) ?? 0;
    const others = [...last].filter(([t]) => t !== pid).map(([, c]) => c).sort((a, b) => b - a);
    return { wall, main, workers: others.slice(0, jobs), rest: others.slice(jobs).reduce((a, x) => a + x, 0), threads: last.size };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

console.log(`bench:pool  ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, ${os.platform()} ${os.release()}, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`command: node dist/cli.js train ${path.relative(root, config)} --out <fresh> --jobs N --json${epochs ? ` --epochs ${epochs}` : ''}  (${reps} rounds, alternating)`);
const settings = [...new Set([1, cores])];
const results = new Map<number, Round[]>(settings.map((j) => [j, []]));
round(cores); // warm-up: file cache, JIT of nothing persistent, but the data file read once
for (let i = 0; i < reps; i++) for (const j of settings) results.get(j)!.push(round(j));
const one = results.get(1)!;
const oneSum = median(one.map((r) => r.sum));
console.log('');
console.log('  jobs   wall s   runs/min   sum of run times s   wall / sum(1 worker)   start-up s   per run s   wind-down s');
for (const j of settings) {
  const rs = results.get(j)!;
  const wall = median(rs.map((r) => r.wall));
  const sum = median(rs.map((r) => r.sum));
  const m = (f: (r: Round) => number, d = 2) => median(rs.map(f)).toFixed(d);
  console.log(`  ${String(j).padStart(4)}  ${wall.toFixed(2).padStart(7)}  ${((60 * rs[0]!.runs) / wall).toFixed(0).padStart(9)}  ${sum.toFixed(2).padStart(19)}  ${(wall / oneSum).toFixed(2).padStart(21)}  ${m((r) => r.startup).padStart(11)}  ${m((r) => r.perRun, 3).padStart(10)}  ${m((r) => r.winddown).padStart(12)}`);
}
console.log('\nstart-up: CLI start to the first run\'s start; per run: a run\'s folder life (summary startedAt..finishedAt) beyond');
console.log('its own seconds (network build, final evaluation, model and summary writes), mean; wind-down: last run\'s end to exit.');
if (cores > 1) {
  const w1 = median(one.map((r) => r.wall)), wn = median(results.get(cores)!.map((r) => r.wall));
  console.log(`\n${cores} workers: ${(w1 / wn).toFixed(2)}x the runs per minute of 1; wall / sum of the runs' own times (1 worker) ${(wn / oneSum).toFixed(2)} (goal <= 0.6 on 2 cores)`);
}
if (argv.includes('--threads')) {
  if (os.platform() !== 'linux') {
    console.log('\n--threads: skipped, it reads /proc (Linux only)');
  } else {
    void (async () => {
      console.log('\nCPU seconds by thread (one more round each, read from /proc every 20 ms; the workers: the busiest threads after the main one):');
      console.log('  jobs   wall s   main   workers          rest    all   threads   (rest: V8\'s compiler and GC helpers, libuv)');
      for (const j of settings) {
        const r = await threadRound(j);
        const all = r.main + r.workers.reduce((a, x) => a + x, 0) + r.rest;
        console.log(`  ${String(j).padStart(4)}  ${r.wall.toFixed(2).padStart(7)}  ${r.main.toFixed(2).padStart(5)}   ${r.workers.map((x) => x.toFixed(2)).join(' + ').padEnd(15)}  ${r.rest.toFixed(2).padStart(5)}  ${all.toFixed(2).padStart(5)}  ${String(r.threads).padStart(8)}`);
      }
    })();
  }
}
