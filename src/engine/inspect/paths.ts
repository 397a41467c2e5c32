/**
 * Where in a config text a finding belongs: the JSON path of the field a variant's value comes
 * from ($.variants[2].init when the variant sets it, $.init when it inherits the base value), and
 * the text range of a JSON path for editor diagnostics.
 */
import { findNodeAtLocation, parseTree, type JSONPath, type Node } from 'jsonc-parser';
import { has, isObj } from '../guards';

/** $.optimizer.lr, $.variants[1].activation (the same notation as ConfigIssue.path). */
export function formatJsonPath(path: JSONPath): string {
  return '$' + path.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('');
}

/** Parses "$.variants[2].init" back into ["variants", 2, "init"]. */
export function parseJsonPath(path: string): JSONPath {
  const out: JSONPath = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path.slice(1)))) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  return out;
}

/** Index of the variant named `name` in the parsed config's variants array, or -1. */
export function variantIndex(config: unknown, name: string): number {
  const variants = isObj(config) && Array.isArray(config.variants) ? config.variants : [];
  return variants.findIndex((v) => isObj(v) && v.name === name);
}

/**
 * The path of the field `key` (e.g. "init", "activation", "lr") that a variant's value comes
 * from: the variant's own field, else the base field, else (a default) the variant object itself
 * or, without variants, the key path anyway (the caller may fall back to the root).
 */
export function fieldPath(config: unknown, variant: number, key: string): JSONPath {
  const v = isObj(config) && Array.isArray(config.variants) ? config.variants[variant] : undefined;
  if (isObj(v) && has(v, key)) return ['variants', variant, key];
  if (isObj(config) && has(config, key)) return [key];
  if (isObj(v)) return ['variants', variant];
  return [key];
}

/** A field inside the dataset object if written there, else the dataset object. */
export function datasetFieldPath(config: unknown, key: string): JSONPath {
  const ds = isObj(config) ? config.dataset : undefined;
  return isObj(ds) && has(ds, key) ? ['dataset', key] : ['dataset'];
}

export interface TextRange {
  /** 1-based, end exclusive (as ConfigIssue) */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The offset at which each line of `text` starts (any of \r\n, \r, \n ends a line). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (const m of text.matchAll(/\r\n|\r|\n/g)) starts.push(m.index + m[0].length);
  return starts;
}

/** [line, column] of an offset, both 1-based, from the text's lineStarts. */
export function positionAt(starts: number[], offset: number): [number, number] {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo + 1, offset - starts[lo]! + 1];
}

/** The range from offset `start` to `end` (exclusive). */
export function textRange(starts: number[], start: number, end: number): TextRange {
  const [line, column] = positionAt(starts, start);
  const [endLine, endColumn] = positionAt(starts, end);
  return { line, column, endLine, endColumn };
}

/**
 * The text range of the value at `path` (a property's value; the nearest existing ancestor when
 * the path does not exist). The root, or nothing parseable, gives the first character.
 */
export function locatePath(text: string, path: string | JSONPath): TextRange {
  const segs = typeof path === 'string' ? parseJsonPath(path) : path;
  const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  let node: Node | undefined;
  for (let p = segs; tree && !node; p = p.slice(0, -1)) {
    node = p.length ? findNodeAtLocation(tree, p) : tree;
    if (!p.length) break;
  }
  const starts = lineStarts(text);
  let start = node ? node.offset : 0;
  let end = node ? node.offset + node.length : 1;
  // A whole object or array as the target: underline its key (or its first line), not every line of it.
  if (node && (node.type === 'object' || node.type === 'array')) {
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    if (key) [start, end] = [key.offset, key.offset + key.length];
    else end = start + 1;
  }
  return textRange(starts, start, end);
}
