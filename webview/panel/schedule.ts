/**
 * Render requests and the draw queue. main.ts names the renderer (the render code imports the
 * parts that request renders, so they cannot import it).
 *
 * A render (at most one per animation frame) updates the panel's texts and marks what must be
 * drawn as jobs (one heatmap, a card's histograms, its distributions, one chart, ...). The jobs
 * run in the same frame while they fit FRAME_BUDGET_MS (counted from the frame's start, each
 * job's cost taken as its last run's), the rest in the next frames, oldest first, so a stream of
 * messages or cursor moves cannot starve a job. A job whose element is off-screen (visibility.ts)
 * waits: it runs when the element comes into view, and while a run trains at most every
 * OFFSCREEN_MS; once the run has ended it runs after the visible ones. `flushDraws` runs every
 * job at once (the PNG and SVG export read the canvases). `#app[data-pending]` counts the jobs
 * waiting (0: everything drawn).
 */
import { isVisible, onShown, unwatch, watch } from './visibility';

/** JavaScript time a frame spends drawing before the rest waits for the next frame */
export const FRAME_BUDGET_MS = 4;
/** while a run trains, an off-screen job is drawn at most this often (a test may set window.__mlpOffscreenMs before the panel loads) */
export const OFFSCREEN_MS = (window as { __mlpOffscreenMs?: number }).__mlpOffscreenMs ?? 1000;

export interface DrawJob {
  /** stable over renders: a job marked again before it ran runs once */
  id: string;
  /** what it draws into: off-screen, it waits */
  el: Element;
  run(): void;
}

interface JobState {
  job: DrawJob;
  /** when it was marked and has not run since (null: drawn) */
  dirtySince: number | null;
  lastRun: number;
  cost: number;
}

let renderer: () => void = () => {};
let queued = false;
let drawQueued = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let timerAt = Infinity;
const jobs = new Map<string, JobState>();
let live = (): boolean => false;
let pendingOut: HTMLElement | null = null;

export function setRenderer(fn: () => void, isLive: () => boolean, pending: HTMLElement): void {
  renderer = fn;
  live = isLive;
  pendingOut = pending;
}

export function scheduleRender(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    const start = performance.now();
    renderer();
    runJobs(start, false);
  });
}

/** Only the draw queue in the next frame (no render): the jobs left over, or one just shown. */
function scheduleDraws(): void {
  if (drawQueued || queued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    if (!queued) runJobs(performance.now(), false);
  });
}

onShown(scheduleDraws);

/** Mark a job to draw (again). */
export function markDirty(job: DrawJob): void {
  let s = jobs.get(job.id);
  if (!s) {
    s = { job, dirtySince: null, lastRun: -Infinity, cost: 0 };
    jobs.set(job.id, s);
  }
  s.job = job;
  watch(job.el);
  s.dirtySince ??= performance.now();
}

/** Forget every job (the cards were rebuilt: their elements are gone). */
export function clearJobs(): void {
  for (const s of jobs.values()) unwatch(s.job.el);
  jobs.clear();
}

/** Run every waiting job now, whatever it costs and wherever it is. */
export function flushDraws(): void {
  runJobs(performance.now(), true);
}

function runJobs(start: number, all: boolean): void {
  const now = performance.now();
  const training = live();
  const ready: JobState[] = [];
  let wakeAt = Infinity;
  for (const s of jobs.values()) {
    if (s.dirtySince === null) continue;
    if (!s.job.el.isConnected) {
      unwatch(s.job.el);
      jobs.delete(s.job.id);
      continue;
    }
    if (all || isVisible(s.job.el) || !training || now - s.lastRun >= OFFSCREEN_MS) ready.push(s);
    else wakeAt = Math.min(wakeAt, s.lastRun + OFFSCREEN_MS);
  }
  // on-screen first, then the longest waiting
  const rank = (s: JobState) => (isVisible(s.job.el) ? 0 : 1);
  ready.sort((a, b) => rank(a) - rank(b) || a.dirtySince! - b.dirtySince!);
  let ran = 0;
  for (const s of ready) {
    const t = performance.now();
    if (!all && ran > 0 && t - start + s.cost > FRAME_BUDGET_MS) {
      scheduleDraws();
      break;
    }
    s.dirtySince = null;
    s.job.run();
    s.lastRun = performance.now();
    s.cost = s.lastRun - t;
    ran++;
  }
  if (wakeAt < Infinity && (!timer || wakeAt < timerAt)) {
    if (timer) clearTimeout(timer);
    timerAt = wakeAt;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      scheduleDraws();
    }, Math.max(0, wakeAt - performance.now()));
  }
  if (pendingOut) {
    let pending = 0;
    for (const s of jobs.values()) if (s.dirtySince !== null) pending++;
    const text = String(pending);
    if (pendingOut.dataset.pending !== text) pendingOut.dataset.pending = text;
  }
}
