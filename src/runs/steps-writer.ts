/**
 * Writing metrics.bin off the training's hot path: a step record is encoded straight into a
 * 256 KiB batch buffer (steps-format.ts encodeStep: no allocation, no JSON), and whole batches of
 * frames go out with fs.write on libuv's thread pool while training fills another buffer. A
 * write's buffer is free again when its callback has run, which is between training slices: a
 * slice that fills more than one batch takes another buffer, up to MAX_BUFFERS (4 MiB: a 50 ms
 * slice of the smallest networks makes about 1.5 MB of frames), and past that writes the full one
 * here, synchronously. Handing a write to the thread pool costs the training thread 0.05-0.2 ms
 * on a loaded virtual machine whatever its size (a thread to wake): 64 KiB batches made that 8%
 * of a W1 run recording every step (a CPU profile of `mlp-lens train`), 256 KiB a quarter of it. Every write is positional, so the order the writes
 * finish in does not matter.
 *
 * A write that fails (a full disk) is recorded (onFail) and the file cut back to its last whole
 * frame once no write is in flight; nothing more is written.
 */
import * as fs from 'node:fs';
import type { StepRecord } from '../engine/trainer';
import { pwriteAll, pwriteAllSync, writeAllSync } from './faults';
import { encodeStep, headerBytes, type StepsLayout } from './steps-format';

/** Bytes of frames held before they are written. */
export const BATCH_BYTES = 256 * 1024;
/** Batch buffers at most (the first two are made at once, more as a slice needs them; a sync write past them). */
export const MAX_BUFFERS = 16;

export class StepsWriter {
  private readonly fd: number;
  private readonly bufs: Buffer[];
  private readonly views: DataView[];
  /** per buffer: a write of it is in flight */
  private readonly busyBuf: boolean[];
  private readonly perBatch: number;
  private cur = 0;
  private fill = 0;
  /** file offset of the current buffer's first byte */
  private pos: number;
  private inflight = 0;
  private cut = Infinity;
  private failed = false;
  private waiting: (() => void)[] = [];
  /** when a batch last went out (performance.now()) */
  lastShip = 0;

  /**
   * Creates (truncates) `file` and writes its header; throws the fs error when it cannot. With
   * `append` (a continued run), opens the file as it is, checks its header is this layout's and
   * writes after its last whole frame.
   */
  constructor(readonly file: string, readonly layout: StepsLayout, private readonly onFail: (e: unknown) => void, private readonly onIdle: () => void, append = false) {
    const fd = fs.openSync(file, append ? 'r+' : 'w');
    let pos = layout.dataOffset;
    try {
      const head = headerBytes(layout);
      if (append) {
        const size = fs.fstatSync(fd).size, got = Buffer.alloc(head.length);
        const n = fs.readSync(fd, got, 0, head.length, 0);
        if (n !== head.length || !got.equals(head)) throw new Error('its header is not the one the run\'s config makes; it cannot be continued');
        pos += Math.floor(Math.max(0, size - pos) / layout.frameBytes) * layout.frameBytes;
        fs.ftruncateSync(fd, pos);
      } else {
        writeAllSync(fd, head, file);
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    this.fd = fd;
    this.pos = pos;
    this.perBatch = Math.max(1, Math.floor(BATCH_BYTES / layout.frameBytes)) * layout.frameBytes;
    this.bufs = [Buffer.alloc(this.perBatch), Buffer.alloc(this.perBatch)];
    this.views = this.bufs.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
    this.busyBuf = [false, false];
    this.lastShip = performance.now();
  }

  /** Frames waiting in memory (bytes). */
  get pending(): number {
    return this.fill;
  }

  get busy(): boolean {
    return this.inflight > 0;
  }

  /** Encodes `rec` (measured on `rows` batch rows) into the batch; a full batch goes out. */
  add(rec: StepRecord, rows: number): void {
    if (this.failed) return;
    if (this.fill + this.layout.frameBytes > this.perBatch) this.ship();
    const c = this.cur;
    encodeStep(rec, rows, this.layout, this.views[c]!, this.bufs[c]!, this.fill);
    this.fill += this.layout.frameBytes;
  }

  /** A buffer no write is using (made when all are busy and there are fewer than MAX_BUFFERS), or -1. */
  private freeBuffer(): number {
    for (let i = 0; i < this.bufs.length; i++) if (!this.busyBuf[i]) return i;
    if (this.bufs.length >= MAX_BUFFERS) return -1;
    const b = Buffer.alloc(this.perBatch);
    this.bufs.push(b);
    this.views.push(new DataView(b.buffer, b.byteOffset, b.byteLength));
    this.busyBuf.push(false);
    return this.bufs.length - 1;
  }

  /** Writes the waiting frames: on the thread pool, or here when no other buffer is free to fill meanwhile. */
  ship(): void {
    const n = this.fill;
    if (n === 0 || this.failed) return;
    const c = this.cur, buf = this.bufs[c]!, at = this.pos;
    this.pos += n;
    this.fill = 0;
    this.lastShip = performance.now();
    this.busyBuf[c] = true;
    const next = this.freeBuffer();
    if (next < 0) {
      this.busyBuf[c] = false;
      try {
        pwriteAllSync(this.fd, buf, n, at, this.file);
      } catch (e) {
        this.failAt(at, (e as { written?: number }).written ?? 0, e);
        this.settle();
      }
      return;
    }
    this.inflight++;
    this.cur = next;
    pwriteAll(this.fd, buf, n, at, this.file, (e, written) => {
      this.inflight--;
      this.busyBuf[c] = false;
      if (e) this.failAt(at, written, e);
      this.settle();
    });
  }

  private failAt(at: number, written: number, e: unknown): void {
    const fb = this.layout.frameBytes;
    this.cut = Math.min(this.cut, at + Math.floor(written / fb) * fb);
    if (!this.failed) {
      this.failed = true;
      this.fill = 0;
      this.onFail(e);
    }
  }

  private settle(): void {
    if (this.inflight > 0) return;
    if (this.failed && this.cut !== Infinity) {
      try {
        fs.ftruncateSync(this.fd, this.cut);
      } catch {
        // the frames before stay whole either way; a torn tail is what readers drop
      }
      this.cut = Infinity;
    }
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
    this.onIdle();
  }

  /** Resolves when no write is in flight. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Ships what waits, waits for the writes, closes the file; a failure to close is reported. */
  async close(): Promise<void> {
    this.ship();
    await this.idle();
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      if (!this.failed) this.onFail(e);
    }
  }
}
