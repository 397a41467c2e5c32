/**
 * npm run bench:inspect: how fast the side view updates after typing stops, for the MNIST
 * lecture config (examples/lecture-mnist.mlp.json, 784-256-256-256-10, three variants).
 *
 * Measures what runs after the debounce, per edit: parse + validate + resolve, the dataset
 * (cached across edits, as the side view keeps it), and the inspection of every variant, both
 * in-process (InspectSession) and through the inspection worker the extension uses (message
 * round trip and structured clone of the result included). Edits, each with a value never used
 * before so no cached network hides the cost:
 *   lr          only warnings change (every network reused)
 *   activation  one variant's network changes
 *   batchSize   every variant's network changes (the worst case)
 * Prints median / p90 / max per edit and checks debounce + worst p90 against the 300 ms budget.
 *   --json   one JSON document on stdout
 *   --reps N repetitions per edit (default 15)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InspectSession, type InspectOutcome, type InspectTimings } from '../src/engine/inspect/session';
import { setupKernels } from '../src/node/kernel-setup';
import { findAssetDir, nodeDataIO } from '../src/node/io';
import { InspectClient } from '../src/sideview/inspect-client';
import { INSPECT_DEBOUNCE_MS, UPDATE_BUDGET_MS } from '../src/sideview/timing';

const json = process.argv.includes('--json');
const repsArg = process.argv.indexOf('--reps');
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 15;
const root = path.resolve(__dirname, '..');
const file = path.join(root, 'examples/lecture-mnist.mlp.json');
const assetDir = findAssetDir();
const base = fs.readFileSync(file, 'utf8');

type Edit = { name: string; text: (i: number) => string };
const edits: Edit[] = [
  { name: 'lr', text: (i) => base.replace('"lr": 0.1', `"lr": ${(0.1 + (i + 1) * 1e-4).toFixed(4)}`) },
  {
    name: 'activation',
    // the relu+he variant alternates relu / leaky_relu with a fresh slope each time
    text: (i) => base.replace('{ "name": "relu+he", "activation": "relu"', `{ "name": "relu+he", "activation": "leaky_relu", "leakyReluSlope": ${(0.01 + i * 1e-3).toFixed(3)}`),
  },
  // i >= 0: the measured edits (33, 34, ...); warm-ups pass negative i (batch 30, 29, ...)
  { name: 'batchSize', text: (i) => base.replace('"batchSize": 32', `"batchSize": ${33 + i}`) },
];

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const r1 = (x: number) => Math.round(x * 10) / 10;

function check(o: InspectOutcome | { kind: 'crashed'; message: string }): InspectTimings {
  if (o.kind !== 'ok') throw new Error(`inspection did not succeed: ${JSON.stringify(o).slice(0, 300)}`);
  return o.timings;
}

async function main(): Promise<void> {
  const kernel = setupKernels(); // as the inspection worker does
  const out: Record<string, unknown> = { config: 'examples/lecture-mnist.mlp.json', node: process.version, kernel: kernel.path, reps, debounceMs: INSPECT_DEBOUNCE_MS, budgetMs: UPDATE_BUDGET_MS };
  // in-process
  const session = new InspectSession((f) => nodeDataIO(path.dirname(f), assetDir));
  const cold = check(await session.run(base, file));
  out.cold = { totalMs: r1(cold.total), datasetMs: r1(cold.dataset), inspectMs: r1(cold.inspect) };
  for (let i = 1; i <= 3; i++) check(await session.run(edits[2]!.text(-2 - i), file)); // warm-up: batch 30, 29, 28
  const inProcess: Record<string, unknown> = {};
  for (const e of edits) {
    const t: InspectTimings[] = [];
    for (let i = 0; i < reps; i++) t.push(check(await session.run(e.text(i), file)));
    const tot = t.map((x) => x.total);
    inProcess[e.name] = {
      medianMs: r1(q(tot, 0.5)), p90Ms: r1(q(tot, 0.9)), maxMs: r1(Math.max(...tot)),
      validateMs: r1(q(t.map((x) => x.validate), 0.5)), datasetMs: r1(q(t.map((x) => x.dataset), 0.5)),
      inspectMs: r1(q(t.map((x) => x.inspect), 0.5)), datasetCached: t.every((x) => x.datasetCached), reusedVariants: q(t.map((x) => x.reused), 0.5),
    };
  }
  out.inProcess = inProcess;

  // through the worker, as the extension runs it
  const worker = path.join(root, 'dist/inspect-worker.js');
  const viaWorker: Record<string, unknown> = {};
  if (fs.existsSync(worker)) {
    const client = new InspectClient(worker, assetDir);
    let t0 = performance.now();
    check(await client.request(base, file));
    out.workerCold = { roundTripMs: r1(performance.now() - t0) };
    for (let i = 1; i <= 3; i++) check(await client.request(edits[2]!.text(-2 - i), file)); // the worker has its own caches
    for (const e of edits) {
      const rt: number[] = [];
      for (let i = 0; i < reps; i++) {
        t0 = performance.now();
        check(await client.request(e.text(i), file));
        rt.push(performance.now() - t0);
      }
      viaWorker[e.name] = { medianMs: r1(q(rt, 0.5)), p90Ms: r1(q(rt, 0.9)), maxMs: r1(Math.max(...rt)) };
    }
    client.dispose();
    out.viaWorker = viaWorker;
  }
  const worst = Math.max(...Object.values((out.viaWorker ?? out.inProcess) as Record<string, { p90Ms: number }>).map((x) => x.p90Ms));
  out.updateAfterTypingStopsP90Ms = r1(INSPECT_DEBOUNCE_MS + worst);
  out.withinBudget = INSPECT_DEBOUNCE_MS + worst <= UPDATE_BUDGET_MS;

  if (json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    console.log(`mlp-lens bench:inspect: ${out.config} (784-256-256-256-10, 3 variants), node ${process.version}, kernel ${kernel.path}, ${reps} edits each`);
    console.log(`cold (first inspection, dataset load included): ${cold.total.toFixed(0)} ms (dataset ${cold.dataset.toFixed(0)} ms)`);
    console.log('in-process (parse+validate+dataset(cached)+inspect), ms:');
    for (const [k, v] of Object.entries(inProcess) as [string, any][]) {
      console.log(`  ${k.padEnd(11)} median ${v.medianMs}  p90 ${v.p90Ms}  max ${v.maxMs}   (validate ${v.validateMs}, dataset ${v.datasetMs}${v.datasetCached ? ' cached' : ''}, inspect ${v.inspectMs}, networks reused ${v.reusedVariants}/3)`);
    }
    if (out.viaWorker) {
      console.log(`through the inspection worker (round trip), ms: cold ${(out.workerCold as any).roundTripMs}`);
      for (const [k, v] of Object.entries(viaWorker) as [string, any][]) console.log(`  ${k.padEnd(11)} median ${v.medianMs}  p90 ${v.p90Ms}  max ${v.maxMs}`);
    }
    console.log(`update after typing stops: debounce ${INSPECT_DEBOUNCE_MS} ms + worst p90 ${worst} ms = ${out.updateAfterTypingStopsP90Ms} ms (budget ${UPDATE_BUDGET_MS} ms): ${out.withinBudget ? 'OK' : 'OVER BUDGET'}`);
  }
  if (!out.withinBudget) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
