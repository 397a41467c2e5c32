/**
 * npm run bench:cli: what recording costs `mlp-lens train` (not a test; numbers vary by machine
 * and load). Runs the built CLI (dist/cli.js) as a user would, one run at a time, interleaved:
 *
 *   W1-like  2-8-8-8-2 sigmoid, batch 16, xor (98,000 training examples, 40 epochs)   probes every step / off / every step with --jsonl
 *   W2       784-256-256-256-10 relu SGD, batch 64, mnist (9,500, 4 epochs)          probes every step / off
 *
 * "off" is probes.every 1e9 (records at step 1 and at the last step only); every run on one thread
 * (MLP_LENS_THREADS=1). Each rate is the run's
 * own samplesPerSecond (summary.json: training time, not the process's start); the ratio on/off
 * is the median over rounds of each round's ratio. Then:
 *   - bytes per recorded step of the lecture (examples/lecture.mlp.json), metrics.bin against
 *     metrics.jsonl;
 *   - the bench's in-memory W1 rate (dist/bench.js --only W1 --no-tfjs: "engine probes on") against
 *     the CLI's W1 rate with probes every step;
 *   - opening a synthetic 1,000,000-step lecture run (loadRunModel, as Open Run does): seconds and
 *     the growth of the process's resident memory.
 *
 *   npm run bench:cli [-- --reps N] [--skip-open] [--skip-bench] [--cli OTHER/dist/cli.js]
 *     --cli  measure another build's CLI (W1 and W2 only: an older one has no --jsonl)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRunModel } from '../src/runs/loader';
import { writeSyntheticRun } from './synthetic-run';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
/** --cli FILE: another build's CLI (an older version, for a before/after; it writes metrics.jsonl) */
const CLI = path.resolve(opt('--cli') ?? path.join(ROOT, 'dist', 'cli.js'));
const other = opt('--cli') !== undefined;
const reps = Number(opt('--reps') ?? 3);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-cli-'));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

// runs of a few seconds: the rates are the runs' own (summary.json), past their first slices
const W1 = { name: 'W1-like', dataset: { type: 'xor', samples: 100000, testFraction: 0.02 }, layers: [8, 8, 8], activation: 'sigmoid', batchSize: 16, lr: 0.001, epochs: 40, seed: 1 };
const W2 = { name: 'W2', dataset: { type: 'mnist', testFraction: 0.05 }, layers: [256, 256, 256], activation: 'relu', init: 'he_normal', optimizer: 'sgd', batchSize: 64, lr: 0.001, epochs: 4, seed: 1 };

/**
 * One `mlp-lens train` run: its samples/s (wall, its own summary), its samples per CPU second (the
 * process's user + system time, every thread, start-up included: bash's `times`), and folder.
 */
