/**
 * A small typed wrapper around the webview's `acquireVsCodeApi()`.
 *
 * - In a VS Code webview: the real API (acquired once: VS Code throws on a second call).
 * - Anywhere else (the self-contained HTML report, a plain browser page): a stand-in whose
 *   postMessage goes nowhere and whose state lives in memory, so webview code runs unchanged.
 *
 * Usage:
 *   const api = vscodeApi<MyState, WebviewToHost>();
 *   api.postMessage({ type: 'ready' });
 *   api.setState({ ... }); const s = api.getState();
 *   if (api.standalone) { ... no extension host to talk to ... }
 */

export interface VsCodeApi<State, Out> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
  /** true when there is no extension host (report file, plain page) */
  readonly standalone: boolean;
}

interface RawApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare const acquireVsCodeApi: (() => RawApi) | undefined;

let cached: VsCodeApi<unknown, unknown> | null = null;

export function vscodeApi<State, Out>(): VsCodeApi<State, Out> {
  if (cached) return cached as VsCodeApi<State, Out>;
  let raw: RawApi | null = null;
  try {
    raw = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : null;
  } catch {
    raw = null;
  }
  if (raw) {
    const r = raw;
    cached = {
      standalone: false,
      postMessage: (m) => r.postMessage(m),
      getState: () => r.getState() ?? undefined,
      setState: (s) => r.setState(s),
    };
  } else {
    let state: unknown;
    cached = {
      standalone: true,
      postMessage: () => {},
      getState: () => state,
      setState: (s) => { state = s; },
    };
  }
  return cached as VsCodeApi<State, Out>;
}

/** Listen to host -> webview messages (they arrive as window 'message' events). Returns an unsubscribe. */
export function onHostMessage<In>(handler: (message: In) => void): () => void {
  const listener = (e: MessageEvent) => handler(e.data as In);
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}
