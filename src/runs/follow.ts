/**
 * Following a run another process is writing (Follow Run...): the variant folders of one run are
 * read into a RunModel as they grow. open() reads each folder's summary and config and builds
 * the model; every tick() reads each unfinished variant's summary.json, then the records appended
 * since the last tick (openRunTail: whole frames and lines only, bounded per read), and feeds them
 * to the model as live records are fed. A variant whose summary says a final status (completed,
 * stopped, diverged, failed) is read to its end once more and marked done; when every variant is,
 * the model is finished and following ends. start() polls every `intervalMs`, one tick at a time.
 * A folder that becomes unreadable ends following with a message naming it.
 *
 * No vscode import: the extension host drives it (src/host/training/run-commands.ts), unit tests
 * drive tick() directly.
 */
import * as path from 'node:path';
import type { ResolvedConfig } from '../engine/types';
import { readRunHead, readRunSummary, realRoot } from './read';
import { RunModel } from './model';
import type { RunSummary } from './summary';
import { openRunTail, type RunTail } from './tail';
import { MAX_RUN_DIRS } from './loader';

/** How often start() polls, by default (ms). */
export const FOLLOW_INTERVAL_MS = 500;
/** Reads of a finished variant at most to reach its end (each reads up to MAX_TAIL_READ per file). */
const MAX_FINAL_READS = 1000;
/** Problems (skipped records) kept for the final message. */
const MAX_PROBLEMS = 20;

export type FollowEnd = { how: 'finished' } | { how: 'stopped' } | { how: 'unreadable'; dir: string; message: string };

const FINAL: ReadonlySet<string> = new Set(['completed', 'stopped', 'diverged', 'failed']);

interface Followed {
  dir: string;
  root: string;
  config: ResolvedConfig;
  tail: RunTail;
  summary: RunSummary;
  done: boolean;
}

export class RunFollower {
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ticking: Promise<boolean> | null = null;
  private endResolve!: (e: FollowEnd) => void;
  /** resolves once, when following ends (finished, stopped, or a folder unreadable) */
  readonly ended: Promise<FollowEnd>;
  /** records skipped as bad ("<folder>: frame N: reason"), the first MAX_PROBLEMS */
  readonly problems: string[] = [];
  private problemCount = 0;
  end: FollowEnd | null = null;

  private constructor(readonly model: RunModel, private readonly runs: Followed[]) {
    this.ended = new Promise((r) => { this.endResolve = r; });
  }

  /** The run in `dirs` (its variant folders; `roots`: per folder, the folder its files must stay inside). */
  static async open(dirs: string[], capacity: number, id: string, roots: (string | undefined)[] = []): Promise<RunFollower> {
    if (!dirs.length) throw new Error('no run folders given');
    if (dirs.length > MAX_RUN_DIRS) throw new Error(`${dirs.length} run folders given; one run has at most ${MAX_RUN_DIRS}`);
    const runs: Followed[] = [];
    for (const [i, dir] of dirs.entries()) {
      try {
        const root = roots[i] ?? await realRoot(dir);
        const { summary, config } = await readRunHead(dir, root);
        runs.push({ dir, root, config, summary, tail: openRunTail(dir, { root, config }), done: false });
      } catch (e) {
        throw new Error(`cannot read the run in ${dir}: ${(e as Error).message}`);
      }
    }
    const first = runs[0]!;
    const model = new RunModel(id, first.summary.name, first.summary.configFile, runs.map((r) => r.config), capacity, first.summary.startedAt);
    model.dataset = null;
    model.status = 'running';
    for (const r of runs) {
      const v = model.variant(r.config.variant)!;
      v.meta.runDir = r.dir;
      v.meta.status = 'running';
      v.meta.totalSteps = r.summary.stepsPlanned;
    }
    return new RunFollower(model, runs);
  }

  get following(): boolean {
    return this.end === null;
  }

  /** Poll every `intervalMs` until following ends; `alive`: checked before each poll (false: stop). */
  start(intervalMs = FOLLOW_INTERVAL_MS, alive: () => boolean = () => true): void {
    const loop = async () => {
      this.timer = null;
      if (!this.following) return;
      if (!alive()) {
        this.stop();
        return;
      }
      await this.tick();
      if (this.following) this.timer = setTimeout(() => void loop(), intervalMs);
    };
    void loop();
  }

  /** Stop following (the panel closed): the model keeps what it has. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopped = true;
    if (this.following && this.model.status === 'running') this.model.finish('interrupted', 'no longer followed');
    this.finishWith({ how: 'stopped' });
  }

  /** One poll of every unfinished variant (one at a time: a tick while one runs waits for it). Resolves to whether following goes on. */
  tick(): Promise<boolean> {
    this.ticking ??= this.poll().finally(() => { this.ticking = null; });
    return this.ticking;
  }

  private async poll(): Promise<boolean> {
    for (const r of this.runs) {
      if (r.done || this.stopped || !this.following) continue;
      try {
        const summary = await readRunSummary(r.dir, r.root);
        r.summary = summary;
        const final = FINAL.has(summary.status);
        let empty = 0;
        for (let i = 0; i < (final ? MAX_FINAL_READS : 1) && empty < 3; i++) {
          if (this.stopped) return false;
          // a frame whose CRC failed near the end is held back for three reads (tail.ts)
          empty = (await this.readOnce(r, summary)) ? 0 : empty + 1;
        }
        if (final && !this.stopped) {
          r.done = true;
          this.model.variantDone(r.config.variant, r.dir, summary);
        }
      } catch (e) {
        const message = `cannot follow the run in ${r.dir}: ${(e as Error).message}`;
        this.model.finish('interrupted', message);
        this.finishWith({ how: 'unreadable', dir: r.dir, message });
        return false;
      }
    }
    if (this.following && this.runs.every((r) => r.done)) {
      const note = this.problemCount ? `unreadable records skipped: ${this.problems.slice(0, 3).join('; ')}${this.problemCount > 3 ? ` and ${this.problemCount - 3} more` : ''}` : null;
      this.model.finish(RunModel.overall(this.model.variants.map((v) => v.meta.status)), note);
      this.finishWith({ how: 'finished' });
    }
    return this.following;
  }

  /** One tail read of a variant into the model; whether it found anything. */
  private async readOnce(r: Followed, summary: RunSummary): Promise<boolean> {
    const got = await r.tail.read();
    for (const p of got.problems) {
      if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${path.basename(r.dir)}: ${p}`);
      this.problemCount++;
    }
    const v = this.model.variant(r.config.variant);
    if (!v) return false;
    v.meta.totalSteps = summary.stepsPlanned;
    if (!got.steps.length && !got.epochs.length) return false;
    this.model.records(r.config.variant, got.steps, got.epochs, null);
    return true;
  }

  private finishWith(e: FollowEnd): void {
    if (this.end) return;
    this.end = e;
    this.endResolve(e);
  }
}