function train(cfg: object, every: number, extra: string[] = []): { rate: number; cpuRate: number; dir: string } {
  const file = path.join(tmp, 'c.mlp.json');
  fs.writeFileSync(file, JSON.stringify({ ...cfg, probes: { every } }));
  const out = path.join(tmp, 'o');
  // one thread (MLP_LENS_THREADS=1): on a shared machine a helper thread makes the rates wander
  const r = spawnSync('bash', ['-c', '"$0" "$@"; code=$?; times >&2; exit $code', process.execPath, CLI, 'train', file, '--out', out, '--json', ...extra],
    { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, MLP_LENS_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`train failed: ${r.stderr}`);
  const run = (JSON.parse(r.stdout) as { runs: { dir: string; samplesPerSecond: number; seconds: number }[] }).runs[0]!;
  const secs = (t: string) => { const m = /(\d+)m([\d.]+)s/.exec(t); return m ? Number(m[1]) * 60 + Number(m[2]) : NaN; };
  const children = r.stderr.trim().split('\n').at(-1)!.split(/\s+/).map(secs);
  return { rate: run.samplesPerSecond, cpuRate: (run.samplesPerSecond * run.seconds) / (children[0]! + children[1]!), dir: run.dir };
}

function ratios(name: string, cfg: object, withJsonl: boolean): { on: number; off: number; jsonl: number | null; ratio: number } {
  const on: number[] = [], off: number[] = [], jsonl: number[] = [], ratio: number[] = [];
  const onC: number[] = [], offC: number[] = [], jsonlC: number[] = [], ratioC: number[] = [];
  train(cfg, 1); // warm the file cache
  const take = (rates: number[], cpu: number[], r: { rate: number; cpuRate: number }) => { rates.push(r.rate); cpu.push(r.cpuRate); };
  for (let r = 0; r < reps; r++) {
    // rotated order: no contender always runs first
    const runs: (() => void)[] = [
      () => take(on, onC, train(cfg, 1)),
      () => take(off, offC, train(cfg, 1e9)),
      ...(withJsonl ? [() => take(jsonl, jsonlC, train(cfg, 1, ['--jsonl']))] : []),
    ];
    for (let j = 0; j < runs.length; j++) runs[(j + r) % runs.length]!();
    ratio.push(on[r]! / off[r]!);
    ratioC.push(onC[r]! / offC[r]!);
  }
  const res = { on: median(on), off: median(off), jsonl: withJsonl ? median(jsonl) : null, ratio: median(ratio) };
  console.log(`${name}:`);
  console.log(`  wall: probes every step ${fmt(res.on)} samples/s, off ${fmt(res.off)}${res.jsonl !== null ? `, every step with --jsonl ${fmt(res.jsonl)}` : ''}; on/off ${res.ratio.toFixed(3)} (rounds ${ratio.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`  per CPU second: every step ${fmt(median(onC))}, off ${fmt(median(offC))}${withJsonl ? `, --jsonl ${fmt(median(jsonlC))}` : ''}; on/off ${median(ratioC).toFixed(3)} (rounds ${ratioC.map((x) => x.toFixed(2)).join(', ')})`);
  return res;
}

/** Bytes per recorded step of the lecture, both forms. */
function lectureBytes(): void {
  const file = path.join(ROOT, 'examples', 'lecture.mlp.json');
  const sizes: Record<string, number> = {};
  for (const form of ['binary', 'jsonl']) {
    const out = path.join(tmp, `lecture-${form}`);
    const r = spawnSync(process.execPath, [CLI, 'train', file, '--out', out, '--epochs', '2', '--json', ...(form === 'jsonl' ? ['--jsonl'] : [])], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    const dir = (JSON.parse(r.stdout) as { runs: { dir: string }[] }).runs[0]!.dir;
    if (form === 'binary') {
      const raw = fs.readFileSync(path.join(dir, 'metrics.bin'));
      const h = JSON.parse(raw.subarray(12, 12 + raw.readUInt32LE(8)).toString()) as { frameBytes: number; dataOffset: number };
      sizes[form] = h.frameBytes;
      console.log(`lecture (64-64-64-64-10, batch 32, 20 bins, per-unit saturation): metrics.bin ${h.frameBytes} bytes a step (header ${h.dataOffset} bytes once)`);
    } else {
      const steps = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{"kind":"step"'));
      const lens = steps.map((l) => Buffer.byteLength(l) + 1);
      sizes[form] = lens.reduce((a, b) => a + b, 0) / lens.length;
      console.log(`lecture: metrics.jsonl ${fmt(sizes[form]!)} bytes a step on average (${fmt(Math.min(...lens))}-${fmt(Math.max(...lens))}); metrics.bin is ${(100 * sizes.binary! / sizes[form]!).toFixed(0)}% of that`);
    }
  }
}

/** A synthetic lecture run of `n` steps (one real record's numbers, steps and epochs counted up). */
async function openMillion(n: number): Promise<void> {
  const src = path.join(tmp, 'lecture-binary');
  const dir = fs.readdirSync(src).map((d) => path.join(src, d))[0]!;
  const big = path.join(tmp, 'million');
  await writeSyntheticRun(dir, big, n);
  const size = fs.statSync(path.join(big, 'metrics.bin')).size;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  const times: number[] = [], cpu: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    const model = await loadRunModel([big], 1000, 'million');
    times.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    if (model.variants[0]!.meta.step !== n) throw new Error(`loaded ${model.variants[0]!.meta.step} steps`);
  }
  clearInterval(sampler);
  console.log(`open a ${fmt(n)}-step lecture run (${(size / 1e6).toFixed(0)} MB metrics.bin, 1000 history columns): ${times.map((t) => t.toFixed(2)).join(', ')} s (median ${median(times).toFixed(2)} s; CPU ${cpu.map((t) => t.toFixed(2)).join(', ')} s); resident memory grew at most ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`);
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build`);
  console.log(`mlp-lens bench:cli ${new Date().toISOString()}; ${os.cpus()[0]?.model} x ${os.cpus().length}, ${os.platform()} ${os.release()}, Node ${process.version}`);
  console.log(`command: node dist/bench-cli.js ${args.join(' ')} (${reps} interleaved rounds; CLI ${CLI})\n`);
  try {
    if (!other) lectureBytes();
    const w1 = ratios('W1-like 2-8-8-8-2 sigmoid, batch 16', W1, !other);
    ratios('W2 784-256-256-256-10 relu, batch 64', W2, false);
    if (!args.includes('--skip-bench')) {
      const json = path.join(tmp, 'bench.json');
      const b = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bench.js'), '--only', 'W1', '--no-tfjs', '--reps', String(reps), '--json', json], { encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`bench failed: ${b.stderr}`);
      const rows = (JSON.parse(fs.readFileSync(json, 'utf8')) as { results: { rows: { name: string; median: number }[] }[] }).results[0]!.rows;
      const mem = rows.find((r) => r.name === 'engine probes on')!.median;
      console.log(`W1: the bench's in-memory rate with probes every step ${fmt(mem)} samples/s; the CLI's ${fmt(w1.on)} is ${(w1.on / mem).toFixed(2)} of it`);
    }
    if (!args.includes('--skip-open') && !other) await openMillion(1_000_000);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
