/**
 * Host side of the inspection worker (no vscode import: the bench and tests use it too).
 * request() supersedes every earlier request: their promises resolve as { kind: 'cancelled' },
 * and a computation already running stops at its next check (the shared generation counter).
 * A crashed or exited worker is replaced on the next request.
 */
import { Worker } from 'node:worker_threads';
import type { InspectOutcome } from '../engine/inspect/session';
import type { HostToInspectWorker, InspectWorkerToHost } from '../shared/protocol';

export class InspectClient {
  private worker: Worker | null = null;
  private readonly shared = new SharedArrayBuffer(4);
  private readonly generation = new Int32Array(this.shared);
  private nextId = 1;
  private readonly pending = new Map<number, (o: InspectOutcome | { kind: 'crashed'; message: string }) => void>();

  /** `script`: dist/inspect-worker.js; `assetDir`: media/datasets */
  constructor(private readonly script: string, private readonly assetDir: string, private readonly onLog?: (m: string) => void) {}

  private spawn(): Worker {
    const w = new Worker(this.script);
    w.on('message', (m: InspectWorkerToHost) => {
      const done = this.pending.get(m.id);
      if (!done) return;
      this.pending.delete(m.id);
      if (m.type === 'result') done(m.outcome);
      else {
        this.onLog?.(`inspection crashed: ${m.message}\n${m.stack ?? ''}`);
        done({ kind: 'crashed', message: m.message });
      }
    });
    const fail = (message: string) => {
      if (this.worker === w) this.worker = null;
      for (const [id, done] of this.pending) {
        this.pending.delete(id);
        done({ kind: 'crashed', message });
      }
    };
    w.on('error', (e) => { this.onLog?.(`inspection worker error: ${e.message}`); fail(e.message); });
    w.on('exit', (code) => fail(`the inspection worker exited (code ${code})`));
    const init: HostToInspectWorker = { type: 'init', assetDir: this.assetDir, generation: this.shared };
    w.postMessage(init);
    return w;
  }

  /** Inspects `text` (the config's current text) of `file`; earlier requests are superseded. */
  request(text: string, file: string): Promise<InspectOutcome | { kind: 'crashed'; message: string }> {
    const id = this.nextId++;
    Atomics.store(this.generation, 0, id);
    for (const [old, done] of this.pending) {
      // the worker answers them too (cancelled); resolve now so callers never wait on stale work
      this.pending.delete(old);
      done({ kind: 'cancelled' });
    }
    this.worker ??= this.spawn();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const msg: HostToInspectWorker = { type: 'inspect', id, text, file };
      this.worker!.postMessage(msg);
    });
  }

  dispose(): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }
}
