/**
 * npm run bench:inspect: how fast the side view updates after typing stops, for the MNIST
 * lecture config (examples/lecture-mnist.mlp.json, 784-256-256-256-10, three variants) and the
 * digits lecture config (examples/lecture.mlp.json, 64-64-64-64-10, three variants).
 *
 * Measures what runs after the debounce, per edit: parse + validate + resolve, the dataset
 * (cached across edits, as the side view keeps it), and the inspection of every variant, both
 * in-process (InspectSession) and through the inspection worker the extension uses (message
 * round trip and structured clone of the result included). Edits, each with a value never used
 * before so no cached network hides the cost, taken in turn (lr, activation, batchSize, seed,
 * lr, ...) so a slow spell of the machine falls on all of them alike:
 *   lr          only warnings change (every network reused)
 *   activation  one variant's network changes (its weights do not)
 *   batchSize   every variant's init-time pass changes (their weights do not)
 *   seed        every variant's weights change (the worst case)
 * Prints median / p90 / max per edit and checks, per config, debounce + worst p90 through the
 * worker against its budget (MNIST 150 ms, digits 60 ms).
 *   --json         one JSON document on stdout
 *   --reps N       repetitions per edit (default 15)
 *   --only NAME    one config: lecture-mnist or lecture
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InspectSession, type InspectOutcome, type InspectTimings } from '../src/engine/inspect/session';
import { setupKernels } from '../src/node/kernel-setup';
import { findAssetDir, nodeDataIO } from '../src/node/io';
import { InspectClient } from '../src/sideview/inspect-client';
import { INSPECT_DEBOUNCE_MS } from '../src/sideview/timing';

const json = process.argv.includes('--json');
const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const reps = Number(arg('--reps') ?? 15);
const only = arg('--only');
const root = path.resolve(__dirname, '..');
const assetDir = findAssetDir();

/** The configs and their budgets: keystroke stops -> view updated, p90, debounce included. */
const CONFIGS = [
  { name: 'lecture-mnist', shape: '784-256-256-256-10', budgetMs: 150 },
  { name: 'lecture', shape: '64-64-64-64-10', budgetMs: 60 },
].filter((c) => !only || c.name === only);

type Edit = { name: string; text: (base: string, i: number) => string };
const edits: Edit[] = [
  { name: 'lr', text: (b, i) => b.replace('"lr": 0.1', `"lr": ${(0.1 + (i + 1) * 1e-4).toFixed(4)}`) },
  {
    name: 'activation',
    // the relu+he variant alternates relu / leaky_relu with a fresh slope each time
    text: (b, i) => b.replace('{ "name": "relu+he", "activation": "relu"', `{ "name": "relu+he", "activation": "leaky_relu", "leakyReluSlope": ${(0.01 + i * 1e-3).toFixed(3)}`),
  },
  // i >= 0: the measured edits (33, 34, ...); warm-ups pass negative i (batch 30, 29, ...)
  { name: 'batchSize', text: (b, i) => b.replace('"batchSize": 32', `"batchSize": ${33 + i}`) },
  // the top-level seed (the dataset's is followed by " }"): 1000, 1001, ...; warm-ups 997, ...
  { name: 'seed', text: (b, i) => b.replace('"seed": 0,', `"seed": ${1000 + i},`) },
];

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const r1 = (x: number) => Math.round(x * 10) / 10;

function check(o: InspectOutcome | { kind: 'crashed'; message: string }): InspectTimings {
  if (o.kind !== 'ok') throw new Error(`inspection did not succeed: ${JSON.stringify(o).slice(0, 300)}`);
  return o.timings;
}

interface Row { medianMs: number; p90Ms: number; maxMs: number }
const row = (xs: number[]): Row => ({ medianMs: r1(q(xs, 0.5)), p90Ms: r1(q(xs, 0.9)), maxMs: r1(Math.max(...xs)) });

