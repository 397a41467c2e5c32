/**
 * Number formats shared by the CLI, the host and the webviews (no vscode, no DOM, no node:*).
 */

/** A run's time in seconds: hundredths below 10 s (a small network's run takes a few of them), else tenths. */
export function runSecondsText(x: number): string {
  return x.toFixed(x < 10 ? 2 : 1);
}
