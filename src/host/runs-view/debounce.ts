/**
 * The Runs view's refresh schedule, without VS Code (tested with fake timers): file events and
 * training events poke it; it runs the refresh `delayMs` after the last poke, but at least every
 * `maxWaitMs` while pokes keep coming (a run being written updates live), and never two at once
 * (a poke during a refresh runs one more after it).
 */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export class RefreshSchedule {
  private timer: unknown = null;
  private firstPoke: number | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private disposed = false;
  /** refreshes run (for tests) */
  runs = 0;

  constructor(private readonly refresh: () => Promise<void>, readonly delayMs = 300, readonly maxWaitMs = 1500, private readonly timers: Timers = realTimers) {}

  poke(): void {
    if (this.disposed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const now = this.timers.now();
    this.firstPoke ??= now;
    if (this.timer !== null) this.timers.clear(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstPoke + this.maxWaitMs - now));
    this.timer = this.timers.set(() => void this.fire(), wait);
  }

  /** Refresh now (after the one running, if any); resolves when done. */
  async now(): Promise<void> {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    while (this.running) await this.running;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.again = false;
    await this.fire();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    this.firstPoke = null;
    if (this.disposed) return;
    this.runs++;
    this.running = this.refresh().catch(() => undefined);
    await this.running;
    this.running = null;
    if (this.again) {
      this.again = false;
      this.poke();
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }
}
