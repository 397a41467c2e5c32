/**
 * The wall clock the latency stamps use, in the host and the webviews alike (no vscode, no DOM,
 * no node:*): ms since the epoch, to a fraction of a millisecond, so that times taken in the
 * browser, the extension host and a webview on one machine can be subtracted.
 */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
