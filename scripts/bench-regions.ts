/**
 * npm run bench:regions: what the decision regions cost training. Trains examples/spiral.mlp.json
 * (both variants side by side, as the editor does, epochs raised so a run takes seconds) in the
 * training worker (dist/worker.js), with the regions on and off (MLP_LENS_REGIONS=0), interleaved,
 * and prints steps per second of each and the frames posted.
 *
 *   node dist/bench-regions.js [rounds=5] [epochs=1500]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HostToWorker, WorkerToHost } from '../src/shared/protocol';

const root = path.resolve(__dirname, '..');
const rounds = Number(process.argv[2] ?? 5), epochs = Number(process.argv[3] ?? 1500);
const configFile = path.join(root, 'examples/spiral.mlp.json');
const configText = fs.readFileSync(configFile, 'utf8').replace(/"epochs": \d+/, `"epochs": ${epochs}`);

function once(regions: boolean): Promise<{ stepsPerSec: number; frames: number; bytes: number }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-regions-'));
  const worker = new Worker(path.join(root, 'dist/worker.js'), { env: { ...process.env, MLP_LENS_REGIONS: regions ? '1' : '0' } });
  let steps = 0, frames = 0, bytes = 0;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    worker.on('message', (m: WorkerToHost) => {
      if (m.type === 'packedRecords') steps = Math.max(steps, 0);
      if (m.type === 'variantDone') steps += m.summary.steps;
      if (m.type === 'regions') { frames++; bytes += m.frame.grid.length + m.frame.thumbs.length; }
      if (m.type === 'crashed' || m.type === 'inputError') reject(new Error(m.message));
      if (m.type === 'finished') {
        const s = (performance.now() - t0) / 1000;
        void worker.terminate();
        fs.rmSync(out, { recursive: true, force: true });
        resolve({ stepsPerSec: steps / s, frames, bytes });
      }
    });
    worker.postMessage({ type: 'start', configText, configFile, outDir: out, assetDir: path.join(root, 'media/datasets'), postIntervalMs: 50 } satisfies HostToWorker);
  });
}

async function main(): Promise<void> {
  const on: number[] = [], off: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // alternate which goes first
    for (const regions of r % 2 ? [true, false] : [false, true]) {
      const res = await once(regions);
      (regions ? on : off).push(res.stepsPerSec);
      console.log(`round ${r + 1} regions ${regions ? 'on ' : 'off'}: ${res.stepsPerSec.toFixed(0)} steps/s${regions ? `, ${res.frames} frames, ${(res.bytes / Math.max(res.frames, 1) / 1024).toFixed(1)} KiB base64 each` : ''}`);
    }
  }
  const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
  const mOn = median(on), mOff = median(off);
  console.log(`median steps/s: off ${mOff.toFixed(0)}, on ${mOn.toFixed(0)}: ${(100 * (1 - mOn / mOff)).toFixed(1)}% slower with the regions`);
}

main().catch((e) => { console.error(e); process.exit(1); });