async function benchConfig(name: string, budgetMs: number): Promise<Record<string, unknown>> {
  const file = path.join(root, 'examples', `${name}.mlp.json`);
  const base = fs.readFileSync(file, 'utf8');
  for (const e of edits) if (e.text(base, 0) === base) throw new Error(`edit ${e.name} does not apply to ${file}`);
  const out: Record<string, unknown> = { config: `examples/${name}.mlp.json`, budgetMs };
  // in-process
  const session = new InspectSession((f) => nodeDataIO(path.dirname(f), assetDir));
  const cold = check(await session.run(base, file));
  out.cold = { totalMs: r1(cold.total), datasetMs: r1(cold.dataset), inspectMs: r1(cold.inspect) };
  for (let i = 1; i <= 3; i++) for (const e of edits) check(await session.run(e.text(base, -2 - i), file)); // warm-up
  const t = new Map<string, InspectTimings[]>(edits.map((e) => [e.name, []]));
  for (let i = 0; i < reps; i++) for (const e of edits) t.get(e.name)!.push(check(await session.run(e.text(base, i), file)));
  const inProcess: Record<string, unknown> = {};
  for (const [k, ts] of t) {
    inProcess[k] = {
      ...row(ts.map((x) => x.total)),
      validateMs: r1(q(ts.map((x) => x.validate), 0.5)), datasetMs: r1(q(ts.map((x) => x.dataset), 0.5)),
      inspectMs: r1(q(ts.map((x) => x.inspect), 0.5)), datasetCached: ts.every((x) => x.datasetCached), reusedVariants: q(ts.map((x) => x.reused), 0.5),
    };
  }
  out.inProcess = inProcess;

  // through the worker, as the extension runs it
  const worker = path.join(root, 'dist/inspect-worker.js');
  if (fs.existsSync(worker)) {
    const client = new InspectClient(worker, assetDir);
    let t0 = performance.now();
    check(await client.request(base, file));
    out.workerCold = { roundTripMs: r1(performance.now() - t0) };
    for (let i = 1; i <= 3; i++) for (const e of edits) check(await client.request(e.text(base, -2 - i), file)); // the worker has its own caches
    const rt = new Map<string, number[]>(edits.map((e) => [e.name, []]));
    for (let i = 0; i < reps; i++) {
      for (const e of edits) {
        t0 = performance.now();
        check(await client.request(e.text(base, i), file));
        rt.get(e.name)!.push(performance.now() - t0);
      }
    }
    client.dispose();
    out.viaWorker = Object.fromEntries([...rt].map(([k, xs]) => [k, row(xs)]));
  }
  const worst = Math.max(...Object.values((out.viaWorker ?? out.inProcess) as Record<string, Row>).map((x) => x.p90Ms));
  out.updateAfterTypingStopsP90Ms = r1(INSPECT_DEBOUNCE_MS + worst);
  out.withinBudget = INSPECT_DEBOUNCE_MS + worst <= budgetMs;
  return out;
}

async function main(): Promise<void> {
  const kernel = setupKernels(); // as the inspection worker does
  const all: Record<string, unknown> = { node: process.version, kernel: kernel.path, reps, debounceMs: INSPECT_DEBOUNCE_MS, configs: [] as unknown[] };
  if (!json) console.log(`mlp-lens bench:inspect: node ${process.version}, kernel ${kernel.path}, ${reps} edits of each kind, taken in turn`);
  let ok = true;
  for (const c of CONFIGS) {
    const out = await benchConfig(c.name, c.budgetMs);
    (all.configs as unknown[]).push(out);
    ok &&= out.withinBudget as boolean;
    if (json) continue;
    const cold = out.cold as { totalMs: number; datasetMs: number };
    console.log(`${out.config} (${c.shape}, 3 variants): cold (first inspection, dataset load included) ${cold.totalMs.toFixed(0)} ms (dataset ${cold.datasetMs.toFixed(0)} ms)`);
    console.log('  in-process (parse+validate+dataset(cached)+inspect), ms:');
    for (const [k, v] of Object.entries(out.inProcess as Record<string, any>)) {
      console.log(`    ${k.padEnd(11)} median ${v.medianMs}  p90 ${v.p90Ms}  max ${v.maxMs}   (validate ${v.validateMs}, dataset ${v.datasetMs}${v.datasetCached ? ' cached' : ''}, inspect ${v.inspectMs}, networks reused ${v.reusedVariants}/3)`);
    }
    if (out.viaWorker) {
      console.log(`  through the inspection worker (round trip), ms: cold ${(out.workerCold as any).roundTripMs}`);
      for (const [k, v] of Object.entries(out.viaWorker as Record<string, Row>)) console.log(`    ${k.padEnd(11)} median ${v.medianMs}  p90 ${v.p90Ms}  max ${v.maxMs}`);
    }
    console.log(`  update after typing stops: debounce ${INSPECT_DEBOUNCE_MS} ms + worst p90 = ${out.updateAfterTypingStopsP90Ms} ms (budget ${c.budgetMs} ms): ${out.withinBudget ? 'OK' : 'OVER BUDGET'}`);
  }
  if (json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
  if (!ok) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
