/**
 * The Runs view's tree, built from a RunListing (run-list.ts) without VS Code, so that its
 * grouping, order and statuses are tested as plain data:
 *   config "lecture"                      one per config name, newest first
 *     2026-11-27 21:05  (3 variants)      one per training of it (a session), newest first
 *       relu_he                           one per run folder (a variant)
 *     2026-11-20 09:12 relu_he            a one-variant session is its run directly
 *   experiment "lecture-seeds"            one per experiment, its runs in the grid's order
 *   "2 run folders could not be read"     the reasons in its tooltip
 * A run whose summary still says "running" but that nothing has written for STALE_MS (and that
 * this window does not train) is shown "crashed": the process training it ended without a word.
 */
import * as path from 'node:path';
import type { ListedExperiment, ListedRun, RunListing } from './run-list';
import { runSecondsText } from '../shared/format';

export type ViewStatus = 'running' | 'completed' | 'stopped' | 'diverged' | 'failed' | 'crashed' | 'partial';
export type RunNodeKind = 'config' | 'session' | 'run' | 'experiment' | 'unreadable';

export interface RunNode {
  /** stable across refreshes (the tree keeps selection and expansion by it) */
  id: string;
  kind: RunNodeKind;
  label: string;
  description: string;
  tooltip: string;
  status: ViewStatus | null;
  /** the run folders this node stands for (a run: its own; a session, experiment or config: all of its runs') */
  dirs: string[];
  /** the run folders' roots, in the order of dirs */
  roots: string[];
  /** newest start among its runs (ISO) */
  startedAt: string;
  /** the experiment folder (kind experiment) */
  folder?: string;
  children: RunNode[];
}

/** A "running" run not written for this long is shown as crashed (a summary is rewritten every epoch). */
export const STALE_MS = 10 * 60_000;

export interface TreeOptions {
  now: number;
  /** run folders this window trains now (never stale) */
  live?: ReadonlySet<string>;
  staleMs?: number;
  /** the date shown: local time by default */
  formatDate?: (iso: string) => string;
}

const two = (n: number) => String(n).padStart(2, '0');
/** "2026-11-27 21:05" in local time ("" for a date that does not parse). */
export function localDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The status a run is shown with. */
export function viewStatus(r: ListedRun, o: TreeOptions): ViewStatus {
  const s = r.summary;
  if (s.status !== 'running') return s.status;
  if (o.live?.has(r.dir)) return 'running';
  const last = Date.parse(s.startedAt) + s.seconds * 1000;
  return Number.isFinite(last) && o.now - last > (o.staleMs ?? STALE_MS) ? 'crashed' : 'running';
}

/** The status of several runs together: running if any runs, then the worst. */
export function groupStatus(statuses: ViewStatus[]): ViewStatus | null {
  if (!statuses.length) return null;
  for (const s of ['running', 'crashed', 'failed', 'diverged', 'stopped', 'partial'] as const) if (statuses.includes(s)) return s;
  return 'completed';
}

const acc = (r: ListedRun) => r.summary.test?.accuracy ?? null;
const steps = (n: number) => `${n.toLocaleString('en-US')} step${n === 1 ? '' : 's'}`;

function runDescription(r: ListedRun, o: TreeOptions, status: ViewStatus): string {
  const a = acc(r);
  const fmt = o.formatDate ?? localDate;
  return [status === 'completed' ? '' : status, a === null ? '' : `acc ${a.toFixed(3)}`, steps(r.summary.steps), fmt(r.summary.startedAt)].filter(Boolean).join(' · ');
}

function runTooltip(r: ListedRun, status: ViewStatus): string {
  const s = r.summary;
  const ev = (e: { loss: number; accuracy: number } | null) => (e ? `loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}` : '–');
  const lines = [
    `${s.name} · ${s.variant}${r.experiment ? ` (${r.experiment.runName})` : ''}`,
    `status: ${status}${status === 'crashed' ? ' (its summary says running, but nothing has written it for a while)' : ''}`,
    `test: ${ev(s.test)}`,
    `train: ${ev(s.train)}`,
    `steps: ${s.steps.toLocaleString('en-US')} of ${s.stepsPlanned.toLocaleString('en-US')} · epochs ${s.epochs} of ${s.epochsPlanned}`,
    `started: ${s.startedAt}${s.finishedAt ? ` · finished: ${s.finishedAt}` : ''} · ${runSecondsText(s.seconds)} s`,
    `parameters: ${s.parameters.toLocaleString('en-US')} · batch ${s.batchSize} · kernel ${s.kernel}`,
  ];
  if (r.experiment) lines.push(`seed: ${r.experiment.seed}${Object.keys(r.experiment.sweep).length ? ` · sweep: ${JSON.stringify(r.experiment.sweep)}` : ''}`);
  if (s.divergence) lines.push(`diverged at step ${s.divergence.step}: ${s.divergence.message}`);
  if (s.failure) lines.push(`failed: ${s.failure}`);
  if (s.configFile) lines.push(`config: ${s.configFile}`);
  lines.push(`folder: ${r.dir}`);
  return lines.join('\n');
}

