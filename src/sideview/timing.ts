/**
 * The side view's timing constants (no vscode import: the bench reads them too). Goals, checked by
 * npm run bench:inspect: the view updated at most 150 ms (p90) after typing stops on the MNIST
 * lecture config and 60 ms on the digits lecture config, the debounce included.
 */

/**
 * Quiet time after the last keystroke before an inspection starts. Short, since a newer edit
 * cancels a running inspection anyway; it only spares the worker the edits typed in a burst.
 */
export const INSPECT_DEBOUNCE_MS = 25;
