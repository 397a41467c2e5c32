/**
 * What the CLI prints. Every line goes through printable(): names from the user's files (the
 * config's name, variant names, CSV-derived names, paths) may hold terminal escape sequences,
 * NULs or bidirectional overrides, which are shown as \u escapes instead of acting on the
 * terminal. A closed stdout (`mlp-lens train ... | head -3`) stops the printing, not the run.
 */

/** C0 and C1 controls (ESC, NUL, newline, ...), DEL and bidirectional formatting characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` safe to print on a terminal, on one line: control characters as \u escapes. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** JSON text with the characters JSON.stringify leaves raw (DEL, C1, bidi) escaped too: the same value. */
export function printableJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, escape);
}

let stdoutClosed = false;
let stderrClosed = false;

/** Whether stdout was closed by its reader (EPIPE): nothing more is printed there. */
export function stdoutGone(): boolean {
  return stdoutClosed;
}

/**
 * Catches EPIPE (and other write errors) on stdout and stderr: a reader that went away must not
 * crash the run with an unhandled 'error' event.
 */
export function guardStreams(): void {
  process.stdout.on('error', () => { stdoutClosed = true; });
  process.stderr.on('error', () => { stderrClosed = true; });
}

function write(stream: NodeJS.WriteStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    if (stream === process.stdout) stdoutClosed = true;
    else stderrClosed = true;
  }
}

/** Lines on stdout, each printable (a multi-line text is split at its newlines). */
export function say(text: string): void {
  if (stdoutClosed) return;
  write(process.stdout, text.split('\n').map(printable).join('\n') + '\n');
}

/** Raw text on stdout (JSON, already printable). */
export function sayRaw(text: string): void {
  if (!stdoutClosed) write(process.stdout, text);
}

/** One line on stderr: "mlp-lens: <message>", newlines in the message escaped (it stays one line). */
export function complain(message: string): void {
  if (!stderrClosed) write(process.stderr, `mlp-lens: ${printable(message)}\n`);
}

/** Progress on the terminal (stderr): our own control sequences, around printable text. */
export function progress(text: string): void {
  if (!stderrClosed) write(process.stderr, text);
}
