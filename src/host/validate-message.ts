/**
 * The host checks every message a webview posts before acting on it: a webview is a web page,
 * and its messages are untrusted input. Anything that is not exactly one of the PanelToHost
 * shapes is refused (null) and logged by the caller.
 *
 * Pure: no vscode or node imports.
 */
import { isObj } from '../engine/guards';
import type { PanelToHost } from '../shared/protocol';

const MAX_ID = 200;
const MAX_TEXT = 2000;

const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_ID && /^[\w.:-]+$/.test(x);

function onlyKeys(o: Record<string, unknown>, keys: string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/** The message as a PanelToHost, or null (with the reason) when it is not one. */
export function parsePanelMessage(x: unknown): { ok: true; msg: PanelToHost } | { ok: false; reason: string } {
  if (!isObj(x)) return { ok: false, reason: 'not an object' };
  const t = x.type;
  switch (t) {
    case 'ready':
      if (!onlyKeys(x, ['type', 'runId'])) return { ok: false, reason: 'unexpected fields in ready' };
      if (x.runId !== null && x.runId !== undefined && !isId(x.runId)) return { ok: false, reason: 'bad runId' };
      return { ok: true, msg: { type: 'ready', runId: (x.runId as string | null | undefined) ?? null } };
    case 'resync':
    case 'stop':
    case 'export':
    case 'openConfig':
      if (!onlyKeys(x, ['type', 'runId'])) return { ok: false, reason: `unexpected fields in ${t}` };
      if (!isId(x.runId)) return { ok: false, reason: 'bad runId' };
      return { ok: true, msg: { type: t, runId: x.runId } };
    case 'log': {
      if (!onlyKeys(x, ['type', 'level', 'message'])) return { ok: false, reason: 'unexpected fields in log' };
      if (x.level !== 'info' && x.level !== 'warn' && x.level !== 'error') return { ok: false, reason: 'bad log level' };
      if (typeof x.message !== 'string') return { ok: false, reason: 'log message is not a string' };
      return { ok: true, msg: { type: 'log', level: x.level, message: x.message.slice(0, MAX_TEXT) } };
    }
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(String(t)).slice(0, 60)}` };
  }
}
