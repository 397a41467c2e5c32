/**
 * The host checks every message a webview posts before acting on it: a webview is a web page,
 * and its messages are untrusted input. Anything that is not exactly one of the PanelToHost
 * (training panel), InspectorToHost (side view), CompareToHost (Compare) or ExperimentToHost
 * (Experiment panel) shapes is refused, with the reason, and logged
 * by the caller. The paths an inspector message carries are checked here for shape only; the
 * side view then acts on a path only if it offered that path itself (OfferedPaths).
 *
 * Pure: no vscode or node imports.
 */
import { isObj } from '../engine/guards';
import type { CompareToHost, ExperimentToHost, HostToInspector, InspectorToHost, PanelToHost } from '../shared/protocol';

const MAX_ID = 200;
const MAX_TEXT = 2000;
/** a file path or URI string; far longer than any a file system allows */
const MAX_PATH = 4096;
/** run folders in one Open Run request: a run has one folder per variant */
const MAX_RUN_DIRS = 256;

const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_ID && /^[\w.:-]+$/.test(x);

const isPath = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_PATH && !x.includes('\0');
const isCount = (x: unknown, max: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;

type Parsed<T> = { ok: true; msg: T } | { ok: false; reason: string };

function onlyKeys(o: Record<string, unknown>, keys: string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/** The message as a PanelToHost, or the reason it is not one. */
export function parsePanelMessage(x: unknown): Parsed<PanelToHost> {
  if (!isObj(x)) return { ok: false, reason: 'not an object' };
  const t = x.type;
  switch (t) {
    case 'ready':
      if (!onlyKeys(x, ['type', 'runId'])) return { ok: false, reason: 'unexpected fields in ready' };
      if (x.runId !== null && x.runId !== undefined && !isId(x.runId)) return { ok: false, reason: 'bad runId' };
      return { ok: true, msg: { type: 'ready', runId: (x.runId as string | null | undefined) ?? null } };
    case 'resync':
    case 'stop':
    case 'pause':
    case 'step':
    case 'resume':
    case 'continueRun':
    case 'export':
    case 'openConfig':
      if (!onlyKeys(x, ['type', 'runId'])) return { ok: false, reason: `unexpected fields in ${t}` };
      if (!isId(x.runId)) return { ok: false, reason: 'bad runId' };
      return { ok: true, msg: { type: t, runId: x.runId } };
    case 'exportCsv':
      if (!onlyKeys(x, ['type', 'runId'])) return { ok: false, reason: 'unexpected fields in exportCsv' };
      if (!isId(x.runId)) return { ok: false, reason: 'bad runId' };
      return { ok: true, msg: { type: 'exportCsv', runId: x.runId } };
    case 'exportImage':
      return parseExportImage(x);
    case 'regionLayer':
      if (!onlyKeys(x, ['type', 'runId', 'layer'])) return { ok: false, reason: 'unexpected fields in regionLayer' };
      if (!isId(x.runId)) return { ok: false, reason: 'bad runId' };
      if (!isCount(x.layer, 10_000)) return { ok: false, reason: 'bad layer' };
      return { ok: true, msg: { type: 'regionLayer', runId: x.runId, layer: x.layer } };
    case 'weightPage':
      if (!onlyKeys(x, ['type', 'runId', 'first'])) return { ok: false, reason: 'unexpected fields in weightPage' };
      if (!isId(x.runId)) return { ok: false, reason: 'bad runId' };
      if (!isCount(x.first, 100_000)) return { ok: false, reason: 'bad first unit' };
      return { ok: true, msg: { type: 'weightPage', runId: x.runId, first: x.first } };
    case 'log':
      return parseLog(x);
    default:
      return unknownType(t);
  }
}

/** The longest image an export may post (characters of base64 or SVG text): 48 MB */
export const MAX_EXPORT_CHARS = 48 * 1024 * 1024;
/** "\x89PNG\r\n\x1a\n" in base64 */
const PNG_B64 = 'iVBORw0KGgo';
const SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg"';

/**
 * An exported picture: a PNG as base64, or an SVG that can do nothing but draw. The file is
 * the user's to open anywhere (a browser runs an SVG's scripts): no script, no event handler
 * attribute, no foreign HTML, no style sheet, no link, no url() but to its own elements; an
 * image only as an embedded PNG.
 */
function parseExportImage(x: Record<string, unknown>): Parsed<Extract<PanelToHost, { type: 'exportImage' }>> {
  if (!onlyKeys(x, ['type', 'runId', 'format', 'data'])) return { ok: false, reason: 'unexpected fields in exportImage' };
  if (!isId(x.runId)) return { ok: false, reason: 'bad runId' };
  if (x.format !== 'png' && x.format !== 'svg') return { ok: false, reason: 'bad format' };
  const d = x.data;
  if (typeof d !== 'string' || !d.length) return { ok: false, reason: 'image data is not a string' };
  if (d.length > MAX_EXPORT_CHARS) return { ok: false, reason: `image data over ${MAX_EXPORT_CHARS} characters` };
  if (x.format === 'png') {
    if (!d.startsWith(PNG_B64) || d.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(d)) return { ok: false, reason: 'not a PNG in base64' };
  } else {
    if (!d.startsWith(SVG_HEAD) || !d.trimEnd().endsWith('</svg>')) return { ok: false, reason: 'not an SVG document' };
    if (/<\s*(script|foreignObject|iframe|object|embed|a|style)\b/i.test(d)) return { ok: false, reason: 'SVG with an element that is not drawing' };
    if (/url\(\s*['"]?(?!#)/i.test(d) || /@import/i.test(d)) return { ok: false, reason: 'SVG with a reference outside itself' };
    if (/\son[a-z]+\s*=/i.test(d) || /javascript:/i.test(d)) return { ok: false, reason: 'SVG with a script' };
    const hrefs = d.match(/href\s*=\s*["'][^"']{0,40}/gi) ?? [];
    if (!hrefs.every((h) => /["']data:image\/png;base64,/.test(h))) return { ok: false, reason: 'SVG with a link that is not an embedded PNG' };
  }
  return { ok: true, msg: { type: 'exportImage', runId: x.runId, format: x.format, data: d } };
}

function parseLog(x: Record<string, unknown>): Parsed<{ type: 'log'; level: 'info' | 'warn' | 'error'; message: string }> {
  if (!onlyKeys(x, ['type', 'level', 'message'])) return { ok: false, reason: 'unexpected fields in log' };
  if (x.level !== 'info' && x.level !== 'warn' && x.level !== 'error') return { ok: false, reason: 'bad log level' };
  if (typeof x.message !== 'string') return { ok: false, reason: 'log message is not a string' };
  // control characters (NUL, terminal escapes) shown as U+FFFD: the text goes to the log as it is
  return { ok: true, msg: { type: 'log', level: x.level, message: x.message.slice(0, MAX_TEXT).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd') } };
}

const unknownType = (t: unknown): { ok: false; reason: string } => ({ ok: false, reason: `unknown message type ${JSON.stringify(String(t)).slice(0, 60)}` });

/** The message as an InspectorToHost, or the reason it is not one. */
export function parseInspectorMessage(x: unknown): Parsed<InspectorToHost> {
  if (!isObj(x)) return { ok: false, reason: 'not an object' };
  const t = x.type;
  switch (t) {
    case 'ready':
    case 'newConfig':
    case 'openExample':
      if (!onlyKeys(x, ['type'])) return { ok: false, reason: `unexpected fields in ${t}` };
      return { ok: true, msg: { type: t } };
    case 'train':
      if (!onlyKeys(x, ['type', 'file'])) return { ok: false, reason: 'unexpected fields in train' };
      if (!isPath(x.file)) return { ok: false, reason: 'bad file' };
      return { ok: true, msg: { type: 'train', file: x.file } };
    case 'openRun': {
      if (!onlyKeys(x, ['type', 'runDirs'])) return { ok: false, reason: 'unexpected fields in openRun' };
      const dirs = x.runDirs;
      if (!Array.isArray(dirs) || dirs.length === 0 || dirs.length > MAX_RUN_DIRS || !dirs.every(isPath)) return { ok: false, reason: 'bad runDirs' };
      return { ok: true, msg: { type: 'openRun', runDirs: [...dirs] } };
    }
    case 'reveal':
      if (!onlyKeys(x, ['type', 'file', 'line', 'column'])) return { ok: false, reason: 'unexpected fields in reveal' };
      if (!isPath(x.file)) return { ok: false, reason: 'bad file' };
      if (!isCount(x.line, 1e8) || !isCount(x.column, 1e8)) return { ok: false, reason: 'bad line or column' };
      return { ok: true, msg: { type: 'reveal', file: x.file, line: x.line, column: x.column } };
    case 'rendered':
      if (!onlyKeys(x, ['type', 'file', 'version', 'state'])) return { ok: false, reason: 'unexpected fields in rendered' };
      if (!isPath(x.file)) return { ok: false, reason: 'bad file' };
      if (!isCount(x.version, Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'bad version' };
      if (x.state !== 'fresh' && x.state !== 'stale') return { ok: false, reason: 'bad state' };
      return { ok: true, msg: { type: 'rendered', file: x.file, version: x.version, state: x.state } };
    case 'log':
      return parseLog(x);
    default:
      return unknownType(t);
  }
}

/**
 * The message as a CompareToHost, or the reason it is not one. It names no path: a run to open
 * is its index among the runs the host sent (`runs`: how many), so the webview can only ask for
 * run folders the host offered.
 */
export function parseCompareMessage(x: unknown, runs: number): Parsed<CompareToHost> {
  if (!isObj(x)) return { ok: false, reason: 'not an object' };
  const t = x.type;
  switch (t) {
    case 'ready':
      if (!onlyKeys(x, ['type'])) return { ok: false, reason: 'unexpected fields in ready' };
      return { ok: true, msg: { type: 'ready' } };
    case 'openRun':
      if (!onlyKeys(x, ['type', 'index'])) return { ok: false, reason: 'unexpected fields in openRun' };
      if (!isCount(x.index, Math.max(0, runs - 1)) || runs === 0) return { ok: false, reason: 'bad run index' };
      return { ok: true, msg: { type: 'openRun', index: x.index } };
    case 'log':
      return parseLog(x);
    default:
      return unknownType(t);
  }
}

/**
 * The message as an ExperimentToHost, or the reason it is not one. Like Compare's, it names a run
 * only by its index among the rows the host sent (`rows`: how many).
 */
export function parseExperimentMessage(x: unknown, rows: number): Parsed<ExperimentToHost> {
  if (!isObj(x)) return { ok: false, reason: 'not an object' };
  const t = x.type;
  switch (t) {
    case 'ready':
    case 'stop':
      if (!onlyKeys(x, ['type'])) return { ok: false, reason: `unexpected fields in ${t}` };
      return { ok: true, msg: { type: t } };
    case 'openRun':
      if (!onlyKeys(x, ['type', 'index'])) return { ok: false, reason: 'unexpected fields in openRun' };
      if (rows === 0 || !isCount(x.index, rows - 1)) return { ok: false, reason: 'bad run index' };
      return { ok: true, msg: { type: 'openRun', index: x.index } };
    case 'log':
      return parseLog(x);
    default:
      return unknownType(t);
  }
}

/** The fields an Experiment webview's saved state may have (ExperimentUiState). */
const EXPERIMENT_STATE_KEYS = ['folder', 'sortKey', 'sortDescending', 'metric', 'x', 'y'];
const isAbsolutePath = (x: string) => x.startsWith('/') || /^[A-Za-z]:[\\/]/.test(x) || x.startsWith('\\\\');

/**
 * The experiment folder an Experiment panel's saved state names (what its serializer gets back
 * after a window reload), or why there is none. Shape only: the host then opens it only if it is
 * an experiment folder it lists itself (src/host/experiment/restore.ts).
 */
export function parseExperimentState(x: unknown): Parsed<{ folder: string }> {
  if (x === undefined || x === null) return { ok: false, reason: 'no saved state' };
  if (!isObj(x)) return { ok: false, reason: 'the saved state is not an object' };
  if (!onlyKeys(x, EXPERIMENT_STATE_KEYS)) return { ok: false, reason: 'unexpected fields in the saved state' };
  if (x.folder === undefined) return { ok: false, reason: 'the saved state names no experiment folder' };
  if (!isPath(x.folder) || !isAbsolutePath(x.folder)) return { ok: false, reason: 'the saved experiment folder is not an absolute path' };
  return { ok: true, msg: { folder: x.folder } };
}

/**
 * The paths the side view has shown its webview: the config it inspects, the files its problems
 * point into, and the folders of the runs it lists. A webview request naming any other path is
 * refused, so a compromised or buggy webview cannot make the host open, train or read a file of
 * its choosing.
 */
export class OfferedPaths {
  private files = new Set<string>();
  private runDirs = new Set<string>();

  /** What one message to the webview offers; a new view or run list replaces the last one's. */
  offer(m: HostToInspector): void {
    if (m.type === 'view') {
      this.files = new Set([m.view.file, ...m.view.problems.flatMap((p) => (p.file ? [p.file] : []))]);
    } else if (m.type === 'empty') {
      this.files = new Set();
      this.runDirs = new Set();
    } else if (m.type === 'runs') {
      this.runDirs = new Set(m.runs.map((r) => r.runDir));
    }
  }

  /** Whether the host offered this message's paths (messages without paths pass). */
  allows(m: InspectorToHost): boolean {
    switch (m.type) {
      case 'train':
      case 'reveal':
        return this.files.has(m.file);
      case 'openRun':
        return m.runDirs.every((d) => this.runDirs.has(d));
      default:
        return true;
    }
  }
}
