/**
 * The side view's timing constants (no vscode import: the bench reads them too). Goals, checked by
 * npm run bench:inspect: the view updated at most 150 ms (p90) after typing stops on the MNIST
 * lecture config and 60 ms on the digits lecture config, the debounce included.
 */

/**
 * Quiet time after the last change before an inspection starts. It gathers the change events
 * that arrive together (an edit applied in pieces, a format, an undo of several edits), not
 * typing: keys come 30 ms or more apart even when held down, and a newer edit cancels a running
 * inspection anyway. Each millisecond here is one more before the view updates.
 */
export const INSPECT_DEBOUNCE_MS = 8;
