/**
 * A linear scan of a config's text before it is parsed, for the two things a parse would pay
 * dearly for: nesting deeper than MAX_DEPTH (jsonc-parser's parser and getNodeValue recurse, so
 * some thousands of levels overflow the stack) and arrays or objects longer than their bound (a
 * 3,000,000-item `layers` array took half a minute and 2 GB to parse and check item by item).
 * Brackets are counted outside strings and comments; the scan allocates a frame per open
 * container and nothing per item, and stops at the first level too deep. Malformed text is the
 * parser's to report: the scan only looks at depth and lengths.
 */
import type { JSONPath } from 'jsonc-parser';

/** Containers may nest this deep (the schema's deepest path is 4 levels: $.variants[0].init.scheme). */
export const MAX_DEPTH = 64;
/** Items an array, or properties an object, may have where the schema gives no maxItems. */
export const MAX_MEMBERS = 1000;

export interface ScanProblem {
  path: JSONPath;
  message: string;
  /** the container's text: its opening bracket to just past its closing one (or the bracket alone) */
  offset: number;
  end: number;
}

interface Frame {
  array: boolean;
  offset: number;
  /** items (arrays) or properties (objects) so far */
  count: number;
  /** a value (arrays) or a key (objects) may start next */
  expect: boolean;
  /** objects: the last key, the segment of a container that is its value */
  key: string;
  limit: number;
  segment: string | number | null;
}

/** 1: whitespace; 2: ends a number or literal (whitespace, punctuation, a quote or a slash) */
const CLASS = new Uint8Array(128);
for (const c of ' \t\n\r') CLASS[c.charCodeAt(0)] = 1;
for (const c of ',:[]{}"/') CLASS[c.charCodeAt(0)] = 2;

/** The path of the container at stack[j]. */
const pathOf = (stack: Frame[], j: number): JSONPath => stack.slice(1, j + 1).map((f) => f.segment!);

/**
 * The first container nested deeper than MAX_DEPTH, or the first too long, or null.
 * `maxItems(path)`: the schema's bound for the array at path (undefined: MAX_MEMBERS).
 */
export function scanConfigText(text: string, maxItems: (path: JSONPath) => number | undefined): ScanProblem | null {
  const stack: Frame[] = [];
  let over: Frame | null = null; // the first container past its limit: reported with its full count
  let overPath: JSONPath = [];
  const n = text.length;
  let top: Frame | null = null;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? CLASS[c]! : c === 0xfeff ? 1 : 0;
    if (kind === 1) continue;
    if (kind === 2) {
      if (c === 0x2c /* , */) { if (top) top.expect = true; continue; }
      if (c === 0x3a /* : */) continue;
      if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
        if (top && top === over) return tooMany(over, overPath, i + 1);
        stack.pop();
        top = stack.length ? stack[stack.length - 1]! : null;
        continue;
      }
      if (c === 0x2f /* / */ && i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if (d === 0x2f) { const e = text.indexOf('\n', i + 2); i = e < 0 ? n : e; continue; }
        if (d === 0x2a) { const e = text.indexOf('*/', i + 2); i = e < 0 ? n : e + 1; continue; }
      }
    }
    // a value or a key starts here
    const isKey = top !== null && !top.array && top.expect;
    if (top && top.expect) {
      top.expect = false;
      if (++top.count > top.limit && !over) { over = top; overPath = pathOf(stack, stack.length - 1); }
    }
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (isKey) top!.key = end - i > 1000 ? text.slice(i + 1, i + 1000) : keyText(text.slice(i, end));
      i = end - 1;
      continue;
    }
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      const array = c === 0x5b;
      const segment: string | number | null = top ? (top.array ? top.count - 1 : top.key) : null;
      if (stack.length >= MAX_DEPTH) {
        return { path: pathOf(stack, stack.length - 1).concat(segment ?? []), offset: i, end: i + 1, message: `nesting deeper than ${MAX_DEPTH} levels is not allowed` };
      }
      top = { array, offset: i, count: 0, expect: true, key: '', limit: MAX_MEMBERS, segment };
      stack.push(top);
      if (array) top.limit = maxItems(pathOf(stack, stack.length - 1)) ?? MAX_MEMBERS;
      continue;
    }
    // a number or a literal (or a stray character): skip to its end
    while (i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d < 128 && CLASS[d]! > 0) break;
      i++;
    }
  }
  return over ? tooMany(over, overPath, null) : null;
}

/** A key's text (its escapes decoded when it is well formed). */
function keyText(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/** The index just past the string that starts at `start` (a quote), or the text's end. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22 || c === 0x0a) return i + 1;
  }
  return text.length;
}

function tooMany(f: Frame, path: JSONPath, end: number | null): ScanProblem {
  const got = `${end !== null ? '' : 'at least '}${f.count}`;
  const message = f.array ? `must have at most ${f.limit} items (got ${got})` : `must have at most ${f.limit} properties (got ${got})`;
  return { path, offset: f.offset, end: end ?? f.offset + 1, message };
}
