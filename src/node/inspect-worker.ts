/**
 * The inspection worker (worker_threads): runs the side view's inspections off the extension
 * host's thread. One request at a time; a request that arrives while another runs waits, and
 * only the newest waiting one is kept (the others are answered "cancelled" at once). A running
 * request stops at its next check when the host bumps the shared generation counter (see
 * inspect-client.ts), so a superseded computation does not finish.
 */
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { InspectSession } from '../engine/inspect/session';
import { setupKernels } from './kernel-setup';
import { nodeDataIO } from './io';
import type { HostToInspectWorker, InspectWorkerToHost } from '../shared/protocol';

const port = parentPort;
if (!port) throw new Error('inspect-worker.js must run in a worker thread');
// the same kernel path as the training worker and the CLI, so the numbers equal `train` and `dump`
setupKernels();

type Request = Extract<HostToInspectWorker, { type: 'inspect' }>;
let generation: Int32Array | null = null;
let assetDir = '';
const session = new InspectSession((file) => nodeDataIO(path.dirname(file), assetDir));
let running = false;
let waiting: Request | null = null;
const post = (m: InspectWorkerToHost) => port.postMessage(m);

async function serve(req: Request): Promise<void> {
  running = true;
  const cancelled = () => generation !== null && Atomics.load(generation, 0) !== req.id;
  try {
    const outcome = cancelled() ? ({ kind: 'cancelled' } as const) : await session.run(req.text, req.file, cancelled);
    post({ type: 'result', id: req.id, outcome });
  } catch (e) {
    post({ type: 'crashed', id: req.id, message: (e as Error).message ?? String(e), stack: (e as Error).stack });
  }
  running = false;
  const next = waiting;
  waiting = null;
  if (next) void serve(next);
}

/**
 * Warms the JIT up on small in-memory networks (a synthetic 2-D set: no file access) so the
 * first real inspections after the worker starts run at full speed. Requests wait meanwhile.
 */
async function warmUp(): Promise<void> {
  running = true;
  const warm = new InspectSession(() => ({ readText: async () => '', readAsset: async () => new Uint8Array(0) }));
  for (let i = 0; i < 4; i++) {
    const text = JSON.stringify({
      dataset: { type: 'spiral', samples: 400, classes: 3 }, layers: [64, 64, 64], seed: i, batchSize: 32,
      variants: [{ name: 's', activation: 'sigmoid' }, { name: 'r', activation: 'relu', init: 'he_normal' }, { name: 't', activation: 'tanh' }],
    });
    await warm.run(text, 'warm-up.mlp.json');
  }
  running = false;
  const next = waiting;
  waiting = null;
  if (next) void serve(next);
}

port.on('message', (msg: HostToInspectWorker) => {
  if (msg.type === 'init') {
    generation = new Int32Array(msg.generation);
    assetDir = msg.assetDir;
    void warmUp();
    return;
  }
  if (running) {
    if (waiting) post({ type: 'result', id: waiting.id, outcome: { kind: 'cancelled' } });
    waiting = msg;
    return;
  }
  void serve(msg);
});