function runNode(r: ListedRun, o: TreeOptions, label: string): RunNode {
  const status = viewStatus(r, o);
  return {
    id: `run:${r.dir}`, kind: 'run', label, description: runDescription(r, o, status), tooltip: runTooltip(r, status), status,
    dirs: [r.dir], roots: [r.root], startedAt: r.summary.startedAt, children: [],
  };
}

const newestFirst = (a: { startedAt: string; id: string }, b: { startedAt: string; id: string }) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id);

function sessionNode(key: string, runs: ListedRun[], o: TreeOptions): RunNode {
  const fmt = o.formatDate ?? localDate;
  const sorted = runs.slice().sort((a, b) => a.summary.variant.localeCompare(b.summary.variant) || a.dir.localeCompare(b.dir));
  const startedAt = sorted.map((r) => r.summary.startedAt).sort()[0] ?? '';
  if (sorted.length === 1) {
    const r = sorted[0]!;
    const n = runNode(r, o, r.summary.variant);
    return { ...n, description: n.description };
  }
  const children = sorted.map((r) => runNode(r, o, r.summary.variant));
  const status = groupStatus(children.map((c) => c.status!));
  const best = Math.max(...sorted.map((r) => acc(r) ?? -1));
  const where = path.dirname(sorted[0]!.dir);
  return {
    id: `session:${key}`, kind: 'session', label: fmt(startedAt) || path.basename(sorted[0]!.dir),
    description: [`${sorted.length} variants`, status === 'completed' ? '' : status ?? '', best >= 0 ? `best acc ${best.toFixed(3)}` : ''].filter(Boolean).join(' · '),
    tooltip: [`${sorted[0]!.summary.name}, trained ${startedAt}`, ...children.map((c) => `${c.label}: ${c.status}${c.description ? ` (${c.description})` : ''}`), `in ${where}`].join('\n'),
    status, dirs: children.map((c) => c.dirs[0]!), roots: children.map((c) => c.roots[0]!), startedAt, children,
  };
}

function experimentNode(e: ListedExperiment, o: TreeOptions): RunNode {
  const fmt = o.formatDate ?? localDate;
  const children = e.runs.map((r) => runNode(r, o, r.experiment?.runName ?? r.summary.variant));
  const statuses = children.map((c) => c.status!);
  const done = statuses.filter((s) => s === 'completed').length;
  let status = groupStatus(statuses);
  if (status === 'completed' && e.runs.length < e.total) status = 'partial';
  const startedAt = e.runs.map((r) => r.summary.startedAt).sort()[0] ?? '';
  return {
    id: `experiment:${e.dir}`, kind: 'experiment', label: e.name,
    description: [`experiment · ${done}/${e.total} completed`, fmt(startedAt)].filter(Boolean).join(' · '),
    tooltip: [`experiment ${e.name}: ${e.total} runs, ${done} completed, ${e.runs.length} with a record`, e.configFile ? `config: ${e.configFile}` : '', `folder: ${e.dir}`].filter(Boolean).join('\n'),
    status, dirs: children.map((c) => c.dirs[0]!), roots: children.map((c) => c.roots[0]!), startedAt, folder: e.dir, children,
  };
}

/** The tree's top level (see the file's comment). */
export function buildRunTree(listing: RunListing, o: TreeOptions): RunNode[] {
  const fmt = o.formatDate ?? localDate;
  const byConfig = new Map<string, Map<string, ListedRun[]>>();
  for (const r of listing.runs) {
    const sessions = byConfig.get(r.summary.name) ?? new Map<string, ListedRun[]>();
    byConfig.set(r.summary.name, sessions);
    const list = sessions.get(r.session) ?? [];
    list.push(r);
    sessions.set(r.session, list);
  }
  const top: RunNode[] = [];
  for (const [name, sessions] of byConfig) {
    const children = [...sessions].map(([key, runs]) => sessionNode(key, runs, o)).sort(newestFirst);
    const startedAt = children[0]?.startedAt ?? '';
    const count = children.reduce((a, c) => a + c.dirs.length, 0);
    top.push({
      id: `config:${name}`, kind: 'config', label: name,
      description: [`${children.length} run${children.length === 1 ? '' : 's'}${count > children.length ? ` (${count} variants)` : ''}`, fmt(startedAt)].filter(Boolean).join(' · '),
      tooltip: `config ${name}: ${children.length} trainings, ${count} run folders; newest ${startedAt}`,
      status: groupStatus(children.map((c) => c.status!).filter(Boolean)),
      dirs: children.flatMap((c) => c.dirs), roots: children.flatMap((c) => c.roots), startedAt, children,
    });
  }
  for (const e of listing.experiments) top.push(experimentNode(e, o));
  top.sort(newestFirst);
  if (listing.problems.length) {
    const n = listing.problems.length;
    const shown = listing.problems.slice(0, 20);
    top.push({
      id: 'unreadable', kind: 'unreadable', label: `${n} run folder${n === 1 ? '' : 's'} could not be read`, description: '',
      tooltip: [...shown, ...(n > shown.length ? [`… and ${n - shown.length} more (see the MLP Lens log)`] : [])].join('\n'),
      status: null, dirs: [], roots: [], startedAt: '', children: [],
    });
  }
  return top;
}

/** Every node of a tree, depth first. */
export function* allNodes(nodes: readonly RunNode[]): Generator<RunNode> {
  for (const n of nodes) {
    yield n;
    yield* allNodes(n.children);
  }
}
