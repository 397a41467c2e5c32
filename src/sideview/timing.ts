/**
 * The side view's timing constants (no vscode import: the bench reads them too).
 * Budget: the view must update within 300 ms after typing stops for the MNIST lecture config.
 */

/** Quiet time after the last keystroke before an inspection starts. */
export const INSPECT_DEBOUNCE_MS = 50;

/** The update budget the bench checks against. */
export const UPDATE_BUDGET_MS = 300;
